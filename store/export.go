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
	State       string     `json:"state"` // one of States
	Assisted    bool       `json:"assisted"`
	Total       *float64   `json:"total"`
	Passed      *bool      `json:"passed"`
	SubmittedAt *time.Time `json:"submitted_at"`
}

// States are the states of an exported assessment, and what an export can
// be filtered by: open (in progress), submitted (waiting for review or
// again after changes), needs_changes (sent back, being changed),
// accepted, rejected, recognised.
var States = []string{"open", "submitted", "needs_changes", "accepted", "rejected", "recognised"}

// EachExported calls fn for every assessment that is not abandoned — only
// those in state, unless state is "" — in the order they were started,
// streaming rather than loading them all.
func (db *DB) EachExported(ctx context.Context, state string, fn func(Exported) error) error {
	rows, err := db.pool.Query(ctx, `
		SELECT * FROM (
			SELECT a.id, s.name, s.kind, s.area_code, ar.name_vi, a.year, a.set_id, a.set_version,
				`+assessmentStateSQL+` AS state,
				a.assisted, a.total::float8, a.passed, coalesce(a.submitted_at, r.waiting_since)
			FROM assessments a JOIN subjects s ON s.id = a.subject_id JOIN areas ar ON ar.code = s.area_code
			LEFT JOIN reviews r ON r.assessment_id = a.id
			LEFT JOIN recognitions g ON g.assessment_id = a.id AND g.ended_at IS NULL
			WHERE a.status <> 'abandoned'
		) x WHERE $1 = '' OR state = $1 ORDER BY id`, state)
	if err != nil {
		return fmt.Errorf("query assessments: %w", err)
	}
	var e Exported
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.SubjectName, &e.Kind, &e.AreaCode, &e.AreaName, &e.Year, &e.SetID,
		&e.SetVersion, &e.State, &e.Assisted, &e.Total, &e.Passed, &e.SubmittedAt}, func() error { return fn(e) })
	if err != nil {
		return fmt.Errorf("read assessments: %w", err)
	}
	return nil
}
