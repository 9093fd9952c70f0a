// Package enrol is the conversation a person starts in: consent, the
// choice of the title to assess, the subject's name and its place in the
// area tree; and invitation links (/start with a payload), which give a
// role or a household's village, kept through consent. It hands over to the self-assessment (package assess) once it
// knows what to assess, and gets the conversation back when that ends.
package enrol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/assess"
	"hoctap/scoring"
)

// Name is the module's name in envelopes and tokens.
const Name = "e"

// MaxName is the longest name a person may type for a subject.
const MaxName = 100

// Store is what enrolment needs to keep.
type Store interface {
	// Consent records a person's consent, creating them.
	Consent(ctx context.Context, channel string, user int64, lang string, at time.Time) (flows.Person, error)
	// Areas returns the children of an area ("" for the top), by name.
	Areas(ctx context.Context, parent string) ([]flows.Area, error)
	// SearchAreas returns the areas in force below under ("" for the
	// whole tree), down to the level deepest, whose names a typed query
	// finds (area.Match), best first (area.Rank), at most limit.
	SearchAreas(ctx context.Context, under, deepest, query string, limit int) ([]flows.FoundArea, error)
	// Area returns one area, or flows.ErrNotFound.
	Area(ctx context.Context, code string) (flows.Area, error)
	// Assessments returns the person's assessments that are not
	// abandoned, the most recently changed first.
	Assessments(ctx context.Context, personID int64) ([]flows.Assessment, error)
	// Subjects returns the subjects of a kind the person represents.
	Subjects(ctx context.Context, personID int64, kind scoring.Kind) ([]flows.Subject, error)
	// SeasonYear returns the year of the season an area's province is in
	// at a moment (by default the calendar year in Vietnam).
	SeasonYear(ctx context.Context, areaCode string, at time.Time) (int, error)
	// Register records a subject's intent to strive for its title in a
	// year, making the subject as Start does; it returns the subject.
	Register(ctx context.Context, n flows.NewAssessment, at time.Time) (flows.Subject, error)
	// Redeem uses an invitation link's payload for a person and returns
	// what it gave; flows.ErrInviteInvalid, ErrInviteEnded or
	// ErrInviteUsedUp say why not.
	Redeem(ctx context.Context, payload string, personID int64, at time.Time) (flows.Invitation, error)
}

// Module is the enrolment conversation.
type Module struct {
	store Store
	sets  *scoring.Catalog
}

// New makes the module.
func New(store Store, sets *scoring.Catalog) *Module { return &Module{store: store, sets: sets} }

// Steps of enrolment.
const (
	stepNew     = ""        // nothing asked yet, or consent refused
	stepConsent = "consent" // consent asked
	stepMenu    = "menu"    // which title to assess, or which assessment in progress to continue
	stepSubject = "subject" // which of the person's subjects of the title, or a new one
	stepName    = "name"    // the subject's name
	stepArea    = "area"    // the subject's place
	stepAssist  = "assist"  // a reviewer entering for a household: its head's consent
)

// Verbs of its buttons.
const (
	verbConsent  = "ok" // consent given
	verbRefuse   = "no" // consent refused
	verbKind     = "k"  // Code: the title kind to assess
	verbArea     = "ar" // Code: the area chosen; Value "up" to go back up to it
	verbBack     = "bk" // Code: the step it was shown at (subject, name, or area at the top): one step back
	verbResume   = "ct" // ID: the assessment in progress to continue
	verbSubject  = "sj" // ID: the person's subject to assess
	verbNew      = "nw" // a new subject of the title chosen
	verbPage     = "pg" // Code: the area whose children are listed; Value: the page to show
	verbFound    = "fd" // Code: an area a typed search found
	verbList     = "ls" // back from what a search found to the list it was typed at
	verbAssist   = "as" // the household's head consented to an assisted entry
	verbRegister = "rg" // register for a title this year, to assess later
)

// pageSize is how many areas a screen lists: Telegram takes at most 100
// buttons, and a province has up to 168 communes.
const pageSize = 20

