package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
)

// NoticeRelocate names the notice that asks a representative to pick the
// area their subject belongs to after its area was split: its object is
// the relocation.
const NoticeRelocate = "relocate"

// querier is a transaction or the pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DayOf is the day of a time in Vietnam, as the area tree's dates count
// it (a date held as midnight UTC).
func DayOf(t time.Time) time.Time {
	y, m, d := t.In(Vietnam).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// merge moves what lies in an area that merged into another, once its end
// has come: the subjects placed in it, and the areas in force below it
// that the rows give no parent of their own, dated from the day it ended.
// Recognitions keep the area they had, so that a year's figures add up
// under that year's tree.
func merge(ctx context.Context, tx pgx.Tx, r area.Row, inFile map[string]int, today time.Time, n *Imported) error {
	rows, err := tx.Query(ctx, `UPDATE subjects SET area_code = $2 WHERE area_code = $1 RETURNING id`, r.Code, r.ReplacedBy)
	if err != nil {
		return fmt.Errorf("move subjects: %w", err)
	}
	moved, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("move subjects: %w", err)
	}
	if err := restate(ctx, tx, moved...); err != nil {
		return err
	}
	children, err := childrenInForce(ctx, tx, r.Code, inFile, today)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := relink(ctx, tx, c, r.ReplacedBy, *r.ValidTo); err != nil {
			return err
		}
	}
	subjects := len(moved)
	n.SubjectsMoved += subjects
	n.ChildrenMoved += len(children)
	if subjects+len(children) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (action, detail) VALUES ('area.merge', $1)`,
		map[string]any{"from": r.Code, "to": r.ReplacedBy, "subjects": subjects, "areas": len(children)})
	return err
}

// childrenInForce returns the codes of the areas in force below an area,
// leaving out those the rows give a parent of their own.
func childrenInForce(ctx context.Context, tx pgx.Tx, code string, inFile map[string]int, today time.Time) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT code FROM areas WHERE parent_code = $1 AND (valid_to IS NULL OR valid_to > $2) ORDER BY code`, code, today)
	if err != nil {
		return nil, fmt.Errorf("read the areas below %s: %w", code, err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read the areas below %s: %w", code, err)
	}
	return slices.DeleteFunc(codes, func(c string) bool { _, ok := inFile[c]; return ok }), nil
}

