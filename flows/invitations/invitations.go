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
	"strings"
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
	// Roles and Invitations list those over an area and below it.
	Roles(ctx context.Context, under string) ([]flows.RoleHeld, error)
	Invitations(ctx context.Context, under string) ([]flows.InvitationMade, error)
	// RevokeRole and RevokeInvitation end one for a person who manages its
	// area; flows.ErrNotFound otherwise.
	RevokeRole(ctx context.Context, id, by int64) error
	RevokeInvitation(ctx context.Context, id, by int64) error
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
	stepRole  = "role"  // what the invitation gives
	stepArea  = "area"  // for which place
	stepRoles = "roles" // the roles and invitations in force in the person's area
)

const (
	verbRole      = "ro" // Code: the role, or flows.Household
	verbArea      = "ar" // Code: the place
	verbLeave     = "x"
	verbEndRole   = "er" // ID: the role to end
	verbEndInvite = "ei" // ID: the invitation to withdraw
)

// maxShown is how many roles and invitations the list shows.
const maxShown = 20

// rolesArg is the Enter argument of /roles.
type rolesArg struct{}

// OpenRoles is the /roles command, at any step: the roles and
// invitations in force in the person's area, each with a button to end it.
func (m *Module) OpenRoles(t *flows.Turn) error { return m.enter(t, rolesArg{}) }

// enter enters the module for a person who may invite.
func (m *Module) enter(t *flows.Turn, arg any) error {
	ok, err := m.store.May(t.Ctx, t.Env.Person, role.Invite)
	if err != nil {
		return fmt.Errorf("check invite role: %w", err)
	}
	return t.EnterIf(ok, "invitations.none", Name, arg)
}

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
func (*Module) Enter(_ *flows.Turn, arg any) (any, error) {
	if _, ok := arg.(rolesArg); ok {
		return &state{Step: stepRoles}, nil
	}
	return &state{Step: stepRole}, nil
}

// Open is the /invite command, at any step: for a person who may invite.
func (m *Module) Open(t *flows.Turn) error { return m.enter(t, nil) }

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
	if st.Step == stepRoles {
		return m.showRoles(t, leave)
	}
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
	case (tok.Verb == verbEndRole || tok.Verb == verbEndInvite) && st.Step == stepRoles:
		end := m.store.RevokeRole
		if tok.Verb == verbEndInvite {
			end = m.store.RevokeInvitation
		}
		if err := end(t.Ctx, tok.ID, t.Env.Person); errors.Is(err, flows.ErrNotFound) {
			return t.Stale()
		} else if err != nil {
			return fmt.Errorf("end %s %d: %w", tok.Verb, tok.ID, err)
		}
		t.Warn(t.T("invitations.ended"))
		return m.Show(t)
	}
	return t.Stale()
}

// showRoles lists the roles and the invitations still valid in the
// person's areas, newest invitations first, with a button to end each.
func (m *Module) showRoles(t *flows.Turn, leave []flows.Button) error {
	areas, err := m.store.AreasFor(t.Ctx, t.Env.Person, role.Invite)
	if err != nil {
		return fmt.Errorf("load areas: %w", err)
	}
	var b strings.Builder
	var rows [][]flows.Button
	now := t.Now()
	for _, a := range areas {
		roles, err := m.store.Roles(t.Ctx, a.Code)
		if err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		invitations, err := m.store.Invitations(t.Ctx, a.Code)
		if err != nil {
			return fmt.Errorf("list invitations: %w", err)
		}
		b.WriteString("<b>" + flows.Esc(a.Name.In(t.P.Lang())) + "</b>\n")
		for _, r := range roles[:min(len(roles), maxShown)] {
			if r.Person == t.Env.Person {
				continue // one's own role is ended by whoever gave it
			}
			b.WriteString(t.T("invitations.role.line", map[string]any{"ID": r.ID, "Role": t.T("invitations.give." + r.Role), "Person": r.Person, "Area": r.Area}) + "\n")
			rows = append(rows, []flows.Button{flows.NewButton(t.T("button.invitations.end_role", map[string]any{"ID": r.ID}), flows.Token{Module: Name, Verb: verbEndRole, ID: r.ID})})
		}
		shown := 0
		for _, inv := range invitations {
			if inv.Revoked || !now.Before(inv.Expires) || (inv.Uses > 0 && inv.Used >= inv.Uses) || shown == maxShown {
				continue
			}
			shown++
			b.WriteString(t.T("invitations.invite.line", map[string]any{"ID": inv.ID, "Role": t.T("invitations.give." + inv.Role), "Area": inv.Area,
				"Used": inv.Used, "Until": t.P.Date(inv.Expires)}) + "\n")
			rows = append(rows, []flows.Button{flows.NewButton(t.T("button.invitations.end_invite", map[string]any{"ID": inv.ID}), flows.Token{Module: Name, Verb: verbEndInvite, ID: inv.ID})})
		}
	}
	t.Screen(t.T("invitations.roles")+"\n\n"+b.String(), append(rows, leave)...)
	return nil
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
