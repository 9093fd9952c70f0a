package progress

import (
	"errors"
	"fmt"
	"strings"

	"hoctap/flows"
)

// Digest is the name of the weekly digest's buttons, an aside: they work
// at any step of the conversation.
const Digest = "pd"

const (
	verbDigestOpen = "o" // ID: the digest; opens its area's figures
	verbDigestStop = "x" // ID: the digest; switches it off
)

// WeeklyDigest shows a leader, once a week, the figures of an area whose
// digest they switched on, with buttons to the figures and to switch it
// off. A digest switched off since says nothing; one whose area the
// person may no longer see is switched off, silently.
func (m *Module) WeeklyDigest(t *flows.Turn) error {
	id := t.In.Ref.ID
	code, on, err := m.store.DigestArea(t.Ctx, t.Env.Person, id)
	if err != nil || !on {
		return err
	}
	p, err := m.store.Progress(t.Ctx, t.Env.Person, code, t.Now().In(flows.Vietnam).Year(), t.Now())
	if errors.Is(err, flows.ErrNotFound) {
		return m.store.SetDigest(t.Ctx, t.Env.Person, code, false, t.Now())
	}
	if err != nil {
		return fmt.Errorf("the digest's figures: %w", err)
	}
	lines := m.body(t, p, "progress.digest")
	if quiet := notReported(p); len(quiet) > 0 {
		lines = append(lines, "", t.T("progress.digest.quiet", map[string]any{"Count": len(quiet), "Of": len(p.Children)}))
	}
	t.Say(strings.Join(lines, "\n"), []flows.Button{
		flows.NewButton(t.T("button.progress.digest.open"), flows.Token{Module: Digest, Verb: verbDigestOpen, ID: id}),
		flows.NewButton(t.T("button.progress.digest.off"), flows.Token{Module: Digest, Verb: verbDigestStop, ID: id}),
	})
	return nil
}

// DigestPressed opens the digest's area in /progress, or switches the
// digest off (a press when it is off already says so: the digest is
// the same row, on or off, so an older message's button names it).
func (m *Module) DigestPressed(t *flows.Turn) error {
	code, on, err := m.store.DigestArea(t.Ctx, t.Env.Person, t.Token.ID)
	switch {
	case err != nil:
		return err
	case code == "":
		return t.Stale()
	case t.Token.Verb == verbDigestOpen:
		if err := t.Switch(Name, code); err != nil {
			return err
		}
		return t.Show()
	case t.Token.Verb == verbDigestStop:
		if on {
			if err := m.store.SetDigest(t.Ctx, t.Env.Person, code, false, t.Now()); err != nil {
				return err
			}
		}
		t.Notice(t.T("progress.digest.off"))
		return nil
	}
	return t.Stale()
}
