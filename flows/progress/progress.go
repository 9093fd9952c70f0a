// Package progress is /progress: where an area stands against the
// programme's targets, for a leader or an admin over it. The screen gives,
// for each title, the entities, those registered, submitted and
// recognised, the share recognised against the targets of 2025 and 2030
// and the change since the month began; buttons go down to the child
// areas (paged) and back up, switch the year, list the child areas that
// have not reported, list the indicators most often missed, and send the
// figures as a chart or a workbook. The store checks every area against the
// person's roles, whatever a button carries.
package progress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hoctap/flows"
	"hoctap/report"
	"hoctap/role"
	"hoctap/scoring"
)

// Name is the module's name in envelopes and tokens.
const Name = "pg"

// Limits of a screen.
const (
	perPage  = 8  // child areas a page offers
	maxQuery = 60 // a typed area name
	maxQuiet = 40 // child areas the list of those not reported names
)

// The years a leader may switch between: the programme's.
const (
	FirstYear = 2021
	LastYear  = 2030
)

// Store is what the figures need.
type Store interface {
	AreasFor(ctx context.Context, personID int64, a role.Action) ([]flows.Area, error)
	SearchAreas(ctx context.Context, under, deepest, query string, limit int) ([]flows.FoundArea, error)
	// Progress returns an area's figures of a year and its child areas';
	// flows.ErrNotFound when the person may not see them.
	Progress(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Progress, error)
	// Misses returns an area's most often missed indicators of a year;
	// flows.ErrNotFound when the person may not see its figures.
	Misses(ctx context.Context, personID int64, code string, year int) (flows.Misses, error)
	// Workbook returns what an area's workbook of a year holds;
	// flows.ErrNotFound when the person may not see its figures.
	Workbook(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Workbook, error)
	// SetDigest switches the person's weekly digest of an area on or off;
	// flows.ErrNotFound when they may not see its figures.
	SetDigest(ctx context.Context, personID int64, code string, on bool, at time.Time) error
	// DigestArea returns the area of a person's digest and whether it is
	// on; code is "" when they have no such digest.
	DigestArea(ctx context.Context, personID, id int64) (code string, on bool, err error)
	// Nudge tells the reviewers of an area's child areas that have not
	// reported to follow them up, once a day; flows.ErrNotFound when the
	// person may not see the area's figures.
	Nudge(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Nudged, error)
	// NudgeOf returns what a nudge asked a reviewer to follow up;
	// flows.ErrNotFound when it is nothing of theirs.
	NudgeOf(ctx context.Context, personID, id int64) (flows.Nudge, error)
}

// Module is the conversation.
type Module struct {
	store Store
	sets  *scoring.Catalog // the indicators' texts
}

// New makes the module.
func New(s Store, sets *scoring.Catalog) *Module { return &Module{store: s, sets: sets} }

const (
	viewFigures = ""      // the area's figures
	viewPick    = "pick"  // which of several areas
	viewQuiet   = "quiet" // the child areas that have not reported
	viewMisses  = "miss"  // the indicators most often missed
)

const (
	verbArea   = "a" // Code: the area to show
	verbYear   = "y" // Value: the year
	verbPage   = "p" // Value: the page of child areas
	verbQuiet  = "q" // the child areas not reported
	verbChart  = "c" // the figures as a chart
	verbMiss   = "m" // the indicators most often missed
	verbSheet  = "s" // the figures as a workbook
	verbDigest = "d" // Value: "1" switches the weekly digest on, "0" off
	verbNudge  = "n" // remind the reviewers of the child areas not reported
	verbBack   = "bk"
	verbLeave  = "x"
)

type state struct {
	View  string   `json:"v,omitempty"`
	Area  string   `json:"a,omitempty"`
	Year  int      `json:"y"`
	Page  int      `json:"p,omitempty"`
	Found []string `json:"f,omitempty"` // viewPick: the areas to pick from
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }
func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}
func (*Module) Resume(*flows.Turn) (any, bool, error) { return nil, false, nil }

// Enter takes the area to show (a string); "" picks among the person's.
func (*Module) Enter(t *flows.Turn, arg any) (any, error) {
	code, _ := arg.(string)
	return &state{Area: code, Year: t.Now().In(flows.Vietnam).Year()}, nil
}

