package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
)

// Areas returns the children of an area in force today ("" for the top),
// by name (area.SortByName).
func (db *DB) Areas(ctx context.Context, parent string) ([]flows.Area, error) {
	// Two queries, so that each uses the index of children by name; the
	// key is Go's, as the database's collation may not be Vietnamese.
	query := `SELECT ` + areaColumns + ` FROM areas
		WHERE parent_code = $1 AND (valid_to IS NULL OR valid_to > current_date) ORDER BY name_key, code`
	if parent == "" {
		query = `SELECT code, '', level, name_vi, name_en, region FROM areas
		WHERE parent_code IS NULL AND $1 = '' AND (valid_to IS NULL OR valid_to > current_date) ORDER BY name_key, code`
	}
	rows, err := db.pool.Query(ctx, query, parent)
	if err != nil {
		return nil, fmt.Errorf("query areas: %w", err)
	}
	areas, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return nil, fmt.Errorf("query areas: %w", err)
	}
	return areas, nil
}

// Area returns one area.
func (db *DB) Area(ctx context.Context, code string) (flows.Area, error) {
	return areaOf(ctx, db.pool, code)
}

// areaOf reads one area; flows.ErrNotFound when there is none.
func areaOf(ctx context.Context, q querier, code string) (flows.Area, error) {
	rows, err := q.Query(ctx, `
		SELECT `+areaColumns+` FROM areas WHERE code = $1`, code)
	if err != nil {
		return flows.Area{}, fmt.Errorf("query area: %w", err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanArea)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, flows.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("query area %s: %w", code, err)
	}
	return a, nil
}

// areaColumns are an area's columns in the order scanArea reads them.
const areaColumns = "code, coalesce(parent_code, ''), level, name_vi, name_en, region"

// scanArea reads an area's areaColumns.
func scanArea(row pgx.CollectableRow) (flows.Area, error) {
	var a flows.Area
	var region string
	err := row.Scan(&a.Code, &a.Parent, &a.Level, &a.Name.VI, &a.Name.EN, &region)
	a.Region = scoring.Region(region)
	return a, err
}