// relink moves an area under another parent from a day: its link in force
// ends that day and a new one starts, or, when that link started on that
// day or later, it is pointed at the new parent.
func relink(ctx context.Context, tx pgx.Tx, code, parent string, on time.Time) error {
	var from string
	if err := tx.QueryRow(ctx, `
		UPDATE areas a SET parent_code = $2 FROM (SELECT coalesce(parent_code, '') AS code FROM areas WHERE code = $1 FOR UPDATE) old
		WHERE a.code = $1 RETURNING old.code`, code, parent).Scan(&from); err != nil {
		return fmt.Errorf("move %s: %w", code, err)
	}
	if err := rehang(ctx, tx, code, from, parent); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE area_parents SET parent_code = $2 WHERE code = $1 AND valid_to IS NULL AND valid_from >= $3`, code, parent, on)
	if err != nil || tag.RowsAffected() > 0 {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE area_parents SET valid_to = $2 WHERE code = $1 AND valid_to IS NULL`, code, on); err != nil {
		return fmt.Errorf("end the link of %s: %w", code, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO area_parents (code, parent_code, valid_from) VALUES ($1, $2, $3)
		ON CONFLICT (code, valid_from) DO UPDATE SET parent_code = EXCLUDED.parent_code, valid_to = NULL`, code, parent, on); err != nil {
		return fmt.Errorf("link %s: %w", code, err)
	}
	return nil
}

// splitArea is an area the rows split, with what lies in it.
type splitArea struct {
	row          area.Row
	children     []string // in force below it, given no parent by the rows
	subjects     []int64  // placed in it
	candidates   int      // areas its subjects' representatives may pick
	areaMoves    []area.Move
	subjectMoves []area.Move
	mappedAreas  map[string]bool // the children the map places
	mapped       map[int64]bool  // the subjects the map places
}

// split moves what the map places of the areas the rows split, once their
// end has come, and asks the representatives of their other subjects to
// pick the new area; it changes nothing and returns every problem when
// the map is wrong or leaves an area, or a subject nobody can be asked
// about, unplaced.
func split(ctx context.Context, tx pgx.Tx, rows []area.Row, moves []area.Move, inFile map[string]int, today time.Time, n *Imported) error {
	splits := map[string]*splitArea{}
	later := map[string]time.Time{} // splits whose day is still to come
	var order []*splitArea
	for _, r := range rows {
		if r.ReplacedBy != "" || r.ValidTo == nil {
			continue
		}
		if r.ValidTo.After(today) {
			later[r.Code] = *r.ValidTo
			continue
		}
		sp := &splitArea{row: r, mappedAreas: map[string]bool{}, mapped: map[int64]bool{}}
		var err error
		if sp.children, err = childrenInForce(ctx, tx, r.Code, inFile, today); err != nil {
			return err
		}
		found, err := tx.Query(ctx, `SELECT id FROM subjects WHERE area_code = $1 ORDER BY id`, r.Code)
		if err != nil {
			return fmt.Errorf("line %d: read subjects: %w", r.Line, err)
		}
		if sp.subjects, err = pgx.CollectRows(found, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("line %d: read subjects: %w", r.Line, err)
		}
		cands, err := candidates(ctx, tx, r.Code, today)
		if err != nil {
			return fmt.Errorf("line %d: %w", r.Line, err)
		}
		sp.candidates = len(cands)
		splits[r.Code] = sp
		order = append(order, sp)
	}
	var problems []error
	problem := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	for _, m := range moves {
		var level string
		var ended *time.Time
		err := tx.QueryRow(ctx, `SELECT level, valid_to FROM areas WHERE code = $1`, m.To).Scan(&level, &ended)
		target := err == nil
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			problem("map line %d, new_code: %q is not a known area", m.Line, m.To)
		case err != nil:
			return fmt.Errorf("map line %d: %w", m.Line, err)
		case ended != nil && !ended.After(today):
			problem("map line %d, new_code: %s is not in force: it ended on %s", m.Line, m.To, ended.Format(time.DateOnly))
			target = false
		}
		var from string
		switch m.Kind {
		case area.MoveArea:
			var parent *string
			var childEnded *time.Time
			err := tx.QueryRow(ctx, `SELECT parent_code, valid_to FROM areas WHERE code = $1`, m.ID).Scan(&parent, &childEnded)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				problem("map line %d, id: %q is not a known area", m.Line, m.ID)
				continue
			case err != nil:
				return fmt.Errorf("map line %d: %w", m.Line, err)
			}
			if line, ok := inFile[m.ID]; ok {
				problem("map line %d, id: the area file gives %s its parent (line %d): leave one of them out", m.Line, m.ID, line)
				continue
			}
			if childEnded != nil && !childEnded.After(today) {
				problem("map line %d, id: %s is not in force: it ended on %s", m.Line, m.ID, childEnded.Format(time.DateOnly))
				continue
			}
			if parent != nil {
				from = *parent
			}
		case area.MoveSubject:
			err := tx.QueryRow(ctx, `SELECT area_code FROM subjects WHERE id = $1 FOR UPDATE`, m.Subject).Scan(&from) // a pick made meanwhile waits, then loses
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				problem("map line %d, id: there is no subject %d", m.Line, m.Subject)
				continue
			case err != nil:
				return fmt.Errorf("map line %d: %w", m.Line, err)
			}
		}
		if from == m.To {
			continue // moved already: the same map again changes nothing
		}
		sp := splits[from]
		switch {
		case sp == nil && !later[from].IsZero():
			problem("map line %d, id: %s %s lies in %s, which is split on %s, a day still to come: import the map on or after that day", m.Line, m.Kind, m.ID, from, later[from].Format(time.DateOnly))
		case sp == nil:
			problem("map line %d, id: %s %s lies in %s, which the area file does not split (end it with no replaced_by)", m.Line, m.Kind, m.ID, from)
		case !target:
		case level != sp.row.Level:
			problem("map line %d, new_code: %s is a %s, not a %s as %s is", m.Line, m.To, level, sp.row.Level, from)
		case m.Kind == area.MoveArea:
			sp.areaMoves = append(sp.areaMoves, m)
			sp.mappedAreas[m.ID] = true
		default:
			sp.subjectMoves = append(sp.subjectMoves, m)
			sp.mapped[m.Subject] = true
		}
	}
	asks := map[*splitArea][]int64{}
	for _, sp := range order {
		r := sp.row
		on := r.ValidTo.Format(time.DateOnly)
		var unmapped []string
		for _, c := range sp.children {
			if !sp.mappedAreas[c] {
				unmapped = append(unmapped, c)
			}
		}
		if len(unmapped) > 0 {
			problem("line %d: %s was split on %s (no replaced_by), and no one in the bot can choose for an area: place %s below it with --map MAP.csv, one line each such as area,%s,NEW_CODE, or give %s a parent in the area file",
				r.Line, r.Code, on, strings.Join(unmapped, ", "), unmapped[0], them(len(unmapped)))
		}
		var nobody []string
		for _, id := range sp.subjects {
			if sp.mapped[id] {
				continue
			}
			var reps int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM representatives WHERE subject_id = $1`, id).Scan(&reps); err != nil {
				return fmt.Errorf("line %d: count representatives: %w", r.Line, err)
			}
			if reps == 0 {
				nobody = append(nobody, strconv.FormatInt(id, 10))
				continue
			}
			asks[sp] = append(asks[sp], id)
		}
		if len(nobody) > 0 {
			problem("line %d: %s was split on %s, and subjects %s in it have no representative in the bot to ask (entered on their behalf): place them with --map MAP.csv (subject,%s,NEW_CODE)",
				r.Line, r.Code, on, strings.Join(nobody, ", "), nobody[0])
		}
		if len(asks[sp]) > 0 && sp.candidates == 0 {
			var ids []string
			for _, id := range asks[sp] {
				ids = append(ids, strconv.FormatInt(id, 10))
			}
			problem("line %d: %s was split on %s, but no %s in force starts that day under its parent to offer the representatives of its subjects %s: add the areas it was split into (valid_from %s, the same parent_code), or place those subjects with --map MAP.csv (subject,%s,NEW_CODE)",
				r.Line, r.Code, on, r.Level, strings.Join(ids, ", "), on, ids[0])
		}
	}
	if err := errors.Join(problems...); err != nil {
		return err
	}
	now := time.Now()
	for _, sp := range order {
		r := sp.row
		areas, subjects := map[string]string{}, map[string]string{}
		for _, m := range sp.areaMoves {
			if err := relink(ctx, tx, m.ID, m.To, *r.ValidTo); err != nil {
				return fmt.Errorf("map line %d: %w", m.Line, err)
			}
			areas[m.ID] = m.To
		}
		for _, m := range sp.subjectMoves {
			if err := moveSubject(ctx, tx, m.Subject, m.To); err != nil {
				return fmt.Errorf("map line %d: %w", m.Line, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE relocations SET to_code = $3, moved_at = $4 WHERE subject_id = $1 AND from_code = $2 AND moved_at IS NULL`,
				m.Subject, r.Code, m.To, now); err != nil {
				return fmt.Errorf("map line %d: settle the relocation: %w", m.Line, err)
			}
			subjects[m.ID] = m.To
		}
		asked, askedAbout := 0, 0
		for _, id := range asks[sp] {
			people, err := ask(ctx, tx, id, r.Code, now)
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			if people > 0 {
				asked += people
				askedAbout++
			}
		}
		n.ChildrenMoved += len(areas)
		n.SubjectsMapped += len(subjects)
		n.Asked += asked
		if len(areas)+len(subjects)+asked == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (action, detail) VALUES ('area.split', $1)`, map[string]any{
			"from": r.Code, "areas": areas, "subjects": subjects, "asked": asked, "subjects_asked": askedAbout,
		}); err != nil {
			return err
		}
	}
	return nil
}

// them is "it" or "them".
func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// candidates returns the areas a subject of an area split may be placed
// in: those in force of its level that start on the day it ended, under
// its parent — or, where the parent merged too, under the area that took
// the parent over — by name. For a commune in force, whose households
// enrolled before it had villages, they are its villages.
func candidates(ctx context.Context, q querier, code string, today time.Time) ([]flows.Area, error) {
	var inForce bool
	if err := q.QueryRow(ctx, `SELECT valid_to IS NULL FROM areas WHERE code = $1`, code).Scan(&inForce); err != nil {
		return nil, fmt.Errorf("read area %s: %w", code, err)
	}
	if inForce { // a commune that got villages: they are the places to pick
		rows, err := q.Query(ctx, `
			SELECT `+areaColumns+` FROM areas
			WHERE parent_code = $1 AND level = 'village' AND (valid_to IS NULL OR valid_to > $2)
			ORDER BY name_key, code`, code, today)
		if err != nil {
			return nil, fmt.Errorf("find the villages of %s: %w", code, err)
		}
		out, err := pgx.CollectRows(rows, scanArea)
		if err != nil {
			return nil, fmt.Errorf("find the villages of %s: %w", code, err)
		}
		return out, nil
	}
	rows, err := q.Query(ctx, `
		WITH RECURSIVE s AS (SELECT code, level, parent_code, valid_to FROM areas WHERE code = $1),
		parents (code, replaced_by, depth) AS (
			SELECT p.code, p.replaced_by, 0 FROM areas p JOIN s ON p.code = s.parent_code
			UNION ALL
			SELECT a.code, a.replaced_by, parents.depth + 1 FROM areas a JOIN parents ON a.code = parents.replaced_by
			WHERE parents.depth < 8
		)
		SELECT c.code, coalesce(c.parent_code, ''), c.level, c.name_vi, c.name_en, c.region
		FROM areas c JOIN s ON c.level = s.level AND c.valid_from = s.valid_to AND c.code <> s.code
		WHERE c.parent_code IN (SELECT code FROM parents) AND (c.valid_to IS NULL OR c.valid_to > $2)
		ORDER BY c.name_key, c.code`, code, today)
	if err != nil {
		return nil, fmt.Errorf("find the areas %s was split into: %w", code, err)
	}
	out, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return nil, fmt.Errorf("find the areas %s was split into: %w", code, err)
	}
	return out, nil
}