// maxQuery is the longest text taken as part of an area's name to find.
const maxQuery = 60

// menuOpen is how many assessments in progress the menu offers to
// continue, the most recently changed first; /status lists them all.
const menuOpen = 5

// maxSubjects is how many of the person's subjects of a title the subject
// step offers, by name; one not shown is found again when its name is
// typed as a new one.
const maxSubjects = 20

// state is what enrolment keeps between inputs.
type state struct {
	Step string       `json:"s,omitempty"`
	Kind scoring.Kind `json:"k,omitempty"` // the title chosen
	Name string       `json:"n,omitempty"` // the subject's name
	Area string       `json:"a,omitempty"` // the area whose children are offered
	// Place is the area chosen for a subject named after it (a village)
	// where the tree has no area of its level below: its name is asked.
	Place string `json:"p,omitempty"`
	Page  int    `json:"pg,omitempty"` // the page of Area's children shown, from 0
	// Invite is the payload of an invitation link opened before consent:
	// it applies once consent is given.
	Invite string `json:"iv,omitempty"`
	// Assisted: a reviewer enters a household that has no smartphone, on
	// its behalf (its head consented).
	Assisted bool `json:"as,omitempty"`
	// Register: the subject chosen is registered for the year, not
	// assessed now.
	Register bool `json:"rg,omitempty"`
	// Query is part of a name typed to find an area below Area; what it
	// finds is shown instead of the list.
	Query string `json:"q,omitempty"`
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }

func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}

// Resume starts anew: at consent for a person who has not given it, else
// at the menu.
func (*Module) Resume(t *flows.Turn) (any, bool, error) {
	if t.Env.Person == 0 {
		return &state{}, true, nil
	}
	return &state{Step: stepMenu}, true, nil
}

// Enter takes the conversation back at the menu; an invited (before
// consent) starts at consent, a household invitation at the household's
// name in its village.
func (*Module) Enter(_ *flows.Turn, arg any) (any, error) {
	switch a := arg.(type) {
	case invited:
		return &state{Step: stepConsent, Invite: string(a)}, nil
	case intoVillage:
		return &state{Step: stepName, Kind: scoring.KindFamily, Place: string(a)}, nil
	case Assist:
		return &state{Step: stepAssist, Kind: scoring.KindFamily, Assisted: true}, nil
	}
	return &state{Step: stepMenu}, nil
}

// Assist is the Enter argument of an assisted entry: a reviewer fills in a
// household's self-assessment on its behalf, once its head's consent is
// confirmed; the household's place must be in the reviewer's area.
type Assist struct{}

// invited is the payload of an invitation link opened before consent.
type invited string

// intoVillage is the village a household invitation enrols into.
type intoVillage string

// payloadChars are what Telegram lets a /start payload hold.
var payloadChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Invited is /start with a payload, an invitation link, at any step of any
// conversation: a person who has not consented is asked first and the
// invitation is kept through it; anyone else gets what it gives at once,
// and the step they were at again.
func (m *Module) Invited(t *flows.Turn) error {
	payload := strings.TrimSpace(t.In.Text)
	if !payloadChars.MatchString(payload) {
		t.Warn(t.T("invite.invalid"))
		return t.Show()
	}
	if t.Env.Person == 0 {
		if err := t.Switch(Name, invited(payload)); err != nil {
			return err
		}
		return t.Show()
	}
	return m.redeem(t, payload)
}

