package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
)

// CountsLoaded is what a counts import changed.
type CountsLoaded struct {
	New, Changed, Unchanged int
}

// ImportCounts loads official counts of areas (package area's ReadCounts):
// each area and year is added, or replaced where it differs; a count left
// empty is not known. An area code not in the tree is a problem, named by
// its line, and a file with any problem changes nothing.
func (db *DB) ImportCounts(ctx context.Context, rows []area.Counts) (CountsLoaded, error) {
	var n CountsLoaded
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Code
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		found, err := tx.Query(ctx, `SELECT code FROM areas WHERE code = ANY($1)`, codes)
		if err != nil {
			return fmt.Errorf("find the areas: %w", err)
		}
		known, err := pgx.CollectRows(found, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("find the areas: %w", err)
		}
		have := map[string]bool{}
		for _, c := range known {
			have[c] = true
		}
		var problems []error
		for _, r := range rows {
			if !have[r.Code] {
				problems = append(problems, fmt.Errorf("counts line %d, code: no area has the code %q", r.Line, r.Code))
			}
		}
		if len(problems) > 0 {
			return errors.Join(problems...)
		}
		batch := &pgx.Batch{}
		for _, r := range rows {
			v := r.Values
			batch.Queue(`
				INSERT INTO area_counts AS c (code, year, households, clans, villages, units, adults, staff)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (code, year) DO UPDATE SET households = $3, clans = $4, villages = $5, units = $6, adults = $7, staff = $8
				WHERE (c.households, c.clans, c.villages, c.units, c.adults, c.staff) IS DISTINCT FROM ($3, $4, $5, $6, $7, $8)
				RETURNING xmax = 0`, r.Code, r.Year, v[0], v[1], v[2], v[3], v[4], v[5])
		}
		results := tx.SendBatch(ctx, batch)
		defer results.Close()
		for _, r := range rows {
			var inserted bool
			switch err := results.QueryRow().Scan(&inserted); {
			case errors.Is(err, pgx.ErrNoRows):
				n.Unchanged++
			case err != nil:
				return fmt.Errorf("counts line %d: %w", r.Line, err)
			case inserted:
				n.New++
			default:
				n.Changed++
			}
		}
		return results.Close()
	})
	if err != nil {
		return CountsLoaded{}, err
	}
	return n, nil
}
