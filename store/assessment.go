package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// Person returns the person with a channel identity.
func (db *DB) Person(ctx context.Context, channel string, user int64) (flows.Person, error) {
	var p flows.Person
	err := db.pool.QueryRow(ctx, `SELECT id, lang, consent_at, inactive FROM people WHERE channel = $1 AND channel_user = $2`,
		channel, user).Scan(&p.ID, &p.Lang, &p.Consent, &p.Inactive)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, flows.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("query person: %w", err)
	}
	return p, nil
}

// Consent records a person's consent, creating them; consent given again
// keeps the first record.
func (db *DB) Consent(ctx context.Context, channel string, user int64, lang string, at time.Time) (flows.Person, error) {
	var p flows.Person
	err := db.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO people (channel, channel_user, lang, consent_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (channel, channel_user) DO UPDATE SET inactive = false
			RETURNING id, lang, consent_at, inactive
		), audit AS (
			INSERT INTO audit_log (person_id, action) SELECT id, 'consent' FROM ins
		)
		SELECT id, lang, consent_at, inactive FROM ins`, channel, user, lang, at).Scan(&p.ID, &p.Lang, &p.Consent, &p.Inactive)
	if err != nil {
		return p, fmt.Errorf("record consent: %w", err)
	}
	return p, nil
}

// SetLanguage saves a person's language.
func (db *DB) SetLanguage(ctx context.Context, personID int64, lang string) error {
	_, err := db.pool.Exec(ctx, `UPDATE people SET lang = $2 WHERE id = $1`, personID, lang)
	return err
}

// SetInactive marks a person who blocked the bot, or unblocked it.
func (db *DB) SetInactive(ctx context.Context, personID int64, inactive bool) error {
	_, err := db.pool.Exec(ctx, `UPDATE people SET inactive = $2 WHERE id = $1`, personID, inactive)
	return err
}

// SetInactiveByChannel marks a person by their channel identity, for a
// channel that learns of a block when a message is refused.
func (db *DB) SetInactiveByChannel(ctx context.Context, channel string, user int64, inactive bool) error {
	_, err := db.pool.Exec(ctx, `UPDATE people SET inactive = $3 WHERE channel = $1 AND channel_user = $2`, channel, user, inactive)
	return err
}

const assessmentColumns = `
	a.id, a.subject_id, s.name, s.kind, s.area_code, a.region, a.set_id, a.set_version, a.year, a.rev, a.cursor,
	a.submitted_at, a.result, a.assisted,
	coalesce((SELECT jsonb_object_agg(code, value) FROM answers WHERE assessment_id = a.id), '{}'),
	coalesce((SELECT jsonb_object_agg(code, n) FROM (
		SELECT code, count(*) AS n FROM evidence WHERE assessment_id = a.id GROUP BY code) e), '{}')
	FROM assessments a JOIN subjects s ON s.id = a.subject_id`

func scanAssessment(row pgx.Row) (flows.Assessment, error) {
	var a flows.Assessment
	var kind, region string
	var result, answers, photos []byte
	err := row.Scan(&a.ID, &a.SubjectID, &a.SubjectName, &kind, &a.AreaCode, &region, &a.SetID, &a.SetVersion, &a.Year,
		&a.Rev, &a.Cursor, &a.Submitted, &result, &a.Assisted, &answers, &photos)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, flows.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("query assessment: %w", err)
	}
	a.Kind, a.Region = scoring.Kind(kind), scoring.Region(region)
	if err := json.Unmarshal(answers, &a.Answers); err != nil {
		return a, fmt.Errorf("decode answers of assessment %d: %w", a.ID, err)
	}
	if err := json.Unmarshal(photos, &a.Photos); err != nil {
		return a, fmt.Errorf("decode evidence of assessment %d: %w", a.ID, err)
	}
	if result != nil {
		a.Result = &scoring.Result{}
		if err := json.Unmarshal(result, a.Result); err != nil {
			return a, fmt.Errorf("decode result of assessment %d: %w", a.ID, err)
		}
	}
	return a, nil
}

// Assessments returns the assessments that are not abandoned, in progress
// and submitted, that the person filled in or whose subject they
// represent, the most recently changed first.
func (db *DB) Assessments(ctx context.Context, personID int64) ([]flows.Assessment, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+assessmentColumns+`
		WHERE a.status <> 'abandoned'
			AND (a.person_id = $1 OR a.subject_id IN (SELECT subject_id FROM representatives WHERE person_id = $1))
		ORDER BY a.updated_at DESC, a.id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("query assessments: %w", err)
	}
	defer rows.Close()
	var out []flows.Assessment
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Assessment returns an assessment with its answers and photo counts.
func (db *DB) Assessment(ctx context.Context, id int64) (flows.Assessment, error) {
	return scanAssessment(db.pool.QueryRow(ctx, `SELECT `+assessmentColumns+` WHERE a.id = $1`, id))
}

