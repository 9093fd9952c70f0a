// Package settings is the conversation, entered by /settings at any step,
// in which a province's admin or leader sees and changes what the
// province has set: how it recognises titles (its chain: the admin's
// alone), its assessment season of this year and the next, and its own
// list of reasons for sending a submission back or rejecting it. A person
// picks one of their provinces first (straight in when they have one).
// Screens draw only the buttons the person may use; the store checks
// every change against their roles (package role: Administer for the
// chain, Settings for the rest), whatever a button carries.
package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/review"
	"hoctap/locales"
)

// Name is the module's name in envelopes and tokens.
const Name = "st"

// Limits of what is typed and listed.
const (
	pageSize = 20 // provinces a screen lists
	maxQuery = 60 // characters of a province's name typed to find it
	maxDates = 60 // characters of a message with a season's days
)

// Store is what the settings need.
type Store interface {
	// SettingsProvinces returns the provinces whose settings a person may
	// change, by name.
	SettingsProvinces(ctx context.Context, personID int64) ([]flows.Area, error)
	// ProvinceSettings returns what a province has set and what the
	// person may change of it; flows.ErrNotFound when nothing.
	ProvinceSettings(ctx context.Context, personID int64, province string) (flows.ProvinceSettings, error)
	// SeasonYear returns the year of the season an area is in at a moment.
	SeasonYear(ctx context.Context, areaCode string, at time.Time) (int, error)
	// SetChain sets a province's chain and returns how many accepted
	// submissions waiting for a recogniser it recognised (a switch to
	// accept); flows.ErrNotFound when the person may not.
	SetChain(ctx context.Context, province, chain string, by int64, at time.Time) (int, error)
	// SetSeason sets a province's season of a year; flows.ErrOverlap when
	// it shares days with another year's, flows.ErrNotFound when the
	// person may not.
	SetSeason(ctx context.Context, province string, s flows.Season, by int64) error
	// ClearSeason makes a year the calendar year again; flows.ErrNotFound
	// when none was set or the person may not.
	ClearSeason(ctx context.Context, province string, year int, by int64) error
	// AddReasons adds to a province's own reasons and returns how many
	// were new; flows.ErrLimit past flows.MaxProvinceReasons,
	// flows.ErrNotFound when the person may not.
	AddReasons(ctx context.Context, province string, texts []string, by int64) (int, error)
	// RemoveReason removes one; flows.ErrNotFound when there is no such
	// one or the person may not.
	RemoveReason(ctx context.Context, province string, id, by int64) error
}

// Module is the conversation.
type Module struct{ store Store }

// New makes the module.
func New(store Store) *Module { return &Module{store: store} }

// Steps.
const (
	stepProvince = "province" // which province: listed, or typed to find it
	stepMain     = "main"     // the province's settings
	stepChain    = "chain"    // how it recognises titles
	stepSwitch   = "switch"   // confirm a switch that recognises what waits
	stepSeason   = "season"   // this year's season and the next
	stepDates    = "dates"    // the days of a year's season, typed
	stepReasons  = "reasons"  // its own reasons
	stepAdd      = "add"      // a reason to add, typed
)

// Verbs. A button that changes something, or opens a part of a
// province's settings, names the province (Code): one of another
// province's screen is stale.
const (
	verbProvince = "pv" // Code: the province chosen
	verbPage     = "pg" // Value: the page of provinces
	verbList     = "ls" // back to the provinces
	verbChain    = "ch"
	verbSwitch   = "sw" // Value: the chain to switch to
	verbConfirm  = "cs" // ID: how many waiting submissions the switch recognises, as asked
	verbSeason   = "se"
	verbDates    = "dt" // Value: the year whose days to type
	verbClear    = "cl" // Value: the year to make the calendar year again
	verbReasons  = "rs"
	verbAdd      = "ad"
	verbDefaults = "df" // start the province's list from the default one
	verbRemove   = "rm" // ID: the reason to remove
	verbBack     = "bk"
	verbLeave    = "x"
)

