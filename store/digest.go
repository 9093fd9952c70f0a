package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
)

// SetDigest switches a person's weekly digest of an area on or off;
// flows.ErrNotFound when they may not see the area's figures.
func (db *DB) SetDigest(ctx context.Context, personID int64, code string, on bool, at time.Time) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if !on {
			_, err := tx.Exec(ctx, `UPDATE progress_digests SET off_at = $3 WHERE person_id = $1 AND area_code = $2 AND off_at IS NULL`,
				personID, code, at)
			return err
		}
		if err := mayFigures(ctx, tx, personID, code); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO progress_digests AS g (person_id, area_code, on_at) VALUES ($1, $2, $3)
			ON CONFLICT (person_id, area_code) DO UPDATE SET on_at = $3, off_at = NULL WHERE g.off_at IS NOT NULL`, personID, code, at)
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		err = fmt.Errorf("set the digest of %s: %w", code, err)
	}
	return err
}

// DigestArea returns the area of a person's digest, and whether it is
// on; code is "" when they have no such digest.
func (db *DB) DigestArea(ctx context.Context, personID, id int64) (code string, on bool, err error) {
	err = db.pool.QueryRow(ctx, `SELECT area_code, off_at IS NULL FROM progress_digests WHERE id = $1 AND person_id = $2`,
		id, personID).Scan(&code, &on)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read the digest: %w", err)
	}
	return code, on, nil
}

// digestOn reports whether a person gets the weekly digest of an area.
func digestOn(ctx context.Context, tx pgx.Tx, personID int64, code string) (bool, error) {
	var on bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM progress_digests WHERE person_id = $1 AND area_code = $2 AND off_at IS NULL)`,
		personID, code).Scan(&on)
	return on, err
}

// WeekOf is the start of the digests' week that at falls in: Monday at
// DigestAt, Vietnam's time.
func WeekOf(at time.Time) time.Time {
	v := at.In(Vietnam)
	y, m, d := v.Date()
	start := time.Date(y, m, d-(int(v.Weekday())+6)%7, 0, 0, 0, 0, Vietnam).Add(DigestAt)
	if start.After(at) {
		start = start.AddDate(0, 0, -7)
	}
	return start
}

// progressDigestSQL plans the week's digests of figures: $1 now, $2 the
// week's start (WeekOf), $3 flows.RemindProgress, $4 the week
// ("2026-W50"). They are planned on the week's Monday only (Vietnam's),
// so that none arrives mid-week — a planner down all Monday skips a week
// — and a digest switched on after the week began waits for the next;
// each names its digest (object_id), which says the area.
const progressDigestSQL = `
	INSERT INTO reminders (person_id, about, period, object_id, rev, due_at)
	SELECT g.person_id, $3, $4 || ':' || g.id, g.id, 0, $1
	FROM progress_digests g JOIN people p ON p.id = g.person_id
	WHERE g.off_at IS NULL AND g.on_at < $2 AND $1 < $2 + interval '17 hours'
		AND NOT p.inactive AND NOT p.reminders_off
	ON CONFLICT DO NOTHING
	RETURNING person_id, about, period, due_at`