// redeem uses an invitation for the person and says what it gave.
func (m *Module) redeem(t *flows.Turn, payload string) error {
	inv, err := m.store.Redeem(t.Ctx, payload, t.Env.Person, t.Now())
	switch {
	case errors.Is(err, flows.ErrInviteInvalid):
		t.Warn(t.T("invite.invalid"))
	case errors.Is(err, flows.ErrInviteEnded):
		t.Warn(t.T("invite.ended"))
	case errors.Is(err, flows.ErrInviteUsedUp):
		t.Warn(t.T("invite.used_up"))
	case errors.Is(err, flows.ErrNoHousehold):
		t.Warn(t.T("invite.member.no_household"))
	case err != nil:
		return fmt.Errorf("use invitation: %w", err)
	case inv.Role == flows.Representative:
		t.Warn(t.T("invite.representative", map[string]any{"Name": flows.Esc(inv.SubjectName)}))
	case inv.Role == flows.Member:
		t.Warn(t.T("invite.member", map[string]any{"Clan": flows.Esc(inv.SubjectName), "Households": flows.Esc(strings.Join(inv.Joined, ", "))}))
	case inv.Role == flows.Household:
		t.Warn(t.T("invite.household", map[string]any{"Area": flows.Esc(inv.Area.Name.In(t.P.Lang()))}))
		if err := t.Switch(Name, intoVillage(inv.Area.Code)); err != nil {
			return err
		}
	default:
		t.Warn(t.T("invite.role."+inv.Role, map[string]any{"Area": flows.Esc(inv.Area.Name.In(t.P.Lang()))}))
	}
	return t.Show()
}

// turn is one input to enrolment.
type turn struct {
	m  *Module
	t  *flows.Turn
	st *state
}

func (m *Module) turn(t *flows.Turn) *turn { return &turn{m: m, t: t, st: t.State().(*state)} }

func (m *Module) Handle(t *flows.Turn) error {
	e := m.turn(t)
	if t.Env.Person == 0 {
		return e.beforeConsent()
	}
	switch t.In.Kind {
	case flows.InputButton:
		return e.button(t.Token)
	case flows.InputText, flows.InputPhoto, flows.InputUnsupported:
		return e.input()
	}
	return nil
}

func (m *Module) Command(t *flows.Turn, name string) (bool, error) {
	e := m.turn(t)
	switch name {
	case "start":
		*e.st = state{Step: stepMenu}
		if t.Env.Person == 0 {
			e.st.Step = stepConsent
		}
		return true, e.show()
	case "cancel":
		if t.Env.Person == 0 {
			t.Say(t.T("cancel.nothing"))
			return true, nil
		}
		*e.st = state{Step: stepMenu}
		t.Say(t.T("cancel.enrolment"))
		return true, nil
	}
	return false, nil
}

func (m *Module) Show(t *flows.Turn) error { return m.turn(t).show() }

// show adds the screen of the current step.
func (e *turn) show() error {
	t := e.t
	switch e.st.Step {
	case stepNew, stepConsent:
		e.st.Step = stepConsent
		t.Screen(t.T("start.greeting")+"\n\n"+t.T("privacy.text")+"\n\n"+t.T("consent.ask"),
			[]flows.Button{e.btn(t.T("consent.yes"), verbConsent, ""), e.btn(t.T("consent.no"), verbRefuse, "")},
			flows.LanguageButtons())
		return nil
	case stepMenu:
		return e.showMenu()
	case stepSubject:
		return e.showSubjects()
	case stepName:
		t.Screen(t.T("enrol.name."+string(e.st.Kind)), []flows.Button{e.btn(t.T("button.back"), verbBack, stepName)})
		t.TakesText()
		return nil
	case stepArea:
		return e.showAreas()
	case stepAssist:
		t.Screen(t.T("assist.consent")+"\n\n"+t.T("privacy.text"),
			[]flows.Button{e.btn(t.T("button.assist.consent"), verbAssist, "")},
			[]flows.Button{e.btn(t.T("button.back"), verbBack, stepAssist)})
		return nil
	}
	return fmt.Errorf("unknown enrolment step %q", e.st.Step)
}

// btn makes one of enrolment's buttons; they act on no stored object.
func (e *turn) btn(label, verb, code string) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, Code: code})
}

