package scoring

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind is the title a criteria set awards.
type Kind string

// The titles of the programme.
const (
	KindFamily    Kind = "family"    // Gia đình học tập
	KindClan      Kind = "clan"      // Dòng họ học tập
	KindCommunity Kind = "community" // Cộng đồng học tập (thôn, tổ dân phố)
	KindUnit      Kind = "unit"      // Đơn vị học tập
	KindCitizen   Kind = "citizen"   // Công dân học tập
)

// Kinds lists every title kind in the order they are shown.
var Kinds = []Kind{KindFamily, KindClan, KindCommunity, KindUnit, KindCitizen}

// Status says how far a set version can be trusted.
type Status string

// The statuses of a set version.
const (
	StatusVerified  Status = "verified"  // checked against the official text
	StatusDraft     Status = "draft"     // not (fully) checked
	StatusWithdrawn Status = "withdrawn" // no longer to be used; see ReplacedBy
)

// AnswerKind is how an indicator is answered.
type AnswerKind string

// The answer kinds of an indicator.
const (
	AnswerYesNo    AnswerKind = "yes_no"   // yes earns the indicator's points, no earns none
	AnswerChoice   AnswerKind = "choice"   // one option among several, each worth points
	AnswerNumber   AnswerKind = "number"   // a number mapped to points by bands
	AnswerRatio    AnswerKind = "ratio"    // a percentage (0–100) mapped to points by bands
	AnswerReviewer AnswerKind = "reviewer" // points assigned by a reviewer
	AnswerDerived  AnswerKind = "derived"  // a percentage (0–100) computed from recognitions, mapped to points by bands
)

// Derivation names what a derived indicator is computed from.
type Derivation string

// The derivations.
const (
	// RecognisedFamilies is the share of a village's households — those
	// placed in its area — or of a clan's member households — those that
	// joined it — recognised as Learning Families in the assessment's year
	// or the year before.
	RecognisedFamilies Derivation = "recognised_families"
)

// Derivations lists every derivation and the title kinds whose sets may use it.
var Derivations = map[Derivation][]Kind{RecognisedFamilies: {KindCommunity, KindClan}}

// Certainty says whether a criterion or an indicator was confirmed against
// the official text.
type Certainty string

// The certainties. An empty Certainty means confirmed.
const (
	Confirmed       Certainty = "confirmed"
	PartlyConfirmed Certainty = "partly_confirmed"
	NotConfirmed    Certainty = "not_confirmed"
)

// IsConfirmed reports whether c is (fully) confirmed.
func (c Certainty) IsConfirmed() bool { return c == "" || c == Confirmed }

// NAPolicy says how a "not applicable" answer scores.
type NAPolicy string

// The not-applicable policies.
const (
	NAFullPoints NAPolicy = "full_points" // the indicator counts as fully met
	NARescale    NAPolicy = "rescale"     // the indicator is left out and the rest scaled up
)

// EvidenceRule says whether an indicator asks for photo evidence.
type EvidenceRule string

// The evidence rules. An empty rule means none.
const (
	EvidenceNone     EvidenceRule = "none"
	EvidenceOptional EvidenceRule = "optional"
	EvidenceRequired EvidenceRule = "required"
)

// Region is the class of the area an assessment belongs to; some sets have a
// lower pass mark in hardship areas (remote, especially disadvantaged and
// ethnic-minority areas).
type Region string

// The area classes.
const (
	RegionNormal   Region = "normal"
	RegionHardship Region = "hardship"
)

// Text is a text in Vietnamese (authoritative) and English.
type Text struct {
	VI string `yaml:"vi"`
	EN string `yaml:"en"`
}

// In returns the text in lang ("vi" or "en"), falling back to Vietnamese.
func (t Text) In(lang string) string {
	if strings.HasPrefix(lang, "en") && t.EN != "" {
		return t.EN
	}
	return t.VI
}

// IsZero reports whether the text is empty in both languages.
func (t Text) IsZero() bool { return t.VI == "" && t.EN == "" }

