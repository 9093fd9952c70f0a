package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// UndoWithin is how long a reviewer may take back their own decision; the
// representatives are told of it once this has passed.
const UndoWithin = 10 * time.Minute

// NoticeDecided names the notice of a review decision.
const NoticeDecided = "decided"

// GrantRole gives a person a role over an area (and everything below it);
// granting a role held already changes nothing.
func (db *DB) GrantRole(ctx context.Context, personID int64, r role.Role, areaCode string, by int64) error {
	_, err := db.pool.Exec(ctx, `
		WITH ins AS (
			INSERT INTO roles (person_id, role, area_code, granted_by) VALUES ($1, $2, $3, nullif($4, 0))
			ON CONFLICT (person_id, role, area_code) WHERE revoked_at IS NULL DO NOTHING RETURNING id
		)
		INSERT INTO audit_log (person_id, action, detail)
		SELECT nullif($4, 0), 'role.grant', jsonb_build_object('role_id', id, 'role', $2::text, 'area', $3::text, 'to', $1::bigint) FROM ins`,
		personID, string(r), areaCode, by)
	if err != nil {
		return fmt.Errorf("grant role: %w", err)
	}
	return nil
}

// scopeCTE names, as "scope", the areas where person $1 holds one of the
// roles $2: each role's area and everything below it.
const scopeCTE = `
	WITH RECURSIVE scope (code) AS (
		SELECT area_code FROM roles WHERE person_id = $1 AND revoked_at IS NULL AND role = ANY($2)
		UNION
		SELECT a.code FROM areas a JOIN scope ON a.parent_code = scope.code
	)`

// may reports whether a person may take an action on an area: a role
// that allows it over the area or one above.
func may(ctx context.Context, q pgx.Tx, personID int64, a role.Action, areaCode string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `
		WITH RECURSIVE up (code, parent) AS (
			SELECT code, parent_code FROM areas WHERE code = $3
			UNION ALL
			SELECT a.code, a.parent_code FROM areas a JOIN up ON a.code = up.parent
		)
		SELECT EXISTS (SELECT 1 FROM roles r JOIN up ON r.area_code = up.code
			WHERE r.person_id = $1 AND r.revoked_at IS NULL AND r.role = ANY($2))`,
		personID, role.Holders(a), areaCode).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", a, err)
	}
	return ok, nil
}

// May reports whether a person holds a role that allows an action
// anywhere: a screen draws a button only for those who may use it.
func (db *DB) May(ctx context.Context, personID int64, a role.Action) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM roles WHERE person_id = $1 AND revoked_at IS NULL AND role = ANY($2))`,
		personID, role.Holders(a)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", a, err)
	}
	return ok, nil
}

// Queue returns a page of the submissions waiting for review in the
// person's scope, the longest waiting first, and how many wait in all.
// A subject the person represents, or an assessment they filled in, is
// not theirs to review and is left out.
func (db *DB) Queue(ctx context.Context, personID int64, offset, limit int) ([]flows.Queued, int, error) {
	rows, err := db.pool.Query(ctx, scopeCTE+`
		SELECT a.id, r.rev, s.kind, s.name, ar.name_vi, ar.name_en, r.waiting_since, r.resubmitted, r.returned, count(*) OVER ()
		FROM reviews r
		JOIN assessments a ON a.id = r.assessment_id
		JOIN subjects s ON s.id = a.subject_id
		JOIN areas ar ON ar.code = s.area_code
		WHERE r.state = 'waiting' AND s.area_code IN (SELECT code FROM scope) AND a.person_id <> $1
			AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = $1)
		ORDER BY r.waiting_since, a.id
		OFFSET $3 LIMIT $4`, personID, role.Holders(role.ReviewList), offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("query review queue: %w", err)
	}
	defer rows.Close()
	var out []flows.Queued
	total := 0
	for rows.Next() {
		var q flows.Queued
		var kind string
		if err := rows.Scan(&q.AssessmentID, &q.ReviewRev, &kind, &q.SubjectName, &q.AreaName.VI, &q.AreaName.EN,
			&q.WaitingSince, &q.Resubmitted, &q.Returned, &total); err != nil {
			return nil, 0, fmt.Errorf("query review queue: %w", err)
		}
		q.Kind = scoring.Kind(kind)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("query review queue: %w", err)
	}
	if len(out) == 0 && offset > 0 {
		// Past the end (the queue shrank): the count is read on its own.
		if err := db.pool.QueryRow(ctx, scopeCTE+`
			SELECT count(*) FROM reviews r JOIN assessments a ON a.id = r.assessment_id JOIN subjects s ON s.id = a.subject_id
			WHERE r.state = 'waiting' AND s.area_code IN (SELECT code FROM scope) AND a.person_id <> $1
				AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = $1)`,
			personID, role.Holders(role.ReviewList)).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count review queue: %w", err)
		}
	}
	return out, total, nil
}

// reviewable loads what a review needs of an assessment, locking its
// review row, and checks the wall: flows.ErrNotFound, saying nothing
// more, when the person may not take the action on it or represents its
// subject or filled it in.
func reviewable(ctx context.Context, tx pgx.Tx, personID, assessmentID int64, a role.Action) (flows.Review, int64, error) {
	var r flows.Review
	var subject, filledBy int64
	var areaCode string
	var reviewer *int64
	var reason *string
	var before []byte
	err := tx.QueryRow(ctx, `
		SELECT r.assessment_id, r.state, r.rev, r.waiting_since, r.reviewer_id, r.reason, r.decided_at, r.resubmitted, r.returned,
			r.answers_before, s.id, s.area_code, a.person_id
		FROM reviews r JOIN assessments a ON a.id = r.assessment_id JOIN subjects s ON s.id = a.subject_id
		WHERE r.assessment_id = $1 FOR UPDATE OF r`, assessmentID).Scan(
		&r.AssessmentID, &r.State, &r.Rev, &r.WaitingSince, &reviewer, &reason, &r.DecidedAt, &r.Resubmitted, &r.Returned,
		&before, &subject, &areaCode, &filledBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, 0, flows.ErrNotFound
	}
	if err != nil {
		return r, 0, fmt.Errorf("load review: %w", err)
	}
	ok, err := may(ctx, tx, personID, a, areaCode)
	if err != nil {
		return r, 0, err
	}
	var represents bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM representatives WHERE subject_id = $1 AND person_id = $2)`,
		subject, personID).Scan(&represents); err != nil {
		return r, 0, fmt.Errorf("load review: %w", err)
	}
	if !ok || represents || filledBy == personID {
		return r, 0, flows.ErrNotFound
	}
	if reviewer != nil {
		r.Reviewer = *reviewer
	}
	if reason != nil {
		r.Reason = *reason
	}
	if before != nil {
		if err := json.Unmarshal(before, &r.Before); err != nil {
			return r, 0, fmt.Errorf("decode answers before: %w", err)
		}
	}
	return r, subject, nil
}

