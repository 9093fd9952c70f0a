package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
)

// Areas returns the children of an area in force today ("" for the top), by name.
func (db *DB) Areas(ctx context.Context, parent string) ([]flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT code, coalesce(parent_code, ''), level, name_vi, name_en, region FROM areas
		WHERE coalesce(parent_code, '') = $1 AND (valid_to IS NULL OR valid_to > current_date)
		ORDER BY name_vi, code`, parent)
	if err != nil {
		return nil, fmt.Errorf("query areas: %w", err)
	}
	return pgx.CollectRows(rows, scanArea)
}

// Area returns one area.
func (db *DB) Area(ctx context.Context, code string) (flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT code, coalesce(parent_code, ''), level, name_vi, name_en, region FROM areas WHERE code = $1`, code)
	if err != nil {
		return flows.Area{}, fmt.Errorf("query area: %w", err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanArea)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, flows.ErrNotFound
	}
	return a, err
}

func scanArea(row pgx.CollectableRow) (flows.Area, error) {
	var a flows.Area
	var region string
	err := row.Scan(&a.Code, &a.Parent, &a.Level, &a.Name.VI, &a.Name.EN, &region)
	a.Region = scoring.Region(region)
	return a, err
}

// SeedSampleAreas loads the sample area list (package area) when there are no areas, and
// reports whether it did.
func (db *DB) SeedSampleAreas(ctx context.Context) (bool, error) {
	seeded := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE areas IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas)`).Scan(&any); err != nil || any {
			return err
		}
		for _, a := range area.Sample {
			if _, err := tx.Exec(ctx, `INSERT INTO areas (code, parent_code, level, name_vi, name_en, region)
				VALUES ($1, nullif($2, ''), $3, $4, $5, $6)`, a.Code, a.Parent, a.Level, a.Name.VI, a.Name.EN, string(a.Region)); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed sample areas: %w", err)
	}
	return seeded, nil
}
