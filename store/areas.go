package store

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// Imported counts what an area import did.
type Imported struct {
	New, Changed, Unchanged int
	Moved                   int // areas whose parent changed
}

// ImportAreas loads rows (parents first, see area.ParentsFirst) in one
// transaction: a new code is added, a known one updated where it differs,
// so that importing the same file again changes nothing. An area whose
// parent changes keeps its old link, ended on moved, and a new one from
// that day. A parent must be in the rows or known already.
func (db *DB) ImportAreas(ctx context.Context, rows []area.Row, moved time.Time) (Imported, error) {
	var n Imported
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE areas IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		// The replacements may point forward in the file: set them last.
		for _, r := range rows {
			var oldParent *string
			var existed bool
			err := tx.QueryRow(ctx, `SELECT parent_code FROM areas WHERE code = $1`, r.Code).Scan(&oldParent)
			switch {
			case err == nil:
				existed = true
			case !errors.Is(err, pgx.ErrNoRows):
				return err
			}
			if r.Parent != "" {
				var known bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1)`, r.Parent).Scan(&known); err != nil {
					return err
				}
				if !known {
					return fmt.Errorf("line %d, parent_code: %q is neither in the file nor imported before", r.Line, r.Parent)
				}
			}
			tag, err := tx.Exec(ctx, `
				INSERT INTO areas (code, parent_code, level, name_vi, name_en, valid_from, valid_to)
				VALUES ($1, nullif($2, ''), $3, $4, $4, $5, $6)
				ON CONFLICT (code) DO UPDATE SET parent_code = EXCLUDED.parent_code, level = EXCLUDED.level,
					name_vi = EXCLUDED.name_vi, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to
				WHERE (areas.parent_code, areas.level, areas.name_vi, areas.valid_from, areas.valid_to)
					IS DISTINCT FROM (EXCLUDED.parent_code, EXCLUDED.level, EXCLUDED.name_vi, EXCLUDED.valid_from, EXCLUDED.valid_to)`,
				r.Code, r.Parent, r.Level, r.Name, r.ValidFrom, r.ValidTo)
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			switch {
			case !existed:
				n.New++
			case tag.RowsAffected() > 0:
				n.Changed++
			default:
				n.Unchanged++
			}
			before := ""
			if oldParent != nil {
				before = *oldParent
			}
			switch {
			case !existed && r.Parent != "":
				if _, err := tx.Exec(ctx, `INSERT INTO area_parents (code, parent_code, valid_from) VALUES ($1, $2, $3)`,
					r.Code, r.Parent, r.ValidFrom); err != nil {
					return err
				}
				continue
			case !existed, before == r.Parent:
				continue
			}
			n.Moved++
			if _, err := tx.Exec(ctx, `UPDATE area_parents SET valid_to = $2 WHERE code = $1 AND valid_to IS NULL`, r.Code, moved); err != nil {
				return err
			}
			if r.Parent != "" {
				if _, err := tx.Exec(ctx, `
					INSERT INTO area_parents (code, parent_code, valid_from) VALUES ($1, $2, $3)
					ON CONFLICT (code, valid_from) DO UPDATE SET parent_code = EXCLUDED.parent_code, valid_to = NULL`,
					r.Code, r.Parent, moved); err != nil {
					return err
				}
			}
		}
		for _, r := range rows {
			if _, err := tx.Exec(ctx, `UPDATE areas SET replaced_by = nullif($2, '') WHERE code = $1 AND replaced_by IS DISTINCT FROM nullif($2, '')`,
				r.Code, r.ReplacedBy); err != nil {
				return fmt.Errorf("line %d, replaced_by: %w", r.Line, err)
			}
		}
		return nil
	})
	if err != nil {
		return Imported{}, fmt.Errorf("import areas: %w", err)
	}
	return n, nil
}
