package progress

import (
	"errors"
	"strings"

	"hoctap/flows"
)

// nudge tells the reviewers of the child areas on the screen that have
// not reported to follow them up, and the leader how many were told —
// or that they were told earlier today — and which areas have nobody to
// tell. The screen stays.
func (m *Module) nudge(t *flows.Turn, st *state) error {
	n, err := m.store.Nudge(t.Ctx, t.Env.Person, st.Area, st.Year, t.Now())
	if denied, err := m.denied(t, err); denied || err != nil {
		return err
	}
	switch {
	case n.Quiet == 0:
		t.Notice(t.T("progress.nudge.none"))
		return m.Show(t)
	case !n.Earlier.IsZero():
		t.Notice(t.T("progress.nudge.earlier", map[string]any{"At": t.P.Time(n.Earlier)}))
		return nil
	}
	if n.Reviewers == 0 {
		t.Notice(t.T("progress.nudge.nobody"))
	} else {
		t.Notice(t.T("progress.nudge.sent", map[string]any{"Count": n.Reviewers}))
	}
	if len(n.Without) > 0 {
		t.Say(t.T("progress.nudge.without", map[string]any{"Count": len(n.Without)}) + "\n" + m.list(t, n.Without))
	}
	return nil
}

// Nudged tells a reviewer which areas they cover a leader asked them to
// follow up; nothing when they cover none of them any more.
func (m *Module) Nudged(t *flows.Turn) error {
	n, err := m.store.NudgeOf(t.Ctx, t.Env.Person, t.In.Ref.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t.Say(t.T("progress.nudged", map[string]any{"From": flows.Esc(n.From.Name.In(t.P.Lang())), "Year": n.Year, "Count": len(n.Quiet)}) +
		"\n" + m.list(t, n.Quiet) + "\n\n" + t.T("progress.nudged.ask"))
	return nil
}

// list names areas, one a line, the first maxQuiet of them.
func (m *Module) list(t *flows.Turn, areas []flows.Area) string {
	var lines []string
	for i, a := range areas {
		if i == maxQuiet {
			lines = append(lines, t.T("progress.quiet.more", map[string]any{"Count": len(areas) - maxQuiet}))
			break
		}
		lines = append(lines, "• "+flows.Esc(a.Name.In(t.P.Lang())))
	}
	return strings.Join(lines, "\n")
}