type state struct {
	Step     string `json:"s"`
	Province string `json:"p,omitempty"`
	Many     bool   `json:"m,omitempty"` // the person has several provinces to choose from
	Page     int    `json:"pg,omitempty"`
	Query    string `json:"q,omitempty"` // part of a province's name typed to find it
	Year     int    `json:"y,omitempty"` // the season whose days are asked
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }
func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}

// Resume gives nothing back: a lost conversation is entered again by
// /settings.
func (*Module) Resume(*flows.Turn) (any, bool, error) { return nil, false, nil }

// Enter starts at the provinces, or at the one province named by arg (a
// string).
func (*Module) Enter(_ *flows.Turn, arg any) (any, error) {
	if code, ok := arg.(string); ok && code != "" {
		return &state{Step: stepMain, Province: code}, nil
	}
	return &state{Step: stepProvince}, nil
}

// Open is the /settings command, at any step: for a person who may change
// a province's settings, that province's, or the list of theirs; a short
// answer for anyone else.
func (m *Module) Open(t *flows.Turn) error {
	provinces, err := m.store.SettingsProvinces(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load the provinces of settings: %w", err)
	}
	arg := ""
	if len(provinces) == 1 {
		arg = provinces[0].Code
	}
	return t.EnterIf(len(provinces) > 0, "settings.none", Name, arg)
}

func (*Module) Command(t *flows.Turn, name string) (bool, error) { return flows.LeaveCommand(t, name) }

func (m *Module) Handle(t *flows.Turn) error {
	st := t.State().(*state)
	text := st.Step == stepProvince || st.Step == stepDates || st.Step == stepAdd
	switch {
	case t.In.Kind == flows.InputButton:
		return m.button(t, st, t.Token)
	case !t.In.Kind.FromPerson():
		return nil
	case text && t.In.Kind == flows.InputText:
		switch st.Step {
		case stepDates:
			return m.dates(t, st)
		case stepAdd:
			return m.add(t, st)
		}
		return m.search(t, st)
	case text && st.Step != stepProvince:
		t.Warn(t.T("settings.type_text")) // a photo or a sticker where a text is asked
		return m.Show(t)
	}
	t.WarnButtonsOnly()
	return m.Show(t)
}

func btn(label, verb, code string, id int64, value string) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, Code: code, ID: id, Value: value})
}

