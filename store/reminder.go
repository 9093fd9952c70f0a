package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"hoctap/flows"
	"hoctap/role"
)

// ReminderJob is the durable job that brings one reminder, named by its
// key.
type ReminderJob struct {
	Person int64  `json:"person"`
	About  string `json:"about"` // what it is about: flows.RemindUnfinished...
	Period string `json:"period"`
}

// Kind implements river.JobArgs.
func (ReminderJob) Kind() string { return "reminder" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ReminderJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotice, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Reminder is a reminder to deliver.
type Reminder struct {
	ReminderJob
	Object  int64
	Rev     int
	Channel string
	User    int64
	Done    bool // sent or skipped already
	Off     bool // the person switched reminders off, or blocked the bot
}

// PlanReminders writes the reminders due at now that were not planned
// before, each with its job, and returns how many. People who switched
// reminders off or blocked the bot get none.
//
//   - An unfinished questionnaire is reminded after each of days since it
//     was last changed — only the latest step due, so a planner that was
//     down sends one, not all; a change starts the steps again. One filled
//     in on a household's behalf reminds nobody.
//   - A subject registered for a year's title and not assessed yet is
//     reminded flows.DaysBeforeClose days before its province's season of
//     that year closes (the calendar year's end without one).
//   - A leader who switched on an area's weekly digest gets it on
//     Monday from DigestAt (Vietnam's), from the week after they did;
//     on Monday only, never later in the week.
//   - A reviewer (one who may decide) gets a digest a day (Vietnam's)
//     when something waits in their scope, a recogniser one when accepted
//     submissions wait for them: one message, whatever the number.
func (db *DB) PlanReminders(ctx context.Context, now time.Time, days []int) (int, error) {
	today := DayOf(now).Format(time.DateOnly)
	// Digests go in the morning: at DigestAt in Vietnam, or now when later.
	y, m, d := now.In(Vietnam).Date()
	digestAt := time.Date(y, m, d, 0, 0, 0, 0, Vietnam).Add(DigestAt)
	if digestAt.Before(now) {
		digestAt = now
	}
	week := WeekOf(now) // the weekly digests go on its Monday
	n := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var keys []planned
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{unfinishedSQL, []any{now, days, flows.RemindUnfinished}},
			{reviewDigestSQL, []any{digestAt, role.Holders(role.ReviewDecide), flows.RemindReview, today}},
			{recogniseDigestSQL, []any{digestAt, role.Holders(role.Recognise), flows.RemindRecognise, today}},
			{registeredSQL, []any{now, flows.DaysBeforeClose, flows.RemindRegistered, today}},
			{progressDigestSQL, []any{now, week, flows.RemindProgress, isoWeek(week)}},
		} {
			rows, err := tx.Query(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planned])
			if err != nil {
				return err
			}
			keys = append(keys, got...)
		}
		n = len(keys)
		return enqueueReminders(ctx, tx, keys)
	})
	if err != nil {
		return 0, fmt.Errorf("plan reminders: %w", err)
	}
	return n, nil
}

// isoWeek names a week as ISO 8601 does: 2026-W50.
func isoWeek(t time.Time) string {
	y, w := t.In(Vietnam).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// enqueueReminders gives each reminder just planned the job that brings
// it.
func enqueueReminders(ctx context.Context, tx pgx.Tx, keys []planned) error {
	if len(keys) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(keys))
	for i, k := range keys {
		params[i] = river.InsertManyParams{Args: k.ReminderJob, InsertOpts: due(k.Due)}
	}
	_, err := jobs.InsertManyTx(ctx, tx, params)
	return err
}

// DigestAt is when in the day, in Vietnam, digests go.
const DigestAt = 7 * time.Hour

// planned is a reminder planned: its key and when it is due.
type planned struct {
	ReminderJob
	Due time.Time
}