// beforeConsent allows nothing but the consent buttons (and the engine's
// language buttons).
func (e *turn) beforeConsent() error {
	t := e.t
	if t.In.Kind == flows.InputButton {
		switch t.Token.Verb {
		case verbConsent:
			person, err := e.m.store.Consent(t.Ctx, t.In.Conv.Channel, t.In.User, t.Env.Lang, t.Now())
			if err != nil {
				return fmt.Errorf("record consent: %w", err)
			}
			t.Env.Person = person.ID
			payload := e.st.Invite
			*e.st = state{Step: stepMenu}
			t.Warn(t.T("consent.thanks"))
			if payload != "" {
				return e.m.redeem(t, payload)
			}
			return e.show()
		case verbRefuse:
			e.st.Step = stepNew
			t.Screen(t.T("consent.refused"))
			return nil
		}
		t.Notice(t.T("consent.first"))
	}
	e.st.Step = stepConsent
	return e.show()
}

// button handles a press on one of enrolment's buttons after consent.
func (e *turn) button(tok flows.Token) error {
	t := e.t
	switch {
	case tok.Verb == verbConsent || tok.Verb == verbRefuse:
		t.Notice(t.T("consent.already"))
		return e.show()
	case tok.Verb == verbAssist && e.st.Step == stepAssist:
		e.st.Step = stepName
		return e.show()
	case tok.Verb == verbBack && tok.Code == stepAssist && e.st.Step == stepAssist:
		*e.st = state{Step: stepMenu}
		return e.show()
	case tok.Verb == verbKind && e.st.Step == stepMenu && e.hasSet(scoring.Kind(tok.Code)):
		return e.chooseKind(scoring.Kind(tok.Code))
	case tok.Verb == verbRegister && e.st.Step == stepMenu && !e.st.Register:
		*e.st = state{Step: stepMenu, Register: true}
		return e.show()
	case tok.Verb == verbBack && tok.Code == stepMenu && e.st.Step == stepMenu && e.st.Register:
		*e.st = state{Step: stepMenu}
		return e.show()
	case tok.Verb == verbResume && e.st.Step == stepMenu:
		err := t.Switch(assess.Name, assess.Continue{ID: tok.ID})
		if assess.IsStale(err) {
			return t.Stale()
		}
		if err != nil {
			return err
		}
		return t.Show()
	case tok.Verb == verbSubject && e.st.Step == stepSubject:
		return e.chooseSubject(tok.ID)
	case tok.Verb == verbNew && e.st.Step == stepSubject:
		*e.st = state{Step: firstStep(e.st.Kind), Kind: e.st.Kind, Register: e.st.Register}
		return e.show()
	case tok.Verb == verbBack && tok.Code == stepSubject && e.st.Step == stepSubject:
		*e.st = state{Step: stepMenu}
		return e.show()
	case tok.Verb == verbArea && e.st.Step == stepArea:
		return e.chooseArea(tok.Code, tok.Value == "up")
	case tok.Verb == verbBack && tok.Code == stepName && e.st.Step == stepName && e.st.Place != "":
		place, err := e.m.store.Area(t.Ctx, e.st.Place)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		e.st.Step, e.st.Area, e.st.Place = stepArea, place.Parent, ""
		return e.show()
	case tok.Verb == verbBack && tok.Code == stepName && e.st.Step == stepName:
		*e.st = state{Step: stepMenu}
		return e.show()
	case tok.Verb == verbFound && e.st.Step == stepArea && e.st.Query != "":
		return e.chooseFound(tok.Code)
	case tok.Verb == verbList && e.st.Step == stepArea && e.st.Query != "":
		e.st.Query = ""
		return e.show()
	case tok.Verb == verbPage && e.st.Step == stepArea && tok.Code == e.st.Area:
		page, err := strconv.Atoi(tok.Value)
		if err != nil || page < 0 {
			return t.Stale()
		}
		e.st.Page = page
		return e.show()
	case tok.Verb == verbBack && tok.Code == stepArea && e.st.Step == stepArea && e.atTop():
		if firstStep(e.st.Kind) == stepArea {
			*e.st = state{Step: stepMenu}
		} else {
			e.st.Step = stepName
		}
		return e.show()
	}
	return t.Stale()
}

// input handles a typed text, a photo or something unsupported.
func (e *turn) input() error {
	t := e.t
	switch {
	case e.st.Step == stepName:
		return e.typedName()
	case e.st.Step == stepArea && t.In.Kind == flows.InputText:
		return e.search()
	}
	t.WarnButtonsOnly()
	return e.show()
}

