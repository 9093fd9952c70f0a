package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// people are n users with ids from 2001.
func people(n int) []User {
	us := make([]User, n)
	for i := range us {
		us[i] = User{ID: int64(2001 + i), FirstName: fmt.Sprintf("Người %d", i+1), LanguageCode: "vi"}
	}
	return us
}

// useWebhook points the server at hookURL with max_connections n.
func useWebhook(t *testing.T, srv *Server, hookURL string, n int) {
	t.Helper()
	r := rawCall(ctxTimeout(t), t, srv, "setWebhook", url.Values{"url": {hookURL}, "max_connections": {fmt.Sprint(n)}})
	if !r.OK {
		t.Fatalf("setWebhook: %+v", r)
	}
}

func decodeUpdate(t *testing.T, r *http.Request) models.Update {
	var u models.Update
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
		t.Errorf("webhook body: %v", err)
	}
	return u
}

// With max_connections 8 and a slow bot, updates of 8 chats are in flight at
// once, never more, never two of one chat, and each chat's arrive in order.
func TestWebhookParallel(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()
	ctx := ctxTimeout(t)
	const conns, perChat = 8, 4

	var (
		mu       sync.Mutex
		inFlight int
		most     int
		busy     = map[int64]bool{}
		got      = map[int64][]int64{}
		full     = make(chan struct{}) // closed once conns deliveries are in flight
		fullOnce sync.Once
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := decodeUpdate(t, r)
		chat := u.Message.Chat.ID
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		if busy[chat] {
			t.Errorf("two updates of chat %d in flight at once", chat)
		}
		busy[chat] = true
		got[chat] = append(got[chat], u.ID)
		if inFlight == conns {
			fullOnce.Do(func() { close(full) })
		}
		mu.Unlock()

		// A slow bot: the first ones wait until conns are in flight.
		select {
		case <-full:
		case <-time.After(5 * time.Second):
			fullOnce.Do(func() { close(full) })
		}
		time.Sleep(time.Millisecond)

		mu.Lock()
		inFlight--
		busy[chat] = false
		mu.Unlock()
	}))
	defer hook.Close()

	users := people(12)
	sent := map[int64][]int64{}
	for i := range perChat {
		for _, u := range users {
			sent[u.ID] = append(sent[u.ID], srv.SendText(u, fmt.Sprint(i)).ID)
		}
	}
	useWebhook(t, srv, hook.URL, conns)
	if err := srv.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if most != conns {
		t.Errorf("at most %d deliveries in flight at once, want %d", most, conns)
	}
	if !reflect.DeepEqual(got, sent) {
		t.Errorf("received per chat %v, want %v", got, sent)
	}
	if ds := srv.Deliveries(); len(ds) != len(users)*perChat {
		t.Errorf("%d deliveries, want %d", len(ds), len(users)*perChat)
	}
}

// With max_connections 1, one delivery at a time, in update_id order.
func TestWebhookOneConnection(t *testing.T) {
	t.Parallel()
	srv := New(token)
	defer srv.Close()
	ctx := ctxTimeout(t)

	var (
		mu       sync.Mutex
		inFlight int
		got      []int64
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := decodeUpdate(t, r)
		mu.Lock()
		inFlight++
		if inFlight > 1 {
			t.Errorf("%d deliveries in flight with max_connections 1", inFlight)
		}
		got = append(got, u.ID)
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer hook.Close()

	var want []int64
	for i := range 3 {
		for _, u := range people(3) {
			want = append(want, srv.SendText(u, fmt.Sprint(i)).ID)
		}
	}
	useWebhook(t, srv, hook.URL, 1)
	if err := srv.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}

// An update the bot does not take is retried before the next of its chat,
// while the other chats go on.
func TestWebhookRetryKeepsChatOrder(t *testing.T) {
	t.Parallel()
	srv := New(token, WithWebhookRetry(time.Millisecond))
	defer srv.Close()
	ctx := ctxTimeout(t)

	a1 := srv.SendText(lan, "a1").ID
	a2 := srv.SendText(lan, "a2").ID
	b1 := srv.SendText(minh, "b1").ID
	b2 := srv.SendText(minh, "b2").ID

	var (
		mu    sync.Mutex
		taken []int64 // answered 200, in order
		a1OK  bool
		a1Try int
		b2Got bool
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := decodeUpdate(t, r)
		mu.Lock()
		defer mu.Unlock()
		switch u.ID {
		case a1:
			// lan's first update fails once, and then until minh's are all
			// in: they must not wait for it.
			if a1Try++; a1Try == 1 || !b2Got {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			a1OK = true
		case a2:
			if !a1OK {
				t.Errorf("update %d delivered before %d of the same chat was taken", a2, a1)
			}
		case b2:
			b2Got = true
		}
		taken = append(taken, u.ID)
	}))
	defer hook.Close()

	useWebhook(t, srv, hook.URL, 4)
	if err := srv.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if want := []int64{b1, b2, a1, a2}; !reflect.DeepEqual(taken, want) {
		t.Errorf("taken %v, want %v", taken, want)
	}
	mu.Unlock()
	failed := 0
	for _, d := range srv.Deliveries() {
		if d.UpdateID == a1 && d.Status == http.StatusServiceUnavailable {
			failed++
			if d.Attempt != failed {
				t.Errorf("delivery %+v, want attempt %d", d, failed)
			}
		}
	}
	if failed == 0 {
		t.Error("no failed delivery recorded")
	}
}

