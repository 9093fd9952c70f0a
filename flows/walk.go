package flows

import (
	"errors"
	"fmt"
	"strings"

	"hoctap/scoring"
)

// question is one step of the walk: an indicator a person answers, or a
// condition. Reviewer-scored indicators are not asked.
type question struct {
	code string
	ind  *scoring.Indicator // nil for a condition
	cond *scoring.Condition
}

// questions lists what a person is asked, in order: the indicators, then the
// conditions.
func questions(s *scoring.Set) []question {
	var qs []question
	for _, ind := range s.Indicators() {
		if ind.Kind != scoring.AnswerReviewer {
			qs = append(qs, question{code: ind.Code, ind: ind})
		}
	}
	for i := range s.Conditions {
		qs = append(qs, question{code: s.Conditions[i].Code, cond: &s.Conditions[i]})
	}
	return qs
}

// index returns the position of a question, or -1.
func index(qs []question, code string) int {
	for i, q := range qs {
		if q.code == code {
			return i
		}
	}
	return -1
}

// nextOpen returns the first unanswered question after position i, or ""
// (the review screen) when there is none.
func nextOpen(qs []question, answers scoring.Answers, i int) string {
	for _, q := range qs[i+1:] {
		if _, ok := answers[q.code]; !ok {
			return q.code
		}
	}
	return ""
}

// evidenceCursor marks the cursor of a question's evidence step.
const evidenceCursor = "@"

// assessment returns the conversation's assessment — the state's copy, or
// else read from the Store — and the set it is pinned to.
func (t *turn) assessment() (Assessment, *scoring.Set, error) {
	if c := t.st.Copy; c != nil && c.ID == t.st.Assessment {
		return t.pinned(*c)
	}
	return t.reload()
}

// reload reads the conversation's assessment from the Store.
func (t *turn) reload() (Assessment, *scoring.Set, error) {
	a, err := t.e.Store.Assessment(t.ctx, t.st.Assessment)
	if err != nil {
		return a, nil, fmt.Errorf("load assessment: %w", err)
	}
	t.remember(a)
	return t.pinned(a)
}

// remember keeps a copy of an assessment in progress in the state.
func (t *turn) remember(a Assessment) {
	if a.Submitted != nil || a.ID != t.st.Assessment {
		t.st.Copy = nil
		return
	}
	a.Answers = copyAnswers(a.Answers)
	photos := make(map[string]int, len(a.Photos))
	for k, v := range a.Photos {
		photos[k] = v
	}
	a.Photos = photos
	t.st.Copy = &a
}

// pinned returns the assessment with the set it is pinned to.
func (t *turn) pinned(a Assessment) (Assessment, *scoring.Set, error) {
	set, ok := t.e.Sets.Get(a.SetID, a.SetVersion)
	if !ok {
		return a, nil, fmt.Errorf("assessment %d is pinned to %s@%d, which is not loaded", a.ID, a.SetID, a.SetVersion)
	}
	return a, set, nil
}

// showWalk shows the assessment where its cursor is.
func (t *turn) showWalk(a Assessment, set *scoring.Set) error {
	if a.Submitted != nil {
		t.st.Step, t.st.Assessment, t.st.Copy = stepMenu, 0, nil
		return t.show()
	}
	if set.Status == scoring.StatusWithdrawn && !t.st.Stay {
		t.st.Step = stepMove
		return t.showMove()
	}
	qs := questions(set)
	code, evidence := strings.CutPrefix(a.Cursor, evidenceCursor)
	i := index(qs, code)
	switch {
	case a.Cursor == "" || i < 0:
		return t.showReview(a, set)
	case evidence:
		return t.showEvidence(a, set, qs[i])
	}
	return t.showQuestion(a, set, qs, i)
}

func (t *turn) header(set *scoring.Set, n, of int) string {
	return "<b>" + esc(t.p.SetTitle(set)) + "</b> · " + t.t("walk.progress", map[string]any{"N": n, "Of": of})
}

