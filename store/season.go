package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
	"hoctap/role"
)

// Vietnam is the time zone seasons and years are counted in.
var Vietnam = flows.Vietnam

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

// SetSeason sets a province's season of a year, for a person who may
// change its settings (by 0: the command line). The days must suit the
// year (flows.SeasonFits) and share none with another year's season of
// the province: flows.ErrOverlap. flows.ErrNotFound when the person may
// not, or the area is not a province. Assessments started before keep
// their year; the change counts for those started after it.
func (db *DB) SetSeason(ctx context.Context, province string, s flows.Season, by int64) error {
	if !flows.SeasonFits(s) {
		return fmt.Errorf("a season of %d from %s to %s: it lasts at most a year and holds days of its year",
			s.Year, s.Opens.Format(time.DateOnly), s.Closes.Format(time.DateOnly))
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockProvince(ctx, tx, province); err != nil {
			return err
		}
		if err := allowed(ctx, tx, by, role.Settings, province); err != nil {
			return err
		}
		var overlaps bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM seasons WHERE province_code = $1 AND year <> $2 AND opens <= $4 AND closes >= $3)`,
			province, s.Year, s.Opens, s.Closes).Scan(&overlaps); err != nil {
			return err
		}
		if overlaps {
			return flows.ErrOverlap
		}
		_, err := tx.Exec(ctx, `
			WITH up AS (
				INSERT INTO seasons (province_code, year, opens, closes, set_by, set_at) VALUES ($1, $2, $3, $4, nullif($5, 0), now())
				ON CONFLICT (province_code, year) DO UPDATE SET opens = EXCLUDED.opens, closes = EXCLUDED.closes, set_by = EXCLUDED.set_by, set_at = now()
				RETURNING year
			)
			INSERT INTO audit_log (person_id, action, detail)
			SELECT nullif($5, 0), 'season.set', jsonb_build_object('province', $1::text, 'year', year) FROM up`,
			province, s.Year, s.Opens, s.Closes, by)
		return err
	})
	switch {
	case errors.Is(err, flows.ErrNotFound) && by == 0:
		return fmt.Errorf("%q is not a province", province)
	case errors.Is(err, flows.ErrNotFound), errors.Is(err, flows.ErrOverlap):
		return err
	case err != nil:
		return fmt.Errorf("set the season: %w", err)
	}
	return nil
}

// ClearSeason takes back a province's season of a year, which is then the
// calendar year again, for a person who may change its settings;
// flows.ErrNotFound when the person may not or no such season is set.
func (db *DB) ClearSeason(ctx context.Context, province string, year int, by int64) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockProvince(ctx, tx, province); err != nil {
			return err
		}
		if err := allowed(ctx, tx, by, role.Settings, province); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM seasons WHERE province_code = $1 AND year = $2`, province, year)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return flows.ErrNotFound
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES (nullif($1, 0), 'season.clear', $2)`,
			by, map[string]any{"province": province, "year": year})
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("clear the season: %w", err)
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
		if err := restate(ctx, tx, subject); err != nil {
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
