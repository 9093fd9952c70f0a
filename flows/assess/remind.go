package assess

import (
	"fmt"

	"hoctap/flows"
)

// Reminder names the buttons of reminders in tokens: an aside, pressed
// beside whatever the person is doing.
const Reminder = "rm"

// verbRemindContinue continues the assessment ID from a reminder.
const verbRemindContinue = "co"

// Remind reminds a person of a questionnaire they started and left, with
// what is left of it and a button that goes on at the question they left
// at; one whose assessment was changed, submitted or abandoned since drops
// itself.
func (m *Module) Remind(t *flows.Turn) error {
	ref := t.In.Ref
	all, err := m.cfg.Store.Assessments(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load assessments: %w", err)
	}
	for _, a := range all {
		if a.ID != ref.ID {
			continue
		}
		if a.Submitted != nil || a.Rev != ref.Rev {
			return nil
		}
		set, ok := m.cfg.Sets.Get(a.SetID, a.SetVersion)
		if !ok {
			return fmt.Errorf("assessment %d is pinned to %s@%d, which is not loaded", a.ID, a.SetID, a.SetVersion)
		}
		answered, _ := progress(a, set)
		t.Say(t.T("remind.unfinished", map[string]any{"Kind": t.T("kind." + string(a.Kind)), "Name": flows.Esc(a.SubjectName),
			"N": answered, "Of": len(asked(set, a.Answers))}),
			[]flows.Button{flows.NewButton(t.T("button.remind.continue"), flows.Token{Module: Reminder, Verb: verbRemindContinue, ID: a.ID})})
		return nil
	}
	return nil
}

// Continued is the press on a reminder's button: the questionnaire goes
// on where it was left; one submitted since is stale.
func (m *Module) Continued(t *flows.Turn) error {
	if t.Token.Verb != verbRemindContinue {
		return t.Stale()
	}
	if err := t.Switch(Name, Continue{ID: t.Token.ID}); IsStale(err) {
		return t.Stale()
	} else if err != nil {
		return err
	}
	return t.Show()
}