// ForReview returns a submission for a reviewer to open, with its place
// and review; flows.ErrNotFound when it is not theirs to see.
func (db *DB) ForReview(ctx context.Context, personID, assessmentID int64) (flows.UnderReview, error) {
	var u flows.UnderReview
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, _, err := reviewable(ctx, tx, personID, assessmentID, role.ReviewList)
		if err != nil {
			return err
		}
		u.Review = r
		var code string
		if err := tx.QueryRow(ctx, `SELECT s.area_code FROM assessments a JOIN subjects s ON s.id = a.subject_id WHERE a.id = $1`,
			assessmentID).Scan(&code); err != nil {
			return fmt.Errorf("load submission: %w", err)
		}
		u.MayDecide, err = may(ctx, tx, personID, role.ReviewDecide, code)
		return err
	})
	if err != nil {
		return u, err
	}
	if u.Assessment, err = db.Assessment(ctx, assessmentID); err != nil {
		return u, err
	}
	u.Area, err = db.Area(ctx, u.AreaCode)
	return u, err
}

// Decide records a reviewer's decision at the review revision it was made
// for, and returns the subject's representatives, who are told of it by a
// notice due when the undo window has passed. A decision
// that needs changes opens the assessment again, on the same set version
// with every answer. flows.ErrNotFound when it is not theirs to decide;
// flows.ErrDone when they made this decision already (a press delivered
// twice); flows.ErrConflict when another decision came first.
func (db *DB) Decide(ctx context.Context, d flows.Decision) ([]int64, error) {
	if d.State != flows.ReviewAccepted && d.State != flows.ReviewNeedsChanges && d.State != flows.ReviewRejected {
		return nil, fmt.Errorf("decide: %q is not a decision", d.State)
	}
	var tell []int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, subject, err := reviewable(ctx, tx, d.Reviewer, d.AssessmentID, role.ReviewDecide)
		if err != nil {
			return err
		}
		switch {
		case r.Rev != d.Rev && r.Reviewer == d.Reviewer && r.State == d.State:
			return flows.ErrDone
		case r.Rev != d.Rev, r.State != flows.ReviewWaiting:
			return flows.ErrConflict
		}
		if _, err := tx.Exec(ctx, `
			UPDATE reviews SET state = $2, rev = rev + 1, reviewer_id = $3, reason = nullif($4, ''), decided_at = $5,
				answers_before = CASE WHEN $2 = 'needs_changes'
					THEN coalesce((SELECT jsonb_object_agg(code, value) FROM answers WHERE assessment_id = $1), '{}') END,
				reopened_rev = NULL
			WHERE assessment_id = $1`, d.AssessmentID, d.State, d.Reviewer, d.Reason, d.At); err != nil {
			return fmt.Errorf("record decision: %w", err)
		}
		if d.Result != nil {
			result, err := json.Marshal(d.Result)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE assessments SET total = $2, passed = $3, result = $4 WHERE id = $1`,
				d.AssessmentID, d.Result.Total, d.Result.Passed, result); err != nil {
				return fmt.Errorf("record the reviewer's score: %w", err)
			}
		}
		if d.State == flows.ReviewNeedsChanges {
			if _, err := tx.Exec(ctx, `
				WITH upd AS (
					UPDATE assessments SET status = 'open', rev = rev + 1, cursor = '', submitted_at = NULL, updated_at = now()
					WHERE id = $1 AND status = 'submitted' RETURNING rev
				)
				UPDATE reviews SET reopened_rev = (SELECT rev FROM upd) WHERE assessment_id = $1`, d.AssessmentID); err != nil {
				return fmt.Errorf("open the assessment again: %w", err)
			}
		}
		// The reason is the reviewer's own text: it stays out of the log.
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (person_id, assessment_id, action, detail) VALUES ($1, $2, $3, $4)`,
			d.Reviewer, d.AssessmentID, "review."+d.State, map[string]any{"review_rev": r.Rev + 1}); err != nil {
			return fmt.Errorf("log decision: %w", err)
		}
		// Each representative is told once the undo window has passed, if
		// the decision still stands then.
		if tell, err = notify(ctx, tx, `
			INSERT INTO notices (person_id, name, object_id, rev, due_at)
			SELECT person_id, $2, $3, $4, $5 FROM representatives WHERE subject_id = $1
			RETURNING id, person_id, due_at`, subject, NoticeDecided, d.AssessmentID, r.Rev+1, d.At.Add(UndoWithin)); err != nil {
			return fmt.Errorf("notify representatives: %w", err)
		}
		if d.State == flows.ReviewAccepted {
			// Where the province has no recogniser step, the acceptance
			// recognises; its certificate goes out with the decision.
			var areaCode string
			if err := tx.QueryRow(ctx, `SELECT area_code FROM subjects WHERE id = $1`, subject).Scan(&areaCode); err != nil {
				return fmt.Errorf("load subject: %w", err)
			}
			chain, err := chainOf(ctx, tx, areaCode, true)
			if err != nil {
				return err
			}
			if chain == flows.ChainAccept {
				if err := recognise(ctx, tx, d.AssessmentID, d.Reviewer, "", nil, d.At, d.At.Add(UndoWithin)); err != nil {
					return err
				}
			}
		}
		return restate(ctx, tx, subject)
	})
	if err != nil {
		if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrDone) || errors.Is(err, flows.ErrConflict) {
			return nil, err
		}
		return nil, fmt.Errorf("decide: %w", err)
	}
	return tell, nil
}

