package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/report"
	"hoctap/store"
)

const progressUsage = "--area CODE [--year Y] [--format csv|xlsx] [-o FILE]"

// exportProgress writes an area's figures of a year: as CSV, the header
// and a row per child area and title; as XLSX, the leader's workbook.
func exportProgress(e *env, args []string) error {
	fs, out := flags(e, "hoctap export progress", progressUsage)
	areaCode := fs.String("area", "", "the area (`CODE`)")
	year := fs.Int("year", store.DayOf(time.Now()).Year(), "the year")
	format := fs.String("format", "csv", "csv (a row per child area and title), or xlsx")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	switch {
	case *areaCode == "":
		return usageErrorf("--area is required")
	case *format != "csv" && *format != "xlsx":
		return usageErrorf("--format is csv or xlsx, not %q", *format)
	}
	var p flows.Progress
	var wb flows.Workbook
	err := withReady(e, func(ctx context.Context, db *store.DB) (err error) {
		if *format == "xlsx" {
			wb, err = db.AreaWorkbook(ctx, *areaCode, *year, time.Now())
			return err
		}
		p, err = db.AreaProgress(ctx, *areaCode, *year, time.Now())
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return fmt.Errorf("no area %q", *areaCode)
	}
	if err != nil {
		return err
	}
	if *format == "csv" {
		return writeResult(e, *out, func(w io.Writer) error { return report.WriteCSV(w, p) })
	}
	sets, err := catalog(e)
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error { return report.WriteXLSX(w, wb, sets, locales.For("vi")) })
}

func rollupCommands() map[string]command {
	return map[string]command{
		"check": {usage: "[--fix]", summary: "recompute the roll-ups from the facts and print each count that differs (exit 1 when one does); --fix rebuilds them", run: rollupCheck},
	}
}

func runRollup(e *env, args []string) error { return dispatch(e, "rollup", rollupCommands(), args) }

// rollupCheck prints each drifting count as "AREA YEAR KIND STATE kept N
// facts M", and a summary on stderr.
func rollupCheck(e *env, args []string) error {
	fs, out := flags(e, "hoctap rollup check", "[--fix]")
	fix := fs.Bool("fix", false, "rebuild the roll-ups from the facts when they drifted")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var checked store.Checked
	err := withReady(e, func(ctx context.Context, db *store.DB) (err error) {
		start := time.Now()
		if checked, err = db.CheckRollups(ctx); err != nil {
			return err
		}
		e.log.Info("roll-ups checked", "counts", checked.Counts, "drifts", len(checked.Drifts),
			"standings_stale", checked.Standings, "took", time.Since(start).Round(time.Millisecond))
		if *fix && (len(checked.Drifts) > 0 || checked.Standings > 0) {
			if err := db.RebuildRollups(ctx); err != nil {
				return err
			}
			e.log.Info("roll-ups rebuilt from the facts")
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = writeResult(e, *out, func(w io.Writer) error {
		for _, d := range checked.Drifts {
			if _, err := fmt.Fprintf(w, "%s %d %s %s kept %d facts %d\n", d.Area, d.Year, d.Kind, d.State, d.Kept, d.Facts); err != nil {
				return err
			}
		}
		if checked.Standings > 0 {
			_, err := fmt.Fprintf(w, "standings stale %d\n", checked.Standings)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(checked.Drifts) > 0 || checked.Standings > 0 {
		return errFound
	}
	return nil
}
