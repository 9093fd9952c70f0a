package scoring

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// full answers every question of the sample set with its best answer:
// 100 points, all conditions met.
func full() Answers {
	return Answers{
		"C1": Yes(), "1.1": Yes(), "1.2": Choose("a"),
		"2.1": Value(9), "2.2": Value(85), "2.3": Value(20),
	}
}

// with returns full answers changed by the given ones; a zero Answer removes
// the code.
func with(changes Answers) Answers {
	a := full()
	for code, ans := range changes {
		if ans == (Answer{}) {
			delete(a, code)
			continue
		}
		a[code] = ans
	}
	return a
}

func TestScore(t *testing.T) {
	tests := []struct {
		name       string
		answers    Answers
		region     Region
		rescale    bool
		total      float64
		failures   []string
		unanswered []string
	}{
		{name: "all best", answers: full(), total: 100},
		{name: "no earns nothing", answers: with(Answers{"1.1": No()}), total: 80,
			failures: []string{"indicator 1.1: 0 is below its minimum 2"}},
		{name: "choice earns its option's points", answers: with(Answers{"1.2": Choose("b")}), total: 87.5},
		{name: "number below the first boundary", answers: with(Answers{"2.1": Value(3.9)}), total: 80,
			failures: []string{"indicator 2.1: 0 is below its minimum 2"}},
		{name: "number on a boundary takes the upper band", answers: with(Answers{"2.1": Value(4)}), total: 90},
		{name: "number in the open last band", answers: with(Answers{"2.1": Value(1000)}), total: 100},
		{name: "ratio just under a boundary", answers: with(Answers{"2.2": Value(49.99)}), total: 80,
			failures: []string{"indicator 2.2: 0 is below its minimum 2"}},
		{name: "ratio of 100 is in the last band", answers: with(Answers{"2.2": Value(100)}), total: 100},
		{name: "reviewer's points count as given", answers: with(Answers{"2.3": Value(12.5)}), total: 92.5},
		{name: "not applicable counts full points", answers: with(Answers{"1.1": NotApplicable()}), total: 100},
		{name: "not applicable rescales the total", rescale: true,
			answers: with(Answers{"1.1": NotApplicable(), "1.2": Choose("b")}), total: 84.38,
			failures: []string{"criterion 1: 15 is below its minimum 20"}},
		{name: "total below the pass mark", answers: with(Answers{"2.2": Value(60), "2.3": Value(5)}),
			total: 75, failures: []string{"total 75 is below the pass mark 80"}},
		{name: "hardship pass mark", region: RegionHardship, answers: with(Answers{"2.2": Value(60), "2.3": Value(5)}),
			total: 75},
		{name: "criterion below its minimum", answers: with(Answers{"1.1": No(), "1.2": Choose("b")}), total: 67.5,
			failures: []string{"total 67.5 is below the pass mark 80", "indicator 1.1: 0 is below its minimum 2", "criterion 1: 7.5 is below its minimum 20"}},
		{name: "indicator below the set-wide minimum", answers: with(Answers{"1.2": Choose("c")}), total: 80,
			failures: []string{"indicator 1.2: 0 is below its minimum 2"}},
		{name: "condition not met", answers: with(Answers{"C1": No()}), total: 100,
			failures: []string{"condition C1 is not met"}},
		{name: "unanswered questions fail until answered", answers: with(Answers{"C1": {}, "2.3": {}}), total: 80,
			unanswered: []string{"2.3", "C1"}},
		{name: "nothing answered", answers: Answers{}, total: 0,
			failures:   []string{"total 0 is below the pass mark 80", "criterion 1: 0 is below its minimum 20"},
			unanswered: []string{"1.1", "1.2", "2.1", "2.2", "2.3", "C1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample(t)
			if tt.rescale {
				s.Rules.NotApplicable = NARescale
			}
			region := tt.region
			if region == "" {
				region = RegionNormal
			}
			res, err := Score(s, tt.answers, region)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != tt.total {
				t.Errorf("total %v, want %v", res.Total, tt.total)
			}
			var failures []string
			for _, f := range res.Failures {
				failures = append(failures, f.String())
			}
			if strings.Join(failures, "\n") != strings.Join(tt.failures, "\n") {
				t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(failures, "\n"), strings.Join(tt.failures, "\n"))
			}
			if !reflect.DeepEqual(res.Unanswered, tt.unanswered) {
				t.Errorf("unanswered %q, want %q", res.Unanswered, tt.unanswered)
			}
			wantPassed := len(tt.failures) == 0 && len(tt.unanswered) == 0
			if res.Passed != wantPassed {
				t.Errorf("passed %v, want %v", res.Passed, wantPassed)
			}
		})
	}
}