// button handles a press. Moving between the province's screens needs
// nothing of the store; what opens a part of the settings, or changes
// them, is checked against what the person may do now.
func (m *Module) button(t *flows.Turn, st *state, tok flows.Token) error {
	switch {
	case tok.Verb == verbLeave:
		return t.GoHome()
	case tok.Verb == verbProvince && st.Step == stepProvince:
		*st = state{Step: stepMain, Province: tok.Code, Many: true}
		return m.showOr(t, st, true)
	case tok.Verb == verbPage && st.Step == stepProvince:
		page, err := strconv.Atoi(tok.Value)
		if err != nil || page < 0 {
			return t.Stale()
		}
		st.Page = page
		return m.Show(t)
	case tok.Verb == verbList && (st.Step == stepProvince || (st.Step == stepMain && st.Many)):
		*st = state{Step: stepProvince}
		return m.Show(t)
	case tok.Verb == verbBack && st.Step != stepProvince:
		st.Step = map[string]string{stepDates: stepSeason, stepAdd: stepReasons, stepSwitch: stepChain}[st.Step]
		if st.Step == "" {
			st.Step = stepMain
		}
		st.Year = 0
		return m.Show(t)
	case st.Step == stepProvince || tok.Code != st.Province:
		return t.Stale() // a button of another province's screen
	}
	ps, err := m.store.ProvinceSettings(t.Ctx, t.Env.Person, st.Province)
	if errors.Is(err, flows.ErrNotFound) {
		*st = state{Step: stepProvince}
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	switch {
	case tok.Verb == verbChain && st.Step == stepMain && ps.MayChain:
		st.Step = stepChain
	case (tok.Verb == verbSeason || tok.Verb == verbReasons) && st.Step == stepMain && ps.MaySettings:
		st.Step = map[string]string{verbSeason: stepSeason, verbReasons: stepReasons}[tok.Verb]
	case tok.Verb == verbSwitch && st.Step == stepChain && ps.MayChain &&
		(tok.Value == flows.ChainAccept || tok.Value == flows.ChainConfirm) && tok.Value != ps.Chain:
		if tok.Value == flows.ChainAccept && ps.Waiting > 0 {
			st.Step = stepSwitch // asks first: it recognises what waits
			break
		}
		return m.switchChain(t, st, tok.Value)
	case tok.Verb == verbConfirm && st.Step == stepSwitch && ps.MayChain && ps.Chain == flows.ChainConfirm:
		if tok.ID != int64(ps.Waiting) { // more or fewer wait than the question said: ask again
			t.Notice(t.T("stale"))
			break
		}
		return m.switchChain(t, st, flows.ChainAccept)
	case (tok.Verb == verbDates || tok.Verb == verbClear) && st.Step == stepSeason && ps.MaySettings:
		year, err := strconv.Atoi(tok.Value)
		this, yerr := m.year(t, st.Province)
		if yerr != nil {
			return yerr
		}
		if err != nil || (year != this && year != this+1) {
			return t.Stale()
		}
		if tok.Verb == verbDates {
			st.Step, st.Year = stepDates, year
			break
		}
		if err := m.store.ClearSeason(t.Ctx, st.Province, year, t.Env.Person); errors.Is(err, flows.ErrNotFound) {
			return t.Stale()
		} else if err != nil {
			return fmt.Errorf("clear season: %w", err)
		}
		t.Warn(t.T("settings.season.cleared", map[string]any{"Year": year}))
	case tok.Verb == verbAdd && st.Step == stepReasons && ps.MaySettings && len(ps.Reasons) < flows.MaxProvinceReasons:
		st.Step = stepAdd
	case tok.Verb == verbDefaults && st.Step == stepReasons && ps.MaySettings && len(ps.Reasons) == 0:
		return m.addReasons(t, st, review.Reasons)
	case tok.Verb == verbRemove && st.Step == stepReasons && ps.MaySettings:
		if err := m.store.RemoveReason(t.Ctx, st.Province, tok.ID, t.Env.Person); errors.Is(err, flows.ErrNotFound) {
			return t.Stale()
		} else if err != nil {
			return fmt.Errorf("remove reason: %w", err)
		}
		t.Warn(t.T("settings.reason.removed"))
	default:
		return t.Stale()
	}
	return m.Show(t)
}

// year is the year of the season a province is in now.
func (m *Module) year(t *flows.Turn, province string) (int, error) {
	y, err := m.store.SeasonYear(t.Ctx, province, t.Now())
	if err != nil {
		return 0, fmt.Errorf("read the season: %w", err)
	}
	return y, nil
}

func (m *Module) Show(t *flows.Turn) error { return m.showOr(t, t.State().(*state), false) }

// showOr shows the step in state; a province no longer the person's takes
// them to their provinces, with the stale notice when stale is true (a
// province's button just pressed).
func (m *Module) showOr(t *flows.Turn, st *state, stale bool) error {
	if st.Step == stepProvince {
		return m.showProvinces(t, st)
	}
	ps, err := m.store.ProvinceSettings(t.Ctx, t.Env.Person, st.Province)
	if errors.Is(err, flows.ErrNotFound) {
		*st = state{Step: stepProvince}
		if stale {
			return t.Stale()
		}
		return m.showProvinces(t, st)
	}
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	// A part the person may no longer change shows the overview.
	switch st.Step {
	case stepMain:
	case stepChain, stepSwitch:
		if !ps.MayChain {
			st.Step = stepMain
		}
	default:
		if !ps.MaySettings {
			st.Step = stepMain
		}
	}
	year, err := m.year(t, st.Province)
	if err != nil {
		return err
	}
	name := flows.Esc(ps.Province.Name.In(t.P.Lang()))
	code := st.Province
	back := []flows.Button{btn(t.T("button.back"), verbBack, "", 0, "")}
	switch st.Step {
	case stepChain:
		text := t.T("settings.chain", map[string]any{"Province": name, "Chain": t.T("settings.chain." + ps.Chain)})
		if ps.Chain == flows.ChainConfirm && ps.Waiting > 0 {
			text += "\n\n" + t.T("settings.chain.waiting", map[string]any{"N": ps.Waiting})
		}
		other := flows.ChainConfirm
		if ps.Chain == flows.ChainConfirm {
			other = flows.ChainAccept
		}
		t.Screen(text, []flows.Button{btn(t.T("button.settings.switch", map[string]any{"Chain": t.T("settings.chain." + other)}), verbSwitch, code, 0, other)}, back)
	case stepSwitch:
		t.Screen(t.T("settings.switch.ask", map[string]any{"N": ps.Waiting, "Chain": t.T("settings.chain." + flows.ChainAccept)}),
			[]flows.Button{btn(t.T("button.settings.switch.confirm", map[string]any{"N": ps.Waiting}), verbConfirm, code, int64(ps.Waiting), "")}, back)
	case stepSeason:
		lines := []string{t.T("settings.season", map[string]any{"Province": name})}
		var set, clear []flows.Button
		for _, y := range []int{year, year + 1} {
			s, ok := seasonOf(ps, y)
			lines = append(lines, t.T("settings.season.line", map[string]any{"Year": y, "Season": m.seasonText(t, s, ok, y)}))
			set = append(set, btn(t.T("button.settings.dates", map[string]any{"Year": y}), verbDates, code, 0, strconv.Itoa(y)))
			if ok {
				clear = append(clear, btn(t.T("button.settings.clear", map[string]any{"Year": y}), verbClear, code, 0, strconv.Itoa(y)))
			}
		}
		rows := [][]flows.Button{set}
		if len(clear) > 0 {
			rows = append(rows, clear)
		}
		t.Screen(strings.Join(lines, "\n"), append(rows, back)...)
	case stepDates:
		t.Screen(t.T("settings.dates.ask", map[string]any{"Year": st.Year, "Before": st.Year - 1}), back)
		t.TakesText()
	case stepReasons:
		t.Screen(m.reasonsText(t, ps, name), m.reasonsButtons(t, ps, code, back)...)
	case stepAdd:
		t.Screen(t.T("settings.reason.ask", map[string]any{"Min": flows.MinProvinceReason, "Max": flows.MaxProvinceReason}), back)
		t.TakesText()
	default:
		st.Step = stepMain
		s, ok := seasonOf(ps, year)
		reasons := t.T("settings.reasons.default", map[string]any{"N": len(review.Reasons)})
		if len(ps.Reasons) > 0 {
			reasons = t.T("settings.reasons.own", map[string]any{"N": len(ps.Reasons)})
		}
		chain := t.T("settings.chain." + ps.Chain)
		if ps.Chain == flows.ChainAccept {
			chain = t.T("settings.default", map[string]any{"What": chain})
		}
		text := t.T("settings.main", map[string]any{"Province": name, "Chain": chain, "Year": year,
			"Season": m.seasonText(t, s, ok, year), "Reasons": reasons})
		var rows [][]flows.Button
		if ps.MayChain {
			rows = append(rows, []flows.Button{btn(t.T("button.settings.chain"), verbChain, code, 0, "")})
		}
		if ps.MaySettings {
			rows = append(rows, []flows.Button{btn(t.T("button.settings.season"), verbSeason, code, 0, ""), btn(t.T("button.settings.reasons"), verbReasons, code, 0, "")})
		}
		last := []flows.Button{btn(t.T("button.invitations.leave"), verbLeave, "", 0, "")}
		if st.Many {
			last = append([]flows.Button{btn(t.T("button.settings.provinces"), verbList, "", 0, "")}, last...)
		}
		t.Screen(text, append(rows, last)...)
	}
	return nil
}

// seasonOf returns the season a province set for a year.
func seasonOf(ps flows.ProvinceSettings, year int) (flows.Season, bool) {
	for _, s := range ps.Seasons {
		if s.Year == year {
			return s, true
		}
	}
	return flows.Season{}, false
}

// seasonText says a year's season: its days, or the calendar year.
func (m *Module) seasonText(t *flows.Turn, s flows.Season, ok bool, year int) string {
	if !ok {
		s = flows.Season{Year: year, Opens: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), Closes: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
	}
	text := t.T("settings.season.days", map[string]any{"Opens": day(t, s.Opens), "Closes": day(t, s.Closes)})
	if !ok {
		text = t.T("settings.season.calendar", map[string]any{"Days": text})
	}
	return text
}

// day writes a season's day, kept as midnight UTC, as the person reads
// dates.
func day(t *flows.Turn, d time.Time) string {
	return t.P.Date(time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, time.UTC))
}

