package scoring

import (
	"os"
	"strings"
	"testing"
)

// sample decodes testdata/sample.yaml, a valid set that uses every feature.
func sample(t testing.TB) *Set {
	t.Helper()
	data, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("sample.yaml", data)
	if err != nil {
		t.Fatalf("sample.yaml does not validate: %v", err)
	}
	return s
}

func ptr(v float64) *float64 { return &v }

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Set)
		want   []string
	}{
		{"valid", func(s *Set) {}, nil},
		{"option worth more than its indicator", func(s *Set) {
			s.Criteria[0].Indicators[1].Options[1].Points = 22
		}, []string{"sample.yaml: criteria[0].indicators[1].options[1].points: 22 is more than the indicator's 20"}},
		{"bad id and version", func(s *Set) { s.ID, s.Version = "Sample Set", 0 }, []string{
			`sample.yaml: id: "Sample Set" is not an id (lower-case letters, digits and dashes)`,
			"sample.yaml: version: must be 1 or more",
		}},
		{"unknown kind and status", func(s *Set) { s.Kind, s.Status = "school", "final" }, []string{
			`sample.yaml: kind: "school" is not one of family, clan, community, unit, citizen`,
			`sample.yaml: status: "final" is not one of verified, draft, withdrawn`,
		}},
		{"withdrawn without replacement", func(s *Set) { s.Status = StatusWithdrawn }, []string{
			"sample.yaml: replaced_by: a withdrawn set names its replacement as id or id@version",
		}},
		{"withdrawn with replacement", func(s *Set) { s.Status, s.ReplacedBy = StatusWithdrawn, "sample@3" }, nil},
		{"replacement of a set in force", func(s *Set) { s.ReplacedBy = "sample@3" }, []string{
			"sample.yaml: replaced_by: only a withdrawn set has a replacement",
		}},
		{"missing English title", func(s *Set) { s.Title.EN = "" }, []string{
			"sample.yaml: title.en: the English text is missing",
		}},
		{"optional text in one language", func(s *Set) { s.Criteria[0].Indicators[0].Guidance = Text{VI: "Hướng dẫn"} }, []string{
			"sample.yaml: criteria[0].indicators[0].guidance.en: the English text is missing",
		}},
		{"verified without a source", func(s *Set) { s.References = nil }, []string{
			"sample.yaml: references: a verified set cites the document it was checked against",
		}},
		{"draft without a source", func(s *Set) { s.References, s.Status = nil, StatusDraft }, nil},
		{"bad reference date", func(s *Set) { s.References[0].Date = "15/01/2024" }, []string{
			`sample.yaml: references[0].date: "15/01/2024" is not a date (YYYY-MM-DD)`,
		}},
		{"bad jurisdiction", func(s *Set) { s.Jurisdiction = "Hà Nội" }, []string{
			`sample.yaml: jurisdiction: "Hà Nội" is neither national nor a two-digit province code`,
		}},
		{"years backwards", func(s *Set) { s.Years = Years{From: 2024, To: 2020} }, []string{
			"sample.yaml: years.to: 2020 is before years.from 2024",
		}},
		{"criteria do not add up to the total", func(s *Set) { s.MaxPoints = 90 }, []string{
			"sample.yaml: criteria: the criteria add up to 100, not the set's max_points 90",
		}},
		{"indicators do not add up to their criterion", func(s *Set) { s.Criteria[1].Indicators[2].MaxPoints = 15 }, []string{
			"sample.yaml: criteria[1].indicators: the indicators add up to 55, not the criterion's max_points 60",
		}},
		{"pass mark above the maximum", func(s *Set) { s.Rules.PassMark.Normal = 120 }, []string{
			"sample.yaml: rules.pass_mark.normal: 120 is more than the set's max_points 100",
		}},
		{"hardship pass mark above the maximum", func(s *Set) { s.Rules.PassMark.Hardship = ptr(101) }, []string{
			"sample.yaml: rules.pass_mark.hardship: 101 is more than the set's max_points 100",
		}},
		{"criterion minimum above its maximum", func(s *Set) { s.Criteria[0].MinPoints = 45 }, []string{
			"sample.yaml: criteria[0].min_points: 45 is more than the criterion's 40",
		}},
		{"indicator minimum above its maximum", func(s *Set) { s.Criteria[0].Indicators[0].MinPoints = 25 }, []string{
			"sample.yaml: criteria[0].indicators[0].min_points: 25 is more than the indicator's 20",
		}},
		{"set-wide indicator minimum above an indicator's maximum", func(s *Set) { s.Rules.IndicatorMinPoints = 21 }, []string{
			"sample.yaml: criteria[0].indicators[0].max_points: 20 is less than the rules' indicator_min_points 21",
			"sample.yaml: criteria[0].indicators[1].max_points: 20 is less than the rules' indicator_min_points 21",
			"sample.yaml: criteria[1].indicators[0].max_points: 20 is less than the rules' indicator_min_points 21",
			"sample.yaml: criteria[1].indicators[1].max_points: 20 is less than the rules' indicator_min_points 21",
			"sample.yaml: criteria[1].indicators[2].max_points: 20 is less than the rules' indicator_min_points 21",
		}},
		{"not applicable without a policy", func(s *Set) { s.Rules.NotApplicable = "" }, []string{
			`sample.yaml: rules.not_applicable: say full_points or rescale: indicator 1.1 allows "not applicable"`,
		}},
		{"unknown not-applicable policy", func(s *Set) { s.Rules.NotApplicable = "ignore" }, []string{
			`sample.yaml: rules.not_applicable: "ignore" is neither full_points nor rescale`,
		}},
		{"duplicate codes", func(s *Set) { s.Criteria[1].Indicators[0].Code = "1.2"; s.Conditions[0].Code = "2" }, []string{
			`sample.yaml: criteria[1].code: code "2" is already used at conditions[0].code`,
			`sample.yaml: criteria[1].indicators[0].code: code "1.2" is already used at criteria[0].indicators[1].code`,
		}},
		{"malformed code", func(s *Set) { s.Criteria[0].Indicators[0].Code = "1 1" }, []string{
			`sample.yaml: criteria[0].indicators[0].code: "1 1" is not a code (letters, digits and dots, at most 12)`,
		}},
		{"unknown answer kind", func(s *Set) { s.Criteria[1].Indicators[2].Kind = "stars" }, []string{
			`sample.yaml: criteria[1].indicators[2].kind: "stars" is not one of yes_no, choice, number, ratio, derived, reviewer`,
		}},
		{"choice with one option", func(s *Set) {
			s.Criteria[0].Indicators[1].Options = s.Criteria[0].Indicators[1].Options[:1]
		}, []string{"sample.yaml: criteria[0].indicators[1].options: a choice indicator has at least two options"}},
		{"no option reaches the maximum", func(s *Set) { s.Criteria[0].Indicators[1].Options[0].Points = 15 }, []string{
			"sample.yaml: criteria[0].indicators[1].options: no option is worth the indicator's 20",
		}},
		{"duplicate and reserved option codes", func(s *Set) {
			s.Criteria[0].Indicators[1].Options[1].Code = "a"
			s.Criteria[0].Indicators[1].Options[2].Code = "na"
		}, []string{
			`sample.yaml: criteria[0].indicators[1].options[1].code: option "a" is already used in this indicator`,
			`sample.yaml: criteria[0].indicators[1].options[2].code: "na" is kept for "not applicable"`,
		}},
		{"options on a yes/no indicator", func(s *Set) {
			s.Criteria[0].Indicators[0].Options = s.Criteria[0].Indicators[1].Options
		}, []string{"sample.yaml: criteria[0].indicators[0].options: only a choice indicator has options"}},
		{"bands that leave a gap", func(s *Set) { s.Criteria[1].Indicators[1].Bands[1].Min = 55 }, []string{
			"sample.yaml: criteria[1].indicators[1].bands[1].min: 55 leaves a gap after bands[0], which ends at 50",
		}},
		{"bands that overlap", func(s *Set) { s.Criteria[1].Indicators[1].Bands[2].Min = 70 }, []string{
			"sample.yaml: criteria[1].indicators[1].bands[2].min: 70 overlaps bands[1], which ends at 80",
		}},
		{"ratio bands that stop short of 100", func(s *Set) { s.Criteria[1].Indicators[1].Bands[2].Max = ptr(90) }, []string{
			"sample.yaml: criteria[1].indicators[1].bands[2].max: the bands end at 90, but values end at 100",
		}},
		{"ratio bands that start above 0", func(s *Set) { s.Criteria[1].Indicators[1].Bands[0].Min = 10 }, []string{
			"sample.yaml: criteria[1].indicators[1].bands[0].min: the bands start at 10, but values start at 0",
		}},
		{"band that ends before it starts", func(s *Set) { s.Criteria[1].Indicators[0].Bands[1].Max = ptr(3) }, []string{
			"sample.yaml: criteria[1].indicators[0].bands[1].max: 3 is not more than its min 4",
			"sample.yaml: criteria[1].indicators[0].bands[2].min: 8 leaves a gap after bands[1], which ends at 3",
		}},
		{"open band before the last", func(s *Set) { s.Criteria[1].Indicators[0].Bands[1].Max = nil }, []string{
			"sample.yaml: criteria[1].indicators[0].bands[1].max: only the last band may be open-ended",
		}},
		{"closed last band on an open range", func(s *Set) { s.Criteria[1].Indicators[0].Bands[2].Max = ptr(50) }, []string{
			"sample.yaml: criteria[1].indicators[0].bands[2].max: the range is open-ended, so the last band is too (leave max out)",
		}},
		{"no band reaches the maximum", func(s *Set) { s.Criteria[1].Indicators[0].Bands[2].Points = 15 }, []string{
			"sample.yaml: criteria[1].indicators[0].bands: no band is worth the indicator's 20",
		}},
		{"number without bands", func(s *Set) { s.Criteria[1].Indicators[0].Bands = nil }, []string{
			"sample.yaml: criteria[1].indicators[0].bands: a number indicator maps values to points with bands",
		}},
		{"range on a ratio", func(s *Set) { s.Criteria[1].Indicators[1].Range = &Range{Min: 0} }, []string{
			"sample.yaml: criteria[1].indicators[1].range: only a number indicator has a range",
		}},
		{"a derived share in a village set", func(s *Set) {
			s.Kind, s.Criteria[1].Indicators[1].Kind, s.Criteria[1].Indicators[1].Derive = KindCommunity, AnswerDerived, RecognisedFamilies
		}, nil},
		{"a derived share in a unit set", func(s *Set) {
			s.Criteria[1].Indicators[1].Kind, s.Criteria[1].Indicators[1].Derive = AnswerDerived, RecognisedFamilies
		}, []string{"sample.yaml: criteria[1].indicators[1].derive: recognised_families counts member households, which a unit has not"}},
		{"a derived indicator that names no derivation", func(s *Set) {
			s.Kind, s.Criteria[1].Indicators[1].Kind = KindClan, AnswerDerived
			s.Criteria[1].Indicators[1].NotApplicable = true
			s.Criteria[1].Indicators[1].Bands = nil
			s.Criteria[1].Indicators[1].Relevant = &Relevant{Code: "1.1", Answers: []string{"yes"}}
		}, []string{
			"sample.yaml: criteria[1].indicators[1].bands: a derived indicator maps values to points with bands",
			"sample.yaml: criteria[1].indicators[1].derive: a derived indicator names what it is computed from: recognised_families",
			`sample.yaml: criteria[1].indicators[1].not_applicable: a derived indicator is computed, never answered "not applicable"`,
			"sample.yaml: criteria[1].indicators[1].relevant: a derived indicator is computed whatever the answers: it has no relevant rule",
		}},
		{"a rule that names a derived share", func(s *Set) {
			s.Kind, s.Criteria[1].Indicators[1].Kind, s.Criteria[1].Indicators[1].Derive = KindCommunity, AnswerDerived, RecognisedFamilies
			s.Criteria[1].Indicators[2].Relevant = &Relevant{Code: "2.2", Answers: []string{"yes"}}
		}, []string{"sample.yaml: criteria[1].indicators[2].relevant.code: 2.2 is computed from recognitions: a rule names a question the person answers"}},
		{"an unknown derivation, and one on a ratio", func(s *Set) {
			s.Kind, s.Criteria[1].Indicators[1].Kind, s.Criteria[1].Indicators[1].Derive = KindClan, AnswerDerived, "members"
			s.Criteria[1].Indicators[0].Derive = RecognisedFamilies
		}, []string{
			"sample.yaml: criteria[1].indicators[0].derive: only a derived indicator is computed",
			`sample.yaml: criteria[1].indicators[1].derive: "members" is not one of recognised_families`,
		}},
		{"required evidence without photos", func(s *Set) { s.Criteria[0].Indicators[0].Evidence.MinPhotos = 0 }, []string{
			"sample.yaml: criteria[0].indicators[0].evidence.min_photos: required evidence asks for 1 to 10 photos, not 0",
		}},
		{"required evidence without a hint", func(s *Set) { s.Criteria[0].Indicators[0].Evidence.Hint = Text{} }, []string{
			"sample.yaml: criteria[0].indicators[0].evidence.hint.vi: the Vietnamese text is missing",
			"sample.yaml: criteria[0].indicators[0].evidence.hint.en: the English text is missing",
		}},
		{"photos asked with no evidence", func(s *Set) { s.Criteria[0].Indicators[1].Evidence.MinPhotos = 1 }, []string{
			"sample.yaml: criteria[0].indicators[1].evidence.min_photos: an indicator that asks no evidence asks no photos",
		}},
		{"unknown evidence rule", func(s *Set) { s.Criteria[0].Indicators[0].Evidence.Rule = "some" }, []string{
			`sample.yaml: criteria[0].indicators[0].evidence.rule: "some" is not one of none, optional, required`,
		}},
		{"unconfirmed indicator in a verified set", func(s *Set) { s.Criteria[0].Indicators[0].Certainty = NotConfirmed }, []string{
			"sample.yaml: criteria[0].indicators[0].certainty: a verified set holds only confirmed criteria and indicators",
		}},
		{"unconfirmed indicator in a draft set", func(s *Set) {
			s.Status = StatusDraft
			s.Criteria[0].Indicators[0].Certainty = NotConfirmed
		}, nil},
		{"negative points", func(s *Set) { s.Criteria[0].Indicators[1].Options[2].Points = -1 }, []string{
			"sample.yaml: criteria[0].indicators[1].options[2].points: -1 is negative",
		}},
		{"no criteria", func(s *Set) { s.Criteria = nil }, []string{
			"sample.yaml: criteria: a set has at least one criterion",
		}},
		{"relevant rules that hold", func(s *Set) {
			s.Criteria[0].Indicators[1].Relevant = &Relevant{Code: "1.1", Answers: []string{"yes", "na"}}
			s.Criteria[1].Relevant = &Relevant{Code: "1.2", Answers: []string{"a", "b"}}
		}, nil},
		{"relevant rules that do not", func(s *Set) {
			s.Criteria[0].Indicators[0].Relevant = &Relevant{Code: "1.2", Answers: []string{"a"}}
			s.Criteria[0].Indicators[1].Relevant = &Relevant{Code: "1.2", Answers: []string{"a"}}
			s.Criteria[1].Indicators[0].Relevant = &Relevant{Code: "9.9", Answers: []string{"yes"}}
			s.Criteria[1].Indicators[1].Relevant = &Relevant{Code: "2.1", Answers: []string{"yes"}}
			s.Criteria[1].Indicators[2].Relevant = &Relevant{Code: "1.1", Answers: []string{"maybe"}}
			s.Criteria[1].Relevant = &Relevant{Code: "2.2"}
		}, []string{
			"sample.yaml: criteria[0].indicators[0].relevant.code: 1.2 comes later in the questionnaire: a rule names a question asked before",
			"sample.yaml: criteria[0].indicators[1].relevant.code: 1.2 depends on itself: a cycle",
			"sample.yaml: criteria[1].relevant.code: 2.2 depends on itself: a cycle",
			"sample.yaml: criteria[1].indicators[0].relevant.code: \"9.9\" is no indicator or condition of the set",
			"sample.yaml: criteria[1].indicators[1].relevant.code: 2.1 takes a number: a rule names a yes/no, choice or condition question",
			"sample.yaml: criteria[1].indicators[2].relevant.answers[0]: \"maybe\" is not an answer of 1.1 (yes, no)", // 1.1 has a rule of its own here: no "na"
		}},
		{"labels", func(s *Set) {
			s.Criteria[0].Indicators[0].Labels = Labels{Yes: Text{VI: "Đúng", EN: "True"}, No: Text{VI: "Chưa đúng"}}
			s.Criteria[0].Indicators[1].Labels = Labels{Yes: Text{VI: "Đúng", EN: "True"}, No: Text{VI: "Sai", EN: "False"}}
		}, []string{
			"sample.yaml: criteria[0].indicators[0].labels.no.en: the English text is missing",
			"sample.yaml: criteria[0].indicators[1].labels: only a yes_no indicator or a condition has yes and no labels",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample(t)
			tt.mutate(s)
			var got []string
			for _, p := range Validate("sample.yaml", s) {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecodeProblems(t *testing.T) {
	base, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"empty", "", "x.yaml: the file is empty"},
		{"unknown field", strings.Replace(string(base), "kind: unit", "kind: unit\ncolour: red", 1),
			`x.yaml: line 5: unknown field "colour"`},
		{"unknown nested field", strings.Replace(string(base), "        kind: reviewer", "        kind: reviewer\n        weight: 2", 1),
			`x.yaml: criteria[1].indicators[2] (line 69): unknown field "weight"`},
		{"text where a number goes", strings.Replace(string(base), "max_points: 100", "max_points: many", 1),
			`x.yaml: line 13: "many" is not a number`},
		{"two documents", string(base) + "\n---\nid: other\n", "x.yaml: the file holds more than one YAML document"},
		{"not YAML", "id: [unclosed", "x.yaml: line 1: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.doc))
			if err == nil {
				t.Fatal("no problem reported")
			}
			if got := AsProblems(err)[0].Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestLintFindsEverything: unknown fields do not hide the other problems,
// nor the warnings.
func TestLintFindsEverything(t *testing.T) {
	base, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(base), "kind: unit", "kind: unit\ncolour: red\nshape: round", 1)
	doc = strings.Replace(doc, "        kind: reviewer", "        kind: reviewer\n        weight: 2", 1)
	doc = strings.Replace(doc, "{normal: 80,", "{normal: 180,", 1)
	doc = strings.Replace(doc, "{vi: Có không, en: Yes or no}", "{vi: Không ai vi phạm, en: Nobody breaks the law}", 1)
	var got []string
	for _, p := range Lint("x.yaml", []byte(doc)) {
		got = append(got, p.Error())
	}
	want := []string{
		`x.yaml: line 5: unknown field "colour"`,
		`x.yaml: line 6: unknown field "shape"`,
		`x.yaml: criteria[1].indicators[2] (line 71): unknown field "weight"`,
		"x.yaml: rules.pass_mark.normal: 180 is more than the set's max_points 100",
		"x.yaml: criteria[0].indicators[0].labels: warning: the statement is a negation: give it labels that make the answer that earns points plain, or reword it",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lint:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