// Set is one version of a criteria set: the questionnaire, scoring and pass
// marks of one title, as issued by one body for a jurisdiction and years.
type Set struct {
	ID           string      `yaml:"id"`
	Version      int         `yaml:"version"`
	Kind         Kind        `yaml:"kind"`
	Status       Status      `yaml:"status"`
	ReplacedBy   string      `yaml:"replaced_by,omitempty"` // "id" or "id@version", for a withdrawn set
	Title        Text        `yaml:"title"`
	Issuer       Text        `yaml:"issuer"`
	References   []Reference `yaml:"references,omitempty"`
	Jurisdiction string      `yaml:"jurisdiction"` // "national" or a two-digit province code
	Years        Years       `yaml:"years"`
	Note         Text        `yaml:"note,omitempty"` // what a reader should know, e.g. what is not confirmed
	MaxPoints    float64     `yaml:"max_points"`
	Rules        Rules       `yaml:"rules"`
	Conditions   []Condition `yaml:"conditions,omitempty"`
	Criteria     []Criterion `yaml:"criteria"`
}

// Reference is a legal document a set is based on.
type Reference struct {
	Number string `yaml:"number"`         // e.g. "448/QĐ-KHVN"
	Date   string `yaml:"date,omitempty"` // YYYY-MM-DD
	Note   Text   `yaml:"note,omitempty"`
}

// Years are the assessment years a set applies to; To is 0 when open-ended.
type Years struct {
	From int `yaml:"from"`
	To   int `yaml:"to,omitempty"`
}

// Covers reports whether the set applies to year.
func (y Years) Covers(year int) bool { return year >= y.From && (y.To == 0 || year <= y.To) }

// Rules are the pass rules of a set.
type Rules struct {
	PassMark PassMark `yaml:"pass_mark"`
	// IndicatorMinPoints is the least every answered, applicable indicator must
	// score, unless the indicator sets its own minimum.
	IndicatorMinPoints float64  `yaml:"indicator_min_points,omitempty"`
	NotApplicable      NAPolicy `yaml:"not_applicable,omitempty"`
}

// PassMark is the least total that passes, by area class.
type PassMark struct {
	Normal   float64  `yaml:"normal"`
	Hardship *float64 `yaml:"hardship,omitempty"` // nil: the same as Normal
}

// For returns the pass mark for an area class.
func (p PassMark) For(r Region) float64 {
	if r == RegionHardship && p.Hardship != nil {
		return *p.Hardship
	}
	return p.Normal
}

// Condition is a yes/no gate that must hold for the title, worth no points.
type Condition struct {
	Code     string `yaml:"code"`
	Text     Text   `yaml:"text"`
	Short    Text   `yaml:"short,omitempty"` // a few words for the review; the text's first words when empty
	Guidance Text   `yaml:"guidance,omitempty"`
	Labels   Labels `yaml:"labels,omitempty"` // its own yes and no labels, if any
}

// Labels are a yes/no question's own labels for its two answers, for a
// statement where plain "Có" and "Không" would be unclear: "Không có ai vi
// phạm pháp luật" is answered "Đúng — không ai vi phạm" or "Chưa đúng".
type Labels struct {
	Yes Text `yaml:"yes"`
	No  Text `yaml:"no"`
}

// IsZero reports whether no label is given.
func (l Labels) IsZero() bool { return l.Yes.IsZero() && l.No.IsZero() }

// Relevant makes a criterion or an indicator apply only when an earlier
// question was answered one of some ways, as XLSForm's relevant does: the
// children's indicators only for a household with children of school age.
// What does not apply is not asked and scores by the set's not-applicable
// policy.
type Relevant struct {
	Code    string   `yaml:"code"`    // an earlier indicator or condition
	Answers []string `yaml:"answers"` // yes, no, na, or option codes
}

// Criterion groups indicators; its points are theirs summed.
type Criterion struct {
	Code       string      `yaml:"code"`
	Text       Text        `yaml:"text"`
	MaxPoints  float64     `yaml:"max_points"`
	MinPoints  float64     `yaml:"min_points,omitempty"`
	Certainty  Certainty   `yaml:"certainty,omitempty"`
	Relevant   *Relevant   `yaml:"relevant,omitempty"` // when its indicators apply; always when nil
	Indicators []Indicator `yaml:"indicators"`
}

