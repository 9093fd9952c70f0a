package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
)

// A province's settings: how it recognises titles (recognition.go), its
// seasons (season.go) and its own list of reasons for sending back or
// rejecting. A change made in the bot names its person, who must hold a
// role allowing it over the province or above (package role: Administer
// for the chain, Settings for the rest), checked here whatever a button
// carries; one from the command line names person 0 and is not checked.
// Every change writes an audit row naming the province and at most ids
// and counts, never a reason's text.

// lockProvince checks that code is a province and, in a change, locks its
// row against other changes of its settings until tx ends, so that counts
// and overlaps are read and kept in one piece; flows.ErrNotFound for
// another area or none.
func lockProvince(ctx context.Context, tx pgx.Tx, code string) error {
	var level string
	err := tx.QueryRow(ctx, `SELECT level FROM areas WHERE code = $1 FOR NO KEY UPDATE`, code).Scan(&level)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && level != "province") {
		return flows.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("load province: %w", err)
	}
	return nil
}

// allowed checks a person's role for an action over an area; person 0,
// the command line, may do anything. flows.ErrNotFound when they may not.
func allowed(ctx context.Context, tx pgx.Tx, personID int64, a role.Action, areaCode string) error {
	if personID == 0 {
		return nil
	}
	ok, err := may(ctx, tx, personID, a, areaCode)
	if err == nil && !ok {
		err = flows.ErrNotFound
	}
	return err
}

// SettingsProvinces returns the provinces whose settings a person may
// change (role.Settings over the province or above), by name.
func (db *DB) SettingsProvinces(ctx context.Context, personID int64) ([]flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		WITH RECURSIVE scope (code, level) AS (
			SELECT a.code, a.level FROM roles r JOIN areas a ON a.code = r.area_code
			WHERE r.person_id = $1 AND r.revoked_at IS NULL AND r.role = ANY($2)
			UNION
			SELECT a.code, a.level FROM areas a JOIN scope ON a.parent_code = scope.code WHERE scope.level <> 'province'
		)
		SELECT a.code, coalesce(a.parent_code, ''), a.level, a.name_vi, a.name_en, a.region
		FROM areas a WHERE a.level = 'province' AND a.valid_to IS NULL AND a.code IN (SELECT code FROM scope)`,
		personID, role.Holders(role.Settings))
	if err != nil {
		return nil, fmt.Errorf("query the provinces of settings: %w", err)
	}
	areas, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return nil, fmt.Errorf("query the provinces of settings: %w", err)
	}
	area.SortByName(areas)
	return areas, nil
}

// ProvinceSettings returns what a province has set, for a person who may
// change some of it; flows.ErrNotFound for anyone else, or an area that
// is not a province.
func (db *DB) ProvinceSettings(ctx context.Context, personID int64, province string) (flows.ProvinceSettings, error) {
	var s flows.ProvinceSettings
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var level string
		err := tx.QueryRow(ctx, `SELECT level FROM areas WHERE code = $1`, province).Scan(&level)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && level != "province") {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		if s.MayChain, err = may(ctx, tx, personID, role.Administer, province); err != nil {
			return err
		}
		if s.MaySettings, err = may(ctx, tx, personID, role.Settings, province); err != nil {
			return err
		}
		if !s.MayChain && !s.MaySettings {
			return flows.ErrNotFound
		}
		if s.Chain, err = chainOf(ctx, tx, province, false); err != nil {
			return err
		}
		if s.Waiting, err = waitingIn(ctx, tx, province); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT year, opens, closes FROM seasons WHERE province_code = $1 ORDER BY year`, province)
		if err != nil {
			return err
		}
		if s.Seasons, err = pgx.CollectRows(rows, pgx.RowToStructByPos[flows.Season]); err != nil {
			return err
		}
		s.Reasons, err = reasonsOf(ctx, tx, province)
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return s, err
	}
	if err != nil {
		return s, fmt.Errorf("load the settings of %s: %w", province, err)
	}
	s.Province, err = db.Area(ctx, province)
	return s, err
}

