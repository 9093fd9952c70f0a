package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The roll-ups count, per area of today's tree, title, year and state,
// the subjects at or below the area (migration 021). Each change of the
// facts calls restate in its own transaction for the subjects it touched;
// restate compares where they stand now with where they stood (the
// standings) and adds only the difference to the area and each area above
// it. A subject's count in the nation's and the provinces' rows goes to
// one of slots rows, by subject, so that changes in different communes do
// not queue for one row; reading sums the slots. A read of any area is a
// few hundred rows whatever its size.
//
// A subject's year stands in every state it is in: 'registered', and its
// assessment's state (one of States). Year 0 is the registry, where every
// subject is 'enrolled'. Figures follow today's tree: a year's subjects
// count under the area they are in now, so a merged commune's past years
// count in the one that took it over.

// slots is how many rows the nation's and the provinces' counts are spread
// over.
const slots = 8

// The states the roll-ups count besides an assessment's.
const (
	StateEnrolled   = "enrolled"   // in the registry (year 0)
	StateRegistered = "registered" // registered for the year
)

// assessmentStateSQL is the state of assessment a, with its review r and
// its recognition in force g: one of States.
const assessmentStateSQL = `CASE WHEN g.id IS NOT NULL THEN 'recognised'
	WHEN r.state IN ('needs_changes', 'accepted', 'rejected') THEN r.state
	ELSE a.status END`

// standingsSQL selects where subjects stand from the facts: a row per
// subject and year (subject_id, year, kind, area_code, states), year 0
// included. where is a condition on {id}, a subject's id: "true" for all,
// which the planner joins whole tables for, or "{id} = ANY($1)", which it
// looks up by index.
func standingsSQL(where string) string {
	on := func(column string) string { return strings.ReplaceAll(where, "{id}", column) }
	return `
		SELECT s.id AS subject_id, 0 AS year, s.kind, s.area_code, ARRAY['enrolled'] AS states FROM subjects s WHERE ` + on("s.id") + `
		UNION ALL
		SELECT s.id, k.year, s.kind, s.area_code, array_remove(ARRAY[
				CASE WHEN rg.subject_id IS NOT NULL THEN 'registered' END,
				CASE WHEN a.id IS NOT NULL THEN ` + assessmentStateSQL + ` END], NULL)
		FROM (
			SELECT subject_id, year FROM registrations WHERE ` + on("subject_id") + `
			UNION SELECT subject_id, year FROM assessments WHERE status <> 'abandoned' AND ` + on("subject_id") + `
		) k
		JOIN subjects s ON s.id = k.subject_id
		LEFT JOIN registrations rg ON rg.subject_id = k.subject_id AND rg.year = k.year
		LEFT JOIN assessments a ON a.subject_id = k.subject_id AND a.year = k.year AND a.status <> 'abandoned'
		LEFT JOIN reviews r ON r.assessment_id = a.id
		LEFT JOIN recognitions g ON g.assessment_id = a.id AND g.ended_at IS NULL`
}

// linesSQL selects, for each area of d, the areas from it up (leaf, code,
// spread): each line once, however many counts it carries.
const linesSQL = `SELECT x.area_code AS leaf, l.code, l.spread FROM (SELECT DISTINCT area_code FROM d) x CROSS JOIN LATERAL area_line(x.area_code) l`

// fanOutSQL adds counts (area_code, year, kind, state, spread, n) to the
// roll-ups of each area and every area above it, spread being the slot a
// count takes where the area's counts are spread.
const fanOutSQL = `
	INSERT INTO rollups AS r (area_code, year, kind, state, slot, n)
	SELECT l.code, d.year, d.kind, d.state, CASE WHEN l.spread THEN d.spread ELSE 0 END, sum(d.n)
	FROM d JOIN (` + linesSQL + `) l ON l.leaf = d.area_code
	GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
	ORDER BY 1, 2, 3, 4, 5 -- the same order in every transaction: no deadlock
	ON CONFLICT (area_code, year, kind, state, slot) DO UPDATE SET n = r.n + EXCLUDED.n`

