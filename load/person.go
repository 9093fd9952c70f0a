package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"hoctap/bot/telegramtest"
)

// person is one simulated person: they read the newest message of their
// chat, act on it as a head of household would, wait for the bot's reply
// and think before the next step.
type person struct {
	r     *run
	u     telegramtest.User
	rng   *rand.Rand
	calls chan telegramtest.Call // the bot's calls to this chat, from the fake's hook
	n     int                    // assessments started, to vary the titles
	// actions counts the person's actions; firstSubmit is the count when
	// the first "✅ Đã nộp" arrived, 0 before.
	actions, firstSubmit int
}

// step is one action and what came of it.
type step struct {
	person  int64
	what    string        // what the person did, for the list of stalls
	latency time.Duration // update made available → first Bot API call for the chat
	timed   bool          // latency counts (an album's photos wait for a quiet time on purpose)
	stalled bool          // no reply in time
}

var (
	// received is in a photo step's text: how many photos arrived.
	received   = regexp.MustCompile(`Đã nhận \d+ ảnh\.`)
	navigation = map[string]bool{"ℹ️ Hướng dẫn": true, "◀ Quay lại": true, "⏭ Để sau": true, "📋 Xem lại": true}
)

// live runs the person until ctx ends.
func (p *person) live(ctx context.Context) {
	p.act(ctx, "/start", func() { p.r.api.SendCommand(p.u, "/start") }, true)
	for ctx.Err() == nil {
		if p.r.opt.Think > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(p.r.opt.Think):
			}
		}
		p.next(ctx)
	}
}

// act makes one update and waits for the bot's reply: the first call for
// the chat gives the latency; a message sent or edited, or a button answer
// with a notice, ends the step.
func (p *person) act(ctx context.Context, what string, do func(), timed bool) {
	for len(p.calls) > 0 { // replies to earlier steps that came late
		<-p.calls
	}
	start := time.Now()
	p.actions++
	do()
	s := step{person: p.u.ID, what: what, timed: timed}
	first := true
	deadline := time.NewTimer(p.r.opt.StallAfter)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			s.stalled = true
			p.r.record(s)
			return
		case c := <-p.calls:
			if c.Time.Before(start) {
				continue
			}
			if first {
				s.latency, first = c.Time.Sub(start), false
			}
			if c.Method == "sendMessage" || c.Method == "editMessageText" ||
				(c.Method == "answerCallbackQuery" && c.Params["text"] != "") {
				p.r.record(s)
				return
			}
		}
	}
}

// next looks at the newest message and takes the step it asks for.
func (p *person) next(ctx context.Context) {
	m, ok := p.r.api.LastMessage(p.u.ID)
	if !ok {
		p.act(ctx, "/start", func() { p.r.api.SendCommand(p.u, "/start") }, true)
		return
	}
	text := m.Text
	if p.firstSubmit == 0 && strings.HasPrefix(text, "✅ Đã nộp") {
		p.firstSubmit = p.actions
	}
	switch {
	case p.has(m, "✅ Đồng ý"):
		p.press(ctx, m, "✅ Đồng ý")
	case p.has(m, "Gia đình học tập"):
		p.n++
		title := "Gia đình học tập"
		if p.n%3 == 0 {
			title = "Cộng đồng học tập (thôn, tổ dân phố)" // typed numbers
		}
		p.press(ctx, m, title)
	case strings.HasPrefix(text, "Tự đánh giá cho"):
		// One of the person's subjects, submitted this year already: a
		// new one, with a name of its own (see below).
		p.press(ctx, m, p.pick(m, func(label string) bool { return strings.HasPrefix(label, "➕") }))
	case strings.HasPrefix(text, "Nhập tên"):
		// A new name each round: a subject assessed once a year.
		name := fmt.Sprintf("Gia đình số %d-%d", p.u.ID, p.n)
		p.act(ctx, "typed a name", func() { p.r.api.SendText(p.u, name) }, true)
	case strings.Contains(text, "ở tỉnh, thành phố nào?"), strings.Contains(text, "ở xã, phường nào?"),
		strings.Contains(text, "ở thôn, tổ dân phố nào?"), strings.HasPrefix(text, "Chọn thôn, tổ dân phố"):
		p.press(ctx, m, p.pick(m, func(label string) bool { return label != "◀ Quay lại" }))
	case strings.Contains(text, "Bạn đang làm dở"):
		p.press(ctx, m, "▶ Tiếp tục")
	case strings.Contains(text, "Xem lại trước khi nộp"):
		p.review(ctx, m)
	case strings.HasPrefix(text, "Nộp bản tự đánh giá"):
		p.press(ctx, m, "✅ Nộp")
	case received.MatchString(text):
		p.evidence(ctx, m)
	case strings.Contains(text, "Câu "):
		p.question(ctx, m)
	default: // a result, a guidance text, anything else: start again
		p.act(ctx, "/start", func() { p.r.api.SendCommand(p.u, "/start") }, true)
	}
}