// showMenu offers the assessments in progress to continue, then the
// titles that have a criteria set.
func (e *turn) showMenu() error {
	t := e.t
	all, err := e.m.store.Assessments(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load assessments: %w", err)
	}
	var rows [][]flows.Button
	for _, a := range all {
		if a.Submitted == nil && len(rows) < menuOpen {
			label := t.T("menu.continue", map[string]any{"Kind": t.T("kind." + string(a.Kind)), "Name": a.SubjectName})
			rows = append(rows, []flows.Button{flows.NewButton(label, flows.Token{Module: Name, Verb: verbResume, ID: a.ID})})
		}
	}
	text := t.T("menu.ask")
	if len(rows) > 0 {
		text = t.T("menu.in_progress") + "\n\n" + t.T("menu.ask.other")
	}
	for _, k := range scoring.Kinds {
		if e.hasSet(k) {
			rows = append(rows, []flows.Button{e.btn(t.T("kind."+string(k)), verbKind, string(k))})
		}
	}
	if e.st.Register {
		text = t.T("register.ask")
		rows = rows[len(rows)-len(e.kinds()):]
		rows = append(rows, []flows.Button{e.btn(t.T("button.back"), verbBack, stepMenu)})
	} else {
		rows = append(rows, []flows.Button{e.btn(t.T("button.register"), verbRegister, "")})
	}
	t.Screen(text, rows...)
	return nil
}

// chooseKind goes on with a title: to the person's subjects of it when
// there are any, else to the new subject's name.
func (e *turn) chooseKind(k scoring.Kind) error {
	subjects, err := e.m.store.Subjects(e.t.Ctx, e.t.Env.Person, k)
	if err != nil {
		return fmt.Errorf("load subjects: %w", err)
	}
	*e.st = state{Step: firstStep(k), Kind: k, Register: e.st.Register}
	if len(subjects) > 0 {
		e.st.Step = stepSubject
	}
	return e.show()
}

// firstStep is where a new subject of a kind begins: a village, named
// after its place, at its place; the others at their name.
func firstStep(k scoring.Kind) string {
	if k == scoring.KindCommunity {
		return stepArea
	}
	return stepName
}

// showSubjects offers the person's subjects of the title chosen, each with
// its place, and a new one.
func (e *turn) showSubjects() error {
	t := e.t
	subjects, err := e.m.store.Subjects(t.Ctx, t.Env.Person, e.st.Kind)
	if err != nil {
		return fmt.Errorf("load subjects: %w", err)
	}
	var rows [][]flows.Button
	places := map[string]string{} // area names by code: most subjects share a few
	for _, s := range subjects[:min(len(subjects), maxSubjects)] {
		where, ok := places[s.AreaCode]
		if !ok {
			place, err := e.m.store.Area(t.Ctx, s.AreaCode)
			if err != nil {
				return fmt.Errorf("load area: %w", err)
			}
			where = place.Name.In(t.P.Lang())
			places[s.AreaCode] = where
		}
		label := s.Name
		if !strings.EqualFold(where, s.Name) {
			label = t.T("enrol.subject.button", map[string]any{"Name": s.Name, "Area": where})
		}
		rows = append(rows, []flows.Button{flows.NewButton(label, flows.Token{Module: Name, Verb: verbSubject, ID: s.ID})})
	}
	rows = append(rows, []flows.Button{e.btn(t.T("enrol.subject.new."+string(e.st.Kind)), verbNew, "")},
		[]flows.Button{e.btn(t.T("button.back"), verbBack, stepSubject)})
	t.Screen(t.T("enrol.subject.ask."+string(e.st.Kind)), rows...)
	return nil
}