func TestHooks(t *testing.T) {
	t.Parallel()
	ctx := ctxTimeout(t)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	var (
		srv    *Server
		mu     sync.Mutex
		calls  []Call
		queued []int64
		times  []time.Time
	)
	srv = New(token, WithClock(clock.now),
		WithCallHook(func(c Call) {
			// The call is recorded before, and the hook may use the server.
			if cs := srv.Calls(); cs[len(cs)-1].Method != c.Method {
				t.Errorf("hook for %s before the call was recorded", c.Method)
			}
			c.Params["mutated"] = "by the hook"
			mu.Lock()
			calls = append(calls, c)
			mu.Unlock()
		}),
		WithEnqueueHook(func(u models.Update, at time.Time) {
			// The update is not handed out before the hook returns, and the
			// hook may call the server.
			if ids, _ := poll(ctx, t, srv, 0, 0); slices.Contains(ids, u.ID) {
				t.Errorf("update %d handed out before its hook returned", u.ID)
			}
			mu.Lock()
			queued = append(queued, u.ID)
			times = append(times, at)
			mu.Unlock()
		}))
	defer srv.Close()

	a := srv.SendText(lan, "một").ID
	clock.add(time.Second)
	album := srv.SendAlbum(lan, [][]byte{[]byte("x"), []byte("y")})
	p := srv.Press(lan, 99, "data").ID
	blk := srv.Block(lan).ID
	ids, _ := poll(ctx, t, srv, 0, 0)
	want := []int64{a, album[0].ID, album[1].ID, p, blk}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("poll = %v, want %v", ids, want)
	}

	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(queued, want) {
		t.Errorf("enqueue hook saw %v, want %v", queued, want)
	}
	if len(times) == len(want) && (!times[0].Equal(clock.t.Add(-time.Second)) || !times[1].Equal(clock.t)) {
		t.Errorf("enqueue times %v", times)
	}
	// Six getUpdates: five in the enqueue hooks, one here.
	if len(calls) != 6 || calls[5].Method != "getUpdates" || calls[5].Status != 200 || !calls[5].Time.Equal(clock.t) {
		t.Errorf("call hook saw %+v", calls)
	}
	for _, c := range srv.Calls() {
		if c.Params["mutated"] != "" {
			t.Errorf("the hook changed a recorded call: %+v", c)
		}
	}

	// With a webhook, the update waits for its hook too.
	var (
		hmu      sync.Mutex
		received []int64
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := decodeUpdate(t, r)
		hmu.Lock()
		received = append(received, u.ID)
		hmu.Unlock()
	}))
	defer hook.Close()
	var srv2 *Server
	srv2 = New(token, WithEnqueueHook(func(u models.Update, _ time.Time) {
		time.Sleep(20 * time.Millisecond)
		hmu.Lock()
		defer hmu.Unlock()
		if slices.Contains(received, u.ID) {
			t.Errorf("update %d delivered before its hook returned", u.ID)
		}
		_ = srv2.Pending()
	}))
	defer srv2.Close()
	useWebhook(t, srv2, hook.URL, 40)
	id := srv2.SendText(minh, "hai").ID
	if err := srv2.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatal(err)
	}
	hmu.Lock()
	if !reflect.DeepEqual(received, []int64{id}) {
		t.Errorf("webhook received %v", received)
	}
	hmu.Unlock()
}