// Undo takes back a reviewer's own decision within UndoWithin of it, at
// the review revision it was shown at: the submission waits again. A
// send-back is taken back only while the household has changed nothing
// since. flows.ErrConflict when it can no longer be taken back.
func (db *DB) Undo(ctx context.Context, reviewer, assessmentID int64, rev int, at time.Time) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, subject, err := reviewable(ctx, tx, reviewer, assessmentID, role.ReviewDecide)
		if err != nil {
			return err
		}
		if r.Rev != rev || r.Reviewer != reviewer || r.State == flows.ReviewWaiting || r.DecidedAt == nil || at.Sub(*r.DecidedAt) > UndoWithin {
			return flows.ErrConflict
		}
		if r.State == flows.ReviewNeedsChanges {
			tag, err := tx.Exec(ctx, `
				UPDATE assessments SET status = 'submitted', rev = rev + 1, submitted_at = $2, updated_at = now()
				WHERE id = $1 AND status = 'open' AND rev = (SELECT reopened_rev FROM reviews WHERE assessment_id = $1)`,
				assessmentID, r.WaitingSince)
			if err != nil {
				return fmt.Errorf("close the assessment again: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return flows.ErrConflict // the household is at it already
			}
		}
		if r.State == flows.ReviewAccepted {
			// The recognition the acceptance made ends with it; one a
			// recogniser confirmed under a decision is not undone here.
			var confirmed bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM recognitions WHERE assessment_id = $1 AND ended_at IS NULL AND decision_no IS NOT NULL)`,
				assessmentID).Scan(&confirmed); err != nil {
				return err
			}
			if confirmed {
				return flows.ErrConflict
			}
			if _, err := tx.Exec(ctx, `UPDATE recognitions SET ended_at = $2 WHERE assessment_id = $1 AND ended_at IS NULL`, assessmentID, at); err != nil {
				return fmt.Errorf("end recognition: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `
			UPDATE reviews SET state = 'waiting', rev = rev + 1, reviewer_id = NULL, reason = NULL, decided_at = NULL,
				answers_before = NULL, reopened_rev = NULL
			WHERE assessment_id = $1`, assessmentID); err != nil {
			return fmt.Errorf("undo decision: %w", err)
		}
		if err := restate(ctx, tx, subject); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, assessment_id, action, detail) VALUES ($1, $2, 'review.undo', $3)`,
			reviewer, assessmentID, map[string]any{"review_rev": r.Rev + 1, "undone": r.State})
		return err
	})
	if err != nil {
		if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrConflict) {
			return err
		}
		return fmt.Errorf("undo: %w", err)
	}
	return nil
}