func TestScoreRescaleCriteria(t *testing.T) {
	s := sample(t)
	s.Rules.NotApplicable = NARescale
	res, err := Score(s, with(Answers{"1.1": NotApplicable()}), RegionNormal)
	if err != nil {
		t.Fatal(err)
	}
	// Criterion 1 has 1.2 alone left: 20 of 20 scales to 40 of 40, and the
	// total is 80 of 80 applicable points, scaled to 100.
	want := []CriterionScore{{Code: "1", Points: 40, Max: 40}, {Code: "2", Points: 60, Max: 60}}
	if !reflect.DeepEqual(res.Criteria, want) || res.Total != 100 || !res.Passed {
		t.Errorf("criteria %+v total %v passed %v", res.Criteria, res.Total, res.Passed)
	}

	// With every indicator of criterion 1 not applicable (1.2 made so too),
	// the criterion drops out and its minimum does not apply.
	s.Criteria[0].Indicators[1].NotApplicable = true
	res, err = Score(s, with(Answers{"1.1": NotApplicable(), "1.2": NotApplicable(), "2.3": Value(10)}), RegionNormal)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Criteria[0].NotApplicable || res.Total != 83.33 || len(res.Failures) != 0 {
		t.Errorf("criteria %+v total %v failures %v", res.Criteria, res.Total, res.Failures)
	}
}

