package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"hoctap/store"
)

func exportCommands() map[string]command {
	return map[string]command{
		"assessments": {usage: "[--format csv|json] [-o FILE]", summary: "every submitted assessment", run: exportAssessments},
	}
}

func runExport(e *env, args []string) error {
	return dispatch(e, "export", exportCommands(), args)
}

func exportAssessments(e *env, args []string) error {
	fs, out := flags(e, "hoctap export assessments", "[--format csv|json] [-o FILE]")
	format := fs.String("format", "csv", "csv, or json (one array of objects)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usageErrorf("--format is csv or json, not %q", *format)
	}
	ctx := context.Background()
	db, err := openMigrated(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeResult(e, *out, func(w io.Writer) error {
		if *format == "json" {
			return exportJSON(ctx, db, w)
		}
		return exportCSV(ctx, db, w)
	})
}

func exportCSV(ctx context.Context, db *store.DB, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "subject_name", "kind", "area_code", "set_id", "set_version", "total", "passed", "submitted_at"})
	err := db.EachSubmitted(ctx, func(s store.Submitted) error {
		return cw.Write([]string{strconv.FormatInt(s.ID, 10), s.SubjectName, s.Kind, s.AreaCode, s.SetID,
			strconv.Itoa(s.SetVersion), strconv.FormatFloat(s.Total, 'f', -1, 64), strconv.FormatBool(s.Passed),
			s.SubmittedAt.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// exportJSON streams one JSON array of objects.
func exportJSON(ctx context.Context, db *store.DB, w io.Writer) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	err := db.EachSubmitted(ctx, func(s store.Submitted) error {
		s.SubmittedAt = s.SubmittedAt.UTC()
		data, err := json.Marshal(s)
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
	fs, _ := flags(e, "hoctap migrate", "")
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

// openMigrated opens the database named by DATABASE_URL and brings its
// schema up to date.
func openMigrated(ctx context.Context, e *env) (*store.DB, error) {
	c, err := loadConfig(e.getenv)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.databaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
