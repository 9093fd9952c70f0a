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

// ReviewDigest tells a reviewer, once a day, what waits in their scope —
// how many, and how many of them waited longer than LateAfter — in one
// message with a button to the queue; nothing when nothing waits any more
// by the time it comes.
func (m *Module) ReviewDigest(t *flows.Turn) error {
	queue, total, err := m.store.Queue(t.Ctx, t.Env.Person, 0, maxLate)
	if err != nil {
		return fmt.Errorf("load review queue: %w", err)
	}
	if total == 0 {
		return nil
	}
	late := 0
	for _, q := range queue { // oldest first
		if t.Now().Sub(q.WaitingSince) > LateAfter {
			late++
		}
	}
	text := t.T("digest.review", map[string]any{"N": total, "Since": t.P.Date(queue[0].WaitingSince)})
	if late > 0 {
		more := ""
		if late == maxLate {
			more = "+"
		}
		text += "\n" + t.T("digest.review.late", map[string]any{"N": fmt.Sprint(late) + more, "Days": int(LateAfter.Hours() / 24)})
	}
	t.Say(text, []flows.Button{flows.NewButton(t.T("button.digest.review"), flows.Token{Module: Digest, Verb: verbDigestQueue})})
	return nil
}

// maxLate is how many of the oldest a digest looks at to count the late.
const maxLate = 100

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