func (t *turn) showQuestion(a Assessment, set *scoring.Set, qs []question, i int) error {
	q := qs[i]
	lang := t.p.Lang()
	tok := func(verb, code, value string) Token { return Token{Verb: verb, Rev: a.Rev, Code: code, Value: value} }
	var b strings.Builder
	b.WriteString(t.header(set, i+1, len(qs)) + "\n\n")
	var rows [][]Button
	guidance := false
	if q.cond != nil {
		b.WriteString("<b>" + esc(q.code) + "</b> " + esc(q.cond.Text.In(lang)) + "\n<i>" + t.t("walk.condition") + "</i>")
		rows = append(rows, []Button{button(t.t("answer.yes"), tok(verbAnswer, q.code, "y")), button(t.t("answer.no"), tok(verbAnswer, q.code, "n"))})
		guidance = !q.cond.Guidance.IsZero()
	} else {
		ind := q.ind
		b.WriteString("<b>" + esc(q.code) + "</b> " + esc(ind.Text.In(lang)) + "\n<i>" + esc(t.p.Points(ind.MaxPoints)) + "</i>")
		switch ind.Kind {
		case scoring.AnswerYesNo:
			rows = append(rows, []Button{button(t.t("answer.yes"), tok(verbAnswer, q.code, "y")), button(t.t("answer.no"), tok(verbAnswer, q.code, "n"))})
		case scoring.AnswerChoice:
			for _, o := range ind.Options {
				rows = append(rows, []Button{button(o.Text.In(lang)+" · "+t.p.Points(o.Points), tok(verbAnswer, q.code, o.Code))})
			}
		case scoring.AnswerNumber:
			r := ind.ValueRange()
			unit := ind.Unit.In(lang)
			b.WriteString("\n\n" + t.t("walk.type_number", map[string]any{"Unit": esc(unit), "Range": t.rangeText(r)}))
		case scoring.AnswerRatio:
			b.WriteString("\n\n" + t.t("walk.type_ratio"))
		}
		if ind.NotApplicable {
			rows = append(rows, []Button{button(t.t("answer.na"), tok(verbAnswer, q.code, "na"))})
		}
		guidance = !ind.Guidance.IsZero()
	}
	if ans, ok := a.Answers[q.code]; ok {
		b.WriteString("\n\n" + t.t("walk.current", map[string]any{"Answer": esc(t.answerText(q, ans))}))
	}
	var nav []Button
	if guidance {
		nav = append(nav, button(t.t("button.info"), tok(verbInfo, q.code, "")))
	}
	if i > 0 {
		nav = append(nav, button(t.t("button.back"), tok(verbBack, "", "")))
	}
	nav = append(nav, button(t.t("button.later"), tok(verbLater, "", "")))
	rows = append(rows, nav)
	if len(a.Answers) > 0 {
		rows = append(rows, []Button{button(t.t("button.review"), tok(verbReview, "", ""))})
	}
	t.screen(b.String(), rows...)
	return nil
}

func (t *turn) rangeText(r scoring.Range) string {
	if r.Max == nil {
		return t.t("range.from", map[string]any{"Min": t.p.Number(r.Min)})
	}
	return t.t("range.between", map[string]any{"Min": t.p.Number(r.Min), "Max": t.p.Number(*r.Max)})
}

// answerText writes an answer as a person reads it.
func (t *turn) answerText(q question, a scoring.Answer) string {
	switch a.Type {
	case scoring.AnswerNA:
		return t.t("answer.na")
	case scoring.AnswerBool:
		if a.Bool {
			return t.t("answer.yes")
		}
		return t.t("answer.no")
	case scoring.AnswerOption:
		if q.ind != nil {
			if o, ok := q.ind.Option(a.Option); ok {
				return o.Text.In(t.p.Lang())
			}
		}
		return a.Option
	case scoring.AnswerValue:
		if q.ind != nil && q.ind.Kind == scoring.AnswerRatio {
			return t.p.Number(a.Value) + " %"
		}
		return t.p.Number(a.Value)
	}
	return ""
}

