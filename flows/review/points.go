package review

import (
	"fmt"
	"math"
	"strconv"

	"hoctap/flows"
	"hoctap/flows/assess"
	"hoctap/scoring"
)

// stepPoints asks the reviewer's points for an indicator the reviewer
// scores (state Code), before an acceptance.
const stepPoints = "points"

// verbPoints: Code, the indicator; Value, the points picked.
const verbPoints = "pt"

// unscored returns the first indicator of a set that the reviewer scores
// and has not scored yet on the answers; nil when there is none.
func unscored(set *scoring.Set, answers scoring.Answers) *scoring.Indicator {
	for _, ind := range set.Indicators() {
		if _, ok := answers[ind.Code]; ind.Kind == scoring.AnswerReviewer && !ok {
			return ind
		}
	}
	return nil
}

// showPoints asks the points of the indicator in state, with a button for
// each whole number of points up to its maximum when there are few.
func (r *turn) showPoints() error {
	t := r.t
	u, set, ok, err := r.load()
	if !ok {
		return err
	}
	ind, ok := set.Indicator(r.st.Code)
	if !ok {
		return fmt.Errorf("no indicator %s in %s", r.st.Code, set.Ref())
	}
	var rows [][]flows.Button
	if ind.MaxPoints <= 10 {
		for p := 0; p <= int(ind.MaxPoints); p++ {
			b := r.btn(strconv.Itoa(p), verbPoints, r.st.ID, r.st.Rev, ind.Code, strconv.Itoa(p))
			if p%6 == 0 {
				rows = append(rows, []flows.Button{b})
			} else {
				rows[len(rows)-1] = append(rows[len(rows)-1], b)
			}
		}
	}
	rows = append(rows, []flows.Button{r.btn(t.T("button.back"), verbCard, r.st.ID, r.st.Rev, "", "")})
	lang := t.P.Lang()
	t.Screen(t.T("review.points.ask", map[string]any{"Code": flows.Esc(ind.Code), "Text": flows.Esc(ind.Text.In(lang)),
		"Guidance": flows.Esc(ind.Guidance.In(lang)), "Max": t.P.Number(ind.MaxPoints), "Name": flows.Esc(u.SubjectName)}), rows...)
	t.TakesText()
	return nil
}

// points records the reviewer's points for the indicator in state, then
// asks the next one, or shows the card with the score they make.
func (r *turn) points(value float64) error {
	t := r.t
	u, set, ok, err := r.load()
	if !ok {
		return err
	}
	ind, ok := set.Indicator(r.st.Code)
	if !ok || ind.Kind != scoring.AnswerReviewer {
		return t.Stale()
	}
	if err := ind.Check(scoring.Value(value)); err != nil {
		t.Warn(t.T("review.points.range", map[string]any{"Max": t.P.Number(ind.MaxPoints)}))
		return r.show()
	}
	err = r.m.store.ScoreByReviewer(t.Ctx, flows.ReviewerPoints{AssessmentID: u.ID, Rev: r.st.Rev, Reviewer: t.Env.Person, Code: ind.Code, Points: value})
	if handled, err := r.lost(err); handled {
		return err
	}
	if err != nil {
		return fmt.Errorf("record points: %w", err)
	}
	u.Answers[ind.Code] = scoring.Value(value)
	if next := unscored(set, u.Answers); next != nil {
		r.st.Code = next.Code
		return r.show()
	}
	r.st.Step, r.st.Code = stepOpen, ""
	return r.show()
}

// typedPoints takes points typed at the points step.
func (r *turn) typedPoints() error {
	t := r.t
	v, err := assess.ParseNumber(t.Typed(), t.P.Lang())
	if err != nil || math.IsNaN(v) {
		t.Warn(t.T("review.points.number"))
		return r.show()
	}
	return r.points(v)
}
