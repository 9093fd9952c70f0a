// Package report renders the progress figures of an area (flows.Progress)
// for leaders' reports: a CSV of its child areas, an XLSX workbook and a
// PNG chart.
package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"hoctap/flows"
)

// CSVHeader is the header of the progress CSV (hoctap export progress):
// a promise to the programs that read it.
var CSVHeader = []string{"area_code", "area_name", "title", "entities", "entities_source", "registered", "in_progress",
	"submitted", "waiting", "needs_changes", "accepted", "rejected", "recognised", "share_pct", "target_2025_pct", "target_2030_pct"}

// Sources of a denominator, as the CSV names them.
const (
	SourceOfficial = "official" // the official count
	SourceRegistry = "registry" // the subjects enrolled, where no official count is known
)

// WriteCSV writes the header, then a row for each child area and each of
// the five titles, zeros included, without a byte order mark: the XLSX is
// the spreadsheet's.
func WriteCSV(w io.Writer, p flows.Progress) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, c := range p.Children {
		for _, f := range c.Titles {
			source := SourceRegistry
			if f.Official {
				source = SourceOfficial
			}
			row := []string{c.Area.Code, c.Area.Name.VI, string(f.Kind), strconv.Itoa(f.Entities), source}
			for _, n := range []int{f.Counts[flows.StateRegistered], f.Counts[flows.StateOpen], f.Submitted(), f.Counts[flows.StateSubmitted],
				f.Counts[flows.ReviewNeedsChanges], f.Counts[flows.ReviewAccepted], f.Counts[flows.ReviewRejected], f.Counts[flows.StateRecognised]} {
				row = append(row, strconv.Itoa(n))
			}
			row = append(row, strconv.FormatFloat(f.Share(), 'f', 1, 64), goal(f, 2025), goal(f, 2030))
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// goal is the target of a year, "" when there is none.
func goal(f flows.Figures, year int) string {
	for _, g := range f.Goals {
		if g.Year == year {
			return strconv.FormatFloat(g.Share, 'f', -1, 64)
		}
	}
	return ""
}
