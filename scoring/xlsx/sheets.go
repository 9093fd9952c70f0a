// Package xlsx reads and writes criteria sets as Excel workbooks, with sheets like XLSForm's.
//
// A workbook has one sheet per part of a set. The first row of each sheet
// names its columns, which may come in any order; blank rows are skipped and
// the order of the other rows is the order of the set.
//
//   - settings: key, value — one row per field of the set (id, version, kind,
//     status, replaced_by, title_vi, title_en, …, pass_mark,
//     pass_mark_hardship, indicator_min_points, not_applicable)
//   - references: number, date, note_vi, note_en
//   - conditions: code, text_vi, text_en, short_vi, short_en, guidance_vi,
//     guidance_en, yes_vi, yes_en, no_vi, no_en (its own answer labels)
//   - criteria: code, text_vi, text_en, max_points, min_points, certainty,
//     relevant ("1.1: yes, no": it applies only when 1.1 was answered so)
//   - indicators: criterion, code, texts, short texts, kind, points,
//     not_applicable, relevant, yes/no labels, unit, range_min, range_max,
//     evidence, min_photos, hint, certainty
//   - options: indicator, code, text_vi, text_en, points
//   - bands: indicator, min, max (empty: no upper bound), points
//
// The settings, criteria and indicators sheets are required, the others may
// be left out when a set has none. Numbers may be numeric cells or texts such
// as "2,5" with a decimal comma; yes/no cells also take true/false, có/không
// and 1/0. Texts are trimmed of surrounding spaces.
package xlsx

import "hoctap/scoring"

// The kinds of cell a field of the model is written to and read from, told
// apart by the type of the pointer a field's ref returns:
//
//	*string     text
//	*date       a YYYY-MM-DD text; a date cell is read as its date
//	*float64    number, empty is 0
//	*optNumber  number, 0 is written as an empty cell
//	**float64   number, empty is nil
//	*int        whole number
//	*optInt     whole number, 0 is written as an empty cell
//	*bool       yes or no, empty is no
//	**scoring.Relevant  a relevant rule as "1.1: yes, no", empty is nil
type (
	date      string
	optNumber float64
	optInt    int
)

// field is one column of a sheet, or one key of the settings sheet, and the
// field of the model it holds.
type field[T any] struct {
	name  string
	width float64 // column width in characters
	ref   func(*T) any
}

// sheet is one sheet of the workbook, each row a T.
type sheet[T any] struct {
	name     string
	required bool     // the workbook must have it
	keys     []string // the columns a row cannot do without
	fields   []field[T]
}

// Column widths, in characters.
const (
	narrow = 10 // codes and numbers
	medium = 16 // words such as "yes_no" or "partly_confirmed"
	wide   = 45 // texts, which wrap
)

// sheetNames lists the sheets in the order they are written.
var sheetNames = []string{"settings", "references", "conditions", "criteria", "indicators", "options", "bands"}

// settingKeys are the keys of the settings sheet, which has a key and a value
// column.
var settingKeys = []field[scoring.Set]{
	{"id", 0, func(s *scoring.Set) any { return &s.ID }},
	{"version", 0, func(s *scoring.Set) any { return &s.Version }},
	{"kind", 0, func(s *scoring.Set) any { return (*string)(&s.Kind) }},
	{"status", 0, func(s *scoring.Set) any { return (*string)(&s.Status) }},
	{"replaced_by", 0, func(s *scoring.Set) any { return &s.ReplacedBy }},
	{"title_vi", 0, func(s *scoring.Set) any { return &s.Title.VI }},
	{"title_en", 0, func(s *scoring.Set) any { return &s.Title.EN }},
	{"issuer_vi", 0, func(s *scoring.Set) any { return &s.Issuer.VI }},
	{"issuer_en", 0, func(s *scoring.Set) any { return &s.Issuer.EN }},
	{"jurisdiction", 0, func(s *scoring.Set) any { return &s.Jurisdiction }},
	{"years_from", 0, func(s *scoring.Set) any { return &s.Years.From }},
	{"years_to", 0, func(s *scoring.Set) any { return (*optInt)(&s.Years.To) }},
	{"note_vi", 0, func(s *scoring.Set) any { return &s.Note.VI }},
	{"note_en", 0, func(s *scoring.Set) any { return &s.Note.EN }},
	{"max_points", 0, func(s *scoring.Set) any { return &s.MaxPoints }},
	{"pass_mark", 0, func(s *scoring.Set) any { return &s.Rules.PassMark.Normal }},
	{"pass_mark_hardship", 0, func(s *scoring.Set) any { return &s.Rules.PassMark.Hardship }},
	{"indicator_min_points", 0, func(s *scoring.Set) any { return (*optNumber)(&s.Rules.IndicatorMinPoints) }},
	{"not_applicable", 0, func(s *scoring.Set) any { return (*string)(&s.Rules.NotApplicable) }},
}