// restate brings the standings of subjects, and the roll-ups, up to date
// with the facts, in the transaction that changed them. It first locks
// the subjects, so that two transactions changing one subject restate it
// one after the other, the second seeing what the first did.
func restate(ctx context.Context, tx pgx.Tx, subjects ...int64) error {
	if len(subjects) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT FROM subjects WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, subjects)
	b.Queue(`
		WITH fresh AS (`+standingsSQL("{id} = ANY($1)")+`),
		d AS (
			SELECT x.area_code, x.year, x.kind, x.state, x.subject_id % `+fmt.Sprint(slots)+` AS spread, sum(x.n) AS n
			FROM (
				SELECT f.subject_id, f.area_code, f.year, f.kind, st.state, 1 AS n FROM fresh f CROSS JOIN unnest(f.states) st (state)
				UNION ALL
				SELECT o.subject_id, o.area_code, o.year, o.kind, st.state, -1 FROM standings o CROSS JOIN unnest(o.states) st (state)
				WHERE o.subject_id = ANY($1)
			) x
			GROUP BY 1, 2, 3, 4, 5 HAVING sum(x.n) <> 0
		)`+fanOutSQL, subjects)
	b.Queue(`DELETE FROM standings WHERE subject_id = ANY($1)`, subjects)
	b.Queue(`INSERT INTO standings (subject_id, year, kind, area_code, states) `+standingsSQL("{id} = ANY($1)"), subjects)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("restate subjects: %w", err)
	}
	return nil
}

// rehang moves an area's counts, which hold those of everything below it,
// from the areas above its old parent to those above its new one ("" for
// none); the caller has just changed its parent.
func rehang(ctx context.Context, tx pgx.Tx, code, from, to string) error {
	if from == to {
		return nil
	}
	_, err := tx.Exec(ctx, `
		WITH d AS (
			SELECT l.code AS area_code, m.year, m.kind, m.state, 0 AS spread, m.n * l.sign AS n
			FROM (SELECT year, kind, state, sum(n) AS n FROM rollups WHERE area_code = $1 GROUP BY 1, 2, 3) m
			CROSS JOIN (SELECT code, -1 AS sign FROM area_line($2) UNION ALL SELECT code, 1 FROM area_line($3)) l
		)
		INSERT INTO rollups AS r (area_code, year, kind, state, slot, n)
		SELECT area_code, year, kind, state, 0, sum(n) FROM d
		GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0
		ORDER BY 1, 2, 3, 4
		ON CONFLICT (area_code, year, kind, state, slot) DO UPDATE SET n = r.n + EXCLUDED.n`, code, from, to)
	if err != nil {
		return fmt.Errorf("move the counts of %s: %w", code, err)
	}
	return nil
}

// moveSubject places a subject in another area, its counts with it.
func moveSubject(ctx context.Context, tx pgx.Tx, subject int64, to string) error {
	if _, err := tx.Exec(ctx, `UPDATE subjects SET area_code = $2 WHERE id = $1`, subject, to); err != nil {
		return fmt.Errorf("move subject: %w", err)
	}
	return restate(ctx, tx, subject)
}

// Drift is a count the roll-ups keep that the facts do not give.
type Drift struct {
	Area  string
	Year  int
	Kind  string
	State string
	Kept  int // in the roll-ups
	Facts int // counted from the facts
}

// Checked is what a check of the roll-ups found.
type Checked struct {
	Drifts    []Drift
	Standings int // subject-years whose kept standing is not the facts'
	Counts    int // counts compared
}

