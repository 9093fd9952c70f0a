package scoring

import (
	"errors"
	"fmt"
	"math"
)

// Result is the score of a set of answers against a criteria set.
type Result struct {
	Total      float64
	Max        float64
	PassMark   float64
	Passed     bool // no rule failed and nothing is unanswered
	Criteria   []CriterionScore
	Indicators []IndicatorScore
	Failures   []Failure
	Unanswered []string // indicator and condition codes, in questionnaire order
}

// CriterionScore is the points of one criterion. Under the rescale policy
// they are scaled to the criterion's maximum over its applicable indicators.
type CriterionScore struct {
	Code          string
	Points        float64
	Max           float64
	NotApplicable bool // every indicator was answered "not applicable"
}

// IndicatorScore is the points of one indicator.
type IndicatorScore struct {
	Code          string
	Points        float64
	Max           float64
	Answered      bool
	NotApplicable bool
	Skipped       bool // it did not apply, so it was not asked
}

// Rule names a rule of a set that a result can fail.
type Rule string

// The rules a result can fail.
const (
	RuleTotal     Rule = "total"     // the total is below the pass mark
	RuleCriterion Rule = "criterion" // a criterion is below its minimum
	RuleIndicator Rule = "indicator" // an indicator is below its minimum
	RuleCondition Rule = "condition" // a condition is not met
)

// Failure is one rule a result fails.
type Failure struct {
	Rule Rule
	Code string  // the criterion, indicator or condition; empty for the total
	Got  float64 // the points reached
	Want float64 // the least that passes
}

// String writes the failure in English for programs and logs, e.g.
// "total 72 is below the pass mark 80".
func (f Failure) String() string {
	switch f.Rule {
	case RuleTotal:
		return fmt.Sprintf("total %s is below the pass mark %s", FormatNumber(f.Got), FormatNumber(f.Want))
	case RuleCriterion:
		return fmt.Sprintf("criterion %s: %s is below its minimum %s", f.Code, FormatNumber(f.Got), FormatNumber(f.Want))
	case RuleIndicator:
		return fmt.Sprintf("indicator %s: %s is below its minimum %s", f.Code, FormatNumber(f.Got), FormatNumber(f.Want))
	case RuleCondition:
		return fmt.Sprintf("condition %s is not met", f.Code)
	}
	return string(f.Rule)
}

// Score scores answers against the set for an area class. Answers that do
// not fit their questions make it fail with every *AnswerError joined;
// unanswered questions count as no points and are listed in Unanswered. An
// indicator that does not apply (see Applies) scores as "not applicable",
// whatever answer it may hold from before.
func Score(s *Set, answers Answers, region Region) (Result, error) {
	var errs []error
	for _, code := range sortedKeys(answers) {
		if err := s.Check(code, answers[code]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}

	rescale := s.Rules.NotApplicable == NARescale
	res := Result{Max: s.MaxPoints, PassMark: s.Rules.PassMark.For(region)}
	var points, applicableMax float64
	for _, c := range s.Criteria {
		var cPoints, cApplicableMax float64
		for i := range c.Indicators {
			ind := &c.Indicators[i]
			sc := scoreIndicator(ind, answers, rescale)
			if !s.Applies(ind.Code, answers) {
				sc = scoreIndicator(ind, Answers{ind.Code: NotApplicable()}, rescale)
				sc.Skipped = true
			}
			res.Indicators = append(res.Indicators, sc)
			if !sc.Answered {
				res.Unanswered = append(res.Unanswered, ind.Code)
			}
			if sc.NotApplicable && rescale {
				continue
			}
			cPoints += sc.Points
			cApplicableMax += ind.MaxPoints
			if min := indicatorMin(s, ind); sc.Answered && !sc.NotApplicable && sc.Points < min {
				res.Failures = append(res.Failures, Failure{Rule: RuleIndicator, Code: ind.Code, Got: round(sc.Points), Want: min})
			}
		}
		points += cPoints
		applicableMax += cApplicableMax

		cs := CriterionScore{Code: c.Code, Points: cPoints, Max: c.MaxPoints}
		switch {
		case rescale && cApplicableMax == 0:
			cs.NotApplicable, cs.Points = true, c.MaxPoints
		case rescale:
			cs.Points = cPoints / cApplicableMax * c.MaxPoints
		}
		cs.Points = round(cs.Points)
		res.Criteria = append(res.Criteria, cs)
		if !cs.NotApplicable && cs.Points < c.MinPoints {
			res.Failures = append(res.Failures, Failure{Rule: RuleCriterion, Code: c.Code, Got: cs.Points, Want: c.MinPoints})
		}
	}

	res.Total = points
	if rescale {
		res.Total = s.MaxPoints
		if applicableMax > 0 {
			res.Total = points / applicableMax * s.MaxPoints
		}
	}
	res.Total = round(res.Total)
	if res.Total < res.PassMark {
		res.Failures = append([]Failure{{Rule: RuleTotal, Got: res.Total, Want: res.PassMark}}, res.Failures...)
	}

	for _, cond := range s.Conditions {
		a, ok := answers[cond.Code]
		switch {
		case !ok:
			res.Unanswered = append(res.Unanswered, cond.Code)
		case !a.Bool:
			res.Failures = append(res.Failures, Failure{Rule: RuleCondition, Code: cond.Code})
		}
	}
	res.Passed = len(res.Failures) == 0 && len(res.Unanswered) == 0
	return res, nil
}

// scoreIndicator scores one indicator; answers were checked beforehand.
func scoreIndicator(ind *Indicator, answers Answers, rescale bool) IndicatorScore {
	sc := IndicatorScore{Code: ind.Code, Max: ind.MaxPoints}
	a, ok := answers[ind.Code]
	if !ok {
		return sc
	}
	sc.Answered = true
	switch {
	case a.Type == AnswerNA:
		sc.NotApplicable = true
		if !rescale {
			sc.Points = ind.MaxPoints
		}
	default:
		sc.Points = ind.Points(a)
	}
	return sc
}

// Points returns what an answer other than "not applicable" earns the
// indicator; an answer that does not fit earns nothing.
func (ind *Indicator) Points(a Answer) float64 {
	switch {
	case ind.Kind == AnswerYesNo && a.Type == AnswerBool && a.Bool:
		return ind.MaxPoints
	case ind.Kind == AnswerChoice && a.Type == AnswerOption:
		if opt, ok := ind.Option(a.Option); ok {
			return opt.Points
		}
	case (ind.Kind == AnswerNumber || ind.IsPercent()) && a.Type == AnswerValue:
		return ind.BandPoints(a.Value)
	case ind.Kind == AnswerReviewer && a.Type == AnswerValue:
		return a.Value
	}
	return 0
}

// BandPoints returns the points of the band v falls in: bands include their
// Min and exclude their Max, but for the last, which includes it.
func (ind *Indicator) BandPoints(v float64) float64 {
	for i, b := range ind.Bands {
		last := i == len(ind.Bands)-1
		if v >= b.Min && (b.Max == nil || v < *b.Max || (last && v == *b.Max)) {
			return b.Points
		}
	}
	return 0
}

// indicatorMin returns the least points an applicable indicator must score.
func indicatorMin(s *Set, ind *Indicator) float64 {
	if ind.MinPoints > 0 {
		return ind.MinPoints
	}
	return s.Rules.IndicatorMinPoints
}

// round rounds points to two decimals, so that 79.999… shows and compares as 80.
func round(v float64) float64 { return math.Round(v*100) / 100 }
