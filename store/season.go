package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
)

// Vietnam is the time zone seasons and years are counted in.
var Vietnam = time.FixedZone("ICT", 7*3600)

// SeasonYear returns the year of the season an area's province is in at a
// moment: the season whose dates hold the day, or else the calendar year
// of the day in Vietnam.
func (db *DB) SeasonYear(ctx context.Context, areaCode string, at time.Time) (int, error) {
	day := at.In(Vietnam)
	var year int
	err := db.pool.QueryRow(ctx, `
		WITH RECURSIVE up (code, parent, level) AS (
			SELECT code, parent_code, level FROM areas WHERE code = $1
			UNION ALL
			SELECT a.code, a.parent_code, a.level FROM areas a JOIN up ON a.code = up.parent
		)
		SELECT coalesce((SELECT s.year FROM seasons s JOIN up ON up.code = s.province_code AND up.level = 'province'
			WHERE $2::date BETWEEN s.opens AND s.closes ORDER BY s.year DESC LIMIT 1), $3)`,
		areaCode, day.Format(time.DateOnly), day.Year()).Scan(&year)
	if err != nil {
		return 0, fmt.Errorf("read the season: %w", err)
	}
	return year, nil
}

// SetSeason sets a province's season of a year.
func (db *DB) SetSeason(ctx context.Context, province string, year int, opens, closes time.Time) error {
	var level string
	if err := db.pool.QueryRow(ctx, `SELECT level FROM areas WHERE code = $1`, province).Scan(&level); err != nil || level != "province" {
		return fmt.Errorf("%q is not a province", province)
	}
	if closes.Before(opens) {
		return fmt.Errorf("the season closes before it opens")
	}
	_, err := db.pool.Exec(ctx, `
		WITH up AS (
			INSERT INTO seasons (province_code, year, opens, closes) VALUES ($1, $2, $3, $4)
			ON CONFLICT (province_code, year) DO UPDATE SET opens = EXCLUDED.opens, closes = EXCLUDED.closes RETURNING year
		)
		INSERT INTO audit_log (action, detail) SELECT 'season.set', jsonb_build_object('province', $1::text, 'year', year) FROM up`,
		province, year, opens, closes)
	if err != nil {
		return fmt.Errorf("set the season: %w", err)
	}
	return nil
}

// Register records a subject's intent to strive for its title in a year,
// making the subject as Start does when n names none; registering again
// changes nothing. It returns the subject.
func (db *DB) Register(ctx context.Context, n flows.NewAssessment, at time.Time) (flows.Subject, error) {
	var s flows.Subject
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		subject, err := findOrMakeSubject(ctx, tx, n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			WITH ins AS (
				INSERT INTO registrations (subject_id, year, person_id, registered_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING RETURNING subject_id
			)
			INSERT INTO audit_log (person_id, action, detail) SELECT $3, 'register', jsonb_build_object('subject', subject_id, 'year', $2::int) FROM ins`,
			subject, n.Year, n.PersonID, at); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT id, kind, name, area_code FROM subjects WHERE id = $1`, subject).Scan(&s.ID, &s.Kind, &s.Name, &s.AreaCode)
	})
	if err != nil {
		return s, fmt.Errorf("register: %w", err)
	}
	return s, nil
}

// Registered reports whether a subject registered for a year.
func (db *DB) Registered(ctx context.Context, subjectID int64, year int) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM registrations WHERE subject_id = $1 AND year = $2)`, subjectID, year).Scan(&ok)
	return ok, err
}