// Subjects returns the subjects of a kind the person represents, by name.
func (db *DB) Subjects(ctx context.Context, personID int64, kind scoring.Kind) ([]flows.Subject, error) {
	rows, err := db.pool.Query(ctx, `SELECT s.id, s.kind, s.name, s.area_code FROM subjects s
		JOIN representatives r ON r.subject_id = s.id AND r.person_id = $1
		WHERE s.kind = $2 ORDER BY s.name, s.id`, personID, string(kind))
	if err != nil {
		return nil, fmt.Errorf("query subjects: %w", err)
	}
	defer rows.Close()
	var out []flows.Subject
	for rows.Next() {
		var s flows.Subject
		var k string
		if err := rows.Scan(&s.ID, &k, &s.Name, &s.AreaCode); err != nil {
			return nil, fmt.Errorf("query subjects: %w", err)
		}
		s.Kind = scoring.Kind(k)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Start creates the assessment, and its subject when n names none, once
// per key. When the subject has an assessment for the year already, in
// progress or submitted, it returns that one and flows.ErrExists.
func (db *DB) Start(ctx context.Context, n flows.NewAssessment) (flows.Assessment, error) {
	var id int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM assessments WHERE start_key = $1`, n.Key).Scan(&id)
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if n.Assisted {
			ok, err := may(ctx, tx, n.PersonID, role.ReviewDecide, n.AreaCode)
			if err != nil {
				return err
			}
			if !ok {
				return flows.ErrNotFound
			}
		}
		subject, err := findOrMakeSubject(ctx, tx, n)
		if err != nil {
			return err
		}
		// Starting registers the subject's intent for the year too.
		if _, err := tx.Exec(ctx, `INSERT INTO registrations (subject_id, year, person_id, registered_at) VALUES ($1, $2, $3, now())
			ON CONFLICT DO NOTHING`, subject, n.Year, n.PersonID); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT id FROM assessments WHERE subject_id = $1 AND year = $2 AND status <> 'abandoned'`,
			subject, n.Year).Scan(&id)
		if err == nil {
			return flows.ErrExists
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO assessments (subject_id, person_id, set_id, set_version, year, region, cursor, start_key, assisted)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			subject, n.PersonID, n.SetID, n.SetVersion, n.Year, string(n.Region), n.Cursor, n.Key, n.Assisted).Scan(&id); err != nil {
			return fmt.Errorf("insert assessment: %w", err)
		}
		if err := restate(ctx, tx, subject); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, assessment_id, action, detail) VALUES ($1, $2, 'start', $3)`,
			n.PersonID, id, map[string]any{"set": n.SetID, "version": n.SetVersion, "assisted": n.Assisted, "head_consent": n.Assisted})
		return err
	})
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return flows.Assessment{}, err
	case errors.Is(err, flows.ErrExists):
		a, err := db.Assessment(ctx, id)
		if err != nil {
			return a, err
		}
		return a, flows.ErrExists
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "assessments_one_per_year":
		// Another start for the subject won the race; it is the one now.
		var winner int64
		if n.SubjectID == 0 || db.pool.QueryRow(ctx, `SELECT id FROM assessments WHERE subject_id = $1 AND year = $2 AND status <> 'abandoned'`,
			n.SubjectID, n.Year).Scan(&winner) != nil {
			return flows.Assessment{}, flows.ErrConflict // the winner is not found again: the person tries again
		}
		a, err := db.Assessment(ctx, winner)
		if err != nil {
			return a, err
		}
		return a, flows.ErrExists
	case err != nil:
		return flows.Assessment{}, fmt.Errorf("start assessment: %w", err)
	}
	return db.Assessment(ctx, id)
}

// Apply saves a change in one round trip: the input's key is recorded, the
// revision checked and bumped, the cursor moved, the answer written and the
// change logged, all or nothing.
func (db *DB) Apply(ctx context.Context, c flows.Change) (int, error) {
	var value []byte
	if c.Answer != nil {
		var err error
		if value, err = json.Marshal(c.Answer); err != nil {
			return 0, err
		}
	}
	var rev *int
	var fresh bool
	err := db.pool.QueryRow(ctx, `
		WITH seen AS (
			INSERT INTO applied_inputs (key, assessment_id) VALUES ($1, $2)
			ON CONFLICT (key) DO NOTHING RETURNING 1
		), upd AS (
			UPDATE assessments SET rev = rev + 1, cursor = $4, updated_at = now()
			WHERE id = $2 AND rev = $3 AND status = 'open' AND EXISTS (SELECT 1 FROM seen)
			RETURNING rev
		), ans AS (
			INSERT INTO answers (assessment_id, code, value, given_by)
			SELECT $2, $5, $6, $7 FROM upd WHERE $6::jsonb IS NOT NULL
			ON CONFLICT (assessment_id, code) DO UPDATE SET value = EXCLUDED.value,
				given_by = EXCLUDED.given_by, given_at = now()
		), audit AS (
			INSERT INTO audit_log (person_id, assessment_id, action, detail)
			SELECT $7, $2, 'answer', jsonb_build_object('code', $5::text) FROM upd WHERE $6::jsonb IS NOT NULL
		)
		SELECT (SELECT rev FROM upd), EXISTS (SELECT 1 FROM seen)`,
		c.Key, c.AssessmentID, c.Rev, c.Cursor, c.Code, value, c.PersonID).Scan(&rev, &fresh)
	if err != nil {
		return 0, fmt.Errorf("apply change: %w", err)
	}
	switch {
	case !fresh:
		return 0, flows.ErrDone
	case rev == nil:
		return 0, flows.ErrConflict
	}
	return *rev, nil
}

// AddEvidence records a stored photo and returns the question's photo count.
func (db *DB) AddEvidence(ctx context.Context, e flows.Evidence) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO evidence (assessment_id, code, sha256, size, mime, file_id, file_unique_id, added_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (assessment_id, code, sha256) DO NOTHING RETURNING 1
		), audit AS (
			INSERT INTO audit_log (person_id, assessment_id, action, detail)
			SELECT $8, $1, 'evidence', jsonb_build_object('code', $2::text, 'sha256', $3::text) FROM ins
		)
		SELECT (SELECT count(*) FROM evidence WHERE assessment_id = $1 AND code = $2) + (SELECT count(*) FROM ins)`,
		e.AssessmentID, e.Code, e.SHA256, e.Size, e.MIME, e.FileID, e.UniqueID, e.PersonID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("record evidence: %w", err)
	}
	return n, nil
}

