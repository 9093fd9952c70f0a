// Package invitations is the conversation in which a leader or an admin
// makes an invitation link for their area or a place below it: to a role,
// or for a household into its village. The store refuses any place
// outside the person's area, whatever a button carries.
package invitations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hoctap/flows"
	"hoctap/role"
)

// Name is the module's name in envelopes and tokens.
const Name = "iv"

// Valid is how long an invitation made in the bot is valid.
const Valid = 7 * 24 * time.Hour

// maxFound is how many places a search offers.
const maxFound = 20

// Store is what making invitations needs.
type Store interface {
	May(ctx context.Context, personID int64, a role.Action) (bool, error)
	// AreasFor returns the areas of the person's roles that allow an
	// action.
	AreasFor(ctx context.Context, personID int64, a role.Action) ([]flows.Area, error)
	SearchAreas(ctx context.Context, under, deepest, query string, limit int) ([]flows.FoundArea, error)
	// CreateInvitation makes one and returns its payload; flows.ErrNotFound
	// for a place outside the person's area or a role they may not give.
	CreateInvitation(ctx context.Context, n flows.NewInvitation) (string, error)
}

// Module is the conversation.
type Module struct {
	store Store
	bot   string // the bot's username, for links; "" in the playground
}

// New makes the module; bot is the bot's username ("" where there is
// none: the link is then the /start command to type).
func New(store Store, bot string) *Module { return &Module{store: store, bot: bot} }

const (
	stepRole = "role" // what the invitation gives
	stepArea = "area" // for which place
)

const (
	verbRole  = "ro" // Code: the role, or flows.Household
	verbArea  = "ar" // Code: the place
	verbLeave = "x"
)

type state struct {
	Step  string `json:"s"`
	Role  string `json:"r,omitempty"`
	Query string `json:"q,omitempty"` // part of a place's name typed to find it
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }
func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}
func (*Module) Resume(*flows.Turn) (any, bool, error) { return nil, false, nil }
func (*Module) Enter(*flows.Turn, any) (any, error)   { return &state{Step: stepRole}, nil }

// Open is the /invite command, at any step: for a person who may invite.
func (m *Module) Open(t *flows.Turn) error {
	ok, err := m.store.May(t.Ctx, t.Env.Person, role.Invite)
	if err != nil {
		return fmt.Errorf("check invite role: %w", err)
	}
	if !ok {
		t.Say(t.T("invitations.none"))
		return nil
	}
	if err := t.Switch(Name, nil); err != nil {
		return err
	}
	return t.Show()
}

func (*Module) Command(t *flows.Turn, name string) (bool, error) { return flows.LeaveCommand(t, name) }

func (m *Module) Handle(t *flows.Turn) error {
	st := t.State().(*state)
	switch {
	case t.In.Kind == flows.InputButton:
		return m.button(t, st, t.Token)
	case !t.In.Kind.FromPerson():
		return nil
	case st.Step == stepArea && t.In.Kind == flows.InputText:
		st.Query = t.Typed()
		if len([]rune(st.Query)) > 60 || st.Query == "" {
			st.Query = ""
			t.Warn(t.T("enrol.search.empty"))
		}
		return m.Show(t)
	}
	t.WarnButtonsOnly()
	return m.Show(t)
}

func btn(label, verb, code string) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, Code: code})
}

// gives are what a person may invite to: an admin to every role, a leader
// to all but admin.
func (m *Module) gives(t *flows.Turn) ([]string, error) {
	out := []string{string(role.Reviewer), string(role.Recogniser), string(role.Leader), flows.Household}
	admin, err := m.store.May(t.Ctx, t.Env.Person, role.Administer)
	if admin {
		out = append(out, string(role.Admin))
	}
	return out, err
}

func (m *Module) Show(t *flows.Turn) error {
	st := t.State().(*state)
	leave := []flows.Button{btn(t.T("button.invitations.leave"), verbLeave, "")}
	if st.Step == stepRole {
		gives, err := m.gives(t)
		if err != nil {
			return fmt.Errorf("load roles: %w", err)
		}
		var rows [][]flows.Button
		for _, g := range gives {
			rows = append(rows, []flows.Button{btn(t.T("invitations.give."+g), verbRole, g)})
		}
		t.Screen(t.T("invitations.ask.role"), append(rows, leave)...)
		return nil
	}
	areas, err := m.store.AreasFor(t.Ctx, t.Env.Person, role.Invite)
	if err != nil {
		return fmt.Errorf("load areas: %w", err)
	}
	lang := t.P.Lang()
	var rows [][]flows.Button
	if st.Query != "" {
		under := ""
		if len(areas) == 1 {
			under = areas[0].Code
		}
		found, err := m.store.SearchAreas(t.Ctx, under, "village", st.Query, maxFound)
		if err != nil {
			return fmt.Errorf("search areas: %w", err)
		}
		for _, f := range found {
			rows = append(rows, []flows.Button{btn(t.T("enrol.search.button", map[string]any{"Name": f.Name.In(lang), "Parent": f.ParentName.In(lang)}), verbArea, f.Code)})
		}
		if len(found) == 0 {
			t.Warn(t.T("enrol.search.none", map[string]any{"Query": flows.Esc(st.Query)}))
			st.Query = ""
		}
	}
	if st.Role != flows.Household {
		for _, a := range areas {
			rows = append(rows, []flows.Button{btn(a.Name.In(lang), verbArea, a.Code)})
		}
	}
	t.Screen(t.T("invitations.ask.area", map[string]any{"Role": t.T("invitations.give." + st.Role)}), append(rows, leave)...)
	t.TakesText()
	return nil
}

func (m *Module) button(t *flows.Turn, st *state, tok flows.Token) error {
	switch {
	case tok.Verb == verbLeave:
		return t.GoHome()
	case tok.Verb == verbRole && st.Step == stepRole:
		*st = state{Step: stepArea, Role: tok.Code}
		return m.Show(t)
	case tok.Verb == verbArea && st.Step == stepArea:
		return m.create(t, st, tok.Code)
	}
	return t.Stale()
}

// create makes the invitation and shows its link: for one person for a
// role, for every household of the village for a household's.
func (m *Module) create(t *flows.Turn, st *state, code string) error {
	uses := 1
	if st.Role == flows.Household {
		uses = 0
	}
	expires := t.Now().Add(Valid)
	payload, err := m.store.CreateInvitation(t.Ctx, flows.NewInvitation{Role: st.Role, Area: code, Uses: uses, Expires: expires, By: t.Env.Person})
	if errors.Is(err, flows.ErrNotFound) {
		return t.Stale()
	}
	if err != nil {
		t.Warn(t.T("invitations.refused"))
		return m.Show(t)
	}
	link := "/start " + payload
	if m.bot != "" {
		link = "https://t.me/" + m.bot + "?start=" + payload
	}
	key := "invitations.link.one"
	if uses == 0 {
		key = "invitations.link.village"
	}
	given := t.T("invitations.give." + st.Role)
	*st = state{Step: stepRole}
	t.Say(t.T(key, map[string]any{"Role": given, "Link": flows.Esc(link), "Until": t.P.Date(expires)}))
	return m.Show(t)
}

var _ flows.Module = (*Module)(nil)
