package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// GoalYears are the years of the programme's targets the figures compare
// with.
var GoalYears = []int{2025, 2030}

// Progress returns where an area stands in a year, and its child areas,
// for a person who may see its figures (role.Progress over it or an area
// above), with the area above when they may see it too and whether they
// get its weekly digest; flows.ErrNotFound
// when they may not. at is now: the change
// since the month began is counted from at's month, in Vietnam's time.
func (db *DB) Progress(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Progress, error) {
	var p flows.Progress
	err := db.readFigures(ctx, personID, code, func(tx pgx.Tx) (err error) {
		if p, err = progress(ctx, tx, code, year, at); err != nil {
			return err
		}
		if p.Digest, err = digestOn(ctx, tx, personID, code); err != nil || p.Area.Parent == "" {
			return err
		}
		if ok, err := may(ctx, tx, personID, role.Progress, p.Area.Parent); err != nil || !ok {
			return err
		}
		up, err := areaOf(ctx, tx, p.Area.Parent)
		p.Up = &up
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("progress of %s: %w", code, err)
	}
	return p, err
}

// readFigures runs read in one read-only snapshot when the person may see
// the area's figures (role.Progress over it or an area above), and
// returns flows.ErrNotFound when they may not.
func (db *DB) readFigures(ctx context.Context, personID int64, code string, read func(pgx.Tx) error) error {
	return db.snapshot(ctx, func(tx pgx.Tx) error {
		if err := mayFigures(ctx, tx, personID, code); err != nil {
			return err
		}
		return read(tx)
	})
}

// mayFigures returns flows.ErrNotFound unless the person may see the
// area's figures.
func mayFigures(ctx context.Context, tx pgx.Tx, personID int64, code string) error {
	ok, err := may(ctx, tx, personID, role.Progress, code)
	if err == nil && !ok {
		err = flows.ErrNotFound
	}
	return err
}

// snapshot runs read in one read-only transaction that sees the data as
// they were when it began.
func (db *DB) snapshot(ctx context.Context, read func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, read)
}