// Relocation returns a subject's relocation after its area was split, for
// one of its representatives, with the areas to pick from while the
// subject waits in the area split; flows.ErrNotFound for anyone else.
func (db *DB) Relocation(ctx context.Context, personID, id int64) (flows.Relocation, error) {
	var r flows.Relocation
	var kind, from, now string
	var since *time.Time
	err := db.pool.QueryRow(ctx, `
		SELECT r.id, s.kind, s.name, r.from_code, s.area_code, coalesce(f.valid_to, r.asked_at::date), f.valid_to IS NULL FROM relocations r
		JOIN subjects s ON s.id = r.subject_id
		JOIN representatives rp ON rp.subject_id = s.id AND rp.person_id = $1
		JOIN areas f ON f.code = r.from_code
		WHERE r.id = $2`, personID, id).Scan(&r.ID, &kind, &r.SubjectName, &from, &now, &since, &r.Villages)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, flows.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("load relocation: %w", err)
	}
	r.Kind, r.Waiting = scoring.Kind(kind), from == now
	if since != nil {
		r.Since = *since
	}
	if r.From, err = areaOf(ctx, db.pool, from); err != nil {
		return r, err
	}
	if r.Now, err = areaOf(ctx, db.pool, now); err != nil {
		return r, err
	}
	if r.Waiting {
		if r.Candidates, err = candidates(ctx, db.pool, from, DayOf(time.Now())); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Relocate moves the subject of a relocation into the area a
// representative picked, one of the candidates of the area split:
// flows.ErrNotFound when the person does not represent the subject or the
// area is not one to pick, flows.ErrConflict when the subject is no longer
// in the area split (another representative picked first, or a map placed
// it).
func (db *DB) Relocate(ctx context.Context, personID, id int64, to string, at time.Time) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var subject int64
		var from, now string
		err := tx.QueryRow(ctx, `
			SELECT s.id, r.from_code, s.area_code FROM relocations r
			JOIN subjects s ON s.id = r.subject_id
			JOIN representatives rp ON rp.subject_id = s.id AND rp.person_id = $1
			WHERE r.id = $2 FOR UPDATE OF r, s`, personID, id).Scan(&subject, &from, &now)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		if now != from {
			return flows.ErrConflict
		}
		cands, err := candidates(ctx, tx, from, DayOf(at))
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(cands, func(a flows.Area) bool { return a.Code == to }) {
			return flows.ErrNotFound
		}
		if err := moveSubject(ctx, tx, subject, to); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE relocations SET to_code = $2, moved_by = $3, moved_at = $4 WHERE id = $1`, id, to, personID, at); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, 'subject.relocate', $2)`,
			personID, map[string]any{"subject": subject, "from": from, "to": to})
		return err
	})
	if errors.Is(err, flows.ErrNotFound) || errors.Is(err, flows.ErrConflict) {
		return err
	}
	if err != nil {
		return fmt.Errorf("relocate subject: %w", err)
	}
	return nil
}

