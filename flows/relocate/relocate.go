// Package relocate asks the representatives of a subject whose area was
// split which of the areas it was split into the subject belongs to now,
// and moves the subject when one of them picks; likewise a household that
// enrolled at its commune before the commune had villages, once they are
// added: which of them is its own. The question comes as a
// notice (an event, EventAsk) beside whatever conversation is going on,
// and its buttons work there as an aside of the engine, without taking
// the conversation over: a typed text goes to the conversation, as ever.
//
// The store checks every pick — that the person represents the subject,
// the subject is still in the area split, and the area is one of the
// candidates — whatever the button carries. A button pressed once the
// subject has moved (another representative picked first) says so, and
// where the subject is now.
package relocate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"hoctap/flows"
)

// Name names the question's buttons in tokens.
const Name = "rl"

// EventAsk names the event that asks a representative to pick (the
// store's notice of the same name): Ref.ID is the relocation.
const EventAsk = "relocate"

// pageSize is how many areas one screen of the question offers, as every
// list of areas does.
const pageSize = 20

// Verbs of the buttons; each names the relocation (ID).
const (
	verbPick = "to" // Code: the area picked; or, for a code a token cannot carry, Value: its place among the candidates
	verbPage = "pg" // Value: the page of candidates
)

// Store is what the question needs.
type Store interface {
	// Relocation returns a relocation for one of its subject's
	// representatives; flows.ErrNotFound for anyone else.
	Relocation(ctx context.Context, personID, id int64) (flows.Relocation, error)
	// Relocate moves the subject into a candidate: flows.ErrNotFound when
	// the person does not represent it or the area is not a candidate,
	// flows.ErrConflict when the subject is no longer in the area split.
	Relocate(ctx context.Context, personID, id int64, to string, at time.Time) error
}

// Module asks and moves.
type Module struct{ store Store }

// New makes the module.
func New(store Store) *Module { return &Module{store: store} }

// Ask asks the person, in their language, which area their subject
// belongs to now, with a button for each candidate; the notice of a
// subject placed meanwhile drops itself.
func (m *Module) Ask(t *flows.Turn) error {
	r, err := m.store.Relocation(t.Ctx, t.Env.Person, t.In.Ref.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load relocation: %w", err)
	}
	if !r.Waiting || len(r.Candidates) == 0 {
		return nil
	}
	text, rows := question(t, r, 0)
	t.Say(text, rows...)
	return nil
}

// Press handles a press on the question's buttons, whatever conversation
// is going on.
func (m *Module) Press(t *flows.Turn) error {
	tok := t.Token
	r, err := m.store.Relocation(t.Ctx, t.Env.Person, tok.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("load relocation: %w", err)
	}
	if !r.Waiting {
		return settled(t, r)
	}
	switch tok.Verb {
	case verbPage:
		page, err := strconv.Atoi(tok.Value)
		if err != nil || page < 0 {
			return again(t, r)
		}
		text, rows := question(t, r, page)
		t.Screen(text, rows...)
		return nil
	case verbPick:
		to := tok.Code
		if to == "" {
			i, err := strconv.Atoi(tok.Value)
			if err != nil || i < 0 || i >= len(r.Candidates) {
				return again(t, r)
			}
			to = r.Candidates[i].Code
		}
		i := slices.IndexFunc(r.Candidates, func(a flows.Area) bool { return a.Code == to })
		if i < 0 {
			return again(t, r)
		}
		err := m.store.Relocate(t.Ctx, t.Env.Person, r.ID, to, t.Now())
		switch {
		case errors.Is(err, flows.ErrConflict):
			if r, err = m.store.Relocation(t.Ctx, t.Env.Person, tok.ID); err != nil {
				return fmt.Errorf("load relocation: %w", err)
			}
			return settled(t, r)
		case errors.Is(err, flows.ErrNotFound):
			return again(t, r)
		case err != nil:
			return fmt.Errorf("relocate: %w", err)
		}
		t.Screen(t.T("relocate.done", map[string]any{"Subject": subject(t, r), "Area": flows.Esc(r.Candidates[i].Name.In(t.P.Lang()))}))
		return nil
	}
	return again(t, r)
}

// question is the question with a page of candidates.
func question(t *flows.Turn, r flows.Relocation, page int) (string, [][]flows.Button) {
	lang := t.P.Lang()
	pages := max(1, (len(r.Candidates)+pageSize-1)/pageSize)
	page = min(page, pages-1)
	var rows [][]flows.Button
	for i := page * pageSize; i < min(len(r.Candidates), (page+1)*pageSize); i++ {
		a := r.Candidates[i]
		tok := flows.Token{Module: Name, Verb: verbPick, ID: r.ID, Code: a.Code}
		if !fits(tok) {
			tok.Code, tok.Value = "", strconv.Itoa(i)
		}
		rows = append(rows, []flows.Button{flows.NewButton(a.Name.In(lang), tok)})
	}
	if nav := t.PageButtons(page, pages, func(p int) flows.Token {
		return flows.Token{Module: Name, Verb: verbPage, ID: r.ID, Value: strconv.Itoa(p)}
	}); len(nav) > 0 {
		rows = append(rows, nav)
	}
	level := r.From.Level
	switch {
	case r.Villages:
		level = "villages"
	case level != "province" && level != "commune" && level != "village":
		level = "other"
	}
	text := t.T("relocate.ask."+level, map[string]any{"From": flows.Esc(r.From.Name.In(lang)), "Date": t.P.Date(r.Since), "Subject": subject(t, r)}) +
		"\n" + t.T("relocate.ask.hint")
	if pages > 1 {
		text += "\n" + t.T("enrol.area.page", map[string]any{"N": page + 1, "Of": pages})
	}
	return text, rows
}

// fits reports whether a token reads back as written: an area code a
// token cannot carry goes by its place among the candidates instead.
func fits(tok flows.Token) bool {
	back, err := flows.ParseToken(tok.String())
	return err == nil && back == tok
}

// subject names the subject for its representative: "hộ <b>Nhà Lê</b> của
// bạn".
func subject(t *flows.Turn, r flows.Relocation) string {
	return t.T("relocate.subject."+string(r.Kind), map[string]any{"Name": flows.Esc(r.SubjectName)})
}

// settled answers a press once the subject has moved: where it is now.
func settled(t *flows.Turn, r flows.Relocation) error {
	t.Notice(t.T("relocate.taken"))
	t.Screen(t.T("relocate.now", map[string]any{"Subject": subject(t, r), "Area": flows.Esc(r.Now.Name.In(t.P.Lang()))}))
	return nil
}

// again answers a button that is out of date while the subject still
// waits: the question once more.
func again(t *flows.Turn, r flows.Relocation) error {
	t.Notice(t.T("stale"))
	text, rows := question(t, r, 0)
	t.Screen(text, rows...)
	return nil
}