// CheckRollups recomputes every count from the facts, from one snapshot,
// and returns where the roll-ups differ.
func (db *DB) CheckRollups(ctx context.Context) (Checked, error) {
	var c Checked
	err := db.snapshot(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH f AS (`+standingsSQL("true")+`),
			d AS (
				SELECT f.area_code, f.year, f.kind, st.state, count(*) AS n FROM f CROSS JOIN unnest(f.states) st (state)
				GROUP BY 1, 2, 3, 4
			),
			want AS (
				SELECT l.code AS area_code, d.year, d.kind, d.state, sum(d.n) AS n
				FROM d JOIN (`+linesSQL+`) l ON l.leaf = d.area_code GROUP BY 1, 2, 3, 4
			),
			kept AS (SELECT area_code, year, kind, state, sum(n) AS n FROM rollups GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
			SELECT area_code, year, kind, state, coalesce(kept.n, 0)::int, coalesce(want.n, 0)::int
			FROM want FULL JOIN kept USING (area_code, year, kind, state)
			ORDER BY area_code, year, kind, state`)
		if err != nil {
			return err
		}
		var d Drift
		if _, err = pgx.ForEachRow(rows, []any{&d.Area, &d.Year, &d.Kind, &d.State, &d.Kept, &d.Facts}, func() error {
			c.Counts++
			if d.Kept != d.Facts {
				c.Drifts = append(c.Drifts, d)
			}
			return nil
		}); err != nil {
			return err
		}
		// Kept standings that are not the facts' would make later changes
		// add wrong differences, though the counts agree today.
		return tx.QueryRow(ctx, `
			WITH f AS (`+standingsSQL("true")+`)
			SELECT count(*) FROM f FULL JOIN standings s USING (subject_id, year)
			WHERE (f.kind, f.area_code, f.states) IS DISTINCT FROM (s.kind, s.area_code, s.states)`).Scan(&c.Standings)
	})
	if err != nil {
		return Checked{}, fmt.Errorf("check roll-ups: %w", err)
	}
	return c, nil
}

// RebuildRollups recomputes the standings and the roll-ups from the
// facts, replacing what was kept, and logs the rebuild in the audit log.
func (db *DB) RebuildRollups(ctx context.Context) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return rebuildRollups(ctx, tx) })
}

func rebuildRollups(ctx context.Context, tx pgx.Tx) error {
	// The roll-ups first, as restate locks them: no deadlock with it.
	for _, q := range []string{
		`LOCK TABLE rollups, standings IN EXCLUSIVE MODE`,
		`DELETE FROM standings`,
		`INSERT INTO standings (subject_id, year, kind, area_code, states) ` + standingsSQL("true"),
		`DELETE FROM rollups`,
		`WITH d AS (
			SELECT s.area_code, s.year, s.kind, st.state, s.subject_id % ` + fmt.Sprint(slots) + ` AS spread, count(*) AS n
			FROM standings s CROSS JOIN unnest(s.states) st (state) GROUP BY 1, 2, 3, 4, 5
		)` + fanOutSQL,
		`INSERT INTO audit_log (action) VALUES ('rollups.rebuild')`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("rebuild roll-ups: %w", err)
		}
	}
	return nil
}

// fillRollups builds the roll-ups of a database that has subjects and no
// standings yet: one made before the roll-ups, or loaded in bulk.
func fillRollups(ctx context.Context, tx pgx.Tx) error {
	var empty bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM subjects) AND NOT EXISTS (SELECT 1 FROM standings)`).Scan(&empty); err != nil {
		return fmt.Errorf("look for roll-ups: %w", err)
	}
	if !empty {
		return nil
	}
	return rebuildRollups(ctx, tx)
}

// TakeMonth keeps the roll-ups as they are as the counts a month began
// with, once: a later call for the month changes nothing (two at once
// take the same counts). It returns whether it took them.
func (db *DB) TakeMonth(ctx context.Context, month time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO rollup_months (month, area_code, year, kind, state, n)
		SELECT $1::date, area_code, year, kind, state, sum(n) FROM rollups
		WHERE NOT EXISTS (SELECT 1 FROM rollup_months WHERE month = $1::date)
		GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
		ON CONFLICT DO NOTHING`, month.Format(time.DateOnly))
	if err != nil {
		return false, fmt.Errorf("keep the month's counts: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