// Indicator is one question of the questionnaire.
type Indicator struct {
	Code          string     `yaml:"code"`
	Text          Text       `yaml:"text"`
	Short         Text       `yaml:"short,omitempty"` // a few words for the review; the text's first words when empty
	Guidance      Text       `yaml:"guidance,omitempty"`
	Kind          AnswerKind `yaml:"kind"`
	Labels        Labels     `yaml:"labels,omitempty"`   // a yes/no indicator's own yes and no labels, if any
	Relevant      *Relevant  `yaml:"relevant,omitempty"` // when it applies; always when nil
	MaxPoints     float64    `yaml:"max_points"`
	MinPoints     float64    `yaml:"min_points,omitempty"`
	NotApplicable bool       `yaml:"not_applicable,omitempty"` // "not applicable" is an allowed answer
	Unit          Text       `yaml:"unit,omitempty"`           // for a number: what is counted
	Range         *Range     `yaml:"range,omitempty"`          // for a number: the values accepted
	Options       []Option   `yaml:"options,omitempty"`        // for a choice
	Bands         []Band     `yaml:"bands,omitempty"`          // for a number, a ratio or a derived share
	Derive        Derivation `yaml:"derive,omitempty"`         // for a derived indicator: what it is computed from
	Evidence      Evidence   `yaml:"evidence,omitempty"`
	Certainty     Certainty  `yaml:"certainty,omitempty"`
}

// Option is one answer of a choice indicator.
type Option struct {
	Code   string  `yaml:"code"` // short ASCII, unique within the indicator
	Text   Text    `yaml:"text"`
	Points float64 `yaml:"points"`
}

// Range bounds the number a person may give; Max is nil when unbounded.
type Range struct {
	Min float64  `yaml:"min"`
	Max *float64 `yaml:"max,omitempty"`
}

// Band maps numbers from Min up to (not including) Max to Points; the last
// band of an indicator includes its Max, and a nil Max means no upper bound.
type Band struct {
	Min    float64  `yaml:"min"`
	Max    *float64 `yaml:"max,omitempty"`
	Points float64  `yaml:"points"`
}

// Evidence says what photo evidence an indicator asks for.
type Evidence struct {
	Rule      EvidenceRule `yaml:"rule,omitempty"`
	MinPhotos int          `yaml:"min_photos,omitempty"`
	Hint      Text         `yaml:"hint,omitempty"` // what counts as evidence
}

// Ref is the "id@version" that names the set version exactly.
func (s *Set) Ref() string { return s.ID + "@" + strconv.Itoa(s.Version) }

// Indicators returns every indicator of the set in questionnaire order.
func (s *Set) Indicators() []*Indicator {
	var out []*Indicator
	for ci := range s.Criteria {
		for ii := range s.Criteria[ci].Indicators {
			out = append(out, &s.Criteria[ci].Indicators[ii])
		}
	}
	return out
}

// Indicator returns the indicator with the given code.
func (s *Set) Indicator(code string) (*Indicator, bool) {
	for ci := range s.Criteria {
		for ii := range s.Criteria[ci].Indicators {
			if ind := &s.Criteria[ci].Indicators[ii]; ind.Code == code {
				return ind, true
			}
		}
	}
	return nil, false
}

// Condition returns the condition with the given code.
func (s *Set) Condition(code string) (*Condition, bool) {
	for i := range s.Conditions {
		if s.Conditions[i].Code == code {
			return &s.Conditions[i], true
		}
	}
	return nil, false
}

// Option returns the option with the given code.
func (ind *Indicator) Option(code string) (*Option, bool) {
	for i := range ind.Options {
		if ind.Options[i].Code == code {
			return &ind.Options[i], true
		}
	}
	return nil, false
}

// IsPercent reports whether the indicator's value is a percentage: a
// ratio, typed, or a derived share, computed.
func (ind *Indicator) IsPercent() bool { return ind.Kind == AnswerRatio || ind.Kind == AnswerDerived }

// ValueRange returns the range of values a number or ratio accepts.
func (ind *Indicator) ValueRange() Range {
	switch {
	case ind.IsPercent():
		hundred := 100.0
		return Range{Min: 0, Max: &hundred}
	case ind.Kind == AnswerReviewer:
		max := ind.MaxPoints
		return Range{Min: 0, Max: &max}
	case ind.Range != nil:
		return *ind.Range
	case len(ind.Bands) > 0:
		return Range{Min: ind.Bands[0].Min, Max: ind.Bands[len(ind.Bands)-1].Max}
	}
	return Range{}
}