func TestWithoutHistory(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	srv, b := newServer(t, WithoutHistory(), WithClock(clock.now))
	ctx := ctxTimeout(t)

	// The bot's last 20 messages per chat.
	var first *models.Message
	for i := range 25 {
		m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: lan.ID, Text: fmt.Sprint(i),
			ReplyMarkup: keyboard([]models.InlineKeyboardButton{{Text: "ok", CallbackData: "ok"}})})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = m
		}
	}
	msgs := srv.Messages(lan.ID)
	if len(msgs) != chatLimit || msgs[0].Text != "5" || msgs[19].Text != "24" {
		t.Fatalf("%d messages, from %q to %q", len(msgs), msgs[0].Text, msgs[len(msgs)-1].Text)
	}
	_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: lan.ID, MessageID: first.ID, Text: "x"})
	if err == nil || !strings.HasSuffix(err.Error(), "message to edit not found") {
		t.Errorf("editing a forgotten message: %v", err)
	}
	if q := srv.Press(lan, first.ID, "ok").CallbackQuery; q.Message.InaccessibleMessage == nil {
		t.Errorf("press on a forgotten message = %+v", q.Message)
	}

	// A person's photo is kept with their last 20 messages.
	small := testPNG(t, 80, 60)
	old := srv.SendPhoto(lan, small, "").Message.Photo[0].FileID
	recent := old
	for i := range chatLimit {
		if i == chatLimit-1 {
			recent = srv.SendPhoto(lan, small, "").Message.Photo[0].FileID
		} else {
			srv.SendText(lan, "…")
		}
	}
	if _, err := b.GetFile(ctx, &bot.GetFileParams{FileID: old}); err == nil || !strings.HasSuffix(err.Error(), "invalid file_id") {
		t.Errorf("getFile of a forgotten photo: %v", err)
	}
	if f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: recent}); err != nil {
		t.Errorf("getFile of a kept photo: %v", err)
	} else if status, body := download(t, b.FileDownloadLink(f)); status != 200 || !bytes.Equal(body, small) {
		t.Errorf("download of a kept photo: %d", status)
	}
	srv.mu.Lock()
	if n := len(srv.chats[lan.ID].msgs); n != 2*chatLimit {
		t.Errorf("%d messages kept in the chat, want %d", n, 2*chatLimit)
	}
	if len(srv.files) != 1 || len(srv.paths) != 1 {
		t.Errorf("%d files kept, want 1", len(srv.files))
	}
	srv.mu.Unlock()

	// The bot's photo lives as long as a kept message shows it, even sent
	// again by file_id.
	sent, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: minhStarted(srv), Photo: &models.InputFileUpload{Filename: "a.png", Data: bytes.NewReader(small)}})
	if err != nil {
		t.Fatal(err)
	}
	fileID := sent.Photo[len(sent.Photo)-1].FileID
	for i := range chatLimit {
		if _, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: minh.ID, Photo: &models.InputFileString{Data: fileID}, Caption: fmt.Sprint(i)}); err != nil {
			t.Fatalf("resend %d by file_id: %v", i, err)
		}
	}
	if _, err := b.GetFile(ctx, &bot.GetFileParams{FileID: fileID}); err != nil {
		t.Errorf("getFile of a photo still shown: %v", err)
	}

	// Confirmed updates are forgotten.
	id := srv.SendText(lan, "x").ID
	if err := srv.Redeliver(id); err != nil {
		t.Errorf("Redeliver of a queued update: %v", err)
	}
	poll(ctx, t, srv, id+1, 0) // confirms it, hands the copy out
	poll(ctx, t, srv, id+1, 0) // drops the copy
	if err := srv.Redeliver(id); err == nil {
		t.Error("Redeliver of a confirmed update did not fail")
	}

	// Button presses too old to answer are forgotten.
	clock.add(time.Minute)
	q := srv.Press(lan, 1, "late").CallbackQuery.ID
	srv.mu.Lock()
	if len(srv.callbacks) != 1 || srv.callbacks[q] == nil {
		t.Errorf("%d callback queries kept", len(srv.callbacks))
	}
	srv.mu.Unlock()

	// The last 1000 calls.
	for range historyLimit + 100 - len(srv.Calls()) {
		if _, err := b.GetMe(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rawCall(ctx, t, srv, "getWebhookInfo", nil)
	calls := srv.Calls()
	if len(calls) != historyLimit || calls[len(calls)-1].Method != "getWebhookInfo" || calls[0].Method != "getMe" {
		t.Errorf("%d calls, the last %q", len(calls), calls[len(calls)-1].Method)
	}
	srv.mu.Lock()
	if len(srv.calls) > 2*historyLimit || len(srv.history) != 0 {
		t.Errorf("%d calls and %d updates kept", len(srv.calls), len(srv.history))
	}
	srv.mu.Unlock()
}

// minhStarted makes minh say /start, so his chat exists, and returns his id.
func minhStarted(srv *Server) int64 {
	srv.SendCommand(minh, "/start")
	return minh.ID
}

// The last 1000 webhook deliveries.
func TestWithoutHistoryDeliveries(t *testing.T) {
	t.Parallel()
	srv := New(token, WithoutHistory())
	defer srv.Close()
	ctx := ctxTimeout(t)
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	useWebhook(t, srv, hook.URL, 40)

	users := people(20)
	var last int64
	for i := range historyLimit + 50 {
		last = srv.SendText(users[i%len(users)], "x").ID
	}
	if err := srv.Wait(ctx, func(s *Server) bool { return s.Pending() == 0 }); err != nil {
		t.Fatal(err)
	}
	ds := srv.Deliveries()
	if len(ds) != historyLimit || !slices.ContainsFunc(ds, func(d Delivery) bool { return d.UpdateID == last }) {
		t.Errorf("%d deliveries, last update %d among them: %v", len(ds), last, slices.ContainsFunc(ds, func(d Delivery) bool { return d.UpdateID == last }))
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.deliveries) > 2*historyLimit || len(srv.history) != 0 {
		t.Errorf("%d deliveries and %d updates kept", len(srv.deliveries), len(srv.history))
	}
	for _, c := range srv.chats {
		if n := len(c.msgs); n > chatLimit {
			t.Errorf("%d messages kept in a chat", n)
		}
	}
}

func TestWithoutThumbnails(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t, WithoutThumbnails())
	ctx := ctxTimeout(t)
	data := testPNG(t, 1000, 600)

	check := func(who string, sizes []models.PhotoSize) {
		t.Helper()
		want := [][2]int{{90, 54}, {320, 192}, {800, 480}, {1000, 600}}
		if len(sizes) != len(want) {
			t.Fatalf("%s: %d sizes", who, len(sizes))
		}
		for i, ps := range sizes {
			if [2]int{ps.Width, ps.Height} != want[i] || ps.FileSize != len(data) {
				t.Errorf("%s: size %d = %dx%d, %d bytes", who, i, ps.Width, ps.Height, ps.FileSize)
			}
			f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: ps.FileID})
			if err != nil {
				t.Fatal(err)
			}
			if status, body := download(t, b.FileDownloadLink(f)); status != 200 || !bytes.Equal(body, data) {
				t.Errorf("%s: size %d downloads %d, %d bytes", who, i, status, len(body))
			}
		}
	}
	check("person", srv.SendPhoto(lan, data, "").Message.Photo)
	msg, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: lan.ID, Photo: &models.InputFileUpload{Filename: "c.png", Data: bytes.NewReader(data)}})
	if err != nil {
		t.Fatal(err)
	}
	check("bot", msg.Photo)
	if ups := srv.SendAlbum(lan, [][]byte{[]byte("not an image")}); len(ups[0].Message.Photo) != 4 || ups[0].Message.Photo[3].Width != 1280 {
		t.Errorf("not an image: %+v", ups[0].Message.Photo)
	}
}