// unfinishedSQL plans the reminders of questionnaires left: $1 now, $2
// the days, $3 flows.RemindUnfinished.
const unfinishedSQL = `
	WITH due AS (
		SELECT DISTINCT ON (a.id) a.person_id, a.id, a.rev, d, a.updated_at + d * interval '1 day' AS due_at
		FROM assessments a JOIN people p ON p.id = a.person_id, unnest($2::int[]) d
		WHERE a.status = 'open' AND NOT a.assisted AND NOT p.inactive AND NOT p.reminders_off
			AND a.updated_at + d * interval '1 day' <= $1
			-- Left longer ago than the last step and two days more: planned
			-- before, or too late to remind; not looked at again.
			AND a.updated_at > $1 - (SELECT max(x) + 2 FROM unnest($2::int[]) x) * interval '1 day'
		ORDER BY a.id, d DESC
	)
	INSERT INTO reminders (person_id, about, period, object_id, rev, due_at)
	SELECT person_id, $3, id || ':' || rev || ':' || d, id, rev, due_at FROM due
	ON CONFLICT DO NOTHING
	RETURNING person_id, about, period, due_at`

// registeredSQL plans the reminders of registrations not assessed, as the
// season closes: $1 now, $2 the days before the close, $3
// flows.RemindRegistered, $4 today in Vietnam (YYYY-MM-DD). Of the steps
// due, the nearest the close.
const registeredSQL = `
	WITH RECURSIVE up (subject_id, code, parent, level) AS (
		SELECT s.id, a.code, a.parent_code, a.level FROM registrations g
		JOIN subjects s ON s.id = g.subject_id JOIN areas a ON a.code = s.area_code
		WHERE g.year >= extract(year FROM $4::date)::int - 1
		UNION ALL
		SELECT up.subject_id, a.code, a.parent_code, a.level FROM areas a JOIN up ON a.code = up.parent
	), due AS (
		SELECT DISTINCT ON (g.subject_id, g.year) g.person_id, g.subject_id, g.year, d
		FROM registrations g
		JOIN people p ON p.id = g.person_id
		JOIN up pr ON pr.subject_id = g.subject_id AND pr.level = 'province'
		LEFT JOIN seasons se ON se.province_code = pr.code AND se.year = g.year,
		unnest($2::int[]) d
		WHERE NOT p.inactive AND NOT p.reminders_off
			AND NOT EXISTS (SELECT 1 FROM assessments a WHERE a.subject_id = g.subject_id AND a.year = g.year AND a.status <> 'abandoned')
			AND $4::date BETWEEN coalesce(se.closes, make_date(g.year, 12, 31)) - d AND coalesce(se.closes, make_date(g.year, 12, 31))
		ORDER BY g.subject_id, g.year, d
	)
	INSERT INTO reminders (person_id, about, period, object_id, rev, due_at)
	SELECT person_id, $3, subject_id || ':' || year || ':' || d, subject_id, year, $1 FROM due
	ON CONFLICT DO NOTHING
	RETURNING person_id, about, period, due_at`

// digestScope names, as "scope", the areas of the roles $2 of each person
// who may get a digest $3 of the day $4 and has none yet: each role's area
// and everything below it.
const digestScope = `
	WITH RECURSIVE scope (person_id, code) AS (
		SELECT r.person_id, r.area_code FROM roles r JOIN people p ON p.id = r.person_id
		WHERE r.revoked_at IS NULL AND r.role = ANY($2) AND NOT p.inactive AND NOT p.reminders_off
			AND NOT EXISTS (SELECT 1 FROM reminders m WHERE m.person_id = r.person_id AND m.about = $3 AND m.period = $4)
		UNION
		SELECT scope.person_id, a.code FROM areas a JOIN scope ON a.parent_code = scope.code
	)`

// digestInsert writes the digests of the persons in "digest".
const digestInsert = `
	INSERT INTO reminders (person_id, about, period, object_id, rev, due_at)
	SELECT person_id, $3, $4, 0, 0, $1 FROM digest
	ON CONFLICT DO NOTHING
	RETURNING person_id, about, period, due_at`

