package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"hoctap/area"
	"hoctap/store"
)

func areasCommands() map[string]command {
	return map[string]command{
		"import": {usage: "FILE.csv [--from YYYY-MM-DD] [--map MAP.csv]", summary: "load or update the area tree from a CSV file; --map places what an area split leaves", run: areasImport},
		"counts": {usage: "import FILE.csv", summary: "load official counts of households, clans, villages, units, adults and staff per area and year", run: runCounts},
	}
}

func runCounts(e *env, args []string) error {
	return dispatch(e, "areas counts", map[string]command{
		"import": {usage: "FILE.csv", summary: "load official counts from a CSV file with the header " + strings.Join(area.CountsHeader, ","), run: countsImport},
	}, args)
}

// countsImport loads a counts file and prints what changed; a file with
// problems changes nothing and exits 1 with every problem.
func countsImport(e *env, args []string) error {
	return importCSV(e, "hoctap areas counts import", args, area.ReadCounts, func(ctx context.Context, db *store.DB, rows []area.Counts) (string, error) {
		n, err := db.ImportCounts(ctx, rows)
		return fmt.Sprintf("%d counts: %d new, %d changed, %d unchanged", len(rows), n.New, n.Changed, n.Unchanged), err
	})
}

// importCSV is a command that loads one CSV file: read checks the file,
// load writes it into the migrated database and says what it did, a line
// on stdout. A file with problems changes nothing: read or load returns
// every problem, and the command exits 1.
func importCSV[T any](e *env, name string, args []string, read func(io.Reader) (T, error),
	load func(context.Context, *store.DB, T) (string, error)) error {
	fs := bareFlags(e, name, "FILE.csv")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("import takes one CSV file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("read %s: %w", fs.Arg(0), err)
	}
	defer f.Close()
	rows, err := read(f)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openMigrated(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	said, err := load(ctx, db, rows)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, said)
	return err
}

func runAreas(e *env, args []string) error {
	return dispatch(e, "areas", areasCommands(), args)
}

// areasImport loads an area file into the database named by DATABASE_URL
// (migrating it first, as serve does) and prints what changed; a file with
// problems — the area file or the map — changes nothing and exits 1 with
// every problem.
func areasImport(e *env, args []string) error {
	fs := bareFlags(e, "hoctap areas import", "FILE.csv [--from YYYY-MM-DD] [--map MAP.csv]")
	from := fs.String("from", "", "the day an area moved to another parent takes effect (`DATE`; today when left out)")
	mapFile := fs.String("map", "", "where the areas and subjects of an area split go: a CSV `FILE` with the header kind,id,new_code (see README)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("import takes one CSV file")
	}
	moved := store.DayOf(time.Now())
	if *from != "" {
		t, err := time.Parse(time.DateOnly, *from)
		if err != nil {
			return usageErrorf("--from is a date (YYYY-MM-DD), not %q", *from)
		}
		moved = t
	}
	rows, err := readAreaFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var moves []area.Move
	if *mapFile != "" {
		if moves, err = readMapFile(*mapFile); err != nil {
			return err
		}
	}
	ctx := context.Background()
	db, err := openMigrated(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.ImportAreasMapped(ctx, rows, moved, moves)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, importSummary(len(rows), n))
	return err
}

// importSummary is the line an import prints: the areas of the file, then
// what moved and who was asked, where anything did or was.
func importSummary(rows int, n store.Imported) string {
	s := fmt.Sprintf("%d areas: %d new, %d changed (%d moved), %d unchanged", rows, n.New, n.Changed, n.Moved, n.Unchanged)
	if n.ChildrenMoved > 0 {
		s += fmt.Sprintf("; %s moved", plural(n.ChildrenMoved, "child area", "child areas"))
	}
	if n.SubjectsMoved > 0 {
		s += fmt.Sprintf("; %s moved to the areas that took theirs over", plural(n.SubjectsMoved, "subject", "subjects"))
	}
	if n.SubjectsMapped > 0 {
		s += fmt.Sprintf("; %s moved as the map places them", plural(n.SubjectsMapped, "subject", "subjects"))
	}
	if n.Asked > 0 {
		s += fmt.Sprintf("; %s asked to pick the new area", plural(n.Asked, "representative", "representatives"))
	}
	return s
}

// plural writes a count with its noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func readAreaFile(path string) ([]area.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read area file: %w", err)
	}
	defer f.Close()
	return area.ReadCSV(f)
}

func readMapFile(path string) ([]area.Move, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read map file: %w", err)
	}
	defer f.Close()
	return area.ReadMap(f)
}
