package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// NoticeRecognised names the notice of a recognition: its certificate.
const NoticeRecognised = "recognised"

// NoticeReturned names the notice of a recognised title a higher level
// sent back.
const NoticeReturned = "returned"

// MaxBatch is the most submissions one confirmation recognises.
const MaxBatch = 50

// chainOf returns how the province of an area recognises titles. With
// lock, the province's row of recognition_chains is locked for share until
// tx ends: a decision that reads the chain holds off a change of it (and a
// change made meanwhile is read once it is committed), so that no
// acceptance falls between the two chains (see SetChain).
func chainOf(ctx context.Context, tx pgx.Tx, areaCode string, lock bool) (string, error) {
	query := `
		WITH RECURSIVE up (code, parent, level) AS (
			SELECT code, parent_code, level FROM areas WHERE code = $1
			UNION ALL
			SELECT a.code, a.parent_code, a.level FROM areas a JOIN up ON a.code = up.parent
		)
		SELECT c.chain FROM recognition_chains c JOIN up ON up.code = c.province_code AND up.level = 'province'`
	if lock {
		query += ` FOR SHARE OF c`
	}
	var chain string
	err := tx.QueryRow(ctx, query, areaCode).Scan(&chain)
	if errors.Is(err, pgx.ErrNoRows) {
		return flows.ChainAccept, nil // the default
	}
	if err != nil {
		return "", fmt.Errorf("read the recognition chain: %w", err)
	}
	return chain, nil
}

// waitingIn counts the accepted submissions of a province that no
// recognition holds: under confirm, those waiting for a recogniser.
func waitingIn(ctx context.Context, tx pgx.Tx, province string) (int, error) {
	var n int
	err := tx.QueryRow(ctx, belowCTE+`
		SELECT count(*) FROM reviews r JOIN assessments a ON a.id = r.assessment_id JOIN subjects s ON s.id = a.subject_id
		WHERE r.state = 'accepted' AND s.area_code IN (SELECT code FROM below)
			AND NOT EXISTS (SELECT 1 FROM recognitions g WHERE g.assessment_id = a.id AND g.ended_at IS NULL)`, province).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the accepted submissions waiting: %w", err)
	}
	return n, nil
}

// SetChain sets how a province recognises titles, for a person who may
// administer it (by 0: the command line), and returns how many accepted
// submissions it recognised; flows.ErrNotFound when the person may not or
// the area is not a province.
//
// A change while accepted submissions wait: from confirm to accept, the
// submissions accepted and waiting for a recogniser are recognised in the
// same transaction, at the change, each by the reviewer who accepted it
// and without a decision, as the acceptance would have under the new
// chain; their households get their certificates (after the undo window
// of an acceptance still inside it, which an undo then ends as any other).
// Left as they were, they would wait for good: /recognise lists only
// provinces that confirm. From accept to confirm nothing waits (an
// acceptance recognised at once); acceptances from then on wait for a
// recogniser. Decide reads the chain with a share lock on its row, and
// the change locks the review rows of what it recognises, so neither a
// decision nor a recogniser's batch running meanwhile falls between.
func (db *DB) SetChain(ctx context.Context, province, chain string, by int64, at time.Time) (int, error) {
	if chain != flows.ChainAccept && chain != flows.ChainConfirm {
		return 0, fmt.Errorf("%q is not a recognition chain", chain)
	}
	recognised := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockProvince(ctx, tx, province); err != nil {
			return err
		}
		if err := allowed(ctx, tx, by, role.Administer, province); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO recognition_chains (province_code, chain, set_by, set_at) VALUES ($1, $2, nullif($3, 0), $4)
			ON CONFLICT (province_code) DO UPDATE SET chain = EXCLUDED.chain, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
			province, chain, by, at); err != nil {
			return fmt.Errorf("set the recognition chain: %w", err)
		}
		if chain == flows.ChainAccept {
			var err error
			if recognised, err = recogniseWaiting(ctx, tx, province, at); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES (nullif($1, 0), 'chain.set', $2)`,
			by, map[string]any{"province": province, "chain": chain, "recognised": recognised})
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		if by == 0 {
			return 0, fmt.Errorf("%q is not a province", province)
		}
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("set the chain of %s: %w", province, err)
	}
	return recognised, nil
}

// recogniseWaiting recognises a province's accepted submissions that no
// recognition holds, each by the reviewer who accepted it, and returns
// how many.
func recogniseWaiting(ctx context.Context, tx pgx.Tx, province string, at time.Time) (int, error) {
	rows, err := tx.Query(ctx, belowCTE+`
		SELECT r.assessment_id, s.id, r.reviewer_id, r.decided_at FROM reviews r
		JOIN assessments a ON a.id = r.assessment_id JOIN subjects s ON s.id = a.subject_id
		WHERE r.state = 'accepted' AND s.area_code IN (SELECT code FROM below)
		ORDER BY r.decided_at, r.assessment_id FOR UPDATE OF r`, province)
	if err != nil {
		return 0, fmt.Errorf("lock the accepted submissions: %w", err)
	}
	type accepted struct {
		ID       int64
		Subject  int64
		Reviewer int64
		At       time.Time
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[accepted])
	if err != nil {
		return 0, fmt.Errorf("lock the accepted submissions: %w", err)
	}
	var recognised []int64
	for _, a := range list {
		// Read after the locks: a batch that recognised one meanwhile is
		// committed by now.
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM recognitions WHERE assessment_id = $1 AND ended_at IS NULL)`, a.ID).Scan(&held); err != nil {
			return 0, err
		}
		if held {
			continue
		}
		if err := recognise(ctx, tx, a.ID, a.Reviewer, "", nil, at, maxTime(at, a.At.Add(UndoWithin))); err != nil {
			return 0, err
		}
		recognised = append(recognised, a.Subject)
	}
	return len(recognised), restate(ctx, tx, recognised...)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Chain returns how a province recognises titles.
