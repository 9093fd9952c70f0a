package flows

import "time"

// InputKind says what a person did.
type InputKind uint8

// The kinds of input.
const (
	InputText        InputKind = iota + 1 // a typed message
	InputCommand                          // /start, /help... with an optional payload
	InputButton                           // a press on one of our buttons
	InputPhoto                            // a photo, or an image sent as a file
	InputUnsupported                      // a sticker, location, voice, video...
	InputBlocked                          // the person blocked the bot
	InputUnblocked                        // the person unblocked the bot
)

// Input is one thing a person did in a conversation.
type Input struct {
	Kind    InputKind
	Chat    int64  // the conversation, unique within the channel
	User    int64  // the person, unique within the channel
	Lang    string // the language the channel reports for the person ("en-US"), a hint
	Text    string // InputText: the text; InputCommand: the payload after the command
	Command string // InputCommand: the command without its slash, lower-case
	Button  string // InputButton: the button's token
	Photo   *Photo // InputPhoto
	Key     string // identifies the input within the channel, e.g. "tg:123" for an update id
	At      time.Time
}

// Photo is an image a person sent.
type Photo struct {
	FileID   string // the channel's id to fetch it
	UniqueID string // the channel's stable id of the file
	Size     int64  // bytes, 0 when unknown
	MIME     string // for a file: its declared type; empty for a channel photo
	AsFile   bool   // sent as a file (a document), so it may carry EXIF and GPS data
	Album    string // the album (media group) it belongs to, if any
}

// Output is one thing to show the person.
type Output struct {
	Text    string     // simple HTML
	Buttons [][]Button // rows of buttons; nil for none
	// Replace asks to show this in place of the message whose button was
	// pressed, when the input was a button press; otherwise it is sent.
	Replace bool
	// Notice is a short text for the button press itself (a toast), shown
	// instead of a message when Text is empty.
	Notice string
	// Coalesce, when set, lets the channel hold the output back for a short
	// quiet time and send only the last of those with the same key: the
	// confirmation of an album whose photos arrive one by one.
	Coalesce string
}

// Button is one button: its label and the token it sends back.
type Button struct {
	Label string
	Token string
}
