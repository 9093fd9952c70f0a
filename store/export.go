package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Exported is one assessment as exported: every assessment that is not
// abandoned, with its state. An open one has no total, result or
// submission time yet.
type Exported struct {
	ID          int64      `json:"id"`
	SubjectName string     `json:"subject_name"`
	Kind        string     `json:"kind"`
	AreaCode    string     `json:"area_code"`
	AreaName    string     `json:"area_name"` // in Vietnamese, the official name
	Year        int        `json:"year"`
	SetID       string     `json:"set_id"`
	SetVersion  int        `json:"set_version"`
	State       string     `json:"state"` // open or submitted
	Total       *float64   `json:"total"`
	Passed      *bool      `json:"passed"`
	SubmittedAt *time.Time `json:"submitted_at"`
}

// States an export can be filtered by.
var States = []string{"open", "submitted"}

// EachExported calls fn for every assessment that is not abandoned — only
// those in state, unless state is "" — in the order they were started,
// streaming rather than loading them all.
func (db *DB) EachExported(ctx context.Context, state string, fn func(Exported) error) error {
	rows, err := db.pool.Query(ctx, `
		SELECT a.id, s.name, s.kind, s.area_code, ar.name_vi, a.year, a.set_id, a.set_version, a.status,
			a.total::float8, a.passed, a.submitted_at
		FROM assessments a JOIN subjects s ON s.id = a.subject_id JOIN areas ar ON ar.code = s.area_code
		WHERE a.status <> 'abandoned' AND ($1 = '' OR a.status = $1) ORDER BY a.id`, state)
	if err != nil {
		return fmt.Errorf("query assessments: %w", err)
	}
	var e Exported
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.SubjectName, &e.Kind, &e.AreaCode, &e.AreaName, &e.Year, &e.SetID,
		&e.SetVersion, &e.State, &e.Total, &e.Passed, &e.SubmittedAt}, func() error { return fn(e) })
	if err != nil {
		return fmt.Errorf("read assessments: %w", err)
	}
	return nil
}