func (*Module) Command(t *flows.Turn, name string) (bool, error) { return flows.LeaveCommand(t, name) }

// Open is /progress [area], at any step: the figures of the person's area,
// of the one named by its code, or of one whose name the text finds among
// theirs; with several areas and none named, they pick.
func (m *Module) Open(t *flows.Turn) error {
	_, err := m.open(t)
	return err
}

// Export is /export [area]: the workbook of the person's area, or of the
// one named as /progress finds it, sent with the figures' screen; with
// several areas and none named, they pick one, then press 📥 Excel.
func (m *Module) Export(t *flows.Turn) error {
	st, err := m.open(t)
	if err != nil || st == nil || st.View != viewFigures {
		return err
	}
	return m.send(t, st, verbSheet)
}

// open opens the figures as /progress does and returns the module's
// state; nil when the person may see no figures.
func (m *Module) open(t *flows.Turn) (*state, error) {
	tops, err := m.store.AreasFor(t.Ctx, t.Env.Person, role.Progress)
	if err != nil {
		return nil, fmt.Errorf("load the areas of progress: %w", err)
	}
	if len(tops) == 0 {
		t.Say(t.T("progress.none"))
		return nil, nil
	}
	if err := t.Switch(Name, ""); err != nil {
		return nil, err
	}
	st := t.State().(*state)
	query := t.Typed()
	switch {
	case query != "":
		if err := m.find(t, st, tops, query); err != nil {
			return nil, err
		}
	case len(tops) == 1:
		st.Area = tops[0].Code
	default:
		st.View = viewPick
		for _, a := range tops {
			st.Found = append(st.Found, a.Code)
		}
	}
	return st, t.Show()
}

// find shows the area a query names by its code, or the one its name finds
// among the person's areas; several found are picked from.
func (m *Module) find(t *flows.Turn, st *state, tops []flows.Area, query string) error {
	if utf8.RuneCountInString(query) > maxQuery {
		t.Warn(t.T("progress.find.none", map[string]any{"Query": flows.Esc(string([]rune(query)[:maxQuery]))}))
		st.Area = tops[0].Code
		return nil
	}
	if _, err := m.store.Progress(t.Ctx, t.Env.Person, query, st.Year, t.Now()); err == nil {
		st.Area = query
		return nil
	} else if !errors.Is(err, flows.ErrNotFound) {
		return err
	}
	seen := map[string]bool{}
	for _, top := range tops {
		found, err := m.store.SearchAreas(t.Ctx, top.Code, "village", query, perPage)
		if err != nil {
			return fmt.Errorf("find areas: %w", err)
		}
		if area := top.Name.VI; strings.EqualFold(area, query) {
			found = append([]flows.FoundArea{{Area: top}}, found...)
		}
		for _, f := range found {
			if !seen[f.Code] && len(st.Found) < perPage {
				seen[f.Code] = true
				st.Found = append(st.Found, f.Code)
			}
		}
	}
	switch len(st.Found) {
	case 0:
		t.Warn(t.T("progress.find.none", map[string]any{"Query": flows.Esc(query)}))
		st.Area = tops[0].Code
	case 1:
		st.Area, st.Found = st.Found[0], nil
	default:
		st.View = viewPick
	}
	return nil
}

func (m *Module) Handle(t *flows.Turn) error {
	st := t.State().(*state)
	switch {
	case t.In.Kind == flows.InputButton:
		return m.button(t, st, t.Token)
	case !t.In.Kind.FromPerson():
		return nil
	}
	t.WarnButtonsOnly()
	return m.Show(t)
}

func (m *Module) button(t *flows.Turn, st *state, tok flows.Token) error {
	switch tok.Verb {
	case verbLeave:
		return t.GoHome()
	case verbArea:
		*st = state{Area: tok.Code, Year: st.Year}
	case verbYear:
		year, err := strconv.Atoi(tok.Value)
		if err != nil || year < FirstYear || year > LastYear {
			return t.Stale()
		}
		st.Year, st.Page = year, 0
	case verbPage:
		page, err := strconv.Atoi(tok.Value)
		if err != nil || page < 0 {
			return t.Stale()
		}
		st.Page = page
	case verbQuiet:
		st.View = viewQuiet
	case verbMiss:
		st.View = viewMisses
	case verbChart, verbSheet:
		return m.send(t, st, tok.Verb)
	case verbNudge:
		return m.nudge(t, st)
	case verbDigest:
		if tok.Value != "0" && tok.Value != "1" {
			return t.Stale()
		}
		on := tok.Value == "1"
		err := m.store.SetDigest(t.Ctx, t.Env.Person, st.Area, on, t.Now())
		if denied, err := m.denied(t, err); denied || err != nil {
			return err
		}
		if on {
			t.Notice(t.T("progress.digest.on"))
		} else {
			t.Notice(t.T("progress.digest.off"))
		}
	case verbBack:
		st.View = viewFigures
	default:
		return t.Stale()
	}
	return m.Show(t)
}

