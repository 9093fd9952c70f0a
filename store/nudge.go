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
)

// Nudge asks the reviewers of an area's child areas that have not
// reported in a year (nothing registered or submitted) to follow them
// up: each reviewer whose role is at the area, or at or below one of
// those child areas, gets one reminder (flows.RemindNudged: it waits for
// the quiet hours' end), the person who asks excepted; reviewers who
// switched reminders off are not told, though they count as covering.
// Once a day (Vietnam's) for an area and year, whoever asks: a second
// ask returns the first's time and sends nothing; an ask that found
// nobody to tell does not count. flows.ErrNotFound when the person may
// not see the area's figures.
func (db *DB) Nudge(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Nudged, error) {
	var n flows.Nudged
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := mayFigures(ctx, tx, personID, code); err != nil {
			return err
		}
		p, err := progress(ctx, tx, code, year, at)
		if err != nil {
			return err
		}
		var quiet []string
		for _, c := range p.Children {
			if !c.Reported() {
				quiet = append(quiet, c.Area.Code)
			}
		}
		if n.Quiet = len(quiet); n.Quiet == 0 {
			return nil
		}
		covers, err := reviewersOf(ctx, tx, code, quiet, 0, personID)
		if err != nil {
			return err
		}
		var reviewers []int64
		covered := map[string]bool{}
		for _, c := range covers {
			if !slices.Contains(reviewers, c.person) {
				reviewers = append(reviewers, c.person)
			}
			covered[c.area] = true
		}
		for _, c := range p.Children {
			if slices.Contains(quiet, c.Area.Code) && !covered[c.Area.Code] {
				n.Without = append(n.Without, c.Area)
			}
		}
		if len(reviewers) == 0 {
			return nil // nobody told: a tap after inviting one tells them
		}
		day := DayOf(at).Format(time.DateOnly)
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO nudges (area_code, year, day, person_id, at, quiet) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (area_code, year, day) DO NOTHING RETURNING id`, code, year, day, personID, at, quiet).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			n.Without = nil
			return tx.QueryRow(ctx, `SELECT at FROM nudges WHERE area_code = $1 AND year = $2 AND day = $3`, code, year, day).Scan(&n.Earlier)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO reminders (person_id, about, period, object_id, rev, due_at)
			SELECT p.id, $2, $3::bigint::text, $3, 0, $4 FROM unnest($1::bigint[]) r JOIN people p ON p.id = r
			WHERE NOT p.reminders_off ORDER BY p.id
			ON CONFLICT DO NOTHING
			RETURNING person_id, about, period, due_at`, reviewers, flows.RemindNudged, id, at)
		if err != nil {
			return err
		}
		told, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planned])
		if err != nil {
			return err
		}
		n.Reviewers = len(told)
		return enqueueReminders(ctx, tx, told)
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("nudge the reviewers under %s: %w", code, err)
	}
	return n, err
}

// NudgeOf returns what a nudge asked a reviewer to follow up: the areas
// of it they cover now, by name; flows.ErrNotFound when there is no such
// nudge or they cover none of it any more.
func (db *DB) NudgeOf(ctx context.Context, personID, id int64) (flows.Nudge, error) {
	var n flows.Nudge
	err := db.snapshot(ctx, func(tx pgx.Tx) error {
		var from string
		var quiet []string
		err := tx.QueryRow(ctx, `SELECT area_code, year, quiet FROM nudges WHERE id = $1`, id).Scan(&from, &n.Year, &quiet)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		if n.From, err = areaOf(ctx, tx, from); err != nil {
			return err
		}
		covers, err := reviewersOf(ctx, tx, from, quiet, personID, 0)
		if err != nil {
			return err
		}
		codes := make([]string, len(covers))
		for i, c := range covers {
			codes[i] = c.area
		}
		rows, err := tx.Query(ctx, `SELECT `+areaColumns+` FROM areas
			WHERE code = ANY($1) ORDER BY name_key, code`, codes)
		if err != nil {
			return err
		}
		if n.Quiet, err = pgx.CollectRows(rows, scanArea); err == nil && len(n.Quiet) == 0 {
			err = flows.ErrNotFound
		}
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("read nudge %d: %w", id, err)
	}
	return n, err
}

// cover is a reviewer who covers an area.
type cover struct {
	person int64
	area   string
}

// reviewersOf returns who covers each of the quiet child areas of from:
// the reviewers whose role is at from, or at or below the area. person,
// when not 0, keeps only theirs; except, when not 0, leaves theirs out.
func reviewersOf(ctx context.Context, tx pgx.Tx, from string, quiet []string, person, except int64) ([]cover, error) {
	rows, err := tx.Query(ctx, `
		WITH RECURSIVE below (root, code) AS (
			SELECT q, q FROM unnest($2::text[]) q
			UNION ALL
			SELECT b.root, a.code FROM areas a JOIN below b ON a.parent_code = b.code
		),
		held AS (
			SELECT r.person_id, r.area_code FROM roles r JOIN people p ON p.id = r.person_id
			WHERE r.revoked_at IS NULL AND r.role = ANY($3) AND NOT p.inactive
				AND ($4::bigint = 0 OR r.person_id = $4::bigint) AND r.person_id <> $5::bigint
		)
		SELECT h.person_id, b.root FROM held h JOIN below b ON b.code = h.area_code
		UNION
		SELECT h.person_id, q FROM held h, unnest($2::text[]) q WHERE h.area_code = $1
		ORDER BY 1, 2`, from, quiet, role.Holders(role.ReviewDecide), person, except)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (cover, error) {
		var c cover
		err := row.Scan(&c.person, &c.area)
		return c, err
	})
}
