// Package remind is /reminders: "on" or "off" switches a person's
// reminders (package deliver sends them; package assess writes the one of
// a questionnaire left unfinished); without either, it says which they are.
package remind

import (
	"context"
	"fmt"
	"strings"

	"hoctap/flows"
)

// Store keeps whether a person's reminders are on.
type Store interface {
	SetReminders(ctx context.Context, personID int64, on bool) error
	RemindersOn(ctx context.Context, personID int64) (bool, error)
}

// Command is /reminders [on|off], at any step: it answers beside the step,
// which stays as it is.
func Command(store Store) func(t *flows.Turn) error {
	return func(t *flows.Turn) error {
		if t.Env.Person == 0 {
			t.Say(t.T("reminders.usage"))
			return nil
		}
		switch strings.ToLower(strings.TrimSpace(t.In.Text)) {
		case "on", "bật", "bat":
			if err := store.SetReminders(t.Ctx, t.Env.Person, true); err != nil {
				return fmt.Errorf("switch reminders on: %w", err)
			}
		case "off", "tắt", "tat":
			if err := store.SetReminders(t.Ctx, t.Env.Person, false); err != nil {
				return fmt.Errorf("switch reminders off: %w", err)
			}
		case "":
		default:
			t.Say(t.T("reminders.usage"))
			return nil
		}
		on, err := store.RemindersOn(t.Ctx, t.Env.Person)
		if err != nil {
			return fmt.Errorf("read reminders: %w", err)
		}
		if on {
			t.Say(t.T("reminders.on"))
		} else {
			t.Say(t.T("reminders.off"))
		}
		return nil
	}
}
