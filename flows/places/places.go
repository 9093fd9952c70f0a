// Package places is the conversation in which a commune's leader (or an
// admin above it) adds the commune's villages and residential groups, and
// moves the households that enrolled at the commune, before it had any,
// into their village. The store checks every change against the person's
// roles, whatever a button carries.
package places

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"hoctap/flows"
	"hoctap/role"
)

// Name is the module's name in envelopes and tokens.
const Name = "pl"

// Limits of what is typed and listed.
const (
	maxNames  = 30 // village names one message adds
	maxName   = 60
	maxListed = 20 // households or places a screen offers
)

// Store is what managing places needs.
type Store interface {
	May(ctx context.Context, personID int64, a role.Action) (bool, error)
	AreasFor(ctx context.Context, personID int64, a role.Action) ([]flows.Area, error)
	Area(ctx context.Context, code string) (flows.Area, error)
	Areas(ctx context.Context, parent string) ([]flows.Area, error)
	SearchAreas(ctx context.Context, under, deepest, query string, limit int) ([]flows.FoundArea, error)
	// AddVillages adds villages to a commune and returns those added;
	// flows.ErrNotFound when the commune is not the person's.
	AddVillages(ctx context.Context, personID int64, commune string, names []string) ([]flows.Area, error)
	// SubjectsAt returns the households placed at the commune itself.
	SubjectsAt(ctx context.Context, personID int64, areaCode string) ([]flows.Subject, error)
	// MoveSubject moves a household placed at a commune into one of its
	// villages; flows.ErrNotFound when it is not the person's to move.
	MoveSubject(ctx context.Context, personID, subjectID int64, village string) error
}

// Module is the conversation.
type Module struct{ store Store }

// New makes the module.
func New(store Store) *Module { return &Module{store: store} }

const (
	stepCommune    = "commune"    // which commune: typed to find it
	stepVillages   = "villages"   // the commune's villages
	stepAdd        = "add"        // the names of villages to add
	stepHouseholds = "households" // the households placed at the commune
	stepMove       = "move"       // the village of one household
)

const (
	verbCommune    = "cm" // Code: the commune
	verbAdd        = "ad"
	verbHouseholds = "hh"
	verbHousehold  = "h"  // ID: the household to move
	verbVillage    = "vl" // Code: the village to move it to
	verbBack       = "bk" // back to the commune's villages
	verbLeave      = "x"
)

type state struct {
	Step    string `json:"s"`
	Commune string `json:"c,omitempty"`
	Subject int64  `json:"h,omitempty"`
	Query   string `json:"q,omitempty"`
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }
func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}
func (*Module) Resume(*flows.Turn) (any, bool, error) { return nil, false, nil }
func (*Module) Enter(*flows.Turn, any) (any, error)   { return &state{Step: stepCommune}, nil }

// Open is the /villages command, at any step, for a person who may manage
// places: at their commune, or at the commune they then type.
func (m *Module) Open(t *flows.Turn) error {
	areas, err := m.store.AreasFor(t.Ctx, t.Env.Person, role.Places)
	if err != nil {
		return fmt.Errorf("load areas: %w", err)
	}
	if len(areas) == 0 {
		t.Say(t.T("places.none"))
		return nil
	}
	if err := t.Switch(Name, nil); err != nil {
		return err
	}
	if len(areas) == 1 && areas[0].Level == "commune" {
		st := t.State().(*state)
		st.Step, st.Commune = stepVillages, areas[0].Code
	}
	return t.Show()
}

func (*Module) Command(t *flows.Turn, name string) (bool, error) { return flows.LeaveCommand(t, name) }

func btn(label, verb, code string, id int64) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, Code: code, ID: id})
}

func (m *Module) Handle(t *flows.Turn) error {
	st := t.State().(*state)
	switch {
	case t.In.Kind == flows.InputButton:
		return m.button(t, st, t.Token)
	case !t.In.Kind.FromPerson():
		return nil
	case st.Step == stepCommune && t.In.Kind == flows.InputText:
		st.Query = t.Typed()
		if st.Query == "" || utf8.RuneCountInString(st.Query) > maxName {
			st.Query = ""
			t.Warn(t.T("enrol.search.empty"))
		}
		return m.Show(t)
	case st.Step == stepAdd && t.In.Kind == flows.InputText:
		return m.add(t, st)
	}
	t.WarnButtonsOnly()
	return m.Show(t)
}

func (m *Module) button(t *flows.Turn, st *state, tok flows.Token) error {
	switch {
	case tok.Verb == verbLeave:
		return t.GoHome()
	case tok.Verb == verbCommune && st.Step == stepCommune:
		*st = state{Step: stepVillages, Commune: tok.Code}
	case tok.Verb == verbAdd && st.Step == stepVillages:
		st.Step = stepAdd
	case tok.Verb == verbHouseholds && st.Step == stepVillages:
		st.Step = stepHouseholds
	case tok.Verb == verbHousehold && st.Step == stepHouseholds:
		st.Step, st.Subject = stepMove, tok.ID
	case tok.Verb == verbVillage && st.Step == stepMove:
		return m.move(t, st, tok.Code)
	case tok.Verb == verbBack && st.Step != stepCommune:
		*st = state{Step: stepVillages, Commune: st.Commune}
	default:
		return t.Stale()
	}
	return m.Show(t)
}