// ask asks the representatives of a subject to pick the area it belongs
// to now, instead of from: a relocation and a notice each, once per
// subject and area (0 people when asked before). It returns how many
// people were asked.
func ask(ctx context.Context, tx pgx.Tx, subject int64, from string, at time.Time) (int, error) {
	var relocation int64
	err := tx.QueryRow(ctx, `INSERT INTO relocations (subject_id, from_code, asked_at) VALUES ($1, $2, $3)
		ON CONFLICT (subject_id, from_code) DO NOTHING RETURNING id`, subject, from, at).Scan(&relocation)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // asked before
	}
	if err != nil {
		return 0, fmt.Errorf("ask representatives: %w", err)
	}
	asked, err := notify(ctx, tx, `INSERT INTO notices (person_id, name, object_id, rev, due_at)
		SELECT person_id, $2, $3, 1, $4 FROM representatives WHERE subject_id = $1
		RETURNING id, person_id, due_at`, subject, NoticeRelocate, relocation, at)
	if err != nil {
		return 0, fmt.Errorf("ask representatives: %w", err)
	}
	return len(asked), nil
}

// askVillagers asks the representatives of the households placed at a
// commune itself — enrolled before it had villages — which of its
// villages each belongs to. It returns how many were asked.
func askVillagers(ctx context.Context, tx pgx.Tx, commune string, at time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM subjects WHERE area_code = $1 AND kind = 'family' ORDER BY id`, commune)
	if err != nil {
		return 0, fmt.Errorf("ask households of %s: %w", commune, err)
	}
	households, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("ask households of %s: %w", commune, err)
	}
	n := 0
	for _, h := range households {
		people, err := ask(ctx, tx, h, commune, at)
		if err != nil {
			return 0, fmt.Errorf("ask households of %s: %w", commune, err)
		}
		n += people
	}
	return n, nil
}