// EvidenceRule returns the indicator's evidence rule, none when unset.
func (ind *Indicator) EvidenceRule() EvidenceRule {
	if ind.Evidence.Rule == "" {
		return EvidenceNone
	}
	return ind.Evidence.Rule
}

// criterionOf returns the criterion an indicator belongs to.
func (s *Set) criterionOf(code string) (*Criterion, bool) {
	for ci := range s.Criteria {
		for ii := range s.Criteria[ci].Indicators {
			if s.Criteria[ci].Indicators[ii].Code == code {
				return &s.Criteria[ci], true
			}
		}
	}
	return nil, false
}

// relevance returns the rules that decide whether an indicator applies:
// its criterion's and its own.
func (s *Set) relevance(code string) []*Relevant {
	var out []*Relevant
	if c, ok := s.criterionOf(code); ok && c.Relevant != nil {
		out = append(out, c.Relevant)
	}
	if ind, ok := s.Indicator(code); ok && ind.Relevant != nil {
		out = append(out, ind.Relevant)
	}
	return out
}

// Applies reports whether a question applies given the answers so far: an
// indicator whose criterion's or own relevant rule does not hold does not,
// nor one whose rule names a question that does not apply itself. A rule
// whose question is not answered yet is undecided, and the indicator counts
// as applying until it is: the walk asks it in its place and counts it, and
// an answer given meanwhile is set aside if the rule turns out not to
// hold. Conditions always apply.
func (s *Set) Applies(code string, answers Answers) bool {
	return s.applies(code, answers, 0)
}

func (s *Set) applies(code string, answers Answers, depth int) bool {
	if depth > 32 {
		return false // a cycle, which lint refuses
	}
	for _, r := range s.relevance(code) {
		if !s.applies(r.Code, answers, depth+1) {
			return false
		}
		if a, ok := answers[r.Code]; ok && !slices.Contains(r.Answers, AnswerWord(a)) {
			return false
		}
	}
	return true
}

// OffersNA reports whether "not applicable" is an answer to offer for an
// indicator: the indicator allows it and no relevant rule decides whether
// it applies (an earlier answer did, and would be contradicted).
func (s *Set) OffersNA(code string) bool {
	ind, ok := s.Indicator(code)
	return ok && ind.NotApplicable && len(s.relevance(code)) == 0
}

// AnswerWord names an answer as a relevant rule does: yes, no, na or the
// option's code; "" for a number.
func AnswerWord(a Answer) string {
	switch a.Type {
	case AnswerBool:
		if a.Bool {
			return "yes"
		}
		return "no"
	case AnswerNA:
		return "na"
	case AnswerOption:
		return a.Option
	}
	return ""
}

// String writes the rule as the Excel format does: "1.1: yes, no".
func (r Relevant) String() string { return r.Code + ": " + strings.Join(r.Answers, ", ") }

// ParseRelevant reads a rule written as "1.1: yes, no".
func ParseRelevant(s string) (*Relevant, error) {
	code, list, ok := strings.Cut(s, ":")
	code = strings.TrimSpace(code)
	if !ok || code == "" {
		return nil, fmt.Errorf("%q is not a rule such as \"1.1: yes, no\"", s)
	}
	r := &Relevant{Code: code}
	for _, w := range strings.Split(list, ",") {
		if w = strings.TrimSpace(w); w != "" {
			r.Answers = append(r.Answers, w)
		}
	}
	if len(r.Answers) == 0 {
		return nil, fmt.Errorf("%q names no answer after the colon", s)
	}
	return r, nil
}

// ShortText returns a question's short label for the review in lang: its
// short text, else the first words of its text.
func ShortText(short, text Text, lang string) string {
	if s := short.In(lang); s != "" {
		return s
	}
	words := strings.Fields(text.In(lang))
	if len(words) <= shortWords {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:shortWords], " ") + "…"
}

// shortWords is how many words of a text stand for it where it has no
// short text.
const shortWords = 6
