package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"hoctap/store"
)

func exportCommands() map[string]command {
	return map[string]command{
		"assessments": {usage: "[--format csv|json] [--state STATE] [-o FILE]", summary: "every assessment that is not abandoned, with its state", run: exportAssessments},
		"progress":    {usage: progressUsage, summary: "an area's figures against the targets: a row per child area and title (csv), or a workbook (xlsx)", run: exportProgress},
	}
}

func runExport(e *env, args []string) error {
	return dispatch(e, "export", exportCommands(), args)
}

func exportAssessments(e *env, args []string) error {
	fs, out := flags(e, "hoctap export assessments", "[--format csv|json] [--state STATE] [-o FILE]")
	format := fs.String("format", "csv", "csv (with a UTF-8 BOM, for spreadsheets), or json (one array of objects)")
	state := fs.String("state", "", "only the assessments in this `STATE`: "+strings.Join(store.States, ", "))
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usageErrorf("--format is csv or json, not %q", *format)
	}
	if *state != "" && !slices.Contains(store.States, *state) {
		return usageErrorf("--state is one of %s, not %q", strings.Join(store.States, ", "), *state)
	}
	ctx := context.Background()
	db, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeResult(e, *out, func(w io.Writer) error {
		if *format == "json" {
			return exportJSON(ctx, db, *state, w)
		}
		return exportCSV(ctx, db, *state, w)
	})
}

// exportCSV writes a header and a row per assessment, after a UTF-8 byte
// order mark: without it Excel reads the Vietnamese names as another
// encoding. The columns are the JSON's fields, in the same order.
func exportCSV(ctx context.Context, db *store.DB, state string, w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "subject_name", "kind", "area_code", "area_name", "year", "set_id", "set_version", "state",
		"assisted", "total", "passed", "submitted_at"})
	err := db.EachExported(ctx, state, func(a store.Exported) error {
		var total, passed, at string
		if a.Total != nil {
			total = strconv.FormatFloat(*a.Total, 'f', -1, 64)
		}
		if a.Passed != nil {
			passed = strconv.FormatBool(*a.Passed)
		}
		if a.SubmittedAt != nil {
			at = a.SubmittedAt.UTC().Format(time.RFC3339)
		}
		return cw.Write([]string{strconv.FormatInt(a.ID, 10), a.SubjectName, a.Kind, a.AreaCode, a.AreaName,
			strconv.Itoa(a.Year), a.SetID, strconv.Itoa(a.SetVersion), a.State, strconv.FormatBool(a.Assisted), total, passed, at})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// exportJSON streams one JSON array of objects.
func exportJSON(ctx context.Context, db *store.DB, state string, w io.Writer) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	err := db.EachExported(ctx, state, func(a store.Exported) error {
		if a.SubmittedAt != nil {
			at := a.SubmittedAt.UTC()
			a.SubmittedAt = &at
		}
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		sep := "\n  "
		if n > 0 {
			sep = ",\n  "
		}
		n++
		_, err = io.WriteString(w, sep+string(data))
		return err
	})
	if err != nil {
		return err
	}
	end := "]\n"
	if n > 0 {
		end = "\n]\n"
	}
	_, err = io.WriteString(w, end)
	return err
}

func runMigrate(e *env, args []string) error {
	fs := bareFlags(e, "hoctap migrate", "")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	db, err := openMigrated(context.Background(), e)
	if err != nil {
		return err
	}
	db.Close()
	e.log.Info("the database schema is up to date")
	return nil
}

// openReady opens the database named by DATABASE_URL, whose schema must be
// up to date: a command that reads never changes the schema.
func openReady(ctx context.Context, e *env) (*store.DB, error) {
	return openDB(ctx, e, (*store.DB).Ready)
}

// openMigrated opens the database named by DATABASE_URL and brings its
// schema up to date.
func openMigrated(ctx context.Context, e *env) (*store.DB, error) {
	return openDB(ctx, e, (*store.DB).Migrate)
}

// openDB opens the database named by DATABASE_URL and checks or prepares
// its schema with prepare.
func openDB(ctx context.Context, e *env, prepare func(*store.DB, context.Context) error) (*store.DB, error) {
	c, err := loadConfig(e.lookup)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.databaseURL)
	if err != nil {
		return nil, err
	}
	if err := prepare(db, ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
