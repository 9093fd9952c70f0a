package assess

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"hoctap/flows"
	"hoctap/scoring"
)

// question is one step of the walk: an indicator a person answers, or a
// condition. Reviewer-scored and derived indicators are not asked.
type question struct {
	code string
	ind  *scoring.Indicator // nil for a condition
	cond *scoring.Condition
}

// takesPhotos reports whether a question has an evidence rule: its photo
// step can be opened, and a photo sent with it on screen attaches to it.
func (q question) takesPhotos() bool {
	return q.ind != nil && q.ind.EvidenceRule() != scoring.EvidenceNone
}

// labels returns the question's own yes and no labels, if any.
func (q question) labels() scoring.Labels {
	if q.cond != nil {
		return q.cond.Labels
	}
	return q.ind.Labels
}

// short returns the question's few words for the review.
func (q question) short(lang string) string {
	if q.cond != nil {
		return scoring.ShortText(q.cond.Short, q.cond.Text, lang)
	}
	return scoring.ShortText(q.ind.Short, q.ind.Text, lang)
}

// questions lists what a person is asked, in order: the indicators, then the
// conditions.
func questions(s *scoring.Set) []question {
	var qs []question
	for _, ind := range s.Indicators() {
		if ind.Kind != scoring.AnswerReviewer && ind.Kind != scoring.AnswerDerived {
			qs = append(qs, question{code: ind.Code, ind: ind})
		}
	}
	for i := range s.Conditions {
		qs = append(qs, question{code: s.Conditions[i].Code, cond: &s.Conditions[i]})
	}
	return qs
}

// everything lists every indicator, in the questionnaire's order, then the
// conditions: what a review shows, asked or not.
func everything(s *scoring.Set) []question {
	var qs []question
	for _, ind := range s.Indicators() {
		qs = append(qs, question{code: ind.Code, ind: ind})
	}
	for i := range s.Conditions {
		qs = append(qs, question{code: s.Conditions[i].Code, cond: &s.Conditions[i]})
	}
	return qs
}

