package enrol

import (
	"fmt"

	"hoctap/flows"
	"hoctap/scoring"
)

// Reminder names the button of a registration's reminder in tokens: an
// aside, pressed beside whatever the person is doing.
const Reminder = "ra"

// verbRemindStart takes the person to the titles, to start.
const verbRemindStart = "go"

// RemindRegistered reminds a representative of a subject registered for
// a year's title and not assessed yet, as the season closes, with a
// button to the titles; one assessed or no longer theirs since drops
// itself.
func (m *Module) RemindRegistered(t *flows.Turn) error {
	subject, year := t.In.Ref.ID, t.In.Ref.Rev
	all, err := m.store.Assessments(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load assessments: %w", err)
	}
	for _, a := range all {
		if a.SubjectID == subject && a.Year == year {
			return nil
		}
	}
	for _, kind := range scoring.Kinds {
		subjects, err := m.store.Subjects(t.Ctx, t.Env.Person, kind)
		if err != nil {
			return fmt.Errorf("load subjects: %w", err)
		}
		for _, s := range subjects {
			if s.ID == subject {
				t.Say(t.T("remind.registered", map[string]any{"Kind": t.T("kind." + string(s.Kind)), "Name": flows.Esc(s.Name), "Year": year}),
					[]flows.Button{flows.NewButton(t.T("button.remind.start"), flows.Token{Module: Reminder, Verb: verbRemindStart})})
				return nil
			}
		}
	}
	return nil
}

// Started is the press on a registration reminder's button: the titles,
// from which the person starts.
func (m *Module) Started(t *flows.Turn) error {
	if t.Token.Verb != verbRemindStart {
		return t.Stale()
	}
	return t.GoHome()
}
