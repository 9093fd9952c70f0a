package report

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/xuri/excelize/v2"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/scoring"
)

// WriteXLSX writes a leader's workbook of an area, in the printer's
// language: a summary sheet of the area's titles, a sheet per title with
// a row per child area, the indicators missed (their texts from sets),
// and the assessments in scope.
func WriteXLSX(w io.Writer, wb flows.Workbook, sets *scoring.Catalog, pr *locales.Printer) error {
	book := excelize.NewFile()
	defer book.Close()
	head := pr.T("report.heading", map[string]any{"Area": wb.Area.Name.In(pr.Lang()), "Year": wb.Year})
	sheets := []sheet{summarySheet(wb.Progress, pr, head)}
	for i, k := range scoring.Kinds {
		sheets = append(sheets, titleSheet(wb.Progress, i, pr, head+" · "+pr.T("kind."+string(k))))
	}
	sheets = append(sheets, missesSheet(wb, sets, pr, head), inScopeSheet(wb, pr, head))
	for i, s := range sheets {
		if i == 0 {
			if err := book.SetSheetName("Sheet1", s.name); err != nil {
				return fmt.Errorf("workbook: %w", err)
			}
		} else if _, err := book.NewSheet(s.name); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
		if err := fill(book, s); err != nil {
			return fmt.Errorf("workbook, sheet %s: %w", s.name, err)
		}
	}
	if err := book.Write(w); err != nil {
		return fmt.Errorf("write the workbook: %w", err)
	}
	return nil
}

// sheet is one sheet's rows: a heading, a note (often empty), the header
// and the data; percent lists the columns (from 1) whose data are
// fractions to show as per cent.
type sheet struct {
	name    string
	rows    [][]any
	percent []int
}

func summarySheet(p flows.Progress, pr *locales.Printer, head string) sheet {
	s := sheet{name: pr.T("report.sheet.summary"), rows: [][]any{{head}, {}, header(pr, "report.column.title")}, percent: figurePercent(1)}
	for _, f := range p.Titles {
		s.rows = append(s.rows, append([]any{pr.T("kind." + string(f.Kind))}, cells(pr, f)...))
	}
	return s
}

func titleSheet(p flows.Progress, i int, pr *locales.Printer, head string) sheet {
	s := sheet{name: pr.T("report.sheet." + string(scoring.Kinds[i])), percent: figurePercent(2),
		rows: [][]any{{head}, {}, append([]any{pr.T("report.column.code")}, header(pr, "report.column.area")...)}}
	for _, c := range p.Children {
		s.rows = append(s.rows, append([]any{c.Area.Code, c.Area.Name.In(pr.Lang())}, cells(pr, c.Titles[i])...))
	}
	return s
}

// missesSheet lists every indicator missed at least once, as the nightly
// count found them, the most often missed of each title first.
func missesSheet(wb flows.Workbook, sets *scoring.Catalog, pr *locales.Printer, head string) sheet {
	note := pr.T("report.misses.never")
	if !wb.Misses.Built.IsZero() {
		note = pr.T("report.misses.built", map[string]any{"At": pr.Time(wb.Misses.Built)})
	}
	s := sheet{name: pr.T("report.sheet.misses"), percent: []int{7},
		rows: [][]any{{head + " · " + pr.T("report.sheet.misses")}, {note}, columns(pr, "title", "set", "indicator_code", "indicator", "assessed", "missed", "missed_share")}}
	for _, x := range wb.Misses.List {
		s.rows = append(s.rows, []any{pr.T("kind." + string(x.Kind)), x.SetID, x.Code, sets.IndicatorText(x.SetID, x.Code, pr.Lang()),
			x.Assessed, x.Missed, x.Share() / 100})
	}
	return s
}