func TestScoreRejectsAnswersThatDoNotFit(t *testing.T) {
	tests := []struct {
		code   string
		answer Answer
		is     error
		want   string
	}{
		{"9.9", Yes(), ErrUnknownCode, "9.9: no indicator or condition has this code"},
		{"1.1", Value(1), ErrWrongType, "1.1: wrong kind of answer: expected true or false"},
		{"1.2", Yes(), ErrWrongType, "1.2: wrong kind of answer: expected an option code"},
		{"1.2", Choose("z"), ErrUnknownOption, `1.2: no such option "z"`},
		{"1.2", NotApplicable(), ErrNANotAllowed, "1.2: not applicable is not allowed here"},
		{"2.1", Value(-1), ErrOutOfRange, "2.1: out of range: -1 is not within from 0"},
		{"2.2", Value(100.5), ErrOutOfRange, "2.2: out of range: 100.5 is not within 0–100"},
		{"2.2", Choose("80%"), ErrWrongType, "2.2: wrong kind of answer: expected a number"},
		{"2.3", Value(21), ErrOutOfRange, "2.3: out of range: 21 is not within 0–20"},
		{"C1", Choose("yes"), ErrWrongType, "C1: wrong kind of answer: a condition takes true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Score(sample(t), with(Answers{tt.code: tt.answer}), RegionNormal)
			var ae *AnswerError
			if !errors.Is(err, tt.is) || !errors.As(err, &ae) || ae.Code != tt.code || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseAnswers(t *testing.T) {
	got, err := ParseAnswers([]byte(`{"a": true, "b": false, "c": "opt", "d": 80.5, "e": "na", "f": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Answers{"a": Yes(), "b": No(), "c": Choose("opt"), "d": Value(80.5), "e": NotApplicable(), "f": Value(0)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}

	for doc, msg := range map[string]string{
		`[1, 2]`:                    "answers are not a JSON object",
		`{"a": null}`:               "a: null is not true, false, a number or a string",
		`{"a": {"b": 1}, "c": [1]}`: "a: {\"b\": 1} is not true, false, a number or a string\nc: [1] is not true, false, a number or a string",
	} {
		if _, err := ParseAnswers([]byte(doc)); err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", doc, err, msg)
		}
	}
}

func TestAnswerJSONRoundTrip(t *testing.T) {
	for _, a := range []Answer{Yes(), No(), Choose("x"), Value(2.5), NotApplicable()} {
		data, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Answer
		if err := back.UnmarshalJSON(data); err != nil || back != a {
			t.Errorf("%+v → %s → %+v (%v)", a, data, back, err)
		}
	}
}

func TestIndicatorPoints(t *testing.T) {
	s := sample(t)
	yesNo, choice := &s.Criteria[0].Indicators[0], &s.Criteria[0].Indicators[1]
	number, reviewer := &s.Criteria[1].Indicators[0], &s.Criteria[1].Indicators[2]
	for _, tt := range []struct {
		ind  *Indicator
		a    Answer
		want float64
	}{
		{yesNo, Yes(), 20}, {yesNo, No(), 0}, {yesNo, Value(1), 0},
		{choice, Choose("b"), 7.5}, {choice, Choose("zz"), 0}, {choice, Yes(), 0},
		{number, Value(5), 10}, {number, Choose("a"), 0},
		{reviewer, Value(12), 12},
	} {
		if got := tt.ind.Points(tt.a); got != tt.want {
			t.Errorf("%s %+v: %v, want %v", tt.ind.Code, tt.a, got, tt.want)
		}
	}
}

// TestRelevant: an indicator that does not apply is not offered "not
// applicable", scores as not applicable whatever it held, and one that
// applies cannot be answered "not applicable" to take its points.
func TestRelevant(t *testing.T) {
	s := sample(t)
	s.Criteria[0].Indicators[1].Relevant = &Relevant{Code: "1.1", Answers: []string{"yes", "no"}}
	s.Criteria[0].Indicators[1].NotApplicable = true // allowed, but the rule on 1.1 decides
	s.Criteria[1].Relevant = &Relevant{Code: "1.1", Answers: []string{"yes"}}
	if ps := Validate("sample.yaml", s); len(ps) > 0 {
		t.Fatal(ps)
	}
	if !s.OffersNA("1.1") || s.OffersNA("1.2") {
		t.Errorf("not applicable offered: 1.1 %v, 1.2 %v", s.OffersNA("1.1"), s.OffersNA("1.2"))
	}
	na := Answers{"1.1": NotApplicable(), "1.2": Choose("c"), "C1": Yes()}
	for code, want := range map[string]bool{"1.1": true, "1.2": false, "2.1": false, "2.3": false, "C1": true} {
		if got := s.Applies(code, na); got != want {
			t.Errorf("after 1.1 na, %s applies %v, want %v", code, got, want)
		}
	}
	if !s.Applies("1.2", Answers{}) || s.Applies("2.1", Answers{"1.1": No()}) {
		t.Error("1.2 does not apply before 1.1 is answered, or 2.1 applies after 1.1 no")
	}
	res, err := Score(s, na, RegionNormal)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unanswered) != 0 || res.Indicators[1].Points != 20 || !res.Indicators[1].Skipped {
		t.Errorf("1.2 skipped scored %+v, unanswered %v", res.Indicators[1], res.Unanswered)
	}
	if err := s.Check("1.2", NotApplicable()); !errors.Is(err, ErrNANotAllowed) {
		t.Errorf("na on 1.2, decided by 1.1: %v", err)
	}
}

func TestParseRelevant(t *testing.T) {
	r, err := ParseRelevant(" 1.1 : yes,na ")
	if err != nil || r.String() != "1.1: yes, na" {
		t.Errorf("parsed %v %v", r, err)
	}
	for _, bad := range []string{"1.1", ": yes", "1.1:"} {
		if _, err := ParseRelevant(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