// asked lists the questions that apply given the answers so far: one
// whose relevant rule does not hold is not asked, and scores by the set's
// not-applicable policy.
func asked(s *scoring.Set, answers scoring.Answers) []question {
	all := questions(s)
	qs := all[:0:0]
	for _, q := range all {
		if s.Applies(q.code, answers) {
			qs = append(qs, q)
		}
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
// (the summary) when there is none.
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

// showWalk shows the assessment where its cursor is.
func (w *turn) showWalk(a flows.Assessment, set *scoring.Set) error {
	if a.Submitted != nil {
		if err := w.done(); err != nil {
			return err
		}
		return w.t.Show()
	}
	if set.Status == scoring.StatusWithdrawn && !w.st.Stay {
		w.st.Step = stepMove
		return w.showMove()
	}
	qs := asked(set, a.Answers)
	code, evidence := strings.CutPrefix(a.Cursor, evidenceCursor)
	i := index(qs, code)
	switch {
	case a.Cursor == "" || i < 0:
		return w.showSummary(a, set)
	case evidence:
		return w.showEvidence(a, set, qs[i])
	}
	return w.showQuestion(a, set, qs, i)
}

func (w *turn) header(set *scoring.Set, n, of int) string {
	return "<b>" + flows.Esc(w.t.P.SetTitle(set)) + "</b> · " + w.t.T("walk.progress", map[string]any{"N": n, "Of": of})
}

func (w *turn) showQuestion(a flows.Assessment, set *scoring.Set, qs []question, i int) error {
	t := w.t
	q := qs[i]
	lang := t.P.Lang()
	btn := func(label, verb, value string) flows.Button {
		return flows.NewButton(label, token(verb, a, q.code, value))
	}
	var b strings.Builder
	b.WriteString(w.header(set, i+1, len(qs)) + "\n\n")
	var rows [][]flows.Button
	guidance := false
	if q.cond != nil {
		b.WriteString("<b>" + flows.Esc(q.code) + "</b> " + flows.Esc(q.cond.Text.In(lang)) + "\n<i>" + t.T("walk.condition") + "</i>")
		yes, no := w.yesNo(q)
		rows = append(rows, []flows.Button{btn(yes, verbAnswer, "y"), btn(no, verbAnswer, "n")})
		guidance = !q.cond.Guidance.IsZero()
	} else {
		ind := q.ind
		b.WriteString("<b>" + flows.Esc(q.code) + "</b> " + flows.Esc(ind.Text.In(lang)) + "\n<i>" + flows.Esc(t.P.Points(ind.MaxPoints)) + "</i>")
		switch ind.Kind {
		case scoring.AnswerYesNo:
			yes, no := w.yesNo(q)
			rows = append(rows, []flows.Button{btn(yes, verbAnswer, "y"), btn(no, verbAnswer, "n")})
		case scoring.AnswerChoice:
			for _, o := range ind.Options {
				rows = append(rows, []flows.Button{btn(o.Text.In(lang)+" · "+t.P.Points(o.Points), verbAnswer, o.Code)})
			}
		case scoring.AnswerNumber:
			b.WriteString("\n\n" + t.T("walk.type_number", map[string]any{"Unit": flows.Esc(ind.Unit.In(lang)), "Range": w.rangeText(ind.ValueRange())}))
		case scoring.AnswerRatio:
			b.WriteString("\n\n" + t.T("walk.type_ratio") + w.bandsText(ind.Bands))
		}
		if set.OffersNA(q.code) {
			rows = append(rows, []flows.Button{btn(t.T("answer.na"), verbAnswer, "na")})
		}
		guidance = !ind.Guidance.IsZero()
	}
	if ans, ok := a.Answers[q.code]; ok {
		b.WriteString("\n\n" + t.T("walk.current", map[string]any{"Answer": flows.Esc(w.answerText(q, ans))}))
	}
	var nav []flows.Button
	if guidance {
		nav = append(nav, btn(t.T("button.info"), verbInfo, ""))
	}
	if i > 0 {
		nav = append(nav, flows.NewButton(t.T("button.back"), token(verbBack, a, "", "")))
	}
	nav = append(nav, flows.NewButton(t.T("button.later"), token(verbLater, a, "", "")))
	rows = append(rows, nav)
	if len(a.Answers) > 0 {
		rows = append(rows, []flows.Button{flows.NewButton(t.T("button.summary"), token(verbSummary, a, "", ""))})
	}
	t.Screen(b.String(), rows...)
	if q.ind != nil && (q.ind.Kind == scoring.AnswerNumber || q.ind.Kind == scoring.AnswerRatio) {
		t.TakesText()
	}
	return nil
}

// yesNo returns the labels of a yes/no question's answers: its own, or Có
// and Không.
func (w *turn) yesNo(q question) (yes, no string) {
	labels := q.labels()
	if labels.IsZero() {
		return w.t.T("answer.yes"), w.t.T("answer.no")
	}
	lang := w.t.P.Lang()
	return labels.Yes.In(lang), labels.No.In(lang)
}

func (w *turn) rangeText(r scoring.Range) string {
	p := w.t.P
	if r.Max == nil {
		return p.T("range.from", map[string]any{"Min": p.Number(r.Min)})
	}
	return p.T("range.between", map[string]any{"Min": p.Number(r.Min), "Max": p.Number(*r.Max)})
}

// answerText writes an answer as a person reads it.
func (w *turn) answerText(q question, a scoring.Answer) string {
	t := w.t
	switch a.Type {
	case scoring.AnswerNA:
		return t.T("answer.na")
	case scoring.AnswerBool:
		yes, no := w.yesNo(q)
		if a.Bool {
			return yes
		}
		return no
	case scoring.AnswerOption:
		if q.ind != nil {
			if o, ok := q.ind.Option(a.Option); ok {
				return o.Text.In(t.P.Lang())
			}
		}
		return a.Option
	case scoring.AnswerValue:
		if q.ind != nil && q.ind.Kind == scoring.AnswerRatio {
			return t.P.Number(a.Value) + " %"
		}
		return t.P.Number(a.Value)
	}
	return ""
}

// bandsText lists which percentages earn which points, one band a line;
// the last band of a ratio reaches 100 %.
func (w *turn) bandsText(bands []scoring.Band) string {
	t := w.t
	var b strings.Builder
	for i, band := range bands {
		data := map[string]any{"Min": t.P.Number(band.Min), "Points": t.P.Points(band.Points)}
		if band.Max == nil || i == len(bands)-1 {
			b.WriteString("\n• " + t.T("walk.band.from", data))
		} else {
			data["Max"] = t.P.Number(*band.Max)
			b.WriteString("\n• " + t.T("walk.band.range", data))
		}
	}
	return b.String()
}

// showEvidence shows a question's photo step: how many photos to send and
// how many arrived. Done is offered only once enough have arrived; until
// then Later moves on, and the review leads back here.
func (w *turn) showEvidence(a flows.Assessment, set *scoring.Set, q question) error {
	t := w.t
	ind := q.ind
	got := a.Photos[q.code]
	var b strings.Builder
	b.WriteString("<b>" + flows.Esc(t.P.SetTitle(set)) + "</b>\n\n")
	required := ind.EvidenceRule() == scoring.EvidenceRequired
	if required {
		b.WriteString(t.T("walk.evidence.required", map[string]any{"Code": flows.Esc(q.code), "Count": ind.Evidence.MinPhotos}) + "\n")
	} else {
		b.WriteString(t.T("walk.evidence.optional", map[string]any{"Code": flows.Esc(q.code)}) + "\n")
	}
	b.WriteString("<i>" + flows.Esc(ind.Evidence.Hint.In(t.P.Lang())) + "</i>\n\n")
	b.WriteString(t.T("walk.evidence.received", map[string]any{"Count": got}))
	var row []flows.Button
	switch {
	case required && got < ind.Evidence.MinPhotos:
		b.WriteString(" " + t.T("walk.evidence.more", map[string]any{"Count": ind.Evidence.MinPhotos - got}))
		row = []flows.Button{flows.NewButton(t.T("button.later"), token(verbLater, a, "", ""))}
	case !required && got == 0:
		row = []flows.Button{flows.NewButton(t.T("button.no_photo"), token(verbSkip, a, "", ""))}
	default:
		row = []flows.Button{flows.NewButton(t.T("button.done"), token(verbDone, a, "", ""))}
	}
	t.Screen(b.String(), row, []flows.Button{flows.NewButton(t.T("button.back"), token(verbBack, a, "", ""))})
	return nil
}

// walkButton handles the buttons of the walk and the summary.
func (w *turn) walkButton(tok flows.Token, a flows.Assessment, set *scoring.Set) error {
	t := w.t
	qs := asked(set, a.Answers)
	if tok.Verb == verbInfo { // reading guidance changes nothing: any revision will do
		i := index(qs, tok.Code)
		if i < 0 {
			return t.Stale()
		}
		t.Notice("")
		t.Say(w.guidance(qs[i]))
		return nil
	}
	if tok.Rev != a.Rev {
		return t.Stale() // an old screen: say so, and show where the assessment is now
	}
	code, evidence := strings.CutPrefix(a.Cursor, evidenceCursor)
	i := index(qs, code)
	switch tok.Verb {
	case verbAnswer:
		if evidence || i < 0 || tok.Code != code {
			break
		}
		return w.answer(a, set, qs, i, tokenAnswer(tok.Value))
	case verbBack:
		switch {
		case evidence:
			return w.move(a, set, code)
		case i > 0:
			return w.move(a, set, qs[i-1].code)
		case a.Cursor == "":
			return w.move(a, set, qs[len(qs)-1].code)
		}
	case verbLater:
		if i >= 0 {
			return w.move(a, set, nextOpen(qs, a.Answers, i))
		}
	case verbDone, verbSkip:
		if !evidence || i < 0 {
			break
		}
		ind := qs[i].ind
		if ind.EvidenceRule() == scoring.EvidenceRequired && a.Photos[code] < ind.Evidence.MinPhotos {
			t.Notice(t.T("walk.evidence.more", map[string]any{"Count": ind.Evidence.MinPhotos - a.Photos[code]}))
			return nil
		}
		return w.move(a, set, nextOpen(qs, a.Answers, i))
	case verbSummary:
		return w.move(a, set, "")
	case verbEdit:
		j := index(qs, tok.Code)
		switch {
		case a.Cursor != "" || j < 0:
		case tok.Value == editPhotos && qs[j].takesPhotos():
			return w.move(a, set, evidenceCursor+tok.Code)
		case tok.Value == "":
			return w.move(a, set, tok.Code)
		}
	case verbSubmit:
		if a.Cursor == "" {
			return w.confirmSubmit(a, set)
		}
	case verbConfirm:
		if a.Cursor == "" {
			return w.submit(a, set)
		}
	}
	return t.Stale()
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

func (w *turn) guidance(q question) string {
	t := w.t
	lang := t.P.Lang()
	var b strings.Builder
	b.WriteString("ℹ️ <b>" + flows.Esc(q.code) + "</b> ")
	if q.cond != nil {
		b.WriteString(flows.Esc(q.cond.Guidance.In(lang)))
		return b.String()
	}
	b.WriteString(flows.Esc(q.ind.Guidance.In(lang)))
	if q.ind.EvidenceRule() != scoring.EvidenceNone {
		b.WriteString("\n\n" + t.T("walk.evidence.hint", map[string]any{"Hint": flows.Esc(q.ind.Evidence.Hint.In(lang))}))
	}
	return b.String()
}

// move changes the cursor and shows where it points.
func (w *turn) move(a flows.Assessment, set *scoring.Set, cursor string) error {
	return w.apply(a, set, flows.Change{Cursor: cursor})
}

// apply saves a change to the assessment and shows the new place; a change
// that lost a race or was applied before shows the assessment as it is.
func (w *turn) apply(a flows.Assessment, set *scoring.Set, c flows.Change) error {
	t := w.t
	c.AssessmentID, c.Rev, c.PersonID, c.Key = a.ID, a.Rev, t.Env.Person, t.In.Key
	rev, err := w.m.cfg.Store.Apply(t.Ctx, c)
	switch {
	case errors.Is(err, flows.ErrConflict), errors.Is(err, flows.ErrDone):
		t.Notice(t.T("stale"))
		fresh, set, err := w.reload()
		if err != nil {
			return err
		}
		return w.showWalk(fresh, set)
	case err != nil:
		return fmt.Errorf("save answer: %w", err)
	}
	a.Rev, a.Cursor = rev, c.Cursor
	if c.Answer != nil {
		a.Answers = copyAnswers(a.Answers)
		a.Answers[c.Code] = *c.Answer
	}
	remember(w.st, a)
	if t.In.Kind == flows.InputButton && t.Quiet() {
		t.Notice("")
	}
	return w.showWalk(a, set)
}

// answer saves the answer to question i and goes on: to its evidence when
// the answer earns points and the indicator asks for photos, else to the
// next open question.
func (w *turn) answer(a flows.Assessment, set *scoring.Set, qs []question, i int, ans scoring.Answer) error {
	q := qs[i]
	if err := set.Check(q.code, ans); err != nil {
		return w.badAnswer(a, set, q, err)
	}
	answers := copyAnswers(a.Answers)
	answers[q.code] = ans
	qs = asked(set, answers) // the answer may make later questions apply, or not
	next := nextOpen(qs, answers, index(qs, q.code))
	if q.ind != nil && q.ind.EvidenceRule() != scoring.EvidenceNone && earns(q.ind, ans) {
		next = evidenceCursor + q.code
	}
	return w.apply(a, set, flows.Change{Cursor: next, Code: q.code, Answer: &ans})
}

// earns reports whether an answer earns an indicator any points.
func earns(ind *scoring.Indicator, ans scoring.Answer) bool {
	return ans.Type != scoring.AnswerNA && ind.Points(ans) > 0
}

// badAnswer says why an answer does not fit and asks again.
func (w *turn) badAnswer(a flows.Assessment, set *scoring.Set, q question, err error) error {
	t := w.t
	switch {
	case errors.Is(err, scoring.ErrOutOfRange) && q.ind != nil:
		t.Warn(t.T("walk.out_of_range", map[string]any{"Range": w.rangeText(q.ind.ValueRange())}))
	case errors.Is(err, scoring.ErrNANotAllowed):
		t.Warn(t.T("walk.na_not_allowed"))
	default:
		t.Warn(t.T("input.use_buttons"))
	}
	return w.showWalk(a, set)
}

// walkInput handles what a person typed or sent during the walk.
func (w *turn) walkInput(a flows.Assessment, set *scoring.Set) error {
	t := w.t
	qs := asked(set, a.Answers)
	code, evidence := strings.CutPrefix(a.Cursor, evidenceCursor)
	i := index(qs, code)
	switch {
	case t.In.Kind == flows.InputPhoto && i >= 0 && qs[i].takesPhotos():
		return w.photo(a, set, qs[i], evidence)
	case t.In.Kind == flows.InputPhoto:
		t.Warn(t.T("input.no_photo_here"))
	case t.In.Kind == flows.InputUnsupported:
		t.Warn(t.T("input.unsupported"))
	case evidence:
		t.Warn(t.T("walk.evidence.send_photo"))
	case i >= 0 && t.In.Kind == flows.InputText && qs[i].ind != nil &&
		(qs[i].ind.Kind == scoring.AnswerNumber || qs[i].ind.Kind == scoring.AnswerRatio):
		ratio := qs[i].ind.Kind == scoring.AnswerRatio
		v, err := ParseNumber(t.In.Text, t.P.Lang())
		switch {
		case err != nil && ratio:
			t.Warn(t.T("walk.not_a_ratio"))
		case err != nil:
			t.Warn(t.T("walk.not_a_number"))
		case ratio && v > 0 && v < 1 && !strings.Contains(t.In.Text, "%"):
			t.Warn(t.T("walk.ratio_fraction")) // 0.85 meant as 85 %, most likely: asked, not taken
		case !ratio && v != math.Trunc(v):
			t.Warn(t.T("walk.whole_number"))
		default:
			return w.answer(a, set, qs, i, scoring.Value(v))
		}
	default:
		t.Warn(t.T("input.use_buttons"))
	}
	return w.showWalk(a, set)
}