// AreaProgress returns where an area stands in a year, and its child
// areas, for the command line; flows.ErrNotFound when there is no such
// area.
func (db *DB) AreaProgress(ctx context.Context, code string, year int, at time.Time) (flows.Progress, error) {
	var p flows.Progress
	err := db.snapshot(ctx, func(tx pgx.Tx) (err error) {
		p, err = progress(ctx, tx, code, year, at)
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("progress of %s: %w", code, err)
	}
	return p, err
}

// progress reads the figures from one snapshot: the roll-ups of the area
// and its children, their official counts, the month's start and the
// targets.
func progress(ctx context.Context, tx pgx.Tx, code string, year int, at time.Time) (flows.Progress, error) {
	p := flows.Progress{Year: year}
	rows, err := tx.Query(ctx, `
		SELECT `+areaColumns+` FROM areas WHERE code = $1
		UNION ALL (
			SELECT `+areaColumns+` FROM areas
			WHERE parent_code = $1 AND (valid_to IS NULL OR valid_to > current_date) ORDER BY name_key, code
		)`, code)
	if err != nil {
		return p, fmt.Errorf("read the areas: %w", err)
	}
	areas, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return p, fmt.Errorf("read the areas: %w", err)
	}
	if len(areas) == 0 || areas[0].Code != code {
		return p, flows.ErrNotFound
	}
	codes := make([]string, len(areas))
	for i, a := range areas {
		codes[i] = a.Code
	}

	// A row per slot: the slots are summed here.
	counts := map[string]map[scoring.Kind]map[string]int{} // by area, kind, state
	add := func(area string, kind scoring.Kind, state string, n int) {
		if counts[area] == nil {
			counts[area] = map[scoring.Kind]map[string]int{}
		}
		if counts[area][kind] == nil {
			counts[area][kind] = map[string]int{}
		}
		counts[area][kind][state] += n
	}
	rows, err = tx.Query(ctx, `
		SELECT area_code, kind, state, n FROM rollups
		WHERE area_code = ANY($1) AND (year = $2 OR year = 0 AND state = 'enrolled') AND n <> 0`, codes, year)
	if err != nil {
		return p, fmt.Errorf("read the roll-ups: %w", err)
	}
	var area, kind, state string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&area, &kind, &state, &n}, func() error {
		add(area, scoring.Kind(kind), state, n)
		return nil
	}); err != nil {
		return p, fmt.Errorf("read the roll-ups: %w", err)
	}

	month := map[string]map[scoring.Kind]int{}
	rows, err = tx.Query(ctx, `
		SELECT area_code, kind, n FROM rollup_months
		WHERE month = $3::date AND area_code = ANY($1) AND year = $2 AND state = 'recognised'`,
		codes, year, MonthOf(at).Format(time.DateOnly))
	if err != nil {
		return p, fmt.Errorf("read the month's start: %w", err)
	}
	var monthTaken bool
	if _, err := pgx.ForEachRow(rows, []any{&area, &kind, &n}, func() error {
		if month[area] == nil {
			month[area] = map[scoring.Kind]int{}
		}
		month[area][scoring.Kind(kind)] = n
		return nil
	}); err != nil {
		return p, fmt.Errorf("read the month's start: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rollup_months WHERE month = $1::date)`,
		MonthOf(at).Format(time.DateOnly)).Scan(&monthTaken); err != nil {
		return p, fmt.Errorf("read the month's start: %w", err)
	}

	entities, err := denominators(ctx, tx, codes, year)
	if err != nil {
		return p, err
	}
	goals, err := goalsOf(ctx, tx, codes)
	if err != nil {
		return p, err
	}
	figures := func(a flows.Area) flows.AreaFigures {
		out := flows.AreaFigures{Area: a}
		for _, k := range scoring.Kinds {
			f := flows.Figures{Kind: k, Counts: counts[a.Code][k], Goals: goals[a.Code][k], MonthStart: -1}
			if f.Counts == nil {
				f.Counts = map[string]int{}
			}
			if c, ok := entities[a.Code][k]; ok {
				f.Entities, f.Official, f.CountsYear = c.n, true, c.year
			} else {
				f.Entities = f.Counts[flows.StateEnrolled]
			}
			if monthTaken {
				f.MonthStart = month[a.Code][k]
			}
			out.Titles = append(out.Titles, f)
		}
		return out
	}
	p.AreaFigures = figures(areas[0])
	for _, a := range areas[1:] {
		p.Children = append(p.Children, figures(a))
	}
	return p, nil
}

// official is an official count, of a year.
type official struct{ n, year int }