func (t *turn) showEvidence(a Assessment, set *scoring.Set, q question) error {
	ind := q.ind
	tok := func(verb string) Token { return Token{Verb: verb, Rev: a.Rev} }
	var b strings.Builder
	b.WriteString("<b>" + esc(t.p.SetTitle(set)) + "</b>\n\n")
	if ind.EvidenceRule() == scoring.EvidenceRequired {
		b.WriteString(t.t("walk.evidence.required", map[string]any{"Code": esc(q.code), "Count": ind.Evidence.MinPhotos}) + "\n")
	} else {
		b.WriteString(t.t("walk.evidence.optional", map[string]any{"Code": esc(q.code)}) + "\n")
	}
	b.WriteString("<i>" + esc(ind.Evidence.Hint.In(t.p.Lang())) + "</i>\n\n")
	b.WriteString(t.t("walk.evidence.received", map[string]any{"Count": a.Photos[q.code]}))
	row := []Button{button(t.t("button.done"), tok(verbDone))}
	if ind.EvidenceRule() == scoring.EvidenceOptional && a.Photos[q.code] == 0 {
		row = []Button{button(t.t("button.no_photo"), tok(verbSkip))}
	}
	t.screen(b.String(), row, []Button{button(t.t("button.back"), tok(verbBack))})
	return nil
}

// walkButton handles the buttons of the walk and the review screen.
func (t *turn) walkButton(tok Token, a Assessment, set *scoring.Set) error {
	qs := questions(set)
	if tok.Verb == verbInfo {
		i := index(qs, tok.Code)
		if i < 0 {
			t.notice(t.t("stale"))
			return nil
		}
		t.notice("")
		t.say(t.guidance(qs[i]))
		return nil
	}
	if a.Submitted != nil {
		t.notice(t.t("stale"))
		return nil
	}
	if tok.Rev != a.Rev {
		// An old screen: say so, and show where the assessment is now.
		t.notice(t.t("stale"))
		return t.showWalk(a, set)
	}
	code, evidence := strings.CutPrefix(a.Cursor, evidenceCursor)
	i := index(qs, code)
	switch tok.Verb {
	case verbAnswer:
		if evidence || i < 0 || tok.Code != code {
			break
		}
		return t.answer(a, set, qs, i, tokenAnswer(tok.Value))
	case verbBack:
		switch {
		case evidence:
			return t.move(a, set, code)
		case i > 0:
			return t.move(a, set, qs[i-1].code)
		case a.Cursor == "":
			return t.move(a, set, qs[len(qs)-1].code)
		}
	case verbLater:
		if !evidence && i >= 0 {
			return t.move(a, set, nextOpen(qs, a.Answers, i))
		}
	case verbDone, verbSkip:
		if !evidence || i < 0 {
			break
		}
		ind := qs[i].ind
		if ind.EvidenceRule() == scoring.EvidenceRequired && a.Photos[code] < ind.Evidence.MinPhotos {
			t.notice(t.t("walk.evidence.more", map[string]any{"Count": ind.Evidence.MinPhotos - a.Photos[code]}))
			return nil
		}
		return t.move(a, set, nextOpen(qs, a.Answers, i))
	case verbReview:
		return t.move(a, set, "")
	case verbEdit:
		if a.Cursor == "" && index(qs, tok.Code) >= 0 {
			return t.move(a, set, tok.Code)
		}
	case verbSubmit:
		if a.Cursor == "" {
			return t.submit(a, set)
		}
	}
	t.notice(t.t("stale"))
	return nil
}

func tokenAnswer(v string) scoring.Answer {
	switch v {
	case "y":
		return scoring.Yes()
	case "n":
		return scoring.No()
	case "na":
		return scoring.NotApplicable()
	}
	return scoring.Choose(v)
}

func (t *turn) guidance(q question) string {
	lang := t.p.Lang()
	var b strings.Builder
	b.WriteString("ℹ️ <b>" + esc(q.code) + "</b> ")
	if q.cond != nil {
		b.WriteString(esc(q.cond.Guidance.In(lang)))
		return b.String()
	}
	b.WriteString(esc(q.ind.Guidance.In(lang)))
	if q.ind.EvidenceRule() != scoring.EvidenceNone {
		b.WriteString("\n\n" + t.t("walk.evidence.hint", map[string]any{"Hint": esc(q.ind.Evidence.Hint.In(lang))}))
	}
	return b.String()
}

