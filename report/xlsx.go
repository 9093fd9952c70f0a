package report

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/scoring"
)

// WriteXLSX writes a leader's workbook of an area's figures, in the
// printer's language: a summary sheet of the area's titles, then a sheet
// per title with a row per child area.
func WriteXLSX(w io.Writer, p flows.Progress, pr *locales.Printer) error {
	book := excelize.NewFile()
	defer book.Close()
	summary := pr.T("report.sheet.summary")
	if err := book.SetSheetName("Sheet1", summary); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	head := pr.T("report.heading", map[string]any{"Area": p.Area.Name.In(pr.Lang()), "Year": p.Year})
	rows := [][]any{{head}, {}, header(pr, "report.column.title")}
	for _, f := range p.Titles {
		rows = append(rows, append([]any{pr.T("kind." + string(f.Kind))}, cells(pr, f)...))
	}
	if err := fill(book, summary, rows); err != nil {
		return err
	}
	for i, k := range scoring.Kinds {
		sheet := pr.T("report.sheet." + string(k))
		if _, err := book.NewSheet(sheet); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
		rows := [][]any{{head + " · " + pr.T("kind."+string(k))}, {}, append([]any{pr.T("report.column.code")}, header(pr, "report.column.area")...)}
		for _, c := range p.Children {
			rows = append(rows, append([]any{c.Area.Code, c.Area.Name.In(pr.Lang())}, cells(pr, c.Titles[i])...))
		}
		if err := fill(book, sheet, rows); err != nil {
			return err
		}
	}
	if err := book.Write(w); err != nil {
		return fmt.Errorf("write the workbook: %w", err)
	}
	return nil
}

// figureColumns are the columns of a title's figures, after its name.
var figureColumns = []string{"entities", "source", "registered", "submitted", "waiting", "needs_changes", "accepted",
	"rejected", "recognised", "share", "target_2025", "target_2030", "month"}

// header is a sheet's header row: the first column's, then the figures'.
func header(pr *locales.Printer, first string) []any {
	row := []any{pr.T(first)}
	for _, c := range figureColumns {
		row = append(row, pr.T("report.column."+c))
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

// fill writes rows from A1 down, bolds the header (the third row), formats
// the share and target columns as per cent and fits the columns.
func fill(book *excelize.File, sheet string, rows [][]any) error {
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := book.SetSheetRow(sheet, cell, &row); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
	}
	bold, err := book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	pct, err := book.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	width := len(rows[2])
	last, _ := excelize.CoordinatesToCellName(width, 3)
	if err := book.SetCellStyle(sheet, "A1", "A1", bold); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	if err := book.SetCellStyle(sheet, "A3", last, bold); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	// The share and the two targets are the 10th to 12th figure columns.
	first := width - len(figureColumns)
	for col := first + 10; col <= first+12; col++ {
		from, _ := excelize.CoordinatesToCellName(col, 4)
		to, _ := excelize.CoordinatesToCellName(col, max(len(rows), 4))
		if err := book.SetCellStyle(sheet, from, to, pct); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
	}
	name, _ := excelize.ColumnNumberToName(width)
	if err := book.SetColWidth(sheet, "A", name, 14); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	return book.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
}
