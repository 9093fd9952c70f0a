package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Submitted is one submitted assessment, as exported.
type Submitted struct {
	ID          int64     `json:"id"`
	SubjectName string    `json:"subject_name"`
	Kind        string    `json:"kind"`
	AreaCode    string    `json:"area_code"`
	SetID       string    `json:"set_id"`
	SetVersion  int       `json:"set_version"`
	Total       float64   `json:"total"`
	Passed      bool      `json:"passed"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// EachSubmitted calls fn for every submitted assessment, oldest first,
// streaming rather than loading them all.
func (db *DB) EachSubmitted(ctx context.Context, fn func(Submitted) error) error {
	rows, err := db.pool.Query(ctx, `
		SELECT a.id, s.name, s.kind, s.area_code, a.set_id, a.set_version, a.total::float8, a.passed, a.submitted_at
		FROM assessments a JOIN subjects s ON s.id = a.subject_id
		WHERE a.status = 'submitted' ORDER BY a.submitted_at, a.id`)
	if err != nil {
		return fmt.Errorf("query submitted assessments: %w", err)
	}
	var s Submitted
	_, err = pgx.ForEachRow(rows, []any{&s.ID, &s.SubjectName, &s.Kind, &s.AreaCode, &s.SetID, &s.SetVersion,
		&s.Total, &s.Passed, &s.SubmittedAt}, func() error { return fn(s) })
	if err != nil {
		return fmt.Errorf("read submitted assessments: %w", err)
	}
	return nil
}