// reasonsText lists a province's reasons, or the default ones that apply.
func (m *Module) reasonsText(t *flows.Turn, ps flows.ProvinceSettings, name string) string {
	var b strings.Builder
	if len(ps.Reasons) == 0 {
		b.WriteString(t.T("settings.reasons.none", map[string]any{"Province": name}))
		for i, id := range review.Reasons {
			fmt.Fprintf(&b, "\n%d. %s", i+1, t.T(id))
		}
		b.WriteString("\n\n" + t.T("settings.reasons.first"))
		return b.String()
	}
	b.WriteString(t.T("settings.reasons", map[string]any{"Province": name, "N": len(ps.Reasons), "Max": flows.MaxProvinceReasons}))
	for i, r := range ps.Reasons {
		fmt.Fprintf(&b, "\n%d. %s", i+1, flows.Esc(review.ReasonText(t, r.Text)))
	}
	return b.String()
}

// reasonsButtons are the reasons screen's: add, start from the default
// list, and remove each one, by its number on the list.
func (m *Module) reasonsButtons(t *flows.Turn, ps flows.ProvinceSettings, code string, back []flows.Button) [][]flows.Button {
	var rows [][]flows.Button
	if len(ps.Reasons) < flows.MaxProvinceReasons {
		rows = append(rows, []flows.Button{btn(t.T("button.settings.reason.add"), verbAdd, code, 0, "")})
	}
	if len(ps.Reasons) == 0 {
		rows = append(rows, []flows.Button{btn(t.T("button.settings.reason.defaults"), verbDefaults, code, 0, "")})
	}
	for i, r := range ps.Reasons {
		b := btn(t.T("button.settings.reason.remove", map[string]any{"N": i + 1}), verbRemove, code, r.ID, "")
		if i%5 == 0 {
			rows = append(rows, []flows.Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	return append(rows, back)
}

// showProvinces lists the person's provinces, a page at a time, or those
// a typed part of a name finds among them.
func (m *Module) showProvinces(t *flows.Turn, st *state) error {
	provinces, err := m.store.SettingsProvinces(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load the provinces of settings: %w", err)
	}
	if len(provinces) == 0 { // their roles ended meanwhile
		t.Say(t.T("settings.none"))
		return t.GoHome()
	}
	lang := t.P.Lang()
	leave := []flows.Button{btn(t.T("button.invitations.leave"), verbLeave, "", 0, "")}
	if st.Query != "" {
		found := make([]flows.FoundArea, len(provinces))
		for i, p := range provinces {
			found[i] = flows.FoundArea{Area: p}
		}
		found = area.Rank(st.Query, found, pageSize)
		if len(found) > 0 {
			var rows [][]flows.Button
			for _, f := range found {
				rows = append(rows, []flows.Button{btn(f.Name.In(lang), verbProvince, f.Code, 0, "")})
			}
			rows = append(rows, []flows.Button{btn(t.T("button.back"), verbList, "", 0, "")})
			t.Screen(t.T("enrol.search.found", map[string]any{"Query": flows.Esc(st.Query)}), rows...)
			return nil
		}
		t.Warn(t.T("enrol.search.none", map[string]any{"Query": flows.Esc(st.Query)}))
		st.Query = ""
	}
	pages := max(1, (len(provinces)+pageSize-1)/pageSize)
	st.Page = min(st.Page, pages-1)
	var rows [][]flows.Button
	for i, p := range provinces[st.Page*pageSize : min(len(provinces), (st.Page+1)*pageSize)] {
		b := btn(p.Name.In(lang), verbProvince, p.Code, 0, "")
		if i%2 == 0 {
			rows = append(rows, []flows.Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	if nav := t.PageButtons(st.Page, pages, func(page int) flows.Token {
		return flows.Token{Module: Name, Verb: verbPage, Value: strconv.Itoa(page)}
	}); len(nav) > 0 {
		rows = append(rows, nav)
	}
	text := t.T("settings.ask.province")
	if pages > 1 {
		text += "\n" + t.T("enrol.area.page", map[string]any{"N": st.Page + 1, "Of": pages}) + "\n" + t.T("enrol.area.search")
	}
	t.Screen(text, append(rows, leave)...)
	t.TakesText()
	return nil
}

// search takes part of a province's name.
func (m *Module) search(t *flows.Turn, st *state) error {
	query := t.Typed()
	switch {
	case utf8.RuneCountInString(query) > maxQuery:
		t.Warn(t.T("enrol.search.long", map[string]any{"Max": maxQuery}))
	case !strings.ContainsFunc(query, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
		t.Warn(t.T("enrol.search.empty"))
	default:
		st.Query, st.Page = query, 0
	}
	return m.Show(t)
}

// lost answers a change the store refused as not the person's (their role
// ended meanwhile): a pressed button is stale; a typed text is told so.
// Either way the screen shown next is where they are now.
func (m *Module) lost(t *flows.Turn) error {
	if t.In.Kind == flows.InputButton {
		return t.Stale()
	}
	t.Warn(t.T("settings.changed"))
	return m.Show(t)
}

// switchChain changes the province's chain.
func (m *Module) switchChain(t *flows.Turn, st *state, chain string) error {
	n, err := m.store.SetChain(t.Ctx, st.Province, chain, t.Env.Person, t.Now())
	if errors.Is(err, flows.ErrNotFound) {
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("set chain: %w", err)
	}
	t.Warn(t.T("settings.chain.done", map[string]any{"Chain": t.T("settings.chain." + chain)}))
	if n > 0 {
		t.Warn(t.T("settings.chain.recognised", map[string]any{"N": n}))
	}
	st.Step = stepMain
	return m.Show(t)
}

// dateRE finds the days typed: day/month/year (with /, - or .) or
// year-month-day.
var dateRE = regexp.MustCompile(`\b(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{1,2})-(\d{1,2}))\b`)

// parseDays reads the days in a text; ok is false when one is not a day
// of the calendar.
func parseDays(text string) (days []time.Time, ok bool) {
	for _, m := range dateRE.FindAllStringSubmatch(text, -1) {
		d, mo, y := m[1], m[2], m[3]
		if m[4] != "" {
			y, mo, d = m[4], m[5], m[6]
		}
		year, _ := strconv.Atoi(y)
		month, _ := strconv.Atoi(mo)
		dd, _ := strconv.Atoi(d)
		t := time.Date(year, time.Month(month), dd, 0, 0, 0, 0, time.UTC)
		if t.Year() != year || int(t.Month()) != month || t.Day() != dd || year < 2000 || year > 2100 {
			return nil, false
		}
		days = append(days, t)
	}
	return days, true
}

// dates takes the days of the season asked.
func (m *Module) dates(t *flows.Turn, st *state) error {
	days, ok := parseDays(t.In.Text)
	if utf8.RuneCountInString(t.In.Text) > maxDates || !ok || len(days) != 2 {
		t.Warn(t.T("settings.dates.bad", map[string]any{"Year": st.Year, "Before": st.Year - 1}))
		return m.Show(t)
	}
	s := flows.Season{Year: st.Year, Opens: days[0], Closes: days[1]}
	if s.Closes.Before(s.Opens) {
		t.Warn(t.T("settings.dates.order"))
		return m.Show(t)
	}
	if !flows.SeasonFits(s) {
		t.Warn(t.T("settings.dates.fit", map[string]any{"Year": st.Year}))
		return m.Show(t)
	}
	ps, err := m.store.ProvinceSettings(t.Ctx, t.Env.Person, st.Province)
	if errors.Is(err, flows.ErrNotFound) {
		return m.lost(t)
	}
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	for _, o := range ps.Seasons {
		if o.Year != s.Year && o.Overlaps(s) {
			t.Warn(t.T("settings.dates.overlap", map[string]any{"Year": o.Year, "Opens": day(t, o.Opens), "Closes": day(t, o.Closes)}))
			return m.Show(t)
		}
	}
	switch err := m.store.SetSeason(t.Ctx, st.Province, s, t.Env.Person); {
	case errors.Is(err, flows.ErrNotFound):
		return m.lost(t)
	case errors.Is(err, flows.ErrOverlap):
		t.Warn(t.T("settings.changed"))
		return m.Show(t)
	case err != nil:
		return fmt.Errorf("set season: %w", err)
	}
	t.Warn(t.T("settings.dates.done", map[string]any{"Year": s.Year, "Season": m.seasonText(t, s, true, s.Year)}))
	st.Step, st.Year = stepSeason, 0
	return m.Show(t)
}

// add takes a reason typed for the province's list.
func (m *Module) add(t *flows.Turn, st *state) error {
	text := t.Typed()
	if n := utf8.RuneCountInString(text); n < flows.MinProvinceReason || n > flows.MaxProvinceReason ||
		!strings.ContainsFunc(text, unicode.IsLetter) {
		t.Warn(t.T("settings.reason.length", map[string]any{"Min": flows.MinProvinceReason, "Max": flows.MaxProvinceReason}))
		return m.Show(t)
	}
	// A default reason typed out, in either language, is that default
	// reason: each person then reads it in their own language, and the
	// list does not hold it twice.
	for _, id := range review.Reasons {
		for _, lang := range []string{"vi", "en"} {
			if strings.EqualFold(strings.Join(strings.Fields(text), " "), locales.For(lang).T(id)) {
				text = id
			}
		}
	}
	return m.addReasons(t, st, []string{text})
}

// addReasons adds reasons to the province's list and shows it.
func (m *Module) addReasons(t *flows.Turn, st *state, texts []string) error {
	n, err := m.store.AddReasons(t.Ctx, st.Province, texts, t.Env.Person)
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return m.lost(t)
	case errors.Is(err, flows.ErrLimit):
		t.Warn(t.T("settings.reason.full", map[string]any{"Max": flows.MaxProvinceReasons}))
	case err != nil:
		return fmt.Errorf("add reasons: %w", err)
	case n == 0:
		t.Warn(t.T("settings.reason.exists"))
	default:
		t.Warn(t.T("settings.reason.added", map[string]any{"N": n}))
	}
	st.Step = stepReasons
	return m.Show(t)
}

var _ flows.Module = (*Module)(nil)
