package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"hoctap/area"
)

func areasCommands() map[string]command {
	return map[string]command{
		"import": {usage: "FILE.csv [--from YYYY-MM-DD]", summary: "load or update the area tree from a CSV file", run: areasImport},
	}
}

func runAreas(e *env, args []string) error {
	return dispatch(e, "areas", areasCommands(), args)
}

// areasImport loads an area file into the database named by DATABASE_URL
// (migrating it first, as serve does) and prints what changed; a file with
// problems changes nothing and exits 1 with every problem.
func areasImport(e *env, args []string) error {
	fs := bareFlags(e, "hoctap areas import", "FILE.csv [--from YYYY-MM-DD]")
	from := fs.String("from", "", "the day an area moved to another parent takes effect (`DATE`; today when left out)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("import takes one CSV file")
	}
	moved := time.Now().UTC().Truncate(24 * time.Hour)
	if *from != "" {
		t, err := time.Parse(time.DateOnly, *from)
		if err != nil {
			return usageErrorf("--from is a date (YYYY-MM-DD), not %q", *from)
		}
		moved = t
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("read area file: %w", err)
	}
	defer f.Close()
	rows, err := area.ReadCSV(f)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openMigrated(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.ImportAreas(ctx, rows, moved)
	if err != nil {
		return err
	}
	subjects := ""
	if n.SubjectsMoved > 0 {
		subjects = fmt.Sprintf("; %d subjects moved to the areas that took theirs over", n.SubjectsMoved)
	}
	_, err = fmt.Fprintf(e.stdout, "%d areas: %d new, %d changed (%d moved), %d unchanged%s\n",
		len(rows), n.New, n.Changed, n.Moved, n.Unchanged, subjects)
	return err
}
