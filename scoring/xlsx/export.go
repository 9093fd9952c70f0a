package xlsx

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"hoctap/scoring"
)

// Export writes s as an Excel workbook to w: one sheet per part of the set,
// each with a bold, frozen header row and columns wide enough to read.
// Import reads it back as the same set.
func Export(w io.Writer, s *scoring.Set) (err error) {
	if s == nil {
		return errors.New("export criteria set: no set")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("export %s: %v", s.Ref(), p)
		}
	}()
	book := excelize.NewFile()
	defer book.Close()

	wr := &writer{book: book}
	wr.styles()
	wr.settings(s)
	writeSheet(wr, references, s.References)
	writeSheet(wr, conditions, s.Conditions)
	writeSheet(wr, criteria, s.Criteria)
	var inds []indicatorRow
	var opts []optionRow
	var bnds []bandRow
	for _, c := range s.Criteria {
		for _, ind := range c.Indicators {
			inds = append(inds, newIndicatorRow(c.Code, ind))
			for _, o := range ind.Options {
				opts = append(opts, optionRow{ind.Code, o})
			}
			for _, b := range ind.Bands {
				bnds = append(bnds, bandRow{ind.Code, b})
			}
		}
	}
	writeSheet(wr, indicators, inds)
	writeSheet(wr, options, opts)
	writeSheet(wr, bands, bnds)
	if wr.err != nil {
		return fmt.Errorf("export %s: %w", s.Ref(), wr.err)
	}
	if _, err := book.WriteTo(w); err != nil {
		return fmt.Errorf("export %s: %w", s.Ref(), err)
	}
	return nil
}

// writer writes sheets into a workbook; its first error stops it.
type writer struct {
	book            *excelize.File
	head, top, wrap int // styles: the header row, cells, texts
	sheets          int // sheets written so far
	err             error
}

// styles adds the styles of the header row, of cells and of wrapped texts.
func (w *writer) styles() {
	top := &excelize.Alignment{Vertical: "top"}
	for _, st := range []struct {
		id    *int
		style *excelize.Style
	}{
		{&w.head, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
			Alignment: top,
		}},
		{&w.top, &excelize.Style{Alignment: top}},
		{&w.wrap, &excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}}},
	} {
		if w.err == nil {
			*st.id, w.err = w.book.NewStyle(st.style)
		}
	}
}

// addSheet adds a sheet with the given columns: their header, widths and
// styles, and the header frozen so that it stays in view.
func (w *writer) addSheet(name string, header []string, widths []float64) {
	if w.err != nil {
		return
	}
	if w.sheets == 0 {
		w.err = w.book.SetSheetName(w.book.GetSheetName(0), name)
	} else {
		_, w.err = w.book.NewSheet(name)
	}
	w.sheets++
	for i, width := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		style := w.top
		if width >= wide {
			style = w.wrap
		}
		w.do(w.book.SetColWidth(name, col, col, width))
		w.do(w.book.SetColStyle(name, col, style))
	}
	for i, h := range header {
		w.cell(name, i, 0, h)
	}
	last, _ := excelize.CoordinatesToCellName(len(header), 1)
	w.do(w.book.SetCellStyle(name, "A1", last, w.head))
	w.do(w.book.SetPanes(name, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}))
}

// do keeps err when it is the writer's first.
func (w *writer) do(err error) {
	if w.err == nil {
		w.err = err
	}
}

// cell writes v, a string, float64 or int, to the cell at the 0-based col
// and row; a nil v leaves the cell empty.
func (w *writer) cell(sheet string, col, row int, v any) {
	if w.err != nil || v == nil {
		return
	}
	at, err := excelize.CoordinatesToCellName(col+1, row+1)
	if err != nil {
		w.err = err
		return
	}
	switch v := v.(type) {
	case string:
		if len(utf16.Encode([]rune(v))) > excelize.TotalCellChars {
			w.err = fmt.Errorf("%s!%s: the text is longer than the %d characters a cell holds", sheet, at, excelize.TotalCellChars)
			return
		}
		w.err = w.book.SetCellStr(sheet, at, v)
	case float64:
		// With the number of decimals the shortest exact form needs, not
		// excelize's default of 15 significant digits.
		w.err = w.book.SetCellFloat(sheet, at, v, decimals(v), 64)
	case int:
		w.err = w.book.SetCellInt(sheet, at, int64(v))
	default:
		w.err = fmt.Errorf("%s!%s: cannot write a %T", sheet, at, v)
	}
}

// decimals returns how many decimals v needs to be written exactly.
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// settings writes the settings sheet: every key, even those left empty, so
// that an author sees them all.
func (w *writer) settings(s *scoring.Set) {
	const valueWidth = 60
	w.addSheet("settings", []string{"key", "value"}, []float64{22, valueWidth})
	for i, f := range settingKeys {
		v := cellValue(f.ref(s))
		w.cell("settings", 0, i+1, f.name)
		w.cell("settings", 1, i+1, v)
		w.fit("settings", i+1, lines(v, valueWidth))
	}
}

// writeSheet writes a sheet, one row a T.
func writeSheet[T any](w *writer, def sheet[T], rows []T) {
	widths := make([]float64, len(def.fields))
	for i, f := range def.fields {
		widths[i] = f.width
	}
	w.addSheet(def.name, names(def.fields), widths)
	for r := range rows {
		height := 1
		for c, f := range def.fields {
			v := cellValue(f.ref(&rows[r]))
			w.cell(def.name, c, r+1, v)
			if f.width >= wide {
				height = max(height, lines(v, f.width))
			}
		}
		w.fit(def.name, r+1, height)
	}
}

// lines estimates how many lines a text takes in a column of the given
// width when it wraps.
func lines(v any, width float64) int {
	s, _ := v.(string)
	n := 0
	for _, para := range strings.Split(s, "\n") {
		n += max(1, int(math.Ceil(float64(utf8.RuneCountInString(para))/width)))
	}
	return n
}

// fit makes the 0-based row tall enough for the given number of lines, as
// neither Excel nor LibreOffice does so when opening a workbook.
func (w *writer) fit(sheet string, row, n int) {
	const lineHeight, maxHeight = 15, 409 // points
	if w.err == nil && n > 1 {
		w.err = w.book.SetRowHeight(sheet, row+1, min(float64(n*lineHeight), maxHeight))
	}
}

// cellValue returns what the cell for a field holds: a string, float64, int
// or nil for an empty cell. ref is a pointer as listed at date.
func cellValue(ref any) any {
	switch p := ref.(type) {
	case *string:
		if *p != "" {
			return *p
		}
	case *date:
		if *p != "" {
			return string(*p)
		}
	case *float64:
		return *p
	case *optNumber:
		if *p != 0 {
			return float64(*p)
		}
	case **float64:
		if *p != nil {
			return **p
		}
	case *int:
		return *p
	case *optInt:
		if *p != 0 {
			return int(*p)
		}
	case *bool:
		if *p {
			return "yes"
		}
		return "no"
	case **scoring.Relevant:
		if *p != nil {
			return (*p).String()
		}
	default:
		panic(fmt.Sprintf("xlsx: a field of type %T", ref))
	}
	return nil
}
