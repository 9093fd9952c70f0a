package xlsx

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"hoctap/scoring"
)

// Limits on what Import reads: a criteria workbook is a few dozen kilobytes.
const (
	maxFileSize  = 32 << 20 // the workbook file
	maxUnzipSize = 64 << 20 // all its parts, unzipped
	maxPartSize  = 16 << 20 // one part, unzipped, kept in memory
)

// Import reads a workbook written as Export writes it, or by hand, and
// returns the validated set; name is the file name used in problems.
//
// What is wrong with the workbook comes back as scoring.Problems whose Path
// names the sheet and cell, e.g. `indicators!F7: "ten" is not a number`.
// Only a workbook without such problems is validated; the problems
// scoring.Validate finds keep the paths of the model, e.g.
// criteria[2].indicators[1].options[0].points.
func Import(name string, r io.Reader) (set *scoring.Set, err error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, scoring.Problems{{File: name, Msg: fmt.Sprintf("the file is larger than %d MiB", maxFileSize>>20)}}
	}
	defer func() {
		if p := recover(); p != nil {
			set, err = nil, scoring.Problems{{File: name, Msg: fmt.Sprintf("the workbook cannot be read: %v", p)}}
		}
	}()
	book, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxUnzipSize,
		UnzipXMLSizeLimit: maxPartSize,
	})
	if err != nil {
		return nil, scoring.Problems{{File: name, Msg: fmt.Sprintf("not an Excel workbook (.xlsx): %v", err)}}
	}
	defer book.Close()

	rd := &reader{file: name, book: book}
	s := rd.set()
	if len(rd.problems) > 0 {
		return nil, rd.problems
	}
	if ps := scoring.Validate(name, s); len(ps) > 0 {
		return nil, ps
	}
	return s, nil
}

// reader reads a set from a workbook and collects the problems it finds.
type reader struct {
	file     string
	book     *excelize.File
	sheets   map[string]string // a sheet of sheetNames → its name in the workbook
	date1904 bool              // dates count from 1904, not 1900
	problems scoring.Problems
}