// chooseSubject assesses one of the person's subjects.
func (e *turn) chooseSubject(id int64) error {
	t := e.t
	subjects, err := e.m.store.Subjects(t.Ctx, t.Env.Person, e.st.Kind)
	if err != nil {
		return fmt.Errorf("load subjects: %w", err)
	}
	i := slices.IndexFunc(subjects, func(s flows.Subject) bool { return s.ID == id })
	if i < 0 {
		return t.Stale()
	}
	s := subjects[i]
	place, err := e.m.store.Area(t.Ctx, s.AreaCode)
	if err != nil {
		return fmt.Errorf("load area: %w", err)
	}
	e.st.Name = s.Name
	return e.startAt(place, s.ID)
}

// kinds are the titles that have a criteria set, in the menu's order.
func (e *turn) kinds() []scoring.Kind {
	var out []scoring.Kind
	for _, k := range scoring.Kinds {
		if e.hasSet(k) {
			out = append(out, k)
		}
	}
	return out
}

func (e *turn) hasSet(k scoring.Kind) bool {
	for _, s := range e.m.sets.Sets() {
		if s.Kind == k && s.Status != scoring.StatusWithdrawn {
			return true
		}
	}
	return false
}

// typedName takes the subject's name.
func (e *turn) typedName() error {
	t := e.t
	if t.In.Kind != flows.InputText {
		t.Warn(t.T("enrol.name.wrong_kind"))
		return e.show()
	}
	name := t.Typed()
	switch {
	case utf8.RuneCountInString(name) < 2, strings.IndexFunc(name, unicode.IsControl) >= 0:
		t.Warn(t.T("enrol.name.short"))
		return e.show()
	case utf8.RuneCountInString(name) > MaxName:
		t.Warn(t.T("enrol.name.long", map[string]any{"Max": MaxName}))
		return e.show()
	case !strings.ContainsFunc(name, unicode.IsLetter):
		t.Warn(t.T("enrol.name.letters"))
		return e.show()
	}
	if e.st.Place != "" {
		place, err := e.m.store.Area(t.Ctx, e.st.Place)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		e.st.Name = name
		return e.startAt(place, 0)
	}
	e.st.Name, e.st.Step, e.st.Area = name, stepArea, ""
	return e.show()
}

