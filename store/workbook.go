package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
	"hoctap/scoring"
)

// Workbook returns what a leader's workbook of an area and a year holds,
// from one snapshot, for a person who may see the area's figures;
// flows.ErrNotFound when they may not.
func (db *DB) Workbook(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Workbook, error) {
	var w flows.Workbook
	err := db.readFigures(ctx, personID, code, func(tx pgx.Tx) (err error) {
		w, err = workbook(ctx, tx, code, year, at)
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("workbook of %s: %w", code, err)
	}
	return w, err
}

// AreaWorkbook returns what the workbook of an area and a year holds,
// for the command line; flows.ErrNotFound when there is no such area.
func (db *DB) AreaWorkbook(ctx context.Context, code string, year int, at time.Time) (flows.Workbook, error) {
	var w flows.Workbook
	err := db.snapshot(ctx, func(tx pgx.Tx) (err error) {
		w, err = workbook(ctx, tx, code, year, at)
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("workbook of %s: %w", code, err)
	}
	return w, err
}

func workbook(ctx context.Context, tx pgx.Tx, code string, year int, at time.Time) (flows.Workbook, error) {
	var w flows.Workbook
	var err error
	if w.Progress, err = progress(ctx, tx, code, year, at); err != nil {
		return w, err
	}
	if w.Misses, err = misses(ctx, tx, code, year, 0); err != nil {
		return w, err
	}
	w.InScope, err = inScope(ctx, tx, code, year, flows.MaxInScope)
	return w, err
}

// inScope reads the first limit assessments of the year at or below an
// area of today's tree, by the subject's area, then as started.
func inScope(ctx context.Context, tx pgx.Tx, code string, year, limit int) ([]flows.InScope, error) {
	rows, err := tx.Query(ctx, `
		WITH RECURSIVE below (code) AS (
			SELECT $1::text
			UNION ALL
			SELECT a.code FROM areas a JOIN below b ON a.parent_code = b.code
		)
		SELECT a.id, s.kind, s.name, ar.code, coalesce(ar.parent_code, ''), ar.level, ar.name_vi, ar.name_en, ar.region,
			`+assessmentStateSQL+`, a.total::float8, a.passed, coalesce(a.submitted_at, r.waiting_since)
		FROM below b JOIN subjects s ON s.area_code = b.code JOIN areas ar ON ar.code = s.area_code
		JOIN assessments a ON a.subject_id = s.id AND a.year = $2 AND a.status <> 'abandoned'
		LEFT JOIN reviews r ON r.assessment_id = a.id
		LEFT JOIN recognitions g ON g.assessment_id = a.id AND g.ended_at IS NULL
		ORDER BY s.area_code, a.id LIMIT $3`, code, year, limit)
	if err != nil {
		return nil, fmt.Errorf("read the assessments in scope: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.InScope, error) {
		var x flows.InScope
		var kind, region string
		err := row.Scan(&x.ID, &kind, &x.Subject, &x.Area.Code, &x.Area.Parent, &x.Area.Level, &x.Area.Name.VI, &x.Area.Name.EN,
			&region, &x.State, &x.Total, &x.Passed, &x.Submitted)
		x.Kind, x.Area.Region = scoring.Kind(kind), scoring.Region(region)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the assessments in scope: %w", err)
	}
	return list, nil
}