// reviewDigestSQL plans the reviewers' digests: what waits in their scope
// that they may review (not their own household's), as package store's
// Queue counts it.
const reviewDigestSQL = digestScope + `,
	digest (person_id) AS (
		SELECT DISTINCT sc.person_id FROM scope sc
		JOIN subjects s ON s.area_code = sc.code
		JOIN assessments a ON a.subject_id = s.id
		JOIN reviews r ON r.assessment_id = a.id
		WHERE r.state = 'waiting' AND a.person_id <> sc.person_id
			AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = sc.person_id)
	)` + digestInsert

// recogniseDigestSQL plans the recognisers' digests: accepted submissions
// in their scope, in provinces that confirm, not recognised yet, as
// package store's Pending lists them.
const recogniseDigestSQL = digestScope + `,
	province (code, root) AS (
		SELECT code, code FROM areas WHERE level = 'province'
		UNION ALL
		SELECT a.code, province.root FROM areas a JOIN province ON a.parent_code = province.code
	),
	digest (person_id) AS (
		SELECT DISTINCT sc.person_id FROM scope sc
		JOIN subjects s ON s.area_code = sc.code
		JOIN province pr ON pr.code = s.area_code
		JOIN recognition_chains c ON c.province_code = pr.root AND c.chain = 'confirm'
		JOIN assessments a ON a.subject_id = s.id
		JOIN reviews r ON r.assessment_id = a.id
		WHERE r.state = 'accepted'
			AND NOT EXISTS (SELECT 1 FROM recognitions g WHERE g.assessment_id = a.id AND g.ended_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = sc.person_id)
	)` + digestInsert

// ReminderOf returns a reminder by its key; found is false when there is
// none.
func (db *DB) ReminderOf(ctx context.Context, k ReminderJob) (r Reminder, found bool, err error) {
	r.ReminderJob = k
	err = db.pool.QueryRow(ctx, `
		SELECT m.object_id, m.rev, p.channel, p.channel_user, m.sent_at IS NOT NULL OR m.skipped, p.reminders_off OR p.inactive
		FROM reminders m JOIN people p ON p.id = m.person_id
		WHERE m.person_id = $1 AND m.about = $2 AND m.period = $3`, k.Person, k.About, k.Period).
		Scan(&r.Object, &r.Rev, &r.Channel, &r.User, &r.Done, &r.Off)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read reminder: %w", err)
	}
	return r, true, nil
}

// Reminded marks a reminder sent, or skipped when it was not (the person
// switched reminders off or blocked the bot).
func (db *DB) Reminded(ctx context.Context, k ReminderJob, sent bool, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE reminders SET sent_at = CASE WHEN $4 THEN $5::timestamptz END, skipped = NOT $4
		WHERE person_id = $1 AND about = $2 AND period = $3 AND sent_at IS NULL AND NOT skipped`, k.Person, k.About, k.Period, sent, at); err != nil {
		return fmt.Errorf("mark reminder: %w", err)
	}
	return nil
}

// SetReminders switches a person's reminders on or off.
func (db *DB) SetReminders(ctx context.Context, personID int64, on bool) error {
	if _, err := db.pool.Exec(ctx, `UPDATE people SET reminders_off = NOT $2 WHERE id = $1`, personID, on); err != nil {
		return fmt.Errorf("set reminders: %w", err)
	}
	return nil
}

// RemindersOn reports whether a person's reminders are on.
func (db *DB) RemindersOn(ctx context.Context, personID int64) (bool, error) {
	var off bool
	if err := db.pool.QueryRow(ctx, `SELECT reminders_off FROM people WHERE id = $1`, personID).Scan(&off); err != nil {
		return false, fmt.Errorf("read reminders: %w", err)
	}
	return !off, nil
}
