package runner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hoctap/blob"
	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/flows/assess"
	"hoctap/flows/flowstest"
	"hoctap/runner"
	"hoctap/scoring"
	"hoctap/session"
	"hoctap/session/sessiontest"
	"hoctap/store/storetest"
)

// recorder is a channel that writes down what it is asked to show.
type recorder struct {
	mu      sync.Mutex
	msgs    []runner.Message
	fail    func(runner.Message) error // nil: every message goes out
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) Send(_ context.Context, m runner.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.msgs = append(r.msgs, m)
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// texts are the texts shown so far.
func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		if m.Out.Text != "" {
			out = append(out, m.Out.Text)
		}
	}
	return out
}

// waitFor waits until cond holds for what was shown; it fails the test
// after 10 s.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]runner.Message) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok, changed := cond(r.msgs), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited 10 s for %s; shown: %q", what, r.texts())
		}
	}
}

// bundle is one test's runners on a database, a Redis prefix and a
// channel of its own.
type bundle struct {
	t        *testing.T
	store    app.Store
	sessions *session.Store
	files    flowstest.Files
	rec      *recorder
	sets     *scoring.Catalog
	blobs    *blob.Dir
	conv     flows.Conv
	seq      int
}

func newBundle(t *testing.T) *bundle {
	t.Helper()
	sets, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	sessions, _, _ := sessiontest.New(t)
	blobs, err := blob.NewDir(t.TempDir(), assess.MaxPhotoSize)
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{t: t, store: storetest.New(t), sessions: sessions, files: flowstest.Files{}, rec: newRecorder(),
		sets: sets, blobs: blobs, conv: flows.Conv{Channel: "test", ID: 77}}
}

// runner starts a runner on the bundle's parts, as one replica; wrap, when
// given, stands between it and the store.
func (b *bundle) runner(quiet time.Duration, wrap func(app.Store) app.Store) *runner.Runner {
	st := b.store
	if wrap != nil {
		st = wrap(st)
	}
	engine := app.New(app.Config{Store: st, Sets: b.sets, Files: b.files, Blobs: b.blobs})
	r := runner.New(runner.Config{Engine: engine, Sessions: b.sessions, Sender: b.rec, Pacer: b.sessions, Quiet: quiet,
		Turn: 5 * time.Second})
	b.t.Cleanup(func() { r.Stop(context.Background()) })
	return r
}

// input makes the person's next input.
func (b *bundle) input(in flows.Input) runner.Input {
	b.seq++
	in.Conv, in.User, in.Key, in.At = b.conv, b.conv.ID, fmt.Sprintf("k%d", b.seq), time.Now()
	return runner.Input{Input: in}
}

func (b *bundle) text(s string) runner.Input {
	return b.input(flows.Input{Kind: flows.InputText, Text: s})
}

// press makes a press on the newest shown button with the label.
func (b *bundle) press(label string) runner.Input {
	b.t.Helper()
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	for i := len(b.rec.msgs) - 1; i >= 0; i-- {
		for _, row := range b.rec.msgs[i].Out.Buttons {
			for _, btn := range row {
				if btn.Label == label {
					return b.input(flows.Input{Kind: flows.InputButton, Button: btn.Token})
				}
			}
		}
	}
	b.t.Fatalf("no button %q shown", label)
	return runner.Input{}
}

func (b *bundle) photo(n int, album string) runner.Input {
	id := fmt.Sprintf("photo-%d", n)
	b.files[id] = picture(n)
	return b.input(flows.Input{Kind: flows.InputPhoto, Photo: &flows.Photo{FileID: id, UniqueID: id, Album: album}})
}

// run runs inputs one after another on r, failing the test on an error.
func (b *bundle) run(r *runner.Runner, ins ...runner.Input) {
	b.t.Helper()
	for _, in := range ins {
		if err := r.Run(context.Background(), in); err != nil {
			b.t.Fatal(err)
		}
	}
}

// toEvidence takes the person to the photo step of question 1.1.
func (b *bundle) toEvidence(r *runner.Runner) {
	b.t.Helper()
	b.run(r, b.input(flows.Input{Kind: flows.InputCommand, Command: "start"}))
	b.run(r, b.press("✅ Đồng ý"))
	b.run(r, b.press("Gia đình học tập"))
	b.run(r, b.text("Nhà Lê"))
	b.run(r, b.press("Thành phố Hà Nội"))
	b.run(r, b.text("soc son")) // one of Hà Nội's 126 communes, found by name
	b.run(r, b.press("Xã Sóc Sơn"))
	b.run(r, b.press("Thôn Đông"))
	b.run(r, b.press("Có"))
	if texts := b.rec.texts(); !strings.Contains(texts[len(texts)-1], "1.1</b> Minh chứng") {
		b.t.Fatalf("not at 1.1's photos: %q", texts[len(texts)-1])
	}
}

func picture(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 16), uint8(y * 16), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	return buf.Bytes()
}

// An album's confirmation, left alone, goes out once, after the last photo.
func TestAlbumConfirmedOnce(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	r := b.runner(100*time.Millisecond, nil)
	b.toEvidence(r)
	shown := len(b.rec.texts())
	b.run(r, b.photo(1, "a"), b.photo(2, "a"), b.photo(3, "a"))
	b.rec.waitFor(t, "the album's confirmation", func(ms []runner.Message) bool {
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Out.Text, "Đã nhận 3 ảnh")
	})
	time.Sleep(300 * time.Millisecond) // the other photos' quiet times are over too
	if got := b.rec.texts()[shown:]; len(got) != 1 {
		t.Errorf("the album was confirmed %d times: %q", len(got), got)
	}
}