var references = sheet[scoring.Reference]{
	name: "references",
	keys: []string{"number"},
	fields: []field[scoring.Reference]{
		{"number", medium, func(r *scoring.Reference) any { return &r.Number }},
		{"date", narrow + 2, func(r *scoring.Reference) any { return (*date)(&r.Date) }},
		{"note_vi", wide, func(r *scoring.Reference) any { return &r.Note.VI }},
		{"note_en", wide, func(r *scoring.Reference) any { return &r.Note.EN }},
	},
}

var conditions = sheet[scoring.Condition]{
	name: "conditions",
	keys: []string{"code"},
	fields: []field[scoring.Condition]{
		{"code", narrow, func(c *scoring.Condition) any { return &c.Code }},
		{"text_vi", wide, func(c *scoring.Condition) any { return &c.Text.VI }},
		{"text_en", wide, func(c *scoring.Condition) any { return &c.Text.EN }},
		{"guidance_vi", wide, func(c *scoring.Condition) any { return &c.Guidance.VI }},
		{"guidance_en", wide, func(c *scoring.Condition) any { return &c.Guidance.EN }},
		{"short_vi", medium, func(c *scoring.Condition) any { return &c.Short.VI }},
		{"short_en", medium, func(c *scoring.Condition) any { return &c.Short.EN }},
		{"yes_vi", medium, func(c *scoring.Condition) any { return &c.Labels.Yes.VI }},
		{"yes_en", medium, func(c *scoring.Condition) any { return &c.Labels.Yes.EN }},
		{"no_vi", medium, func(c *scoring.Condition) any { return &c.Labels.No.VI }},
		{"no_en", medium, func(c *scoring.Condition) any { return &c.Labels.No.EN }},
	},
}

var criteria = sheet[scoring.Criterion]{
	name:     "criteria",
	required: true,
	keys:     []string{"code"},
	fields: []field[scoring.Criterion]{
		{"code", narrow, func(c *scoring.Criterion) any { return &c.Code }},
		{"text_vi", wide, func(c *scoring.Criterion) any { return &c.Text.VI }},
		{"text_en", wide, func(c *scoring.Criterion) any { return &c.Text.EN }},
		{"max_points", narrow, func(c *scoring.Criterion) any { return &c.MaxPoints }},
		{"min_points", narrow, func(c *scoring.Criterion) any { return (*optNumber)(&c.MinPoints) }},
		{"certainty", medium, func(c *scoring.Criterion) any { return (*string)(&c.Certainty) }},
		{"relevant", medium, func(c *scoring.Criterion) any { return &c.Relevant }},
	},
}

// indicatorRow is a row of the indicators sheet: an indicator, the code of
// its criterion, and its range as two cells.
type indicatorRow struct {
	criterion          string
	ind                scoring.Indicator
	rangeMin, rangeMax *float64
}