// seedShippedAreas loads the shipped area tree into a database with no
// areas, with COPY: a test's schema starts with it too.
func seedShippedAreas(ctx context.Context, tx pgx.Tx) error {
	var some bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas)`).Scan(&some); err != nil || some {
		return err
	}
	rows, err := area.Shipped()
	if err != nil {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"areas"},
		[]string{"code", "parent_code", "level", "name_vi", "name_en", "name_fold", "name_key", "valid_from", "valid_to", "replaced_by"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			return []any{r.Code, nullable(r.Parent), r.Level, r.Name, area.EnglishName(r.Name), area.Fold(r.Name), area.SortKey(r.Name),
				r.ValidFrom, r.ValidTo, nullable(r.ReplacedBy)}, nil
		}))
	if err != nil {
		return fmt.Errorf("load the shipped areas: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO area_parents (code, parent_code, valid_from)
		SELECT code, parent_code, valid_from FROM areas WHERE parent_code IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("link the shipped areas: %w", err)
	}
	return nil
}

// nullable is NULL for "".
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// foldAreaNames fills the folded names and sort keys that the migrations
// adding them left empty.
func foldAreaNames(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT code, name_vi FROM areas WHERE name_fold = '' OR name_key = ''::bytea`)
	if err != nil {
		return fmt.Errorf("read area names: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Code, Name string }])
	if err != nil {
		return fmt.Errorf("read area names: %w", err)
	}
	for _, n := range names {
		if _, err := tx.Exec(ctx, `UPDATE areas SET name_fold = $2, name_key = $3 WHERE code = $1`, n.Code, area.Fold(n.Name), area.SortKey(n.Name)); err != nil {
			return fmt.Errorf("fold area names: %w", err)
		}
	}
	return nil
}

// SeedSample adds the sample villages (package area) for the playground
// and the tests, and reports whether it did. It does so only on an
// installation that has no village and no subject yet: it never mixes
// them into a tree or a registry in use.
func (db *DB) SeedSample(ctx context.Context) (bool, error) {
	seeded := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE areas IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var used bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE level = 'village') OR EXISTS (SELECT 1 FROM subjects)`).Scan(&used)
		if err != nil || used {
			return err
		}
		for _, a := range area.SampleVillages {
			if _, err := tx.Exec(ctx, `
				INSERT INTO areas (code, parent_code, level, name_vi, name_en, name_fold, name_key, region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				a.Code, a.Parent, a.Level, a.Name.VI, a.Name.EN, area.Fold(a.Name.VI), area.SortKey(a.Name.VI), string(a.Region)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO area_parents (code, parent_code, valid_from) SELECT code, parent_code, valid_from FROM areas WHERE code = $1`, a.Code); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed the sample villages: %w", err)
	}
	return seeded, nil
}

// SearchAreas returns the areas in force below under ("" for the whole
// tree), down to the level deepest, whose names a typed query finds
// (area.Match), best first (area.Rank), at most limit.
func (db *DB) SearchAreas(ctx context.Context, under, deepest, query string, limit int) ([]flows.FoundArea, error) {
	words := strings.Fields(area.Fold(query))
	if len(words) == 0 {
		return nil, nil
	}
	depth := slices.Index(area.Levels, deepest)
	// Every word must be in the folded name; area.Rank then keeps those
	// where it begins a word.
	rows, err := db.pool.Query(ctx, `
		WITH RECURSIVE below (code) AS (
			SELECT code FROM areas WHERE coalesce(parent_code, '') = $1 AND (valid_to IS NULL OR valid_to > current_date)
			UNION ALL
			SELECT a.code FROM areas a JOIN below ON a.parent_code = below.code
			WHERE (a.valid_to IS NULL OR a.valid_to > current_date) AND array_position($2::text[], a.level) <= $3
		)
		SELECT a.code, coalesce(a.parent_code, ''), a.level, a.name_vi, a.name_en, a.region,
			coalesce(p.name_vi, ''), coalesce(p.name_en, '')
		FROM below JOIN areas a USING (code) LEFT JOIN areas p ON p.code = a.parent_code
		WHERE array_position($2::text[], a.level) <= $3
			AND a.name_fold LIKE ALL (SELECT '%' || w || '%' FROM unnest($4::text[]) w)`,
		under, area.Levels, depth+1, words)
	if err != nil {
		return nil, fmt.Errorf("search areas: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.FoundArea, error) {
		var f flows.FoundArea
		var region string
		err := row.Scan(&f.Code, &f.Parent, &f.Level, &f.Name.VI, &f.Name.EN, &region, &f.ParentName.VI, &f.ParentName.EN)
		f.Region = scoring.Region(region)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("search areas: %w", err)
	}
	return area.Rank(query, found, limit), nil
}

// Imported counts what an area import did.
type Imported struct {
	New, Changed, Unchanged int
	Moved                   int // areas whose parent changed
	SubjectsMoved           int // subjects of an area that ended, moved to the one that took it over
	// ChildrenMoved counts the areas below one that ended, in force, that
	// moved: under the area that took it over, or as the map placed them.
	ChildrenMoved  int
	SubjectsMapped int // subjects of an area split, moved as the map placed them
	Asked          int // representatives asked to pick the new area of a subject of an area split, or the village of a household at a commune that got villages
}

// ImportAreas loads rows (parents first, see area.ParentsFirst) in one
// transaction: a new code is added, a known one updated where it differs,
// so that importing the same file again changes nothing. An area whose
// parent changes keeps its old link, ended on moved, and a new one from
// that day. A parent must be in the rows or known already. What an area
// that ended leaves behind moves as ImportAreasMapped says, with no map.
func (db *DB) ImportAreas(ctx context.Context, rows []area.Row, moved time.Time) (Imported, error) {
	return db.ImportAreasMapped(ctx, rows, moved, nil)
}

// ImportAreasMapped is ImportAreas with a mapping file's moves. Once an
// area's end has come (valid_to today or before), what lies in it moves:
//
//   - a merge (replaced_by): its subjects move to the area that took it
//     over, and its areas in force that the rows give no parent of their
//     own move under it, their dated link ending on the day it ended and a
//     new one starting that day;
//   - a split (no replaced_by): its areas in force that the rows give no
//     parent move as the map places them, from that day too, and the
//     import refuses one the map leaves out; its subjects move as the map places them, and the others'
//     representatives are each asked, by a notice, to pick the area the
//     subject belongs to now among the split's candidates (Candidates).
//
// Every problem of the map, and every area or subject of a split nobody
// can place, is returned, joined, and nothing changes. Importing the same
// rows and map again changes nothing and asks nobody again.
func (db *DB) ImportAreasMapped(ctx context.Context, rows []area.Row, moved time.Time, moves []area.Move) (Imported, error) {
	var n Imported
	today := DayOf(time.Now())
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE areas IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		inFile := map[string]int{}       // the areas the rows give a parent of their own, by line
		gotVillages := map[string]bool{} // the areas new villages were added to
		// The replacements may point forward in the file: set them last.
		for _, r := range rows {
			inFile[r.Code] = r.Line
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
				// An area in force cannot sit under one that ended: a file
				// that lists a village under its merged commune would leave
				// it out of the tree.
				var parentEnded *time.Time
				if err := tx.QueryRow(ctx, `SELECT valid_to FROM areas WHERE code = $1`, r.Parent).Scan(&parentEnded); err != nil {
					return err
				}
				if r.ValidTo == nil && parentEnded != nil && !parentEnded.After(today) {
					return fmt.Errorf("line %d, parent_code: %q ended on %s; an area in force belongs under the one that took it over",
						r.Line, r.Parent, parentEnded.Format(time.DateOnly))
				}
			}
			tag, err := tx.Exec(ctx, `
				INSERT INTO areas (code, parent_code, level, name_vi, name_en, name_fold, name_key, valid_from, valid_to)
				VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $9, $7, $8)
				ON CONFLICT (code) DO UPDATE SET parent_code = EXCLUDED.parent_code, level = EXCLUDED.level,
					name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en, name_fold = EXCLUDED.name_fold, name_key = EXCLUDED.name_key,
					valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to
				WHERE (areas.parent_code, areas.level, areas.name_vi, areas.valid_from, areas.valid_to)
					IS DISTINCT FROM (EXCLUDED.parent_code, EXCLUDED.level, EXCLUDED.name_vi, EXCLUDED.valid_from, EXCLUDED.valid_to)`,
				r.Code, r.Parent, r.Level, r.Name, area.EnglishName(r.Name), area.Fold(r.Name), r.ValidFrom, r.ValidTo, area.SortKey(r.Name))
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
				if r.Level == "village" && r.ValidTo == nil {
					gotVillages[r.Parent] = true
				}
				continue
			case !existed, before == r.Parent:
				continue
			}
			n.Moved++
			if err := rehang(ctx, tx, r.Code, before, r.Parent); err != nil {
				return err
			}
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
			if r.ReplacedBy != "" {
				var known bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1)`, r.ReplacedBy).Scan(&known); err != nil {
					return err
				}
				if !known {
					return fmt.Errorf("line %d, replaced_by: %q is neither in the file nor imported before", r.Line, r.ReplacedBy)
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE areas SET replaced_by = nullif($2, '') WHERE code = $1 AND replaced_by IS DISTINCT FROM nullif($2, '')`,
				r.Code, r.ReplacedBy); err != nil {
				return fmt.Errorf("line %d, replaced_by: %w", r.Line, err)
			}
			if r.ReplacedBy == "" || r.ValidTo == nil || r.ValidTo.After(today) {
				continue
			}
			if err := merge(ctx, tx, r, inFile, today, &n); err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
		}
		// The households placed at a commune that got villages are asked
		// which is theirs, as when its leader adds them in the bot.
		for commune := range gotVillages {
			asked, err := askVillagers(ctx, tx, commune, time.Now())
			if err != nil {
				return err
			}
			n.Asked += asked
		}
		return split(ctx, tx, rows, moves, inFile, today, &n)
	})
	if err != nil {
		return Imported{}, fmt.Errorf("import areas: %w", err)
	}
	return n, nil
}

// RecognisedIn counts the recognitions in force of a year whose subject's
// area, as it was then, lay at or below an area under the tree as it was
// on the day of each recognition: an area merged since keeps last year's
// figures, and the one that took it over counts this year's.
func (db *DB) RecognisedIn(ctx context.Context, areaCode string, year int) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `
		WITH RECURSIVE up (recognition, code, on_day) AS (
			SELECT id, area_code, recognised_at::date FROM recognitions WHERE year = $2 AND ended_at IS NULL
			UNION ALL
			SELECT up.recognition, p.parent_code, up.on_day FROM up
			JOIN area_parents p ON p.code = up.code AND p.valid_from <= up.on_day AND (p.valid_to IS NULL OR p.valid_to > up.on_day)
		)
		SELECT count(DISTINCT recognition) FROM up WHERE code = $1`, areaCode, year).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recognitions: %w", err)
	}
	return n, nil
}