// EvidenceFiles returns the channel ids of an assessment's photos, by
// question, oldest first.
func (db *DB) EvidenceFiles(ctx context.Context, assessmentID int64) (flows.EvidenceFiles, error) {
	rows, err := db.pool.Query(ctx, `SELECT code, file_id FROM evidence WHERE assessment_id = $1 ORDER BY added_at, id`, assessmentID)
	if err != nil {
		return nil, fmt.Errorf("query evidence: %w", err)
	}
	out := flows.EvidenceFiles{}
	var code, file string
	_, err = pgx.ForEachRow(rows, []any{&code, &file}, func() error {
		out[code] = append(out[code], file)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query evidence: %w", err)
	}
	return out, nil
}

// Told returns the decision on a submission for one of its
// representatives; flows.ErrNotFound when they do not represent it.
func (db *DB) Told(ctx context.Context, personID, assessmentID int64) (flows.Told, error) {
	var d flows.Told
	var kind string
	var reason *string
	err := db.pool.QueryRow(ctx, `
		SELECT s.kind, s.name, r.state, r.rev, r.reason FROM reviews r
		JOIN assessments a ON a.id = r.assessment_id JOIN subjects s ON s.id = a.subject_id
		JOIN representatives rp ON rp.subject_id = s.id AND rp.person_id = $1
		WHERE r.assessment_id = $2`, personID, assessmentID).Scan(&kind, &d.SubjectName, &d.State, &d.Rev, &reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, flows.ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("load decision: %w", err)
	}
	d.Kind = scoring.Kind(kind)
	if reason != nil {
		d.Reason = *reason
	}
	return d, nil
}

// ScoreByReviewer records a reviewer's points for an indicator the
// reviewer scores, on a submission still waiting at p.Rev: behind the same
// wall as a decision; flows.ErrConflict when it was decided meanwhile.
func (db *DB) ScoreByReviewer(ctx context.Context, p flows.ReviewerPoints) error {
	value, err := json.Marshal(scoring.Value(p.Points))
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, _, err := reviewable(ctx, tx, p.Reviewer, p.AssessmentID, role.ReviewDecide)
		if err != nil {
			return err
		}
		if r.Rev != p.Rev || r.State != flows.ReviewWaiting {
			return flows.ErrConflict
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO answers (assessment_id, code, value, given_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (assessment_id, code) DO UPDATE SET value = EXCLUDED.value, given_by = EXCLUDED.given_by, given_at = now()`,
			p.AssessmentID, p.Code, value, p.Reviewer); err != nil {
			return fmt.Errorf("record points: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, assessment_id, action, detail) VALUES ($1, $2, 'review.points', $3)`,
			p.Reviewer, p.AssessmentID, map[string]any{"code": p.Code})
		return err
	})
	if err != nil {
		if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrConflict) {
			return err
		}
		return fmt.Errorf("score: %w", err)
	}
	return nil
}

// Waiting counts what waits for a person to decide (role.ReviewDecide
// over its area), as a reviewer's digest says it: how many, since when the
// oldest, and how many waited since before late.
func (db *DB) Waiting(ctx context.Context, personID int64, late time.Time) (flows.Waiting, error) {
	var w flows.Waiting
	var oldest *time.Time
	err := db.pool.QueryRow(ctx, scopeCTE+`
		SELECT count(*), min(r.waiting_since), count(*) FILTER (WHERE r.waiting_since < $3)
		FROM reviews r JOIN assessments a ON a.id = r.assessment_id JOIN subjects s ON s.id = a.subject_id
		WHERE r.state = 'waiting' AND s.area_code IN (SELECT code FROM scope) AND a.person_id <> $1
			AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = $1)`,
		personID, role.Holders(role.ReviewDecide), late).Scan(&w.N, &oldest, &w.Late)
	if err != nil {
		return w, fmt.Errorf("count what waits for review: %w", err)
	}
	if oldest != nil {
		w.Oldest = *oldest
	}
	return w, nil
}