func (p *person) question(ctx context.Context, m telegramtest.Message) {
	roll := p.rng.IntN(100)
	switch {
	case roll < 4 && p.has(m, "◀ Quay lại"):
		p.press(ctx, m, "◀ Quay lại")
		return
	case roll < 8:
		p.press(ctx, m, "⏭ Để sau")
		return
	}
	answer := p.pick(m, func(label string) bool { return !navigation[label] })
	if answer == "" { // a number or a ratio: typed as people type them
		forms := []string{"%d", "%d%%", "%d %%"}
		typed := fmt.Sprintf(forms[p.rng.IntN(len(forms))], 50+p.rng.IntN(51))
		p.act(ctx, "typed "+typed, func() { p.r.api.SendText(p.u, typed) }, true)
		return
	}
	p.press(ctx, m, answer)
}

// evidence acts on a photo step: Done once it is offered; else, now and
// then, no photo (optional) or Later (required, to come back from the
// review); else a photo or an album.
func (p *person) evidence(ctx context.Context, m telegramtest.Message) {
	switch roll := p.rng.IntN(10); {
	case p.has(m, "✅ Xong"):
		p.press(ctx, m, "✅ Xong")
		return
	case roll < 3 && p.has(m, "⏭ Không có ảnh"):
		p.press(ctx, m, "⏭ Không có ảnh")
		return
	case roll < 1 && p.has(m, "⏭ Để sau"):
		p.press(ctx, m, "⏭ Để sau")
		return
	}
	if p.rng.IntN(3) == 0 { // an album of two: confirmed once, after a quiet time
		photos := [][]byte{p.r.photos[p.rng.IntN(len(p.r.photos))], p.r.photos[p.rng.IntN(len(p.r.photos))]}
		p.act(ctx, "an album", func() { p.r.api.SendAlbum(p.u, photos) }, false)
		return
	}
	photo := p.r.photos[p.rng.IntN(len(p.r.photos))]
	p.act(ctx, "a photo", func() { p.r.api.SendPhoto(p.u, photo, "") }, true)
}

// review acts on the review: what is missing first (the review offers a
// button to it), now and then a change, else Submit.
func (p *person) review(ctx context.Context, m telegramtest.Message) {
	if missing := p.pick(m, func(label string) bool {
		return strings.HasPrefix(label, "➡ Trả lời câu") || strings.HasPrefix(label, "📷 Gửi ảnh câu")
	}); missing != "" {
		p.press(ctx, m, missing)
		return
	}
	if p.rng.IntN(10) == 0 { // change one answer before submitting
		p.press(ctx, m, p.pick(m, func(label string) bool { return strings.HasPrefix(label, "✏️") }))
		return
	}
	p.press(ctx, m, "📤 Nộp bản tự đánh giá")
}

// has reports whether a message has a button.
func (p *person) has(m telegramtest.Message, label string) bool {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == label {
				return true
			}
		}
	}
	return false
}

// pick returns a random button label that ok accepts, or "".
func (p *person) pick(m telegramtest.Message, ok func(string) bool) string {
	var labels []string
	for _, row := range m.Keyboard {
		for _, b := range row {
			if ok(b.Text) {
				labels = append(labels, b.Text)
			}
		}
	}
	if len(labels) == 0 {
		return ""
	}
	return labels[p.rng.IntN(len(labels))]
}

func (p *person) press(ctx context.Context, m telegramtest.Message, label string) {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == label {
				p.act(ctx, "pressed "+label, func() { p.r.api.Press(p.u, m.ID, b.CallbackData) }, true)
				return
			}
		}
	}
	p.act(ctx, "/start", func() { p.r.api.SendCommand(p.u, "/start") }, true)
}