// A command that changes nothing, like /help, between an album's photos
// and its quiet time's end keeps the confirmation: the state kept its
// revision, so the screen the person sees is still the one confirmed.
func TestHelpDuringAnAlbumKeepsItsConfirmation(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	r := b.runner(100*time.Millisecond, nil)
	b.toEvidence(r)
	b.run(r, b.photo(1, "a"), b.photo(2, "a"), b.input(flows.Input{Kind: flows.InputCommand, Command: "help"}))
	b.rec.waitFor(t, "the album's confirmation after /help", func(ms []runner.Message) bool {
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Out.Text, "Đã nhận 2 ảnh")
	})
}

// blockingStore, once armed, holds the next Apply until released, with
// the conversation's lock held by the turn that called it.
type blockingStore struct {
	app.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newBlocking() *blockingStore {
	return &blockingStore{entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *blockingStore) Apply(ctx context.Context, c flows.Change) (int, error) {
	if s.armed.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
	}
	return s.Store.Apply(ctx, c)
}

// A timer — the album's confirmation — waits for the conversation's lock
// held by another replica's turn, and then, the turn having shown a newer
// screen, drops itself: no confirmation under the next question.
func TestTimerWaitsForTheLockAndDropsWhenStale(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	quiet := 100 * time.Millisecond
	a := b.runner(quiet, nil)
	blocking := newBlocking()
	other := b.runner(quiet, func(s app.Store) app.Store { blocking.Store = s; return blocking })
	b.toEvidence(a)
	b.run(a, b.photo(1, ""))                   // one photo: enough for ✅ Xong to be offered
	b.run(a, b.photo(2, "a"), b.photo(3, "a")) // the album's confirmation is held on replica a

	// "Xong" on the other replica: its turn takes the lock and waits in
	// Apply past the quiet time, so the confirmation's timer has to wait.
	done := b.press("✅ Xong")
	blocking.armed.Store(true)
	finished := make(chan error, 1)
	go func() { finished <- other.Run(context.Background(), done) }()
	<-blocking.entered
	time.Sleep(3 * quiet)
	if got := b.rec.texts(); strings.Contains(got[len(got)-1], "Đã nhận 3 ảnh") {
		t.Fatal("the confirmation went out while another turn held the conversation")
	}
	close(blocking.release)
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * quiet) // the timer had its turn once the lock was free
	got := b.rec.texts()
	if !strings.Contains(got[len(got)-1], "Câu 2/12") {
		t.Errorf("the last screen is %q, want question 2", got[len(got)-1])
	}
	for _, text := range got {
		if strings.Contains(text, "Đã nhận 3 ảnh") {
			t.Errorf("a late confirmation went out: %q", text)
		}
	}
}

// Inputs of one conversation submitted at once are run in the order
// submitted; a panic in a turn is recovered.
func TestSubmitKeepsOrder(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	r := b.runner(0, nil)
	b.run(r, b.input(flows.Input{Kind: flows.InputCommand, Command: "start"}))
	b.run(r, b.press("✅ Đồng ý"))
	b.run(r, b.press("Gia đình học tập"))
	var wg sync.WaitGroup
	names := []string{"Hộ số 1", "Hộ số 2", "Hộ số 3", "Hộ số 4"}
	for _, name := range names {
		wg.Add(1)
		if !r.Submit(b.text(name), func(err error) {
			if err != nil {
				t.Error(err)
			}
			wg.Done()
		}) {
			t.Fatal("the runner refused an input")
		}
		// Each name after the first is a search at the area step that
		// finds no place: the screen repeats the first name if the order
		// held.
	}
	wg.Wait()
	got := b.rec.texts()
	for _, text := range got[len(got)-4:] {
		if !strings.Contains(text, "Hộ số 1") {
			t.Errorf("the names were taken out of order: %q", got[len(got)-4:])
			break
		}
	}
}

// A stop finishes what was taken, then refuses more.
func TestStopFinishesAndRefuses(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	r := b.runner(0, nil)
	results := make(chan error, 10)
	for range 10 {
		r.Submit(b.input(flows.Input{Kind: flows.InputCommand, Command: "help"}), func(err error) { results <- err })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Stop(ctx)
	for range 10 {
		if err := <-results; err != nil {
			t.Errorf("an input taken before the stop: %v", err)
		}
	}
	if r.Submit(b.text("late"), func(error) {}) {
		t.Error("the runner took an input after it stopped")
	}
	if n := len(b.rec.texts()); n != 10 {
		t.Errorf("%d messages for 10 /help", n)
	}
}

// Past the stop's deadline the turns still running fail and those not
// started are given up with ErrStopped, for the channel to leave to be
// delivered again.
func TestStopGivesUpAtTheDeadline(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	blocking := newBlocking()
	r := b.runner(0, func(s app.Store) app.Store { blocking.Store = s; return blocking })
	b.toEvidence(r)
	b.run(r, b.photo(1, ""))
	blocking.armed.Store(true)
	results := make(chan error, 3)
	r.Submit(b.press("✅ Xong"), func(err error) { results <- err }) // blocks in Apply
	<-blocking.entered
	r.Submit(b.text("next"), func(err error) { results <- err })
	r.Submit(b.text("and next"), func(err error) { results <- err })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	go func() { <-ctx.Done(); time.Sleep(50 * time.Millisecond); close(blocking.release) }()
	r.Stop(ctx)
	for range 3 {
		if err := <-results; !errors.Is(err, runner.ErrStopped) {
			t.Errorf("an input cut by the stop: %v, want ErrStopped", err)
		}
	}
}