var indicators = sheet[indicatorRow]{
	name:     "indicators",
	required: true,
	keys:     []string{"criterion", "code"},
	fields: []field[indicatorRow]{
		{"criterion", narrow, func(r *indicatorRow) any { return &r.criterion }},
		{"code", narrow, func(r *indicatorRow) any { return &r.ind.Code }},
		{"text_vi", wide, func(r *indicatorRow) any { return &r.ind.Text.VI }},
		{"text_en", wide, func(r *indicatorRow) any { return &r.ind.Text.EN }},
		{"guidance_vi", wide, func(r *indicatorRow) any { return &r.ind.Guidance.VI }},
		{"guidance_en", wide, func(r *indicatorRow) any { return &r.ind.Guidance.EN }},
		{"kind", medium, func(r *indicatorRow) any { return (*string)(&r.ind.Kind) }},
		{"max_points", narrow, func(r *indicatorRow) any { return &r.ind.MaxPoints }},
		{"min_points", narrow, func(r *indicatorRow) any { return (*optNumber)(&r.ind.MinPoints) }},
		{"not_applicable", medium, func(r *indicatorRow) any { return &r.ind.NotApplicable }},
		{"unit_vi", medium, func(r *indicatorRow) any { return &r.ind.Unit.VI }},
		{"unit_en", medium, func(r *indicatorRow) any { return &r.ind.Unit.EN }},
		{"range_min", narrow, func(r *indicatorRow) any { return &r.rangeMin }},
		{"range_max", narrow, func(r *indicatorRow) any { return &r.rangeMax }},
		{"evidence", medium, func(r *indicatorRow) any { return (*string)(&r.ind.Evidence.Rule) }},
		{"min_photos", narrow, func(r *indicatorRow) any { return (*optInt)(&r.ind.Evidence.MinPhotos) }},
		{"hint_vi", wide, func(r *indicatorRow) any { return &r.ind.Evidence.Hint.VI }},
		{"hint_en", wide, func(r *indicatorRow) any { return &r.ind.Evidence.Hint.EN }},
		{"certainty", medium, func(r *indicatorRow) any { return (*string)(&r.ind.Certainty) }},
		{"short_vi", medium, func(r *indicatorRow) any { return &r.ind.Short.VI }},
		{"short_en", medium, func(r *indicatorRow) any { return &r.ind.Short.EN }},
		{"relevant", medium, func(r *indicatorRow) any { return &r.ind.Relevant }},
		{"yes_vi", medium, func(r *indicatorRow) any { return &r.ind.Labels.Yes.VI }},
		{"yes_en", medium, func(r *indicatorRow) any { return &r.ind.Labels.Yes.EN }},
		{"no_vi", medium, func(r *indicatorRow) any { return &r.ind.Labels.No.VI }},
		{"no_en", medium, func(r *indicatorRow) any { return &r.ind.Labels.No.EN }},
		{"derive", medium, func(r *indicatorRow) any { return (*string)(&r.ind.Derive) }},
	},
}

func newIndicatorRow(criterion string, ind scoring.Indicator) indicatorRow {
	r := indicatorRow{criterion: criterion, ind: ind}
	if ind.Range != nil {
		r.rangeMin, r.rangeMax = &ind.Range.Min, ind.Range.Max
	}
	r.ind.Range, r.ind.Options, r.ind.Bands = nil, nil, nil
	return r
}

// indicator returns the row's indicator; it has a range when either of the
// range cells is filled in.
func (r indicatorRow) indicator() scoring.Indicator {
	ind := r.ind
	if r.rangeMin != nil || r.rangeMax != nil {
		ind.Range = &scoring.Range{Max: r.rangeMax}
		if r.rangeMin != nil {
			ind.Range.Min = *r.rangeMin
		}
	}
	return ind
}

// optionRow is a row of the options sheet.
type optionRow struct {
	indicator string
	opt       scoring.Option
}

var options = sheet[optionRow]{
	name: "options",
	keys: []string{"indicator", "code"},
	fields: []field[optionRow]{
		{"indicator", narrow, func(r *optionRow) any { return &r.indicator }},
		{"code", medium, func(r *optionRow) any { return &r.opt.Code }},
		{"text_vi", wide, func(r *optionRow) any { return &r.opt.Text.VI }},
		{"text_en", wide, func(r *optionRow) any { return &r.opt.Text.EN }},
		{"points", narrow, func(r *optionRow) any { return &r.opt.Points }},
	},
}

// bandRow is a row of the bands sheet.
type bandRow struct {
	indicator string
	band      scoring.Band
}

var bands = sheet[bandRow]{
	name: "bands",
	keys: []string{"indicator"},
	fields: []field[bandRow]{
		{"indicator", narrow, func(r *bandRow) any { return &r.indicator }},
		{"min", narrow, func(r *bandRow) any { return &r.band.Min }},
		{"max", narrow, func(r *bandRow) any { return &r.band.Max }},
		{"points", narrow, func(r *bandRow) any { return &r.band.Points }},
	},
}

// names returns the names of fields.
func names[T any](fields []field[T]) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}
