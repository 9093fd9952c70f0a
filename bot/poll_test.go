package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// newUpdatesOf decodes a getUpdates result as the poller does, and as
// plain encoding/json would, keeping the ids after after.
func newUpdatesOf(t testing.TB, result string, after int64) (got, want []int64, err error) {
	var all []update
	if json.Unmarshal([]byte(result), &all) != nil {
		t.Fatal("not a list of updates")
	}
	for _, u := range all {
		if u.ID > after {
			want = append(want, u.ID)
		}
	}
	n := &newUpdates{after: after}
	env := envelope{Result: n}
	err = json.Unmarshal([]byte(`{"ok":true,"result":`+result+`}`), &env)
	for _, u := range n.list {
		got = append(got, u.ID)
	}
	return got, want, err
}

func TestNewUpdatesSkipsThoseTaken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		result string
		after  int64
		want   []int64
	}{
		{"none", `[]`, 0, nil},
		{"all new", `[{"update_id":5,"message":{"message_id":1,"chat":{"id":7},"text":"a"}},{"update_id":6}]`, 4, []int64{5, 6}},
		{"the taken skipped", `[{"update_id":5},{"update_id":6},{"update_id":7}]`, 6, []int64{7}},
		{"brackets and quotes in texts", `[{"update_id":5,"message":{"text":"} ] \" { [ \\"}},{"update_id":6,"message":{"text":"{\"x\":[1]}"}}]`, 5, []int64{6}},
		{"the id not first", `[ {"message":{"text":"}"},"update_id":9} , {"update_id":10} ]`, 9, []int64{10}},
		{"nested arrays", `[{"update_id":3,"message":{"photo":[{"file_id":"a"},{"file_id":"b"}]}},{"update_id":4}]`, 2, []int64{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, want, err := newUpdatesOf(t, tt.result, tt.after)
			if err != nil || !slices.Equal(got, tt.want) || !slices.Equal(want, tt.want) {
				t.Errorf("got %v (%v), encoding/json %v, want %v", got, err, want, tt.want)
			}
		})
	}
}

// FuzzEachObject holds the poller's splitting of a list of updates to
// what encoding/json reads.
func FuzzEachObject(f *testing.F) {
	f.Add(`[{"update_id":5,"message":{"text":"} ] \" {"}},{"update_id":6}]`)
	f.Add(`[{"message":{"text":"\\"},"update_id":2}, {}]`)
	f.Fuzz(func(t *testing.T, list string) {
		var got []string
		err := eachObject([]byte(list), func(raw []byte) error {
			got = append(got, string(raw))
			return nil
		})
		var want []json.RawMessage
		if json.Unmarshal([]byte(list), &want) != nil {
			return // it need only not panic, and each decodes what it gets
		}
		objects := true
		for _, w := range want {
			objects = objects && len(w) > 0 && w[0] == '{'
		}
		if objects != (err == nil) {
			t.Fatalf("%s: got %q (%v), encoding/json %q", list, got, err, want)
		}
		if err == nil && len(got) != len(want) {
			t.Fatalf("%s: got %q, encoding/json %q", list, got, want)
		}
		for i := range got {
			if err == nil && got[i] != string(want[i]) {
				t.Fatalf("%s: got %q, encoding/json %q", list, got, want)
			}
		}
	})
}

// TestGetUpdatesAnswers reads a getUpdates answer as Telegram writes it
// (the result cut out as it is), with members after the result (decoded
// whole) and one that is not ok.
func TestGetUpdatesAnswers(t *testing.T) {
	t.Parallel()
	list := `[{"update_id":5,"message":{"text":"]}"}},{"update_id":6,"message":{"message_id":2,"chat":{"id":7},"text":"b"}}]`
	tests := []struct {
		name, body string
		want       []int64
		code       int
	}{
		{"as Telegram writes it", `{"ok":true,"result":` + list + `}`, []int64{6}, 0},
		{"a member after the result", `{"ok":true,"result":` + list + `,"description":"x"}`, []int64{6}, 0},
		{"spaces", " {\"ok\":true,\"result\": " + list + " }\n", []int64{6}, 0},
		{"not ok", `{"ok":false,"error_code":409,"description":"Conflict"}`, nil, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.code != 0 {
					w.WriteHeader(tt.code)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := NewClient("1:secret", srv.URL, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := &newUpdates{after: 5}
			err = c.call(context.Background(), "getUpdates", map[string]any{}, n)
			var got []int64
			for _, u := range n.list {
				got = append(got, u.ID)
			}
			var api *APIError
			if tt.code != 0 && (!errors.As(err, &api) || api.Code != tt.code) || tt.code == 0 && err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v, code %d", got, err, tt.want, tt.code)
			}
		})
	}
}