// Submit marks the assessment submitted with its result, once, and puts it
// in the review queue.
func (db *DB) Submit(ctx context.Context, id int64, rev int, personID int64, res scoring.Result, at time.Time) error {
	result, err := json.Marshal(res)
	if err != nil {
		return err
	}
	var status string
	var subject int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			WITH upd AS (
				UPDATE assessments SET status = 'submitted', rev = rev + 1, cursor = '', total = $3, passed = $4,
					result = $5, submitted_at = $6, updated_at = now()
				WHERE id = $1 AND rev = $2 AND status = 'open'
				RETURNING id, subject_id
			), audit AS (
				INSERT INTO audit_log (person_id, assessment_id, action, detail)
				SELECT $7, id, 'submit', jsonb_build_object('total', $3::numeric, 'passed', $4::boolean) FROM upd
			), review AS (
				-- it waits for review; after a send-back, again
				INSERT INTO reviews (assessment_id, state, waiting_since) SELECT id, 'waiting', $6 FROM upd
				ON CONFLICT (assessment_id) DO UPDATE SET state = 'waiting', rev = reviews.rev + 1,
					waiting_since = EXCLUDED.waiting_since, resubmitted = reviews.resubmitted + 1
			)
			SELECT status, coalesce((SELECT subject_id FROM upd), 0) FROM assessments WHERE id = $1`,
			id, rev, res.Total, res.Passed, result, at, personID).Scan(&status, &subject)
		if err != nil {
			return err
		}
		return restate(ctx, tx, subject)
	})
	switch {
	case err != nil:
		return fmt.Errorf("submit assessment: %w", err)
	case subject != 0:
		return nil
	case status == "submitted":
		return flows.ErrDone
	}
	return flows.ErrConflict
}

// Abandon closes an assessment in progress at rev without submitting it;
// flows.ErrConflict when it is no longer open at rev.
func (db *DB) Abandon(ctx context.Context, id int64, rev int, personID int64) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var subject int64
		err := tx.QueryRow(ctx, `
			WITH upd AS (
				UPDATE assessments SET status = 'abandoned', rev = rev + 1, updated_at = now()
				WHERE id = $1 AND rev = $2 AND status = 'open' RETURNING id, subject_id
			), audit AS (
				INSERT INTO audit_log (person_id, assessment_id, action) SELECT $3, id, 'abandon' FROM upd
			)
			SELECT subject_id FROM upd`, id, rev, personID).Scan(&subject)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrConflict
		}
		if err != nil {
			return err
		}
		return restate(ctx, tx, subject)
	})
	switch {
	case errors.Is(err, flows.ErrConflict):
		return err
	case err != nil:
		return fmt.Errorf("abandon assessment: %w", err)
	}
	return nil
}

// MoveSet pins the assessment to another set version, dropping the answers
// that do not carry over.
func (db *DB) MoveSet(ctx context.Context, id int64, rev int, setID string, version int, drop []string, cursor string) (int, error) {
	var next int
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			UPDATE assessments SET set_id = $3, set_version = $4, cursor = $5, rev = rev + 1, updated_at = now()
			WHERE id = $1 AND rev = $2 AND status = 'open' RETURNING rev`, id, rev, setID, version, cursor).Scan(&next)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrConflict
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM answers WHERE assessment_id = $1 AND code = ANY($2)`, id, drop); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (assessment_id, action, detail) VALUES ($1, 'move', $2)`,
			id, map[string]any{"set": setID, "version": version, "dropped": drop})
		return err
	})
	if err != nil {
		if errors.Is(err, flows.ErrConflict) {
			return 0, err
		}
		return 0, fmt.Errorf("move assessment: %w", err)
	}
	return next, nil
}