// inScopeSheet lists the assessments in scope, and says so when there
// are more than it lists.
func inScopeSheet(wb flows.Workbook, pr *locales.Printer, head string) sheet {
	var note any
	if all := wb.Assessed(); all > len(wb.InScope) {
		note = pr.T("report.assessments.more", map[string]any{"Listed": pr.Count(len(wb.InScope)), "All": pr.Count(all)})
	}
	s := sheet{name: pr.T("report.sheet.assessments"),
		rows: [][]any{{head + " · " + pr.T("report.sheet.assessments")}, {note},
			columns(pr, "id", "title", "subject", "code", "area", "state", "total", "result", "submitted_at")}}
	for _, x := range wb.InScope {
		var total, result, submitted any = "", "", ""
		if x.Total != nil {
			total = *x.Total
		}
		if x.Passed != nil {
			result = pr.T("report.result.failed")
			if *x.Passed {
				result = pr.T("report.result.passed")
			}
		}
		if x.Submitted != nil {
			submitted = wallClock(*x.Submitted)
		}
		s.rows = append(s.rows, []any{x.ID, pr.T("kind." + string(x.Kind)), x.Subject, x.Area.Code, x.Area.Name.In(pr.Lang()),
			pr.T("report.state." + x.State), total, result, submitted})
	}
	return s
}

// wallClock is a time as Vietnam's clocks show it, which a spreadsheet
// takes as it is: spreadsheets know no time zones.
func wallClock(t time.Time) time.Time {
	v := t.In(flows.Vietnam)
	return time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), 0, time.UTC)
}

// figureColumns are the columns of a title's figures, after its name.
var figureColumns = []string{"entities", "source", "registered", "submitted", "waiting", "needs_changes", "accepted",
	"rejected", "recognised", "share", "target_2025", "target_2030", "month"}

// figurePercent are the per cent columns (the share and the two targets,
// the 10th to 12th figure columns) when the figures start after the
// first columns.
func figurePercent(first int) []int { return []int{first + 10, first + 11, first + 12} }

// header is a figures sheet's header row: the first column's, then the
// figures'.
func header(pr *locales.Printer, first string) []any {
	return append([]any{pr.T(first)}, columns(pr, figureColumns...)...)
}

// columns are the columns' names, in the printer's language.
func columns(pr *locales.Printer, names ...string) []any {
	row := make([]any, len(names))
	for i, c := range names {
		row[i] = pr.T("report.column." + c)
	}
	return row
}

// cells are a title's figures, in figureColumns' order: numbers as
// numbers, a share as a fraction to format as per cent.
func cells(pr *locales.Printer, f flows.Figures) []any {
	source := pr.T("report.source.registry")
	if f.Official {
		source = pr.T("report.source.official", map[string]any{"Year": f.CountsYear})
	}
	row := []any{f.Entities, source, f.Counts[flows.StateRegistered], f.Submitted(), f.Counts[flows.StateSubmitted],
		f.Counts[flows.ReviewNeedsChanges], f.Counts[flows.ReviewAccepted], f.Counts[flows.ReviewRejected],
		f.Counts[flows.StateRecognised], f.Share() / 100}
	for _, year := range []int{2025, 2030} {
		var target any = ""
		for _, g := range f.Goals {
			if g.Year == year {
				target = g.Share / 100
			}
		}
		row = append(row, target)
	}
	var month any = ""
	if f.MonthStart >= 0 {
		month = f.Counts[flows.StateRecognised] - f.MonthStart
	}
	return append(row, month)
}

// fill writes a sheet's rows from A1 down, through a stream (a sheet may
// hold tens of thousands of rows): the heading and the header (the third
// row) bold, the per cent columns as per cent, dates as dates, the
// columns fitted and the header frozen.
func fill(book *excelize.File, s sheet) error {
	bold, err := book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	pct, err := book.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	date, err := book.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm, as the reader's locale writes it
	if err != nil {
		return err
	}
	sw, err := book.NewStreamWriter(s.name)
	if err != nil {
		return err
	}
	width := len(s.rows[2])
	if err := sw.SetColWidth(1, width, 16); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, row := range s.rows {
		out := make([]any, len(row))
		for j, v := range row {
			c := excelize.Cell{Value: v}
			switch {
			case i == 0 || i == 2:
				c.StyleID = bold
			case i > 2 && slices.Contains(s.percent, j+1):
				c.StyleID = pct
			}
			if _, ok := v.(time.Time); ok {
				c.StyleID = date
			}
			out[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, out); err != nil {
			return err
		}
	}
	return sw.Flush()
}