func (r *reader) add(path, format string, args ...any) {
	r.problems = append(r.problems, scoring.Problem{File: r.file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (r *reader) set() *scoring.Set {
	r.findSheets()
	if props, err := r.book.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		r.date1904 = *props.Date1904
	}

	s := &scoring.Set{}
	r.settings(s)
	_, refs := readRows(r, references)
	for _, rec := range refs {
		s.References = append(s.References, rec.val)
	}
	_, conds := readRows(r, conditions)
	for _, rec := range conds {
		s.Conditions = append(s.Conditions, rec.val)
	}
	critTable, crits := readRows(r, criteria)
	critAt := map[string]int{} // code → index of the first criterion with it
	for _, rec := range crits {
		if _, dup := critAt[rec.val.Code]; !dup {
			critAt[rec.val.Code] = len(s.Criteria)
		}
		s.Criteria = append(s.Criteria, rec.val)
	}

	type place struct{ crit, ind int }
	indAt := map[string]place{} // code → the first indicator with it
	var orphans []string        // codes of indicators without a criterion
	indTable, inds := readRows(r, indicators)
	for _, rec := range inds {
		ci, ok := owner(r, critTable, indTable, rec.row, "criterion", rec.val.criterion, critAt)
		if !ok {
			orphans = append(orphans, rec.val.ind.Code)
			continue
		}
		c := &s.Criteria[ci]
		if _, dup := indAt[rec.val.ind.Code]; !dup {
			indAt[rec.val.ind.Code] = place{ci, len(c.Indicators)}
		}
		c.Indicators = append(c.Indicators, rec.val.indicator())
	}

	// No indicator is added from here on, so pointers to them stay valid.
	byCode := make(map[string]*scoring.Indicator, len(indAt))
	for code, p := range indAt {
		byCode[code] = &s.Criteria[p.crit].Indicators[p.ind]
	}
	for _, code := range orphans {
		if byCode[code] == nil {
			// Its options and bands go nowhere: the orphan is problem enough.
			byCode[code] = new(scoring.Indicator)
		}
	}
	optTable, opts := readRows(r, options)
	for _, rec := range opts {
		if ind, ok := owner(r, indTable, optTable, rec.row, "indicator", rec.val.indicator, byCode); ok {
			ind.Options = append(ind.Options, rec.val.opt)
		}
	}
	bandTable, bnds := readRows(r, bands)
	for _, rec := range bnds {
		if ind, ok := owner(r, indTable, bandTable, rec.row, "indicator", rec.val.indicator, byCode); ok {
			ind.Bands = append(ind.Bands, rec.val.band)
		}
	}
	return s
}

// owner looks up the criterion or indicator that a row names in its col
// cell. When the owners' sheet could not be read, that is problem enough.
func owner[V any](r *reader, owners, t *table, row int, col, code string, byCode map[string]V) (V, bool) {
	v, ok := byCode[code]
	switch {
	case owners == nil:
		ok = false
	case code == "":
		r.add(t.at(row, t.cols[col]), "the %s is missing", col)
		ok = false
	case !ok:
		r.add(t.at(row, t.cols[col]), "%s %q does not exist", col, code)
	}
	return v, ok
}

// findSheets finds the sheets of the set, whatever their case; any other
// sheet is a problem.
func (r *reader) findSheets() {
	r.sheets = map[string]string{}
	for _, name := range r.book.GetSheetList() {
		known := strings.ToLower(strings.TrimSpace(name))
		switch other, dup := r.sheets[known]; {
		case !slices.Contains(sheetNames, known):
			r.add(name, "unknown sheet; the sheets are %s", strings.Join(sheetNames, ", "))
		case dup:
			r.add(name, "the workbook already has this sheet as %q", other)
		default:
			r.sheets[known] = name
		}
	}
}

// settings reads the settings sheet, one key and value a row, into s.
func (r *reader) settings(s *scoring.Set) {
	t := r.table("settings", true, []string{"key", "value"}, []string{"key", "value"})
	if t == nil {
		return
	}
	kc, vc := t.cols["key"], t.cols["value"]
	seen := map[string]int{} // key → the row it is in
	for row := 1; row < t.rows(); row++ {
		if t.blank(row) {
			continue
		}
		_, key := t.cell(row, kc)
		key = strings.ToLower(key)
		i := slices.IndexFunc(settingKeys, func(f field[scoring.Set]) bool { return f.name == key })
		switch {
		case key == "":
			r.add(t.at(row, kc), "the key is missing")
		case i < 0:
			r.add(t.at(row, kc), "unknown key %q", key)
		case seen[key] > 0:
			r.add(t.at(row, kc), "key %q is already given in row %d", key, seen[key])
		default:
			seen[key] = row + 1
			raw, shown := t.cell(row, vc)
			r.read(settingKeys[i].ref(s), raw, shown, t.at(row, vc))
		}
	}
}

// record is a row read from a sheet: its 0-based index and what it holds.
type record[T any] struct {
	row int
	val T
}

// readRows reads the rows of a sheet other than settings. It returns no
// table when the sheet is missing or cannot be read.
func readRows[T any](r *reader, def sheet[T]) (*table, []record[T]) {
	t := r.table(def.name, def.required, names(def.fields), def.keys)
	if t == nil {
		return nil, nil
	}
	var recs []record[T]
	for row := 1; row < t.rows(); row++ {
		if t.blank(row) {
			continue
		}
		var v T
		for _, f := range def.fields {
			if col, ok := t.cols[f.name]; ok {
				raw, shown := t.cell(row, col)
				r.read(f.ref(&v), raw, shown, t.at(row, col))
			}
		}
		recs = append(recs, record[T]{row, v})
	}
	return t, recs
}

// table is the cells of a sheet, each both raw (a number as stored) and as
// shown (a number as Excel shows it), and where its columns are.
type table struct {
	sheet      string
	raw, shown [][]string
	cols       map[string]int // column name → 0-based index
}

// table reads a sheet and its header row. A missing sheet is a problem when
// it is required; a missing key column, a column not in known, a column
// given twice and a value under no header are problems. It returns nil when
// the sheet is missing, cannot be read or lacks a key column.
func (r *reader) table(name string, required bool, known, keys []string) *table {
	sheet, ok := r.sheets[name]
	if !ok {
		if required {
			r.add(name, "the sheet is missing")
		}
		return nil
	}
	raw, err := r.book.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		r.add(sheet, "the sheet cannot be read: %v", err)
		return nil
	}
	shown, err := r.book.GetRows(sheet)
	if err != nil {
		r.add(sheet, "the sheet cannot be read: %v", err)
		return nil
	}
	t := &table{sheet: sheet, raw: raw, shown: shown, cols: map[string]int{}}

	headed := map[int]bool{} // columns with a header, known or not
	var header []string
	if len(shown) > 0 {
		header = shown[0]
	}
	for col, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		headed[col] = true
		first, dup := t.cols[h]
		switch {
		case !slices.Contains(known, h):
			r.add(t.at(0, col), "unknown column %q", h)
		case dup:
			r.add(t.at(0, col), "column %q is already in %s", h, cellName(first, 0))
		default:
			t.cols[h] = col
		}
	}
	reported := map[int]bool{}
	for row := 1; row < len(shown); row++ {
		for col, v := range shown[row] {
			if !headed[col] && !reported[col] && strings.TrimSpace(v) != "" {
				r.add(t.at(row, col), "a value in a column without a header")
				reported[col] = true
			}
		}
	}

	complete := true
	for _, k := range keys {
		if _, ok := t.cols[k]; !ok {
			r.add(sheet+"!1:1", "the column %q is missing", k)
			complete = false
		}
	}
	if !complete {
		return nil
	}
	return t
}

func (t *table) rows() int { return max(len(t.raw), len(t.shown)) }

// cell returns the trimmed cell at the 0-based row and col, raw and as
// shown.
func (t *table) cell(row, col int) (raw, shown string) {
	get := func(rows [][]string) string {
		if row < len(rows) && col < len(rows[row]) {
			return strings.TrimSpace(rows[row][col])
		}
		return ""
	}
	return get(t.raw), get(t.shown)
}

// blank reports whether every known column of a row is empty.
func (t *table) blank(row int) bool {
	for _, col := range t.cols {
		if raw, shown := t.cell(row, col); raw != "" || shown != "" {
			return false
		}
	}
	return true
}

// at names a cell as Excel does, e.g. "indicators!F7".
func (t *table) at(row, col int) string { return t.sheet + "!" + cellName(col, row) }

// cellName names the cell at the 0-based col and row, e.g. "F7".
func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col+1, row+1)
	if err != nil {
		return fmt.Sprintf("R%dC%d", row+1, col+1)
	}
	return name
}
