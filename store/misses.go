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

// MaxMisses is how many indicators of each title Misses returns.
const MaxMisses = 5

// RebuildMisses counts again, from every submitted assessment's result,
// how often each indicator was missed in each area and year (the area
// and every area above it, under today's tree), and notes when. The
// nightly job runs it.
func (db *DB) RebuildMisses(ctx context.Context) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`LOCK TABLE misses IN EXCLUSIVE MODE`,
			`DELETE FROM misses`,
			// An indicator is missed when it was answered, applied, and
			// scored below half its points.
			`WITH d AS (
				SELECT s.area_code, a.year, a.set_id, i->>'Code' AS code, s.kind,
					count(*) AS assessed,
					count(*) FILTER (WHERE (i->>'Points')::float8 < (i->>'Max')::float8 / 2) AS missed
				FROM assessments a JOIN subjects s ON s.id = a.subject_id
				CROSS JOIN jsonb_array_elements(a.result->'Indicators') i
				WHERE a.status = 'submitted' AND a.result IS NOT NULL
					AND (i->>'Answered')::boolean AND NOT (i->>'NotApplicable')::boolean
					AND NOT coalesce((i->>'Skipped')::boolean, false)
				GROUP BY 1, 2, 3, 4, 5
			)
			INSERT INTO misses (area_code, year, set_id, code, kind, assessed, missed)
			SELECT l.code, d.year, d.set_id, d.code, d.kind, sum(d.assessed), sum(d.missed)
			FROM d JOIN (` + linesSQL + `) l ON l.leaf = d.area_code
			GROUP BY 1, 2, 3, 4, 5`,
			`INSERT INTO misses_built (built_at) VALUES (now()) ON CONFLICT (one) DO UPDATE SET built_at = EXCLUDED.built_at`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("count the missed indicators: %w", err)
			}
		}
		return nil
	})
}

// Misses returns an area's most often missed indicators of a year, at
// most MaxMisses of each title, as the last count found them, for a
// person who may see the area's figures; flows.ErrNotFound when they may
// not.
func (db *DB) Misses(ctx context.Context, personID int64, code string, year int) (flows.Misses, error) {
	var m flows.Misses
	err := db.readFigures(ctx, personID, code, func(tx pgx.Tx) (err error) {
		m, err = misses(ctx, tx, code, year, MaxMisses)
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("missed indicators of %s: %w", code, err)
	}
	return m, err
}

// misses reads an area's indicators of a year missed at least once, at
// most limit of each title (all of them when limit is 0).
func misses(ctx context.Context, tx pgx.Tx, code string, year, limit int) (flows.Misses, error) {
	var m flows.Misses
	area, err := areaOf(ctx, tx, code)
	if err != nil {
		return m, err
	}
	m.Area = area
	var built *time.Time
	if err := tx.QueryRow(ctx, `SELECT (SELECT built_at FROM misses_built)`).Scan(&built); err != nil {
		return m, err
	}
	if built != nil {
		m.Built = *built
	}
	rows, err := tx.Query(ctx, `
		SELECT kind, set_id, code, assessed, missed FROM (
			SELECT *, row_number() OVER (PARTITION BY kind ORDER BY missed DESC, set_id, code) AS rank
			FROM misses WHERE area_code = $1 AND year = $2 AND missed > 0
		) m WHERE $3 = 0 OR rank <= $3`, code, year, limit)
	if err != nil {
		return m, err
	}
	if m.List, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.Miss, error) {
		var x flows.Miss
		var kind string
		err := row.Scan(&kind, &x.SetID, &x.Code, &x.Assessed, &x.Missed)
		x.Kind = scoring.Kind(kind)
		return x, err
	}); err != nil {
		return m, err
	}
	flows.SortMisses(m.List)
	return m, nil
}