// findOrMakeSubject returns the subject a start or a registration names:
// the one given, or the person's subject of its kind with its name (in any
// case) in its area, or a new one they represent — for an assisted entry,
// the reviewer's earlier one of that name and place, with no
// representative.
func findOrMakeSubject(ctx context.Context, tx pgx.Tx, n flows.NewAssessment) (int64, error) {
	subject := n.SubjectID
	if subject == 0 && n.Assisted {
		// A household the reviewer entered before under that name
		// and place is the same one; it has no representative.
		err := tx.QueryRow(ctx, `SELECT s.id FROM subjects s
			WHERE s.created_by = $1 AND s.kind = $2 AND lower(s.name) = lower($3) AND s.area_code = $4
				AND NOT EXISTS (SELECT 1 FROM representatives r WHERE r.subject_id = s.id)
			ORDER BY s.id LIMIT 1`, n.PersonID, string(n.Kind), n.Name, n.AreaCode).Scan(&subject)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `INSERT INTO subjects (kind, name, area_code, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
				string(n.Kind), n.Name, n.AreaCode, n.PersonID).Scan(&subject)
		}
		if err != nil {
			return 0, fmt.Errorf("find or insert subject: %w", err)
		}
	}
	if subject == 0 {
		// Subjects made before one assessment per subject and year
		// may repeat: the one assessed this year comes first.
		err := tx.QueryRow(ctx, `SELECT s.id FROM subjects s
			JOIN representatives r ON r.subject_id = s.id AND r.person_id = $1
			WHERE s.kind = $2 AND lower(s.name) = lower($3) AND s.area_code = $4
			ORDER BY EXISTS (SELECT 1 FROM assessments a WHERE a.subject_id = s.id AND a.year = $5 AND a.status <> 'abandoned') DESC, s.id
			LIMIT 1`,
			n.PersonID, string(n.Kind), n.Name, n.AreaCode, n.Year).Scan(&subject)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `
				WITH s AS (INSERT INTO subjects (kind, name, area_code, created_by) VALUES ($1, $2, $3, $4) RETURNING id),
				r AS (INSERT INTO representatives (subject_id, person_id) SELECT id, $4 FROM s)
				SELECT id FROM s`,
				string(n.Kind), n.Name, n.AreaCode, n.PersonID).Scan(&subject)
		}
		if err != nil {
			return 0, fmt.Errorf("find or insert subject: %w", err)
		}
	}
	return subject, nil
}