// denominators returns the official counts of the areas' titles, for the
// year or the latest year before it that has them: an area's own, else,
// when every child area in force has one, the sum of theirs. A title with
// neither is left out: its figures fall back to the registry.
func denominators(ctx context.Context, tx pgx.Tx, codes []string, year int) (map[string]map[scoring.Kind]official, error) {
	rows, err := tx.Query(ctx, `
		WITH own AS (
			SELECT a.code, '' AS parent, c.year, c.households, c.clans, c.villages, c.units, c.adults
			FROM unnest($1::text[]) a (code) LEFT JOIN LATERAL (
				SELECT * FROM area_counts c WHERE c.code = a.code AND c.year <= $2 ORDER BY c.year DESC LIMIT 1
			) c ON true
		)
		SELECT * FROM own
		UNION ALL
		-- The children's, only of the areas that lack a count of their own.
		SELECT k.code, k.parent_code, c.year, c.households, c.clans, c.villages, c.units, c.adults
		FROM own o JOIN areas k ON k.parent_code = o.code AND (k.valid_to IS NULL OR k.valid_to > current_date)
		LEFT JOIN LATERAL (
			SELECT * FROM area_counts c WHERE c.code = k.code AND c.year <= $2 ORDER BY c.year DESC LIMIT 1
		) c ON true
		WHERE o.households IS NULL OR o.clans IS NULL OR o.villages IS NULL OR o.units IS NULL OR o.adults IS NULL`, codes, year)
	if err != nil {
		return nil, fmt.Errorf("read the official counts: %w", err)
	}
	type counted struct {
		year   *int
		counts map[scoring.Kind]*int
	}
	own := map[string]counted{}
	children := map[string][]string{}
	var code, parent string
	var y, households, clans, villages, units, adults *int
	if _, err := pgx.ForEachRow(rows, []any{&code, &parent, &y, &households, &clans, &villages, &units, &adults}, func() error {
		// A Learning Citizen share is of the adults.
		c := counted{y, map[scoring.Kind]*int{scoring.KindFamily: households, scoring.KindClan: clans,
			scoring.KindCommunity: villages, scoring.KindUnit: units, scoring.KindCitizen: adults}}
		if parent != "" {
			children[parent] = append(children[parent], code)
			code = parent + "/" + code
		}
		own[code] = c
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the official counts: %w", err)
	}
	out := map[string]map[scoring.Kind]official{}
	for _, c := range codes {
		out[c] = map[scoring.Kind]official{}
		for _, k := range scoring.Kinds {
			if mine := own[c]; mine.counts[k] != nil {
				out[c][k] = official{*mine.counts[k], *mine.year}
				continue
			}
			sum, latest, all := 0, 0, len(children[c]) > 0
			for _, child := range children[c] {
				theirs := own[c+"/"+child]
				if theirs.counts[k] == nil {
					all = false
					break
				}
				sum += *theirs.counts[k]
				latest = max(latest, *theirs.year)
			}
			if all {
				out[c][k] = official{sum, latest}
			}
		}
	}
	return out, nil
}

// goalsOf returns the targets in force for each area, by title, for the
// GoalYears: its province's own where the province set one, else the
// nation's; a Learning Citizen target of adults.
func goalsOf(ctx context.Context, tx pgx.Tx, codes []string) (map[string]map[scoring.Kind][]flows.Goal, error) {
	rows, err := tx.Query(ctx, `
		WITH RECURSIVE up (top, code, parent, depth) AS (
			SELECT code, code, parent_code, 0 FROM areas WHERE code = ANY($1)
			UNION ALL
			SELECT up.top, a.code, a.parent_code, up.depth + 1 FROM areas a JOIN up ON a.code = up.parent
		)
		SELECT DISTINCT ON (up.top, t.year, t.kind) up.top, t.year, t.kind, t.share::float8, t.confirmed
		FROM targets t JOIN up ON up.code = t.jurisdiction
		WHERE t.year = ANY($2) AND t.basis IN ('entities', 'adults')
		ORDER BY up.top, t.year, t.kind, up.depth`, codes, GoalYears)
	if err != nil {
		return nil, fmt.Errorf("read the targets: %w", err)
	}
	out := map[string]map[scoring.Kind][]flows.Goal{}
	var top, kind string
	var g flows.Goal
	if _, err := pgx.ForEachRow(rows, []any{&top, &g.Year, &kind, &g.Share, &g.Confirmed}, func() error {
		if out[top] == nil {
			out[top] = map[scoring.Kind][]flows.Goal{}
		}
		out[top][scoring.Kind(kind)] = append(out[top][scoring.Kind(kind)], g)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the targets: %w", err)
	}
	for _, byKind := range out {
		for _, goals := range byKind {
			slices.SortFunc(goals, func(a, b flows.Goal) int { return a.Year - b.Year })
		}
	}
	return out, nil
}

// MonthOf returns the first day of at's month in Vietnam's time, as a
// date at midnight UTC.
func MonthOf(at time.Time) time.Time {
	d := DayOf(at)
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
}