// Show shows the figures, the areas to pick from, or those not reported.
func (m *Module) Show(t *flows.Turn) error {
	st := t.State().(*state)
	switch st.View {
	case viewPick:
		return m.showPick(t, st)
	case viewMisses:
		return m.showMisses(t, st)
	}
	p, ok, err := m.figures(t, st)
	if !ok || err != nil {
		return err
	}
	if st.View == viewQuiet {
		return m.showQuiet(t, st, p)
	}
	return m.showFigures(t, st, p)
}

// figures loads the figures of the state's area and year; when the
// person may not see them (a role ended, or a button from another's
// screen) it says so and goes home, and ok is false.
func (m *Module) figures(t *flows.Turn, st *state) (p flows.Progress, ok bool, err error) {
	p, err = m.store.Progress(t.Ctx, t.Env.Person, st.Area, st.Year, t.Now())
	denied, err := m.denied(t, err)
	return p, !denied && err == nil, err
}

// denied tells the person, when err says they may not see the area's
// figures, and takes them home.
func (m *Module) denied(t *flows.Turn, err error) (bool, error) {
	if errors.Is(err, flows.ErrNotFound) {
		t.Say(t.T("progress.denied"))
		return true, t.GoHome()
	}
	return false, err
}

func (m *Module) showPick(t *flows.Turn, st *state) error {
	var rows [][]flows.Button
	for _, code := range st.Found {
		p, err := m.store.Progress(t.Ctx, t.Env.Person, code, st.Year, t.Now())
		if errors.Is(err, flows.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		rows = append(rows, []flows.Button{btn(p.Area.Name.In(t.P.Lang()), verbArea, code, "")})
	}
	rows = append(rows, []flows.Button{btn(t.T("button.progress.leave"), verbLeave, "", "")})
	t.Screen(t.T("progress.pick"), rows...)
	return nil
}

// showFigures is the area's figures, title by title, with the child areas
// to go down to, the way up, the years and the list of those not reported.
func (m *Module) showFigures(t *flows.Turn, st *state, p flows.Progress) error {
	lang := t.P.Lang()
	lines := m.body(t, p, "progress.header")
	var rows [][]flows.Button
	pages := (len(p.Children) + perPage - 1) / perPage
	page := min(st.Page, max(pages-1, 0))
	if len(p.Children) > 0 {
		lines = append(lines, "", t.T("progress.children", map[string]any{"Count": len(p.Children)}))
		if pages > 1 {
			lines = append(lines, t.T("progress.page", map[string]any{"N": page + 1, "Of": pages}))
		}
		var row []flows.Button
		for _, c := range p.Children[page*perPage : min((page+1)*perPage, len(p.Children))] {
			row = append(row, btn(t.T("button.progress.child", map[string]any{"Area": c.Area.Name.In(lang),
				"Share": percent(t, c.Titles[0].Share())}), verbArea, c.Area.Code, ""))
			if len(row) == 2 {
				rows, row = append(rows, row), nil
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
		if nav := t.PageButtons(page, pages, func(n int) flows.Token {
			return flows.Token{Module: Name, Verb: verbPage, Value: strconv.Itoa(n)}
		}); len(nav) > 0 {
			rows = append(rows, nav)
		}
	}
	var years []flows.Button
	if p.Year > FirstYear {
		years = append(years, btn(t.T("button.progress.year.before", map[string]any{"Year": p.Year - 1}), verbYear, "", strconv.Itoa(p.Year-1)))
	}
	if p.Year < LastYear {
		years = append(years, btn(t.T("button.progress.year.after", map[string]any{"Year": p.Year + 1}), verbYear, "", strconv.Itoa(p.Year+1)))
	}
	rows = append(rows, years)
	rows = append(rows, []flows.Button{btn(t.T("button.progress.chart"), verbChart, "", ""), btn(t.T("button.progress.sheet"), verbSheet, "", "")},
		[]flows.Button{btn(t.T("button.progress.misses"), verbMiss, "", "")})
	quiet := notReported(p)
	if len(quiet) > 0 {
		rows = append(rows, []flows.Button{btn(t.T("button.progress.quiet", map[string]any{"Count": len(quiet)}), verbQuiet, "", "")})
	}
	if p.Digest {
		rows = append(rows, []flows.Button{btn(t.T("button.progress.digest.off"), verbDigest, "", "0")})
	} else {
		rows = append(rows, []flows.Button{btn(t.T("button.progress.digest.on"), verbDigest, "", "1")})
	}
	last := []flows.Button{btn(t.T("button.progress.leave"), verbLeave, "", "")}
	if up := p.Up; up != nil {
		last = append([]flows.Button{btn(t.T("button.progress.up", map[string]any{"Area": up.Name.In(lang)}), verbArea, up.Code, "")}, last...)
	}
	rows = append(rows, last)
	t.Screen(strings.Join(lines, "\n"), rows...)
	return nil
}

// body is the figures' lines under a header: each title's, and which
// titles' entities come from the registry.
func (m *Module) body(t *flows.Turn, p flows.Progress, header string) []string {
	lines := []string{t.T(header, map[string]any{"Area": flows.Esc(p.Area.Name.In(t.P.Lang())), "Year": p.Year})}
	var registry []string
	for _, f := range p.Titles {
		if f.Entities == 0 && !f.Reported() {
			lines = append(lines, "", t.T("progress.title.none", map[string]any{"Kind": t.T("kind." + string(f.Kind))}))
			continue
		}
		lines = append(lines, "", m.title(t, f))
		if !f.Official {
			registry = append(registry, t.T("kind."+string(f.Kind)))
		}
	}
	if len(registry) > 0 {
		lines = append(lines, "", t.T("progress.registry", map[string]any{"Titles": strings.Join(registry, ", ")}))
	}
	return lines
}

// title is one title's lines: recognised of the entities and the share,
// the targets, and the counts on the way.
func (m *Module) title(t *flows.Turn, f flows.Figures) string {
	recognised := f.Counts[flows.StateRecognised]
	line := t.T("progress.title", map[string]any{"Kind": t.T("kind." + string(f.Kind)), "Recognised": count(t, recognised),
		"Entities": count(t, f.Entities), "Share": percent(t, f.Share())})
	var goals []string
	for _, g := range f.Goals {
		key := "progress.goal"
		if !g.Confirmed {
			key = "progress.goal.unconfirmed"
		}
		goals = append(goals, t.T(key, map[string]any{"Year": g.Year, "Share": t.P.Number(g.Share)}))
	}
	if len(goals) > 0 {
		line += "\n" + t.T("progress.goals", map[string]any{"Goals": strings.Join(goals, " · ")})
	}
	line += "\n" + t.T("progress.counts", map[string]any{"Registered": count(t, f.Counts[flows.StateRegistered]),
		"Sent": count(t, f.Submitted()), "Waiting": count(t, f.Counts[flows.StateSubmitted])})
	if f.MonthStart >= 0 {
		line += t.T("progress.month", map[string]any{"Change": signed(t, recognised-f.MonthStart)})
	}
	return line
}

// send sends the figures on the screen as a chart (a photo) or as a
// workbook, and leaves the screen as it is.
func (m *Module) send(t *flows.Turn, st *state, verb string) error {
	var p flows.Progress
	var wb flows.Workbook
	var err error
	if verb == verbChart {
		p, err = m.store.Progress(t.Ctx, t.Env.Person, st.Area, st.Year, t.Now())
	} else {
		wb, err = m.store.Workbook(t.Ctx, t.Env.Person, st.Area, st.Year, t.Now())
		p = wb.Progress
	}
	if denied, err := m.denied(t, err); denied || err != nil {
		return err
	}
	caption := t.T("progress.file", map[string]any{"Area": flows.Esc(p.Area.Name.In(t.P.Lang())), "Year": p.Year})
	name := fmt.Sprintf("tien-do-%s-%d", p.Area.Code, p.Year)
	if verb == verbChart {
		png, err := report.Chart(p, t.P)
		if err != nil {
			return err
		}
		t.Picture(name+".png", png, caption)
		t.Notice(t.T("progress.chart.sent"))
		return nil
	}
	var book bytes.Buffer
	if err := report.WriteXLSX(&book, wb, m.sets, t.P); err != nil {
		return err
	}
	t.Document(name+".xlsx", book.Bytes(), caption)
	if t.In.Kind == flows.InputButton { // /export has no press to answer
		t.Notice(t.T("progress.sheet.sent"))
	}
	return nil
}

// showQuiet lists the child areas with nothing registered or submitted
// for the year, so that the leader follows them up.
func (m *Module) showQuiet(t *flows.Turn, st *state, p flows.Progress) error {
	quiet := notReported(p)
	lang := t.P.Lang()
	var text string
	if len(quiet) == 0 {
		text = t.T("progress.quiet.none", map[string]any{"Area": flows.Esc(p.Area.Name.In(lang)), "Year": p.Year})
	} else {
		text = t.T("progress.quiet", map[string]any{"Area": flows.Esc(p.Area.Name.In(lang)), "Year": p.Year, "Count": len(quiet)}) +
			"\n" + m.list(t, quiet)
	}
	rows := [][]flows.Button{{btn(t.T("button.back"), verbBack, "", "")}}
	if len(quiet) > 0 {
		rows = append([][]flows.Button{{btn(t.T("button.progress.nudge"), verbNudge, "", "")}}, rows...)
	}
	t.Screen(text, rows...)
	return nil
}

// showMisses lists the area's indicators most often missed in the year,
// title by title, as the nightly count found them.
func (m *Module) showMisses(t *flows.Turn, st *state) error {
	misses, err := m.store.Misses(t.Ctx, t.Env.Person, st.Area, st.Year)
	if denied, err := m.denied(t, err); denied || err != nil {
		return err
	}
	lang := t.P.Lang()
	lines := []string{t.T("progress.misses", map[string]any{"Area": flows.Esc(misses.Area.Name.In(lang)), "Year": st.Year})}
	switch {
	case misses.Built.IsZero():
		lines = append(lines, "", t.T("progress.misses.never"))
	case len(misses.List) == 0:
		lines = append(lines, "", t.T("progress.misses.none"))
	default:
		var kind scoring.Kind
		for _, x := range misses.List {
			if x.Kind != kind {
				kind = x.Kind
				lines = append(lines, "", "<b>"+t.T("kind."+string(kind))+"</b>")
			}
			lines = append(lines, t.T("progress.miss", map[string]any{"Code": flows.Esc(x.Code), "Text": flows.Esc(m.sets.IndicatorText(x.SetID, x.Code, lang)),
				"Share": percent(t, x.Share()), "Missed": count(t, x.Missed), "Assessed": count(t, x.Assessed)}))
		}
		lines = append(lines, "", t.T("progress.misses.rule"))
	}
	if !misses.Built.IsZero() {
		lines = append(lines, t.T("progress.misses.built", map[string]any{"At": t.P.Time(misses.Built)}))
	}
	t.Screen(strings.Join(lines, "\n"), []flows.Button{btn(t.T("button.back"), verbBack, "", "")})
	return nil
}

// notReported returns the child areas with nothing registered or
// submitted for the year.
func notReported(p flows.Progress) []flows.Area {
	var out []flows.Area
	for _, c := range p.Children {
		if !c.Reported() {
			out = append(out, c.Area)
		}
	}
	return out
}

func btn(label, verb, code, value string) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, Code: code, Value: value})
}

// count writes a whole number with the language's thousands separator.
func count(t *flows.Turn, n int) string { return t.P.Count(n) }

// signed writes a change with its sign: +3, −2, 0.
func signed(t *flows.Turn, n int) string {
	switch {
	case n > 0:
		return "+" + t.P.Count(n)
	case n < 0:
		return "−" + t.P.Count(-n)
	}
	return "0"
}

// percent writes a share to one decimal.
func percent(t *flows.Turn, share float64) string { return t.P.Number(math.Round(share*10) / 10) }
