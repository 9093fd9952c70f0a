package flows

import (
	"strconv"
	"time"
)

// Conv names a conversation: the channel it is on ("telegram", "terminal")
// and its id within that channel (on Telegram, the private chat's id). Every
// part below a channel adapter names conversations this way.
type Conv struct {
	Channel string
	ID      int64
}

// String writes the conversation as "channel:id", for keys and logs.
func (c Conv) String() string { return c.Channel + ":" + strconv.FormatInt(c.ID, 10) }

// InputKind says what happened.
type InputKind uint8

// The kinds of input: what a person did, and what happened without them.
const (
	InputText        InputKind = iota + 1 // a typed message
	InputCommand                          // /start, /help... with an optional payload
	InputButton                           // a press on one of our buttons (Button is empty when the channel could not read it)
	InputPhoto                            // a photo, or an image sent as a file
	InputUnsupported                      // a sticker, location, voice, video...
	InputBlocked                          // the person blocked the bot
	InputUnblocked                        // the person unblocked the bot
	InputTimer                            // a timer set for an object fired (Ref)
	InputEvent                            // something happened to an object of the person's (Ref)
)

// FromPerson reports whether a person made the input, as opposed to a timer
// or an event.
func (k InputKind) FromPerson() bool { return k != InputTimer && k != InputEvent }

// Input is one thing that happened in a conversation.
type Input struct {
	Kind    InputKind
	Conv    Conv
	User    int64  // the person, unique within the channel
	Lang    string // the language the channel reports for the person ("en-US"), a hint
	Text    string // InputText: the text; InputCommand: the payload after the command
	Command string // InputCommand: the command without its slash, lower-case
	Button  string // InputButton: the button's token
	Photo   *Photo // InputPhoto
	Ref     *Ref   // InputTimer, InputEvent: what it is about
	Key     string // identifies the input within the channel, e.g. "tg:123" for an update id
	At      time.Time
}

// Ref names what a timer was set for or what an event happened to: the
// module that owns it, the timer's or event's name, the object and the
// object's revision at the time. A module drops a timer whose object has
// moved on since, as a stale button changes nothing.
type Ref struct {
	Module string
	Name   string
	ID     int64
	Rev    int
}

// Photo is an image a person sent. Its ids are the channel's, opaque to
// flows: they are stored with the evidence and handed back to Files.
type Photo struct {
	FileID   string // the channel's id to fetch it
	UniqueID string // the channel's stable id of the file
	Size     int64  // bytes, 0 when unknown
	MIME     string // for a file: its declared type; empty for a channel photo
	AsFile   bool   // sent as a file (a document), so it may carry EXIF and GPS data
	Album    string // the album (media group) it belongs to, if any
}

// Output is one thing to show the person. Its fields are intents that every
// channel renders its own way.
type Output struct {
	Text    string     // simple HTML: <b>, <i> and escaped text
	Buttons [][]Button // rows of buttons; nil for none
	// Replace asks to show this in place of the message whose button was
	// pressed, when the input was a button press; otherwise it is sent.
	Replace bool
	// Notice is a short text for the button press itself (a toast), shown
	// instead of a message when Text is empty.
	Notice string
	// Settle asks the channel to hold the output for its quiet time and to
	// drop it when another input of the conversation came meanwhile: the
	// confirmation of an album, whose photos arrive one by one, goes out
	// once, after the last, and never under a newer screen.
	Settle bool
	// TakesText says the screen asks for a typed answer (a number, a name)
	// beside its buttons, so that a channel that presses buttons by
	// number, as the terminal playground does, takes a typed number as the
	// answer.
	TakesText bool
	// Photos are pictures to show by the channel's file ids, as one album
	// (at most 10) with Text as its caption; an output with photos has no
	// buttons.
	Photos []string
	// Document is a file to send, with Text as its caption.
	Document *Document
	// Picture is an image made for the person (a chart), shown as a photo
	// with Text as its caption.
	Picture *Document
}

// Document is a file made for the person, such as a certificate or a
// chart.
type Document struct {
	Name string // the file's name, as the person sees it
	Data []byte
}

// Button is one button: its label and the token it sends back.
type Button struct {
	Label string
	Token string
}