func (db *DB) Chain(ctx context.Context, province string) (string, error) {
	var chain string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) (err error) {
		chain, err = chainOf(ctx, tx, province, false)
		return err
	})
	return chain, err
}

// recognise records the recognition of an accepted assessment and the
// notice that brings its certificate to the representatives.
func recognise(ctx context.Context, tx pgx.Tx, assessmentID, by int64, decisionNo string, decisionDate *time.Time, at time.Time, due time.Time) error {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO recognitions (assessment_id, subject_id, kind, year, set_id, set_version, area_code, recognised_by, recognised_at, decision_no, decision_date)
		SELECT a.id, s.id, s.kind, a.year, a.set_id, a.set_version, s.area_code, $2, $3, nullif($4, ''), $5
		FROM assessments a JOIN subjects s ON s.id = a.subject_id WHERE a.id = $1
		RETURNING id`, assessmentID, by, at, decisionNo, decisionDate).Scan(&id)
	if err != nil {
		return fmt.Errorf("record recognition: %w", err)
	}
	if _, err := notify(ctx, tx, `
		INSERT INTO notices (person_id, name, object_id, rev, due_at)
		SELECT rp.person_id, $2, $3, 1, $4 FROM representatives rp JOIN assessments a ON a.subject_id = rp.subject_id WHERE a.id = $1
		RETURNING id, person_id, due_at`,
		assessmentID, NoticeRecognised, id, due); err != nil {
		return fmt.Errorf("notify representatives: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, assessment_id, action, detail) VALUES ($1, $2, 'recognise', $3)`,
		by, assessmentID, map[string]any{"recognition": id, "decision_no": decisionNo})
	return err
}

// Pending returns the accepted submissions waiting for the person to
// recognise them, in provinces that confirm recognitions, the longest
// waiting first, at most limit.
func (db *DB) Pending(ctx context.Context, personID int64, limit int) ([]flows.Queued, error) {
	rows, err := db.pool.Query(ctx, scopeCTE+`,
		province (code, root) AS (
			SELECT code, code FROM areas WHERE level = 'province'
			UNION ALL
			SELECT a.code, province.root FROM areas a JOIN province ON a.parent_code = province.code
		)
		SELECT a.id, r.rev, s.kind, s.name, ar.name_vi, ar.name_en, r.decided_at, r.resubmitted
		FROM reviews r
		JOIN assessments a ON a.id = r.assessment_id
		JOIN subjects s ON s.id = a.subject_id
		JOIN areas ar ON ar.code = s.area_code
		JOIN province p ON p.code = s.area_code
		JOIN recognition_chains c ON c.province_code = p.root AND c.chain = 'confirm'
		WHERE r.state = 'accepted' AND s.area_code IN (SELECT code FROM scope)
			AND NOT EXISTS (SELECT 1 FROM recognitions g WHERE g.assessment_id = a.id AND g.ended_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = $1)
		ORDER BY r.decided_at, a.id LIMIT $3`, personID, role.Holders(role.Recognise), limit)
	if err != nil {
		return nil, fmt.Errorf("query pending recognitions: %w", err)
	}
	defer rows.Close()
	var out []flows.Queued
	for rows.Next() {
		var q flows.Queued
		var kind string
		if err := rows.Scan(&q.AssessmentID, &q.ReviewRev, &kind, &q.SubjectName, &q.AreaName.VI, &q.AreaName.EN, &q.WaitingSince, &q.Resubmitted); err != nil {
			return nil, fmt.Errorf("query pending recognitions: %w", err)
		}
		q.Kind = scoring.Kind(kind)
		out = append(out, q)
	}
	return out, rows.Err()
}

