package flows_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/flows/assess"
	"hoctap/flows/flowstest"
	"hoctap/scoring"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts")

// start is the time every test conversation begins at.
var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// harness runs one person's conversation on in-memory ports, keeping the
// envelope between inputs as the runner keeps it in Redis, and writes the
// conversation down as a transcript with the stored effects of each step.
type harness struct {
	t       *testing.T
	ctx     context.Context
	e       *flows.Engine
	sets    *scoring.Catalog
	store   *flowstest.Store
	files   flowstest.Files
	sh      *shared
	who     string // whose conversation it is, in the transcript; "" for the one harness
	env     flows.Envelope
	found   bool
	conv    flows.Conv
	lang    string
	screens [][][]flows.Button // buttons of every output, oldest first
	held    []flows.Output     // outputs that settle, until the quiet time passes
	seq     int
}

// shared is what the conversations of one test share: the transcript and
// the clock.
type shared struct {
	log strings.Builder
	now time.Time
}

// other is another person's conversation on the same stores and engine,
// written into the same transcript under their name.
func (h *harness) other(id int64, lang, who string) *harness {
	o := *h
	o.conv, o.lang, o.who = flows.Conv{Channel: "test", ID: id}, lang, who
	o.env, o.found, o.screens, o.held, o.seq = flows.Envelope{}, false, nil, nil, 1000*int(id)
	return &o
}

func newHarness(t *testing.T, lang string) *harness {
	t.Helper()
	sets, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: context.Background(), sets: sets, store: flowstest.New(), files: flowstest.Files{},
		sh: &shared{now: start}, conv: flows.Conv{Channel: "test", ID: 4242}, lang: lang}
	h.restart()
	return h
}

// restart makes a new engine on the same stores, as a new replica of the
// bot would.
func (h *harness) restart() {
	h.e = app.New(app.Config{Store: h.store, Sets: h.sets, Files: h.files, Blobs: flowstest.Blobs{Max: assess.MaxPhotoSize},
		Now: func() time.Time { return h.sh.now }})
}

// withSets swaps the criteria sets, for tests of withdrawn sets.
func (h *harness) withSets(cat *scoring.Catalog) {
	h.sets = cat
	h.restart()
}

// note writes a line of the test's own into the transcript.
func (h *harness) note(format string, args ...any) {
	h.sh.log.WriteString("# " + fmt.Sprintf(format, args...) + "\n")
}

// loseState forgets the envelope, as when Redis lost it.
func (h *harness) loseState() {
	h.env, h.found = flows.Envelope{Rev: 0}, false
	h.note("the conversation state is lost")
}

// later moves the clock on.
func (h *harness) later(d time.Duration) {
	h.sh.now = h.sh.now.Add(d)
	h.note("%v later", d)
}

// send gives the engine one input and records the exchange; an error fails
// the test.
func (h *harness) send(in flows.Input, shown string) []flows.Output {
	h.t.Helper()
	out, err := h.try(in, shown)
	if err != nil {
		h.t.Fatalf("%s: %v", shown, err)
	}
	return out
}

// try is send that returns the error.
func (h *harness) try(in flows.Input, shown string) ([]flows.Output, error) {
	h.t.Helper()
	h.seq++
	in.Conv, in.User, in.Lang, in.At = h.conv, h.conv.ID, h.lang, h.sh.now
	if in.Key == "" {
		in.Key = fmt.Sprintf("k%d", h.seq)
	}
	if h.who != "" {
		shown = "(" + h.who + ") " + shown
	}
	h.sh.log.WriteString("> " + shown + "\n")
	env := h.env
	out, err := h.e.Step(h.ctx, in, &env, h.found)
	if err != nil {
		h.sh.log.WriteString("  error: " + err.Error() + "\n")
		return nil, err
	}
	// As the runner does: a state left the same keeps its revision, and
	// what was held under it; a new one drops what was held.
	if !h.found || !env.Same(&h.env) {
		env.Rev++
		if len(h.held) > 0 {
			h.sh.log.WriteString("  (what was held is dropped: this input came first)\n")
			h.held = nil
		}
	}
	h.env, h.found = env, true
	if len(out) == 0 {
		h.sh.log.WriteString("  (nothing shown)\n")
	}
	for _, o := range out {
		h.screens = append(h.screens, o.Buttons)
		if o.Settle {
			h.held = append(h.held, o)
			h.sh.log.WriteString("  (held for the quiet time)\n")
			continue
		}
		h.sh.log.WriteString(render(o))
	}
	for _, e := range h.store.Effects() {
		h.sh.log.WriteString("  = " + e + "\n")
	}
	return out, nil
}

