package scoring

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	idPattern           = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,47}$`)
	codePattern         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.]{0,11}$`)
	optionPattern       = regexp.MustCompile(`^[a-z0-9_]{1,16}$`)
	jurisdictionPattern = regexp.MustCompile(`^(national|[0-9]{2})$`)
	replacedByPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,47}(@[1-9][0-9]*)?$`)
)

// Validate checks a decoded set and returns every problem found, each with
// the file name, the path to the field and why, e.g.
// "family-2015.yaml: criteria[2].indicators[1].options[0].points: 12 is more
// than the indicator's 10".
func Validate(name string, s *Set) Problems {
	v := &validator{file: name, codes: map[string]string{}}
	v.set(s)
	return v.problems
}

type validator struct {
	file     string
	problems Problems
	codes    map[string]string // code → path where it was first used
	order    map[string]int    // code → place in the questionnaire, for relevant rules
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// text checks that a text is given in both languages; optional texts may be
// left out entirely.
func (v *validator) text(path string, t Text, required bool) {
	if !required && t.IsZero() {
		return
	}
	if t.VI == "" {
		v.add(path+".vi", "the Vietnamese text is missing")
	}
	if t.EN == "" {
		v.add(path+".en", "the English text is missing")
	}
}

// points checks a number of points is finite and within [0, max].
func (v *validator) points(path string, p, max float64, whose string) {
	switch {
	case math.IsNaN(p) || math.IsInf(p, 0):
		v.add(path, "%v is not a number of points", p)
	case p < 0:
		v.add(path, "%s is negative", FormatNumber(p))
	case p > max:
		v.add(path, "%s is more than %s %s", FormatNumber(p), whose, FormatNumber(max))
	}
}

// code checks a criterion, indicator or condition code is well formed and
// unique within the set.
func (v *validator) code(path, code string) {
	if !codePattern.MatchString(code) {
		v.add(path, "%q is not a code (letters, digits and dots, at most 12)", code)
		return
	}
	if first, dup := v.codes[code]; dup {
		v.add(path, "code %q is already used at %s", code, first)
		return
	}
	v.codes[code] = path
}

func (v *validator) set(s *Set) {
	v.order = map[string]int{}
	for _, ind := range s.Indicators() {
		v.order[ind.Code] = len(v.order)
	}
	for _, c := range s.Conditions {
		v.order[c.Code] = len(v.order)
	}
	if !idPattern.MatchString(s.ID) {
		v.add("id", "%q is not an id (lower-case letters, digits and dashes)", s.ID)
	}
	if s.Version < 1 {
		v.add("version", "must be 1 or more")
	}
	switch s.Kind {
	case KindFamily, KindClan, KindCommunity, KindUnit, KindCitizen:
	default:
		v.add("kind", "%q is not one of family, clan, community, unit, citizen", s.Kind)
	}
	switch s.Status {
	case StatusVerified, StatusDraft:
		if s.ReplacedBy != "" {
			v.add("replaced_by", "only a withdrawn set has a replacement")
		}
	case StatusWithdrawn:
		if !replacedByPattern.MatchString(s.ReplacedBy) {
			v.add("replaced_by", "a withdrawn set names its replacement as id or id@version")
		}
	default:
		v.add("status", "%q is not one of verified, draft, withdrawn", s.Status)
	}
	v.text("title", s.Title, true)
	v.text("issuer", s.Issuer, true)
	v.text("note", s.Note, false)
	v.references(s)
	if !jurisdictionPattern.MatchString(s.Jurisdiction) {
		v.add("jurisdiction", "%q is neither national nor a two-digit province code", s.Jurisdiction)
	}
	if s.Years.From < 1990 || s.Years.From > 2100 {
		v.add("years.from", "%d is not a year", s.Years.From)
	}
	if s.Years.To != 0 && s.Years.To < s.Years.From {
		v.add("years.to", "%d is before years.from %d", s.Years.To, s.Years.From)
	}
	if !(s.MaxPoints > 0) || math.IsInf(s.MaxPoints, 0) {
		v.add("max_points", "must be more than 0")
	}
	v.rules(s)
	for i, c := range s.Conditions {
		p := fmt.Sprintf("conditions[%d]", i)
		v.code(p+".code", c.Code)
		v.text(p+".text", c.Text, true)
		v.text(p+".short", c.Short, false)
		v.text(p+".guidance", c.Guidance, false)
		v.labels(p+".labels", c.Labels, true)
	}
	if len(s.Criteria) == 0 {
		v.add("criteria", "a set has at least one criterion")
	}
	var sum float64
	for i := range s.Criteria {
		sum += s.Criteria[i].MaxPoints
		v.criterion(s, fmt.Sprintf("criteria[%d]", i), &s.Criteria[i])
	}
	if len(s.Criteria) > 0 && !same(sum, s.MaxPoints) {
		v.add("criteria", "the criteria add up to %s, not the set's max_points %s", FormatNumber(sum), FormatNumber(s.MaxPoints))
	}
}

func (v *validator) references(s *Set) {
	cited := false
	for i, r := range s.References {
		p := fmt.Sprintf("references[%d]", i)
		if r.Number == "" {
			v.add(p+".number", "a reference names its document's number")
		} else {
			cited = true
		}
		if r.Date != "" {
			if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
				v.add(p+".date", "%q is not a date (YYYY-MM-DD)", r.Date)
			}
		}
		v.text(p+".note", r.Note, false)
	}
	if s.Status == StatusVerified && !cited {
		v.add("references", "a verified set cites the document it was checked against")
	}
}

func (v *validator) rules(s *Set) {
	pm := s.Rules.PassMark
	if !(pm.Normal > 0) {
		v.add("rules.pass_mark.normal", "must be more than 0")
	}
	v.points("rules.pass_mark.normal", pm.Normal, s.MaxPoints, "the set's max_points")
	if pm.Hardship != nil {
		if !(*pm.Hardship > 0) {
			v.add("rules.pass_mark.hardship", "must be more than 0")
		}
		v.points("rules.pass_mark.hardship", *pm.Hardship, s.MaxPoints, "the set's max_points")
	}
	v.points("rules.indicator_min_points", s.Rules.IndicatorMinPoints, math.Inf(1), "")
	switch s.Rules.NotApplicable {
	case NAFullPoints, NARescale:
	case "":
		for _, ind := range s.Indicators() {
			if ind.NotApplicable {
				v.add("rules.not_applicable", "say full_points or rescale: indicator %s allows \"not applicable\"", ind.Code)
				break
			}
		}
	default:
		v.add("rules.not_applicable", "%q is neither full_points nor rescale", s.Rules.NotApplicable)
	}
}

func (v *validator) certainty(path string, c Certainty, s *Set) {
	switch c {
	case "", Confirmed:
	case PartlyConfirmed, NotConfirmed:
		if s.Status == StatusVerified {
			v.add(path, "a verified set holds only confirmed criteria and indicators")
		}
	default:
		v.add(path, "%q is not one of confirmed, partly_confirmed, not_confirmed", c)
	}
}

func (v *validator) criterion(s *Set, path string, c *Criterion) {
	v.code(path+".code", c.Code)
	v.text(path+".text", c.Text, true)
	if !(c.MaxPoints > 0) {
		v.add(path+".max_points", "must be more than 0")
	}
	v.points(path+".min_points", c.MinPoints, c.MaxPoints, "the criterion's")
	v.certainty(path+".certainty", c.Certainty, s)
	if c.Relevant != nil && len(c.Indicators) > 0 {
		v.relevant(s, path+".relevant", c.Relevant, c.Indicators[0].Code, c)
	}
	if len(c.Indicators) == 0 {
		v.add(path+".indicators", "a criterion has at least one indicator")
		return
	}
	var sum float64
	for i := range c.Indicators {
		sum += c.Indicators[i].MaxPoints
		v.indicator(s, fmt.Sprintf("%s.indicators[%d]", path, i), &c.Indicators[i])
	}
	if !same(sum, c.MaxPoints) {
		v.add(path+".indicators", "the indicators add up to %s, not the criterion's max_points %s", FormatNumber(sum), FormatNumber(c.MaxPoints))
	}
}

func (v *validator) indicator(s *Set, path string, ind *Indicator) {
	v.code(path+".code", ind.Code)
	v.text(path+".text", ind.Text, true)
	v.text(path+".short", ind.Short, false)
	v.text(path+".guidance", ind.Guidance, false)
	v.text(path+".unit", ind.Unit, false)
	v.labels(path+".labels", ind.Labels, ind.Kind == AnswerYesNo)
	if ind.Relevant != nil {
		v.relevant(s, path+".relevant", ind.Relevant, ind.Code, nil)
	}
	v.certainty(path+".certainty", ind.Certainty, s)
	if !(ind.MaxPoints > 0) || math.IsInf(ind.MaxPoints, 0) {
		v.add(path+".max_points", "must be more than 0")
	}
	v.points(path+".min_points", ind.MinPoints, ind.MaxPoints, "the indicator's")
	if ind.MinPoints == 0 && s.Rules.IndicatorMinPoints > ind.MaxPoints {
		v.add(path+".max_points", "%s is less than the rules' indicator_min_points %s", FormatNumber(ind.MaxPoints), FormatNumber(s.Rules.IndicatorMinPoints))
	}

	wantOptions, wantBands := false, false
	switch ind.Kind {
	case AnswerYesNo, AnswerReviewer:
	case AnswerChoice:
		wantOptions = true
		v.options(path, ind)
	case AnswerNumber, AnswerRatio:
		wantBands = true
		v.bands(path, ind)
	case AnswerDerived:
		wantBands = true
		v.bands(path, ind)
		v.derive(s, path, ind)
	default:
		v.add(path+".kind", "%q is not one of yes_no, choice, number, ratio, derived, reviewer", ind.Kind)
	}
	if ind.Kind != AnswerDerived && ind.Derive != "" {
		v.add(path+".derive", "only a derived indicator is computed")
	}
	if !wantOptions && len(ind.Options) > 0 {
		v.add(path+".options", "only a choice indicator has options")
	}
	if !wantBands && len(ind.Bands) > 0 {
		v.add(path+".bands", "only a number, ratio or derived indicator has bands")
	}
	if ind.Kind != AnswerNumber && ind.Range != nil {
		v.add(path+".range", "only a number indicator has a range")
	}
	if ind.Kind != AnswerNumber && !ind.Unit.IsZero() {
		v.add(path+".unit", "only a number indicator has a unit")
	}
	v.evidence(path+".evidence", ind.Evidence)
}

// derive checks what a derived indicator is computed from: a known
// derivation, in a set of a title that has what it counts.
func (v *validator) derive(s *Set, path string, ind *Indicator) {
	kinds, ok := Derivations[ind.Derive]
	switch {
	case ind.Derive == "":
		v.add(path+".derive", "a derived indicator names what it is computed from: %s", derivationNames())
	case !ok:
		v.add(path+".derive", "%q is not one of %s", ind.Derive, derivationNames())
	case !slices.Contains(kinds, s.Kind):
		v.add(path+".derive", "%s counts member households, which a %s has not", ind.Derive, s.Kind)
	}
	if ind.NotApplicable {
		v.add(path+".not_applicable", "a derived indicator is computed, never answered \"not applicable\"")
	}
	if ind.EvidenceRule() != EvidenceNone {
		v.add(path+".evidence", "a derived indicator is computed from recognitions and takes no photo")
	}
	if ind.Relevant != nil {
		v.add(path+".relevant", "a derived indicator is computed whatever the answers: it has no relevant rule")
	}
}

func derivationNames() string {
	names := make([]string, 0, len(Derivations))
	for d := range Derivations {
		names = append(names, string(d))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func (v *validator) options(path string, ind *Indicator) {
	if len(ind.Options) < 2 {
		v.add(path+".options", "a choice indicator has at least two options")
	}
	seen := map[string]bool{}
	var best float64
	for i, o := range ind.Options {
		p := fmt.Sprintf("%s.options[%d]", path, i)
		switch {
		case o.Code == "na":
			v.add(p+".code", `"na" is kept for "not applicable"`)
		case !optionPattern.MatchString(o.Code):
			v.add(p+".code", "%q is not an option code (lower-case letters, digits and _, at most 16)", o.Code)
		case seen[o.Code]:
			v.add(p+".code", "option %q is already used in this indicator", o.Code)
		}
		seen[o.Code] = true
		v.text(p+".text", o.Text, true)
		v.points(p+".points", o.Points, ind.MaxPoints, "the indicator's")
		best = math.Max(best, o.Points)
	}
	if len(ind.Options) > 0 && best < ind.MaxPoints {
		v.add(path+".options", "no option is worth the indicator's %s", FormatNumber(ind.MaxPoints))
	}
}

func (v *validator) bands(path string, ind *Indicator) {
	if len(ind.Bands) == 0 {
		v.add(path+".bands", "a %s indicator maps values to points with bands", ind.Kind)
		return
	}
	var want Range
	switch {
	case ind.IsPercent():
		want = ind.ValueRange()
	case ind.Range != nil:
		want = *ind.Range
		if want.Max != nil && *want.Max <= want.Min {
			v.add(path+".range.max", "%s is not more than range.min %s", FormatNumber(*want.Max), FormatNumber(want.Min))
			return
		}
	default:
		want = Range{Min: ind.Bands[0].Min, Max: ind.Bands[len(ind.Bands)-1].Max}
	}

	var best float64
	for i, b := range ind.Bands {
		p := fmt.Sprintf("%s.bands[%d]", path, i)
		last := i == len(ind.Bands)-1
		v.points(p+".points", b.Points, ind.MaxPoints, "the indicator's")
		best = math.Max(best, b.Points)
		switch {
		case b.Max == nil && !last:
			v.add(p+".max", "only the last band may be open-ended")
		case b.Max != nil && *b.Max <= b.Min:
			v.add(p+".max", "%s is not more than its min %s", FormatNumber(*b.Max), FormatNumber(b.Min))
		}
		if i == 0 && b.Min != want.Min {
			v.add(p+".min", "the bands start at %s, but values start at %s", FormatNumber(b.Min), FormatNumber(want.Min))
		}
		if i > 0 {
			prev := ind.Bands[i-1].Max
			switch {
			case prev == nil:
			case b.Min > *prev:
				v.add(p+".min", "%s leaves a gap after bands[%d], which ends at %s", FormatNumber(b.Min), i-1, FormatNumber(*prev))
			case b.Min < *prev:
				v.add(p+".min", "%s overlaps bands[%d], which ends at %s", FormatNumber(b.Min), i-1, FormatNumber(*prev))
			}
		}
		if last {
			switch {
			case want.Max == nil && b.Max != nil && ind.Kind == AnswerNumber && ind.Range != nil:
				v.add(p+".max", "the range is open-ended, so the last band is too (leave max out)")
			case want.Max != nil && (b.Max == nil || *b.Max != *want.Max):
				v.add(p+".max", "the bands end at %s, but values end at %s", maxWords(b.Max), FormatNumber(*want.Max))
			}
		}
	}
	if best < ind.MaxPoints {
		v.add(path+".bands", "no band is worth the indicator's %s", FormatNumber(ind.MaxPoints))
	}
}

func maxWords(m *float64) string {
	if m == nil {
		return "no limit"
	}
	return FormatNumber(*m)
}

func (v *validator) evidence(path string, e Evidence) {
	switch e.Rule {
	case "", EvidenceNone:
		if e.MinPhotos != 0 {
			v.add(path+".min_photos", "an indicator that asks no evidence asks no photos")
		}
		if !e.Hint.IsZero() {
			v.add(path+".hint", "an indicator that asks no evidence has no hint")
		}
		return
	case EvidenceOptional:
		if e.MinPhotos != 0 {
			v.add(path+".min_photos", "optional evidence asks no least number of photos")
		}
	case EvidenceRequired:
		if e.MinPhotos < 1 || e.MinPhotos > 10 {
			v.add(path+".min_photos", "required evidence asks for 1 to 10 photos, not %d", e.MinPhotos)
		}
	default:
		v.add(path+".rule", "%q is not one of none, optional, required", e.Rule)
	}
	v.text(path+".hint", e.Hint, true)
}

// labels checks a question's own yes and no labels; allowed says whether
// it is a yes/no question.
func (v *validator) labels(path string, l Labels, allowed bool) {
	if l.IsZero() {
		return
	}
	if !allowed {
		v.add(path, "only a yes_no indicator or a condition has yes and no labels")
		return
	}
	v.text(path+".yes", l.Yes, true)
	v.text(path+".no", l.No, true)
}

// relevant checks a relevant rule of the question at code (for a
// criterion, its first indicator; own is then the criterion): it names an
// earlier yes/no, choice or condition question, and answers it has.
func (v *validator) relevant(s *Set, path string, r *Relevant, code string, own *Criterion) {
	place, known := v.order[r.Code]
	ref, isInd := s.Indicator(r.Code)
	_, isCond := s.Condition(r.Code)
	switch {
	case r.Code == "":
		v.add(path+".code", "a rule names the earlier question it depends on")
		return
	case !isInd && !isCond:
		v.add(path+".code", "%q is no indicator or condition of the set", r.Code)
		return
	case r.Code == code || (own != nil && slices.ContainsFunc(own.Indicators, func(i Indicator) bool { return i.Code == r.Code })):
		v.add(path+".code", "%s depends on itself: a cycle", r.Code)
		return
	case isInd && ref.Kind == AnswerReviewer:
		v.add(path+".code", "%s is scored by a reviewer, after the walk: a rule names a question the person answers", r.Code)
		return
	case !known || place > v.order[code]:
		v.add(path+".code", "%s comes later in the questionnaire: a rule names a question asked before", r.Code)
		return
	case isInd && ref.Kind == AnswerDerived:
		v.add(path+".code", "%s is computed from recognitions: a rule names a question the person answers", r.Code)
		return
	case isInd && (ref.Kind == AnswerNumber || ref.Kind == AnswerRatio):
		v.add(path+".code", "%s takes a number: a rule names a yes/no, choice or condition question", r.Code)
		return
	}
	if len(r.Answers) == 0 {
		v.add(path+".answers", "a rule names at least one answer")
	}
	valid := []string{"yes", "no"}
	if isInd {
		if ref.Kind == AnswerChoice {
			valid = nil
			for _, o := range ref.Options {
				valid = append(valid, o.Code)
			}
		}
		if s.OffersNA(r.Code) {
			valid = append(valid, "na")
		}
	}
	for i, a := range r.Answers {
		if !slices.Contains(valid, a) {
			v.add(fmt.Sprintf("%s.answers[%d]", path, i), "%q is not an answer of %s (%s)", a, r.Code, strings.Join(valid, ", "))
		}
	}
}

// negation is how a statement begins that says what is not so.
var negation = regexp.MustCompile(`(?i)^(không|chưa|no|not|none|nobody)\b`)

// Warnings returns what a set allows but that is likely to mislead: a
// yes/no question whose statement is a negation ("Không có thành viên vi
// phạm pháp luật") keeping the plain Có/Không labels, where someone
// meaning "nobody does" presses Không and loses the points.
func Warnings(name string, s *Set) Problems {
	var ps Problems
	if s.Status == StatusWithdrawn {
		return nil // kept for the assessments pinned to it, not to be changed
	}
	warn := func(path string, text Text, labels Labels) {
		if labels.IsZero() && (negation.MatchString(text.VI) || negation.MatchString(text.EN)) {
			ps = append(ps, Problem{File: name, Path: path + ".labels", Warning: true,
				Msg: "the statement is a negation: give it labels that make the answer that earns points plain, or reword it"})
		}
	}
	for i, c := range s.Conditions {
		warn(fmt.Sprintf("conditions[%d]", i), c.Text, c.Labels)
	}
	for ci, c := range s.Criteria {
		for ii, ind := range c.Indicators {
			if ind.Kind == AnswerYesNo {
				warn(fmt.Sprintf("criteria[%d].indicators[%d]", ci, ii), ind.Text, ind.Labels)
			}
		}
	}
	return ps
}

// same reports whether two sums of points are equal, allowing for float noise.
func same(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
