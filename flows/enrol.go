package flows

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"hoctap/scoring"
)

// levelFor is the area level a subject of a kind is placed at: a household,
// village or person in a village; a clan (which may span villages) or a
// unit in a commune.
func levelFor(k scoring.Kind) string {
	if k == scoring.KindClan || k == scoring.KindUnit {
		return "commune"
	}
	return "village"
}

// showMenu offers the titles that have a criteria set.
func (t *turn) showMenu() error {
	var rows [][]Button
	for _, k := range scoring.Kinds {
		if !t.hasSet(k) {
			continue
		}
		rows = append(rows, []Button{button(t.t("kind."+string(k)), Token{Verb: verbKind, Code: string(k)})})
	}
	t.screen(t.t("menu.ask"), rows...)
	return nil
}

func (t *turn) hasSet(k scoring.Kind) bool {
	for _, s := range t.e.Sets.Sets() {
		if s.Kind == k && s.Status != scoring.StatusWithdrawn {
			return true
		}
	}
	return false
}

// enrolButton handles the title and area buttons.
func (t *turn) enrolButton(tok Token) error {
	switch {
	case tok.Verb == verbKind && t.st.Step == stepMenu && t.hasSet(scoring.Kind(tok.Code)):
		t.st.Kind, t.st.Name, t.st.Area = scoring.Kind(tok.Code), "", ""
		t.st.Step = stepName
		return t.show()
	case tok.Verb == verbArea && t.st.Step == stepArea:
		return t.chooseArea(tok.Code, tok.Value == "up")
	}
	t.notice(t.t("stale"))
	return nil
}

// typedName takes the subject's name.
func (t *turn) typedName() error {
	if t.in.Kind != InputText {
		t.warn(t.t("enrol.name.wrong_kind"))
		return t.show()
	}
	name := strings.Join(strings.Fields(t.in.Text), " ")
	switch {
	case utf8.RuneCountInString(name) < 2:
		t.warn(t.t("enrol.name.short"))
		return t.show()
	case utf8.RuneCountInString(name) > MaxText:
		t.warn(t.t("enrol.name.long", map[string]any{"Max": MaxText}))
		return t.show()
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		t.warn(t.t("enrol.name.short"))
		return t.show()
	}
	t.st.Name = name
	t.st.Step, t.st.Area = stepArea, ""
	return t.show()
}

// showAreas offers the children of the area chosen so far.
func (t *turn) showAreas() error {
	areas, err := t.e.Store.Areas(t.ctx, t.st.Area)
	if err != nil {
		return fmt.Errorf("list areas: %w", err)
	}
	var rows [][]Button
	for i, a := range areas {
		b := button(a.Name.In(t.p.Lang()), Token{Verb: verbArea, Code: a.Code})
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	if t.st.Area != "" {
		parent, err := t.e.Store.Area(t.ctx, t.st.Area)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		rows = append(rows, []Button{button(t.t("button.back"), Token{Verb: verbArea, Code: parent.Parent, Value: "up"})})
	}
	level := "province"
	if len(areas) > 0 {
		level = areas[0].Level
	}
	t.screen(t.t("enrol.area."+level, map[string]any{"Name": esc(t.st.Name)}), rows...)
	return nil
}

// chooseArea goes down the area tree, or up to code, and starts the
// assessment once the subject's level is reached.
func (t *turn) chooseArea(code string, up bool) error {
	if up {
		t.st.Area = code
		return t.show()
	}
	area, err := t.e.Store.Area(t.ctx, code)
	if err != nil || area.Parent != t.st.Area {
		t.notice(t.t("stale"))
		return nil
	}
	children, err := t.e.Store.Areas(t.ctx, code)
	if err != nil {
		return fmt.Errorf("list areas: %w", err)
	}
	if area.Level != levelFor(t.st.Kind) && len(children) > 0 {
		t.st.Area = code
		return t.show()
	}
	return t.start(area)
}

// province returns the top-level ancestor of an area.
func (t *turn) province(a Area) (string, error) {
	for a.Parent != "" {
		parent, err := t.e.Store.Area(t.ctx, a.Parent)
		if err != nil {
			return "", fmt.Errorf("load area: %w", err)
		}
		a = parent
	}
	return a.Code, nil
}

// start creates the assessment on the set that applies and asks the first
// question.
func (t *turn) start(area Area) error {
	province, err := t.province(area)
	if err != nil {
		return err
	}
	year := t.e.now().Year()
	set, ok := t.e.Sets.Pick(t.st.Kind, province, year)
	if !ok {
		t.notice(t.t("stale"))
		t.st.Step = stepMenu
		return t.show()
	}
	qs := questions(set)
	a, err := t.e.Store.Start(t.ctx, NewAssessment{
		PersonID: t.st.Person, Kind: t.st.Kind, Name: t.st.Name, AreaCode: area.Code, Region: area.Region,
		SetID: set.ID, SetVersion: set.Version, Year: year, Cursor: qs[0].code, Key: t.in.Key,
	})
	if errors.Is(err, ErrConflict) {
		// The person has an assessment in progress already: most often this
		// one, started by an earlier press whose state was not saved (Redis
		// or the reply went away after the start was stored). Offer it.
		open, err := t.e.Store.OpenAssessment(t.ctx, t.st.Person)
		if err != nil {
			return fmt.Errorf("load open assessment: %w", err)
		}
		t.st.Step, t.st.Assessment, t.st.Kind, t.st.Name, t.st.Area, t.st.Stay = stepResume, open.ID, "", "", "", false
		return t.show()
	}
	if err != nil {
		return fmt.Errorf("start assessment: %w", err)
	}
	t.st.Step, t.st.Assessment, t.st.Kind, t.st.Name, t.st.Area, t.st.Stay = stepWalk, a.ID, "", "", "", false
	t.remember(a)
	t.prefix = t.t("enrol.started", map[string]any{
		"Title": esc(t.p.SetTitle(set)), "Name": esc(a.SubjectName), "Area": esc(area.Name.In(t.p.Lang())),
		"N": len(qs),
	}) + "\n\n"
	return t.showWalk(a, set)
}