// quiet lets the quiet time pass: what was held goes out.
func (h *harness) quiet() {
	h.sh.log.WriteString("> (quiet)\n")
	for _, o := range h.held {
		h.sh.log.WriteString(render(o))
	}
	h.held = nil
}

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
		for i, line := range strings.Split(o.Text, "\n") {
			if i == 0 {
				b.WriteString(mark + " " + line + "\n")
			} else {
				b.WriteString("   " + line + "\n")
			}
		}
	}
	if len(o.Photos) > 0 {
		b.WriteString("   [album: " + strings.Join(o.Photos, ", ") + "]\n")
	}
	if o.Document != nil {
		b.WriteString(fmt.Sprintf("   [document: %s, %s]\n", o.Document.Name, fileType(o.Document.Data)))
	}
	if o.Picture != nil {
		b.WriteString(fmt.Sprintf("   [picture: %s, %s]\n", o.Picture.Name, fileType(o.Picture.Data)))
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
	h.t.Helper()
	return h.send(flows.Input{Kind: flows.InputText, Text: s}, s)
}

func (h *harness) command(name string) []flows.Output {
	h.t.Helper()
	return h.send(flows.Input{Kind: flows.InputCommand, Command: name}, "/"+name)
}

func (h *harness) sticker() []flows.Output {
	h.t.Helper()
	return h.send(flows.Input{Kind: flows.InputUnsupported}, "sticker")
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

// pressOld presses the button with the label on an older screen, skipping
// back newer screens that have it.
func (h *harness) pressOld(label string, back int) []flows.Output {
	h.t.Helper()
	return h.send(flows.Input{Kind: flows.InputButton, Button: h.token(label, back)}, "old ["+label+"]")
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
	got := h.sh.log.String()
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

// inProgress returns the person's assessments in progress, the most
// recently changed first.
func (h *harness) inProgress() []flows.Assessment {
	h.t.Helper()
	p, err := h.store.Person(h.ctx, h.conv.Channel, h.conv.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	all, err := h.store.Assessments(h.ctx, p.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var open []flows.Assessment
	for _, a := range all {
		if a.Submitted == nil {
			open = append(open, a)
		}
	}
	return open
}

// open returns the person's assessment in progress that changed last; it
// fails the test when there is none.
func (h *harness) open() flows.Assessment {
	h.t.Helper()
	open := h.inProgress()
	if len(open) == 0 {
		h.t.Fatal("no assessment in progress")
	}
	return open[0]
}

// answers returns the stored answers of the person's open assessment.
func (h *harness) answers() scoring.Answers { return h.open().Answers }

// picture returns a small JPEG whose colour depends on n, so that photos
// differ.
func picture(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		for y := 0; y < 16; y++ {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 16), uint8(y * 16), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// last returns the text of the last output with a text.
func last(out []flows.Output) string {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].Text != "" {
			return out[i].Text
		}
	}
	return ""
}

// shown returns the button labels of the last output with buttons.
func shown(out []flows.Output) []string {
	for i := len(out) - 1; i >= 0; i-- {
		if len(out[i].Buttons) > 0 {
			var ls []string
			for _, row := range out[i].Buttons {
				for _, b := range row {
					ls = append(ls, b.Label)
				}
			}
			return ls
		}
	}
	return nil
}

func notice(out []flows.Output) string {
	for _, o := range out {
		if o.Notice != "" {
			return o.Notice
		}
	}
	return ""
}

// fileType names a made file's type by its first bytes, as a person's
// phone would: what a transcript shows of it.
func fileType(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return "a PDF"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "a PNG"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "a ZIP (xlsx, docx)"
	}
	return "not a known type"
}
