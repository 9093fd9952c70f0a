package review

import (
	"fmt"
	"time"

	"hoctap/flows"
)

// Digest names the buttons of the daily digests in tokens: an aside,
// pressed beside whatever the person is doing.
const Digest = "rd"

// Verbs of the digests' buttons.
const (
	verbDigestQueue     = "rv" // open the review queue
	verbDigestRecognise = "rc" // open what waits to be recognised
)

// LateAfter is how long a submission waits before a reviewer's digest
// says it is late.
const LateAfter = 7 * 24 * time.Hour

// ReviewDigest tells a reviewer, once a day, what waits for them to
// decide — how many, and how many of them waited longer than LateAfter —
// in one message with a button to the queue; nothing when nothing waits
// any more by the time it comes.
func (m *Module) ReviewDigest(t *flows.Turn) error {
	w, err := m.store.Waiting(t.Ctx, t.Env.Person, t.Now().Add(-LateAfter))
	if err != nil {
		return fmt.Errorf("count what waits for review: %w", err)
	}
	if w.N == 0 {
		return nil
	}
	text := t.T("digest.review", map[string]any{"N": w.N, "Since": t.P.Date(w.Oldest)})
	if w.Late > 0 {
		text += "\n" + t.T("digest.review.late", map[string]any{"N": w.Late, "Days": int(LateAfter.Hours() / 24)})
	}
	t.Say(text, []flows.Button{flows.NewButton(t.T("button.digest.review"), flows.Token{Module: Digest, Verb: verbDigestQueue})})
	return nil
}

// RecogniseDigest tells a recogniser, once a day, how many accepted
// submissions wait for them, with a button to them; nothing when none
// waits any more.
func (m *Module) RecogniseDigest(t *flows.Turn) error {
	pending, err := m.store.Pending(t.Ctx, t.Env.Person, maxBatch)
	if err != nil {
		return fmt.Errorf("load pending recognitions: %w", err)
	}
	if len(pending) == 0 {
		return nil
	}
	n := fmt.Sprint(len(pending))
	if len(pending) == maxBatch {
		n += "+"
	}
	t.Say(t.T("digest.recognise", map[string]any{"N": n}),
		[]flows.Button{flows.NewButton(t.T("button.digest.recognise"), flows.Token{Module: Digest, Verb: verbDigestRecognise})})
	return nil
}

// DigestPressed opens what a digest's button names, as its command does.
func (m *Module) DigestPressed(t *flows.Turn) error {
	switch t.Token.Verb {
	case verbDigestQueue:
		return m.Open(t)
	case verbDigestRecognise:
		return m.OpenRecognise(t)
	}
	return t.Stale()
}
