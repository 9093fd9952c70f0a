package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"hoctap/store"
)

func targetsCommands() map[string]command {
	return map[string]command{
		"show":   {usage: "--area CODE [--year Y] [-o FILE]", summary: "the targets in force for an area in a year: its province's own where set, else the nation's", run: targetsShow},
		"import": {usage: "FILE.csv", summary: "load targets (a province's plan, or the nation's) from a CSV file", run: targetsImport},
	}
}

func runTargets(e *env, args []string) error { return dispatch(e, "targets", targetsCommands(), args) }

// targetsShow prints the targets in force, a line each.
func targetsShow(e *env, args []string) error {
	fs, out := flags(e, "hoctap targets show", "--area CODE [--year Y] [-o FILE]")
	areaCode := fs.String("area", "VN", "the area (`CODE`)")
	year := fs.Int("year", 2025, "the year the targets are for")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var targets []store.Target
	err := withReady(e, func(ctx context.Context, db *store.DB) (err error) {
		targets, err = db.Targets(ctx, *areaCode, *year)
		return err
	})
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tBASIS\tSHARE\tJURISDICTION\tCONFIRMED\tSOURCE")
		for _, t := range targets {
			fmt.Fprintf(tw, "%s\t%s\t%s%%\t%s\t%v\t%s\n", t.Kind, t.Basis, strconv.FormatFloat(t.Share, 'f', -1, 64), t.Jurisdiction, t.Confirmed, t.Source)
		}
		return tw.Flush()
	})
}

// targetsImport loads a targets file: each jurisdiction and year in it
// gets the file's targets. A file with problems changes nothing (exit 1).
func targetsImport(e *env, args []string) error {
	return importCSV(e, "hoctap targets import", args, store.ReadTargets, func(ctx context.Context, db *store.DB, targets []store.Target) (string, error) {
		n, err := db.ImportTargets(ctx, targets)
		return fmt.Sprintf("%d targets loaded", n), err
	})
}