func TestLastKeyboardMessage(t *testing.T) {
	t.Parallel()
	srv, b := newServer(t)
	ctx := ctxTimeout(t)
	send := func(text string, kb bool) int {
		p := &bot.SendMessageParams{ChatID: lan.ID, Text: text}
		if kb {
			p.ReplyMarkup = keyboard([]models.InlineKeyboardButton{{Text: text, CallbackData: text}})
		}
		m, err := b.SendMessage(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	if _, ok := srv.LastKeyboardMessage(lan.ID); ok {
		t.Error("a keyboard in a chat without messages")
	}
	if _, ok := srv.LastKeyboardMessage(777); ok {
		t.Error("a keyboard in an unknown chat")
	}
	q := send("q1", true)
	send("plain", false)
	if m, ok := srv.LastKeyboardMessage(lan.ID); !ok || m.ID != q || m.Keyboard[0][0].CallbackData != "q1" {
		t.Errorf("LastKeyboardMessage = %+v, %v", m, ok)
	}
	if m, _ := srv.LastMessage(lan.ID); m.Text != "plain" {
		t.Errorf("LastMessage = %+v", m)
	}
	q2 := send("q2", true)
	if m, _ := srv.LastKeyboardMessage(lan.ID); m.ID != q2 {
		t.Errorf("LastKeyboardMessage = %+v, want %d", m, q2)
	}
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: lan.ID, MessageID: q2}); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.LastKeyboardMessage(lan.ID); m.ID != q {
		t.Errorf("after deleting %d, LastKeyboardMessage = %+v", q2, m)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: lan.ID, MessageID: q}); err != nil {
		t.Fatal(err)
	}
	if m, ok := srv.LastKeyboardMessage(lan.ID); ok {
		t.Errorf("after removing the keyboard, LastKeyboardMessage = %+v", m)
	}
}