// reasonsOf returns a province's own reasons, in the order added.
func reasonsOf(ctx context.Context, tx pgx.Tx, province string) ([]flows.Reason, error) {
	rows, err := tx.Query(ctx, `SELECT id, text FROM province_reasons WHERE province_code = $1 ORDER BY id`, province)
	if err != nil {
		return nil, fmt.Errorf("query reasons: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[flows.Reason])
	if err != nil {
		return nil, fmt.Errorf("query reasons: %w", err)
	}
	return out, nil
}

// sameReason is how two reasons are told apart: by their text in one
// Unicode form, case and spaces aside (never accents: in Vietnamese they
// change the word).
func sameReason(a, b string) bool {
	fold := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(fold(a), fold(b))
}

// AddReasons adds reasons to a province's own list and returns how many
// it added: a text the list has already (case and spaces aside) is not
// added again. flows.ErrNotFound when the person may not change the
// province's settings, flows.ErrLimit when the list would pass
// flows.MaxProvinceReasons; then nothing is added.
func (db *DB) AddReasons(ctx context.Context, province string, texts []string, by int64) (int, error) {
	added := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockProvince(ctx, tx, province); err != nil {
			return err
		}
		if err := allowed(ctx, tx, by, role.Settings, province); err != nil {
			return err
		}
		have, err := reasonsOf(ctx, tx, province)
		if err != nil {
			return err
		}
		var fresh []string
		for _, text := range texts {
			text = norm.NFC.String(strings.Join(strings.Fields(text), " "))
			if n := len([]rune(text)); n < flows.MinProvinceReason || n > flows.MaxProvinceReason {
				return fmt.Errorf("a reason has %d to %d characters", flows.MinProvinceReason, flows.MaxProvinceReason)
			}
			known := false
			for _, h := range have {
				known = known || sameReason(h.Text, text)
			}
			for _, f := range fresh {
				known = known || sameReason(f, text)
			}
			if !known {
				fresh = append(fresh, text)
			}
		}
		if len(have)+len(fresh) > flows.MaxProvinceReasons {
			return flows.ErrLimit
		}
		for _, text := range fresh {
			if _, err := tx.Exec(ctx, `INSERT INTO province_reasons (province_code, text, added_by) VALUES ($1, $2, nullif($3, 0))`,
				province, text, by); err != nil {
				return fmt.Errorf("add reason: %w", err)
			}
		}
		added = len(fresh)
		if added == 0 {
			return nil
		}
		// The texts are the province's words: the log has their count.
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES (nullif($1, 0), 'reason.add', $2)`,
			by, map[string]any{"province": province, "added": added, "count": len(have) + added})
		return err
	})
	if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrLimit) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("add reasons to %s: %w", province, err)
	}
	return added, nil
}

// RemoveReason removes one reason from a province's own list;
// flows.ErrNotFound when the list has no such reason or the person may
// not change it. Decisions that gave the reason keep its text.
func (db *DB) RemoveReason(ctx context.Context, province string, id, by int64) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockProvince(ctx, tx, province); err != nil {
			return err
		}
		if err := allowed(ctx, tx, by, role.Settings, province); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM province_reasons WHERE id = $1 AND province_code = $2`, id, province)
		if err != nil {
			return fmt.Errorf("remove reason: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return flows.ErrNotFound
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO audit_log (person_id, action, detail)
			SELECT nullif($1, 0), 'reason.remove', jsonb_build_object('province', $2::text, 'reason', $3::bigint, 'count', count(*))
			FROM province_reasons WHERE province_code = $2`, by, province, id)
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("remove a reason of %s: %w", province, err)
	}
	return nil
}

// Reasons returns the own reasons of the province of a submission, for a
// reviewer who may decide it (none when the province has none: the
// default list applies); flows.ErrNotFound when it is not theirs.
func (db *DB) Reasons(ctx context.Context, personID, assessmentID int64) ([]flows.Reason, error) {
	var out []flows.Reason
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, _, err := reviewable(ctx, tx, personID, assessmentID, role.ReviewDecide); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			WITH RECURSIVE up (code, parent, level) AS (
				SELECT ar.code, ar.parent_code, ar.level FROM assessments a JOIN subjects s ON s.id = a.subject_id
				JOIN areas ar ON ar.code = s.area_code WHERE a.id = $1
				UNION ALL
				SELECT a.code, a.parent_code, a.level FROM areas a JOIN up ON a.code = up.parent
			)
			SELECT p.id, p.text FROM province_reasons p JOIN up ON up.code = p.province_code AND up.level = 'province'
			ORDER BY p.id`, assessmentID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[flows.Reason])
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("load the reasons of assessment %d: %w", assessmentID, err)
	}
	return out, nil
}
