package flows_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoctap/blob"
	"hoctap/flows"
	"hoctap/scoring"
	"hoctap/session"
	"hoctap/session/sessiontest"
	"hoctap/store"
	"hoctap/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts")

// clock is the fixed time of every test conversation.
var clock = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// files is the channel side of photos in tests: file ids to bytes.
type files map[string][]byte

func (f files) Fetch(_ context.Context, p flows.Photo) (io.ReadCloser, error) {
	data, ok := f[p.FileID]
	if !ok {
		return nil, fmt.Errorf("no file %s", p.FileID)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// harness runs one person's conversation against a real PostgreSQL and
// Redis, and writes it down as a transcript.
type harness struct {
	t       *testing.T
	ctx     context.Context
	e       *flows.Engine
	db      *store.DB
	states  *session.Store
	chat    int64
	lang    string
	files   files
	screens [][][]flows.Button // buttons of every output, oldest first
	log     strings.Builder
	seq     int
}

func newHarness(t *testing.T, lang string) *harness {
	t.Helper()
	cat, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.New(t)
	states, _, _ := sessiontest.New(t)
	blobs, err := blob.NewDir(t.TempDir(), flows.MaxPhotoSize)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: context.Background(), db: db, states: states, chat: 4242, lang: lang, files: files{}}
	h.e = &flows.Engine{
		Channel: "test", Sets: cat, Store: db, States: states, Files: h.files, Blobs: blobs,
		Now: func() time.Time { return clock },
	}
	return h
}

// engineWithSets swaps the catalog, for tests of withdrawn sets.
func (h *harness) engineWithSets(cat *scoring.Catalog) { h.e.Sets = cat }

// send gives the engine one input and records the exchange.
func (h *harness) send(in flows.Input, shown string) []flows.Output {
	h.t.Helper()
	h.seq++
	in.Chat, in.User, in.Lang, in.At = h.chat, h.chat, h.lang, clock
	if in.Key == "" {
		in.Key = fmt.Sprintf("k%d", h.seq)
	}
	out, err := h.e.Handle(h.ctx, in)
	if err != nil {
		h.t.Fatalf("%s: %v", shown, err)
	}
	h.log.WriteString("> " + shown + "\n")
	for _, o := range out {
		h.screens = append(h.screens, o.Buttons)
		h.log.WriteString(render(o))
	}
	return out
}

var tags = regexp.MustCompile(`</?[bi]>`)

// render writes an output as a transcript shows it.
func render(o flows.Output) string {
	var b strings.Builder
	if o.Notice != "" {
		b.WriteString("  (" + o.Notice + ")\n")
	}
	if o.Text != "" {
		mark := "<"
		if o.Replace {
			mark = "<~"
		}
		if o.Coalesce != "" {
			mark += " [coalesced]"
		}
		for i, line := range strings.Split(o.Text, "\n") {
			if i == 0 {
				b.WriteString(mark + " " + line + "\n")
			} else {
				b.WriteString("   " + line + "\n")
			}
		}
	}
	for _, row := range o.Buttons {
		b.WriteString("   ")
		for _, btn := range row {
			b.WriteString(" [" + btn.Label + "]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (h *harness) text(s string) []flows.Output {
	return h.send(flows.Input{Kind: flows.InputText, Text: s}, s)
}

func (h *harness) command(name string) []flows.Output {
	return h.send(flows.Input{Kind: flows.InputCommand, Command: name}, "/"+name)
}

// token finds the newest button with the label; back > 0 skips that many
// newer screens that have it, to press an older, stale copy.
func (h *harness) token(label string, back int) string {
	h.t.Helper()
	for i := len(h.screens) - 1; i >= 0; i-- {
		for _, row := range h.screens[i] {
			for _, b := range row {
				if b.Label == label {
					if back == 0 {
						return b.Token
					}
					back--
				}
			}
		}
	}
	h.t.Fatalf("no button %q on screen", label)
	return ""
}

func (h *harness) press(label string) []flows.Output {
	h.t.Helper()
	return h.send(flows.Input{Kind: flows.InputButton, Button: h.token(label, 0)}, "["+label+"]")
}

func (h *harness) photo(name string, data []byte, album string) []flows.Output {
	h.t.Helper()
	id := fmt.Sprintf("file-%d", h.seq)
	h.files[id] = data
	shown := "photo " + name
	if album != "" {
		shown += " (album " + album + ")"
	}
	return h.send(flows.Input{Kind: flows.InputPhoto, Photo: &flows.Photo{FileID: id, UniqueID: "u" + id, Size: int64(len(data)), Album: album}}, shown)
}

// golden compares the transcript with testdata/name.golden.
func (h *harness) golden(name string) {
	h.t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := h.log.String()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("%v (run go test ./flows -update to create it)", err)
	}
	if got != string(want) {
		h.t.Errorf("the conversation differs from %s (run with -update if the change is meant):\n%s", path, diff(string(want), got))
	}
}

// diff shows the first lines where two transcripts part.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return ""
}

// submitted returns the submitted assessments.
func (h *harness) submitted() []store.Submitted {
	var out []store.Submitted
	if err := h.db.EachSubmitted(h.ctx, func(s store.Submitted) error { out = append(out, s); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}