// Recognise confirms a batch of accepted submissions under one decision,
// all or none: flows.ErrNotFound when one is not the recogniser's to
// recognise, flows.ErrConflict when one is no longer waiting for it.
func (db *DB) Recognise(ctx context.Context, r flows.Recognising) error {
	if len(r.AssessmentIDs) == 0 || len(r.AssessmentIDs) > MaxBatch {
		return fmt.Errorf("recognise: %d submissions, want 1 to %d", len(r.AssessmentIDs), MaxBatch)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var subjects []int64
		for _, id := range r.AssessmentIDs {
			rv, subject, err := reviewable(ctx, tx, r.By, id, role.Recognise)
			if err != nil {
				return err
			}
			var recognised bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM recognitions WHERE assessment_id = $1 AND ended_at IS NULL)`,
				id).Scan(&recognised); err != nil {
				return err
			}
			if rv.State != flows.ReviewAccepted || recognised {
				return flows.ErrConflict
			}
			date := r.DecisionDate
			if err := recognise(ctx, tx, id, r.By, r.DecisionNo, &date, r.At, r.At); err != nil {
				return err
			}
			subjects = append(subjects, subject)
		}
		return restate(ctx, tx, subjects...)
	})
	if err != nil {
		if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrConflict) {
			return err
		}
		return fmt.Errorf("recognise: %w", err)
	}
	return nil
}

// Recognised returns a recognition for one of its subject's
// representatives, with the places its certificate names;
// flows.ErrNotFound when they do not represent it.
func (db *DB) Recognised(ctx context.Context, personID, recognitionID int64) (flows.Recognised, error) {
	var g flows.Recognised
	var kind, areaCode string
	var decisionNo *string
	err := db.pool.QueryRow(ctx, `
		SELECT g.id, g.kind, s.name, g.area_code, g.year, g.decision_no, g.decision_date, g.recognised_at, g.ended_at IS NOT NULL,
			coalesce(g.end_reason, '')
		FROM recognitions g JOIN subjects s ON s.id = g.subject_id
		JOIN representatives rp ON rp.subject_id = s.id AND rp.person_id = $1
		WHERE g.id = $2`, personID, recognitionID).Scan(&g.ID, &kind, &g.SubjectName, &areaCode, &g.Year, &decisionNo, &g.DecisionDate, &g.At, &g.Ended,
		&g.EndReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, flows.ErrNotFound
	}
	if err != nil {
		return g, fmt.Errorf("load recognition: %w", err)
	}
	g.Kind = scoring.Kind(kind)
	if decisionNo != nil {
		g.DecisionNo = *decisionNo
	}
	for code := areaCode; code != ""; {
		a, err := db.Area(ctx, code)
		if err != nil {
			return g, err
		}
		if a.Level == "nation" {
			break
		}
		g.Places = append(g.Places, a)
		code = a.Parent
	}
	return g, nil
}

// Derive computes a derived indicator of a subject for an assessment year.
// RecognisedFamilies counts a village's member households — the
// households placed in its area — or a clan's (those that joined it), and
// those of them that hold the title
// of the latest round: recognised as Learning Families in that year or the
// year before, so that the share does not drop when the year's first
// recognitions come in.
func (db *DB) Derive(ctx context.Context, d scoring.Derivation, subjectID int64, year int) (flows.Share, error) {
	if d != scoring.RecognisedFamilies {
		return flows.Share{}, fmt.Errorf("derive %q: unknown derivation", d)
	}
	s := flows.Share{Year: year}
	err := db.pool.QueryRow(ctx, `
		WITH members AS (
			SELECT h.id FROM subjects v JOIN subjects h ON h.kind = 'family' AND h.area_code = v.area_code
			WHERE v.id = $1 AND v.kind = 'community'
			UNION
			SELECT m.household_id FROM clan_members m JOIN subjects c ON c.id = m.clan_id AND c.kind = 'clan' WHERE m.clan_id = $1
		)
		SELECT (SELECT count(*) FROM members),
			(SELECT count(DISTINCT r.subject_id) FROM recognitions r JOIN members m ON m.id = r.subject_id
			WHERE r.kind = 'family' AND r.year IN ($2 - 1, $2) AND r.ended_at IS NULL)`, subjectID, year).Scan(&s.Households, &s.Recognised)
	if err != nil {
		return flows.Share{}, fmt.Errorf("derive %s of subject %d: %w", d, subjectID, err)
	}
	return s, nil
}

// higherScope lists the areas where a person may send recognised titles
// back: those below a role that allows recognising, held over a province
// or the nation — the level above the communes whose reviewers accept.
const higherScope = `
	WITH RECURSIVE scope (code) AS (
		SELECT r.area_code FROM roles r JOIN areas a ON a.code = r.area_code
		WHERE r.person_id = $1 AND r.revoked_at IS NULL AND r.role = ANY($2) AND a.level IN ('province', 'nation')
		UNION
		SELECT a.code FROM areas a JOIN scope ON a.parent_code = scope.code
	)`

// Titles returns a page of the recognitions in force that the person may
// send back, the newest first, and how many there are in all; those of a
// subject the person represents are left out.
func (db *DB) Titles(ctx context.Context, personID int64, offset, limit int) ([]flows.Recognised, int, error) {
	rows, err := db.pool.Query(ctx, higherScope+`
		SELECT g.id, g.kind, s.name, ar.code, ar.parent_code, ar.level, ar.name_vi, ar.name_en, g.year,
			coalesce(g.decision_no, ''), g.decision_date, g.recognised_at, count(*) OVER ()
		FROM recognitions g JOIN subjects s ON s.id = g.subject_id JOIN areas ar ON ar.code = s.area_code
		WHERE g.ended_at IS NULL AND s.area_code IN (SELECT code FROM scope)
			AND NOT EXISTS (SELECT 1 FROM representatives rp WHERE rp.subject_id = s.id AND rp.person_id = $1)
		ORDER BY g.recognised_at DESC, g.id DESC OFFSET $3 LIMIT $4`, personID, role.Holders(role.Recognise), offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("query recognised titles: %w", err)
	}
	defer rows.Close()
	var out []flows.Recognised
	total := 0
	for rows.Next() {
		var g flows.Recognised
		var a flows.Area
		var kind string
		var parent *string
		if err := rows.Scan(&g.ID, &kind, &g.SubjectName, &a.Code, &parent, &a.Level, &a.Name.VI, &a.Name.EN, &g.Year,
			&g.DecisionNo, &g.DecisionDate, &g.At, &total); err != nil {
			return nil, 0, fmt.Errorf("query recognised titles: %w", err)
		}
		if parent != nil {
			a.Parent = *parent
		}
		g.Kind, g.Places = scoring.Kind(kind), []flows.Area{a}
		out = append(out, g)
	}
	return out, total, rows.Err()
}

// Return sends a recognised title back with a reason, for a person of the
// level above (see Titles): the recognition ends, its submission waits for
// review again, and its representatives are told. flows.ErrNotFound when
// it is not the person's to send back, flows.ErrConflict when it has ended
// already.
func (db *DB) Return(ctx context.Context, r flows.Returning) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var assessmentID, subject int64
		var ended bool
		err := tx.QueryRow(ctx, `
			SELECT g.assessment_id, g.subject_id, g.ended_at IS NOT NULL FROM recognitions g WHERE g.id = $1 FOR UPDATE`,
			r.RecognitionID).Scan(&assessmentID, &subject, &ended)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		var mine bool
		if err := tx.QueryRow(ctx, higherScope+`
			SELECT EXISTS (SELECT 1 FROM subjects s WHERE s.id = $3 AND s.area_code IN (SELECT code FROM scope))
				AND NOT EXISTS (SELECT 1 FROM representatives WHERE subject_id = $3 AND person_id = $1)`,
			r.By, role.Holders(role.Recognise), subject).Scan(&mine); err != nil {
			return err
		}
		switch {
		case !mine:
			return flows.ErrNotFound
		case ended:
			return flows.ErrConflict
		}
		if _, err := tx.Exec(ctx, `UPDATE recognitions SET ended_at = $2, ended_by = $3, end_reason = $4 WHERE id = $1`,
			r.RecognitionID, r.At, r.By, r.Reason); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE reviews SET state = 'waiting', rev = rev + 1, waiting_since = $2, reason = $3, returned = returned + 1,
				reviewer_id = NULL, decided_at = NULL
			WHERE assessment_id = $1`, assessmentID, r.At, r.Reason); err != nil {
			return err
		}
		if _, err := notify(ctx, tx, `
			INSERT INTO notices (person_id, name, object_id, rev, due_at)
			SELECT person_id, $2, $3, 1, $4 FROM representatives WHERE subject_id = $1
			RETURNING id, person_id, due_at`,
			subject, NoticeReturned, r.RecognitionID, r.At); err != nil {
			return fmt.Errorf("notify representatives: %w", err)
		}
		if err := restate(ctx, tx, subject); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, assessment_id, action, detail) VALUES ($1, $2, 'recognition.return', $3)`,
			r.By, assessmentID, map[string]any{"recognition": r.RecognitionID})
		return err
	})
	if err != nil {
		if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrConflict) {
			return err
		}
		return fmt.Errorf("send a recognised title back: %w", err)
	}
	return nil
}