func (m *Module) Show(t *flows.Turn) error {
	st := t.State().(*state)
	lang := t.P.Lang()
	leave := []flows.Button{btn(t.T("button.invitations.leave"), verbLeave, "", 0)}
	back := []flows.Button{btn(t.T("button.back"), verbBack, "", 0)}
	switch st.Step {
	case stepCommune:
		var rows [][]flows.Button
		if st.Query != "" {
			areas, err := m.store.AreasFor(t.Ctx, t.Env.Person, role.Places)
			if err != nil {
				return err
			}
			under := ""
			if len(areas) == 1 {
				under = areas[0].Code
			}
			found, err := m.store.SearchAreas(t.Ctx, under, "commune", st.Query, maxListed)
			if err != nil {
				return fmt.Errorf("search areas: %w", err)
			}
			for _, f := range found {
				if f.Level == "commune" {
					rows = append(rows, []flows.Button{btn(t.T("enrol.search.button", map[string]any{"Name": f.Name.In(lang), "Parent": f.ParentName.In(lang)}), verbCommune, f.Code, 0)})
				}
			}
			if len(rows) == 0 {
				t.Warn(t.T("enrol.search.none", map[string]any{"Query": flows.Esc(st.Query)}))
				st.Query = ""
			}
		}
		t.Screen(t.T("places.ask.commune"), append(rows, leave)...)
		t.TakesText()
	case stepVillages:
		commune, err := m.store.Area(t.Ctx, st.Commune)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		villages, err := m.store.Areas(t.Ctx, st.Commune)
		if err != nil {
			return fmt.Errorf("list areas: %w", err)
		}
		households, err := m.store.SubjectsAt(t.Ctx, t.Env.Person, st.Commune)
		if errors.Is(err, flows.ErrNotFound) {
			*st = state{Step: stepCommune}
			return t.Stale()
		}
		if err != nil {
			return fmt.Errorf("load households: %w", err)
		}
		var names []string
		for _, v := range villages {
			names = append(names, v.Name.In(lang))
		}
		text := t.T("places.villages.none", map[string]any{"Commune": flows.Esc(commune.Name.In(lang))})
		if len(names) > 0 {
			text = t.T("places.villages", map[string]any{"Commune": flows.Esc(commune.Name.In(lang)), "N": len(names), "Names": flows.Esc(strings.Join(names, ", "))})
		}
		rows := [][]flows.Button{{btn(t.T("button.places.add"), verbAdd, "", 0)}}
		if len(households) > 0 && len(villages) > 0 {
			rows = append(rows, []flows.Button{btn(t.T("button.places.households", map[string]any{"N": len(households)}), verbHouseholds, "", 0)})
		}
		t.Screen(text, append(rows, leave)...)
	case stepAdd:
		t.Screen(t.T("places.ask.names", map[string]any{"Max": maxNames}), back)
		t.TakesText()
	case stepHouseholds:
		households, err := m.store.SubjectsAt(t.Ctx, t.Env.Person, st.Commune)
		if err != nil {
			return fmt.Errorf("load households: %w", err)
		}
		var rows [][]flows.Button
		for _, h := range households[:min(len(households), maxListed)] {
			rows = append(rows, []flows.Button{btn(h.Name, verbHousehold, "", h.ID)})
		}
		t.Screen(t.T("places.ask.household"), append(rows, back)...)
	case stepMove:
		villages, err := m.store.Areas(t.Ctx, st.Commune)
		if err != nil {
			return fmt.Errorf("list areas: %w", err)
		}
		var rows [][]flows.Button
		for _, v := range villages[:min(len(villages), maxListed)] {
			rows = append(rows, []flows.Button{btn(v.Name.In(lang), verbVillage, v.Code, 0)})
		}
		t.Screen(t.T("places.ask.village"), append(rows, back)...)
	}
	return nil
}

// add adds the villages typed, one a line.
func (m *Module) add(t *flows.Turn, st *state) error {
	var names []string
	for _, line := range strings.Split(t.In.Text, "\n") {
		name := strings.Join(strings.Fields(line), " ")
		if name == "" {
			continue
		}
		if n := utf8.RuneCountInString(name); n < 2 || n > maxName {
			t.Warn(t.T("places.name.bad", map[string]any{"Max": maxName}))
			return m.Show(t)
		}
		names = append(names, name)
	}
	if len(names) == 0 || len(names) > maxNames {
		t.Warn(t.T("places.names.count", map[string]any{"Max": maxNames}))
		return m.Show(t)
	}
	added, err := m.store.AddVillages(t.Ctx, t.Env.Person, st.Commune, names)
	if errors.Is(err, flows.ErrNotFound) {
		*st = state{Step: stepCommune}
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("add villages: %w", err)
	}
	t.Warn(t.T("places.added", map[string]any{"N": len(added), "Of": len(names)}))
	*st = state{Step: stepVillages, Commune: st.Commune}
	return m.Show(t)
}

// move moves the household chosen into a village.
func (m *Module) move(t *flows.Turn, st *state, village string) error {
	err := m.store.MoveSubject(t.Ctx, t.Env.Person, st.Subject, village)
	if errors.Is(err, flows.ErrNotFound) {
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("move household: %w", err)
	}
	v, err := m.store.Area(t.Ctx, village)
	if err != nil {
		return fmt.Errorf("load area: %w", err)
	}
	t.Warn(t.T("places.moved", map[string]any{"Village": flows.Esc(v.Name.In(t.P.Lang()))}))
	st.Step, st.Subject = stepHouseholds, 0
	return m.Show(t)
}

var _ flows.Module = (*Module)(nil)