// move changes the cursor and shows where it points.
func (t *turn) move(a Assessment, set *scoring.Set, cursor string) error {
	return t.apply(a, set, Change{Cursor: cursor})
}

// apply saves a change to the assessment and shows the new place; a change
// that lost a race or was applied before shows the assessment as it is.
func (t *turn) apply(a Assessment, set *scoring.Set, c Change) error {
	c.AssessmentID, c.Rev, c.PersonID, c.Key = a.ID, a.Rev, t.st.Person, t.in.Key
	rev, err := t.e.Store.Apply(t.ctx, c)
	switch {
	case errors.Is(err, ErrConflict), errors.Is(err, ErrDone):
		t.notice(t.t("stale"))
		fresh, set, err := t.reload()
		if err != nil {
			return err
		}
		return t.showWalk(fresh, set)
	case err != nil:
		return fmt.Errorf("save answer: %w", err)
	}
	a.Rev, a.Cursor = rev, c.Cursor
	if c.Answer != nil {
		a.Answers = copyAnswers(a.Answers)
		a.Answers[c.Code] = *c.Answer
	}
	t.remember(a)
	if t.in.Kind == InputButton && len(t.out) == 0 {
		t.notice("")
	}
	return t.showWalk(a, set)
}

func copyAnswers(in scoring.Answers) scoring.Answers {
	out := make(scoring.Answers, len(in)+1)
	for k, v := range in {
		out[k] = v
	}
	return out
}

// answer saves the answer to question i and goes on: to its evidence when
// the answer earns points and the indicator asks for photos, else to the
// next open question.
func (t *turn) answer(a Assessment, set *scoring.Set, qs []question, i int, ans scoring.Answer) error {
	q := qs[i]
	if err := set.Check(q.code, ans); err != nil {
		return t.badAnswer(a, set, q, err)
	}
	answers := copyAnswers(a.Answers)
	answers[q.code] = ans
	next := nextOpen(qs, answers, i)
	if q.ind != nil && q.ind.EvidenceRule() != scoring.EvidenceNone && earns(q.ind, ans) {
		next = evidenceCursor + q.code
	}
	return t.apply(a, set, Change{Cursor: next, Code: q.code, Answer: &ans})
}

// earns reports whether an answer earns an indicator any points.
func earns(ind *scoring.Indicator, ans scoring.Answer) bool {
	return ans.Type != scoring.AnswerNA && ind.Points(ans) > 0
}

// badAnswer says why an answer does not fit and asks again.
func (t *turn) badAnswer(a Assessment, set *scoring.Set, q question, err error) error {
	switch {
	case errors.Is(err, scoring.ErrOutOfRange) && q.ind != nil:
		t.warn(t.t("walk.out_of_range", map[string]any{"Range": t.rangeText(q.ind.ValueRange())}))
	case errors.Is(err, scoring.ErrNANotAllowed):
		t.warn(t.t("walk.na_not_allowed"))
	default:
		t.warn(t.t("input.use_buttons"))
	}
	return t.showWalk(a, set)
}

// walkInput handles what a person typed or sent during the walk.
func (t *turn) walkInput(a Assessment, set *scoring.Set) error {
	qs := questions(set)
	code, evidence := strings.CutPrefix(a.Cursor, evidenceCursor)
	i := index(qs, code)
	switch {
	case t.in.Kind == InputPhoto && evidence && i >= 0:
		return t.photo(a, set, qs[i])
	case t.in.Kind == InputPhoto:
		t.warn(t.t("input.no_photo_here"))
	case t.in.Kind == InputUnsupported:
		t.warn(t.t("input.unsupported"))
	case evidence:
		t.warn(t.t("walk.evidence.send_photo"))
	case i >= 0 && t.in.Kind == InputText && qs[i].ind != nil &&
		(qs[i].ind.Kind == scoring.AnswerNumber || qs[i].ind.Kind == scoring.AnswerRatio):
		v, err := ParseNumber(t.in.Text, t.p.Lang())
		if err != nil {
			t.warn(t.t("walk.not_a_number"))
			break
		}
		return t.answer(a, set, qs, i, scoring.Value(v))
	default:
		t.warn(t.t("input.use_buttons"))
	}
	return t.showWalk(a, set)
}