// showAreas offers the children of the area chosen so far, or what a
// typed search found below it.
func (e *turn) showAreas() error {
	t := e.t
	top, err := e.top()
	if err != nil {
		return err
	}
	if e.st.Area == "" {
		e.st.Area = top
	}
	if e.st.Query != "" {
		return e.showFound()
	}
	areas, err := e.m.store.Areas(t.Ctx, e.st.Area)
	if err != nil {
		return fmt.Errorf("list areas: %w", err)
	}
	pages := max(1, (len(areas)+pageSize-1)/pageSize)
	e.st.Page = min(e.st.Page, pages-1)
	level := "province"
	if len(areas) > 0 {
		level = areas[0].Level
	}
	shown := areas[e.st.Page*pageSize : min(len(areas), (e.st.Page+1)*pageSize)]
	var rows [][]flows.Button
	for i, a := range shown {
		b := e.btn(a.Name.In(t.P.Lang()), verbArea, a.Code)
		if i%2 == 0 {
			rows = append(rows, []flows.Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	if nav := t.PageButtons(e.st.Page, pages, func(page int) flows.Token {
		return flows.Token{Module: Name, Verb: verbPage, Code: e.st.Area, Value: strconv.Itoa(page)}
	}); len(nav) > 0 {
		rows = append(rows, nav)
	}
	if e.st.Area != top {
		parent, err := e.m.store.Area(t.Ctx, e.st.Area)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		rows = append(rows, []flows.Button{flows.NewButton(t.T("button.back"),
			flows.Token{Module: Name, Verb: verbArea, Code: parent.Parent, Value: "up"})})
	} else {
		rows = append(rows, []flows.Button{e.btn(t.T("button.back"), verbBack, stepArea)})
	}
	key := "enrol.area." + level
	switch {
	case e.st.Kind == scoring.KindCitizen:
		key += ".you" // the person assesses themself
	case e.st.Name == "":
		key += ".place" // the subject is the place: asked before any name
	}
	text := t.T(key, map[string]any{"Name": flows.Esc(e.st.Name)})
	if pages > 1 {
		text += "\n" + t.T("enrol.area.page", map[string]any{"N": e.st.Page + 1, "Of": pages}) + "\n" + t.T("enrol.area.search")
	}
	t.Screen(text, rows...)
	return nil
}

// search takes a typed text at the area step as part of a name to find.
func (e *turn) search() error {
	t := e.t
	query := t.Typed()
	switch {
	case utf8.RuneCountInString(query) > maxQuery:
		t.Warn(t.T("enrol.search.long", map[string]any{"Max": maxQuery}))
		return e.show()
	case !strings.ContainsFunc(query, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
		t.Warn(t.T("enrol.search.empty"))
		return e.show()
	}
	e.st.Query = query
	return e.show()
}

// showFound offers the areas below the one shown whose names the typed
// query finds, down to the subject's level, best first.
func (e *turn) showFound() error {
	t := e.t
	found, err := e.m.store.SearchAreas(t.Ctx, e.st.Area, levelFor(e.st.Kind), e.st.Query, pageSize+1)
	if err != nil {
		return fmt.Errorf("search areas: %w", err)
	}
	query := flows.Esc(e.st.Query)
	if len(found) == 0 {
		e.st.Query = ""
		t.Warn(t.T("enrol.search.none", map[string]any{"Query": query}))
		return e.showAreas()
	}
	lang := t.P.Lang()
	var rows [][]flows.Button
	for _, f := range found[:min(len(found), pageSize)] {
		label := f.Name.In(lang)
		if f.Parent != e.st.Area && f.ParentName.VI != "" {
			label = t.T("enrol.search.button", map[string]any{"Name": label, "Parent": f.ParentName.In(lang)})
		}
		rows = append(rows, []flows.Button{e.btn(label, verbFound, f.Code)})
	}
	rows = append(rows, []flows.Button{e.btn(t.T("button.back"), verbList, "")})
	text := t.T("enrol.search.found", map[string]any{"Query": query})
	if len(found) > pageSize {
		text += "\n" + t.T("enrol.search.more", map[string]any{"N": pageSize})
	}
	t.Screen(text, rows...)
	return nil
}

// chooseFound goes on from an area a search found, as if it had been
// chosen in the lists: it must lie below the area the search was typed
// at and not below the subject's level.
func (e *turn) chooseFound(code string) error {
	t := e.t
	found, err := e.m.store.Area(t.Ctx, code)
	if err != nil {
		return t.Stale()
	}
	if slices.Index(area.Levels, found.Level) > slices.Index(area.Levels, levelFor(e.st.Kind)) {
		return t.Stale()
	}
	for up := found; up.Parent != e.st.Area; {
		if up.Parent == "" {
			return t.Stale()
		}
		if up, err = e.m.store.Area(t.Ctx, up.Parent); err != nil {
			return fmt.Errorf("load area: %w", err)
		}
	}
	e.st.Query, e.st.Area, e.st.Page = "", found.Parent, 0
	return e.chooseArea(code, false)
}

// top returns the area enrolment starts below: "" for the top of the
// tree, or the nation when it is the tree's one top area, since a person
// starts at their province.
func (e *turn) top() (string, error) {
	tops, err := e.m.store.Areas(e.t.Ctx, "")
	if err != nil {
		return "", fmt.Errorf("list areas: %w", err)
	}
	if len(tops) == 1 && tops[0].Level == "nation" {
		return tops[0].Code, nil
	}
	return "", nil
}

// atTop reports whether the areas shown are the first enrolment offers.
func (e *turn) atTop() bool {
	top, err := e.top()
	return err == nil && e.st.Area == top
}

// levelFor is the area level a subject of a kind is placed at: a household,
// village or person in a village; a clan (which may span villages) or a
// unit in a commune.
func levelFor(k scoring.Kind) string {
	if k == scoring.KindClan || k == scoring.KindUnit {
		return "commune"
	}
	return "village"
}

// chooseArea goes down the area tree, or up to code, and hands over to the
// self-assessment once the subject's level is reached.
func (e *turn) chooseArea(code string, up bool) error {
	t := e.t
	if up {
		// Only to the parent of the area shown: an older screen's Back
		// would jump elsewhere in the tree.
		if e.atTop() {
			return t.Stale()
		}
		current, err := e.m.store.Area(t.Ctx, e.st.Area)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		if current.Parent != code {
			return t.Stale()
		}
		e.st.Area, e.st.Page = code, 0
		return e.show()
	}
	area, err := e.m.store.Area(t.Ctx, code)
	if err != nil || area.Parent != e.st.Area {
		return t.Stale()
	}
	children, err := e.m.store.Areas(t.Ctx, code)
	if err != nil {
		return fmt.Errorf("list areas: %w", err)
	}
	if area.Level != levelFor(e.st.Kind) && len(children) > 0 {
		e.st.Area, e.st.Page = code, 0
		return e.show()
	}
	if e.st.Name == "" { // named after its place
		if area.Level != levelFor(e.st.Kind) {
			// No village of the commune is in the tree yet: its name is
			// asked, and it is placed in the commune.
			e.st.Step, e.st.Place = stepName, code
			return e.show()
		}
		e.st.Name = area.Name.VI
	}
	return e.startAt(area, 0)
}

// startAt hands over to the self-assessment of a subject in an area: the
// person's subject, or a new one (subject 0) named as typed.
func (e *turn) startAt(area flows.Area, subject int64) error {
	t := e.t
	province, err := e.province(area)
	if err != nil {
		return err
	}
	year, err := e.m.store.SeasonYear(t.Ctx, area.Code, t.Now())
	if err != nil {
		return fmt.Errorf("read the season: %w", err)
	}
	if e.st.Register {
		return e.register(area, subject, year)
	}
	set, ok := e.m.sets.Pick(e.st.Kind, province, year)
	if !ok {
		*e.st = state{Step: stepMenu}
		return t.Stale()
	}
	start := assess.Start{Kind: e.st.Kind, Subject: subject, Name: e.st.Name, Area: area, Set: set, Assisted: e.st.Assisted, Year: year}
	if err := t.Switch(assess.Name, start); err != nil {
		switch {
		case assess.IsStale(err):
			return t.Stale()
		case e.st.Assisted && errors.Is(err, flows.ErrNotFound):
			// Outside the reviewer's area: the place is chosen again.
			t.Warn(t.T("assist.outside"))
			e.st.Step, e.st.Area, e.st.Page, e.st.Place = stepArea, "", 0, ""
			return e.show()
		}
		return err
	}
	if !set.Years.Covers(year) && set.Years.To != 0 { // one that starts later has no end to name
		// Pick prefers a set that covers the year; this is the newest of
		// those that do not, and the person is told so.
		t.Warn(t.T("enrol.set_years", map[string]any{"Ref": set.Ref(), "Year": year, "From": set.Years.From, "To": set.Years.To}))
	}
	return t.Show()
}

// register records the subject's intent for the season's year and goes
// back to the menu, from which it is assessed when the household is ready.
func (e *turn) register(place flows.Area, subject int64, year int) error {
	t := e.t
	s, err := e.m.store.Register(t.Ctx, flows.NewAssessment{PersonID: t.Env.Person, SubjectID: subject, Kind: e.st.Kind,
		Name: e.st.Name, AreaCode: place.Code, Region: place.Region, Year: year}, t.Now())
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	*e.st = state{Step: stepMenu}
	t.Warn(t.T("register.done", map[string]any{"Kind": t.T("kind." + string(s.Kind)), "Name": flows.Esc(s.Name), "Year": year}))
	return e.show()
}

// province returns the province an area is in, found by level, not by
// depth (a tree may start at the nation); the top area where none is.
func (e *turn) province(a flows.Area) (string, error) {
	for a.Level != "province" && a.Parent != "" {
		parent, err := e.m.store.Area(e.t.Ctx, a.Parent)
		if err != nil {
			return "", fmt.Errorf("load area: %w", err)
		}
		a = parent
	}
	return a.Code, nil
}

var _ flows.Module = (*Module)(nil)
