package bot

import (
	"encoding/json"
	"testing"

	"hoctap/flows"
)

func tgConv(id int64) flows.Conv { return flows.Conv{Channel: Channel, ID: id} }

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		ok   bool
		want flows.Input
		cb   string
		msg  int
	}{
		{"text", `{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7,"first_name":"Lan","language_code":"vi"},"text":"Nhà tôi"}}`,
			true, flows.Input{Kind: flows.InputText, Conv: tgConv(7), User: 7, Lang: "vi", Text: "Nhà tôi", Key: "tg:5"}, "", 0},
		{"command with payload and bot name", `{"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"text":"/Start@hoctap_bot abc"}}`,
			true, flows.Input{Kind: flows.InputCommand, Conv: tgConv(7), User: 7, Command: "start", Text: "abc", Key: "tg:6"}, "", 0},
		{"Vietnamese before a command is text", `{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"text":"xin chào /start"}}`,
			true, flows.Input{Kind: flows.InputText, Conv: tgConv(7), User: 7, Text: "xin chào /start", Key: "tg:7"}, "", 0},
		{"photo: the largest size", `{"update_id":8,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"media_group_id":"g1","photo":[{"file_id":"s","file_unique_id":"us","width":90,"height":60,"file_size":100},{"file_id":"l","file_unique_id":"ul","width":800,"height":600,"file_size":9000}]}}`,
			true, flows.Input{Kind: flows.InputPhoto, Conv: tgConv(7), User: 7, Key: "tg:8", Photo: &flows.Photo{FileID: "l", UniqueID: "ul", Size: 9000, Album: "g1"}}, "", 0},
		{"image as a file", `{"update_id":9,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"document":{"file_id":"d","file_unique_id":"ud","mime_type":"image/jpeg","file_size":5}}}`,
			true, flows.Input{Kind: flows.InputPhoto, Conv: tgConv(7), User: 7, Key: "tg:9", Photo: &flows.Photo{FileID: "d", UniqueID: "ud", Size: 5, MIME: "image/jpeg", AsFile: true}}, "", 0},
		{"sticker", `{"update_id":10,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"sticker":{"file_id":"x"}}}`,
			true, flows.Input{Kind: flows.InputUnsupported, Conv: tgConv(7), User: 7, Key: "tg:10"}, "", 0},
		{"button", `{"update_id":11,"callback_query":{"id":"q1","from":{"id":7,"language_code":"en-US"},"message":{"message_id":42,"date":1,"chat":{"id":7,"type":"private"}},"data":"s.a:4:3:1.1:y"}}`,
			true, flows.Input{Kind: flows.InputButton, Conv: tgConv(7), User: 7, Lang: "en-US", Button: "s.a:4:3:1.1:y", Key: "tg:11"}, "q1", 42},
		{"button on a message the bot can no longer read", `{"update_id":15,"callback_query":{"id":"q2","from":{"id":7},"message":{"message_id":42,"date":0,"chat":{"id":7,"type":"private"}},"data":"s.a:4:3:1.1:y"}}`,
			true, flows.Input{Kind: flows.InputButton, Conv: tgConv(7), User: 7, Key: "tg:15"}, "q2", 0},
		{"button without a message", `{"update_id":16,"callback_query":{"id":"q3","from":{"id":7},"data":"s.a:4:3:1.1:y"}}`,
			true, flows.Input{Kind: flows.InputButton, Conv: tgConv(7), User: 7, Key: "tg:16"}, "q3", 0},
		{"blocked", `{"update_id":12,"my_chat_member":{"chat":{"id":7,"type":"private"},"from":{"id":7},"date":1,"new_chat_member":{"status":"kicked","user":{"id":1}}}}`,
			true, flows.Input{Kind: flows.InputBlocked, Conv: tgConv(7), User: 7, Key: "tg:12"}, "", 0},
		{"group message", `{"update_id":13,"message":{"message_id":1,"date":1,"chat":{"id":-5,"type":"group"},"from":{"id":7},"text":"hi"}}`,
			false, flows.Input{}, "", 0},
		{"edited message", `{"update_id":14,"edited_message":{"message_id":1}}`, false, flows.Input{}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u update
			if err := json.Unmarshal([]byte(tt.json), &u); err != nil {
				t.Fatal(err)
			}
			in, ok := decode(&u)
			if ok != tt.ok {
				t.Fatalf("ok %v", ok)
			}
			o, _ := in.Origin.(origin)
			got := in.Input
			got.At = tt.want.At
			if got.Photo != nil && tt.want.Photo != nil && *got.Photo == *tt.want.Photo {
				got.Photo = tt.want.Photo
			}
			if got != tt.want || o.callback != tt.cb || o.message != tt.msg {
				t.Errorf("got %+v (callback %q, message %d), want %+v", got, o.callback, o.message, tt.want)
			}
		})
	}
}

// FuzzDecode shows that no update, however malformed, panics the decoder,
// and that what it accepts has a chat and an idempotency key.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"update_id":5,"message":{"message_id":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"text":"/start x"}}`,
		`{"update_id":11,"callback_query":{"id":"q1","from":{"id":7},"message":{"message_id":42,"chat":{"id":7,"type":"private"}},"data":"s.a:4:3:1.1:y"}}`,
		`{"update_id":8,"message":{"chat":{"id":7,"type":"private"},"from":{"id":7},"photo":[{"file_id":"s"},{"file_id":"l","width":2}]}}`,
		`{"update_id":12,"my_chat_member":{"chat":{"id":7,"type":"private"},"new_chat_member":{"status":"left"}}}`,
		`{"update_id":1,"message":{"chat":{"type":"private"},"from":{},"text":"/"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u update
		if json.Unmarshal(data, &u) != nil {
			return
		}
		in, ok := decode(&u)
		if ok && (in.Key == "" || in.Conv.Channel != Channel || in.Kind == 0) {
			t.Errorf("an input without a key, a conversation or a kind: %+v", in)
		}
		if in.Kind == flows.InputPhoto && in.Photo == nil {
			t.Errorf("a photo input without a photo")
		}
	})
}
