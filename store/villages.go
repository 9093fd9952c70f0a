package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// AddVillages adds villages (or residential groups) to a commune, for a
// person who may manage its places; a name the commune has already (accents
// and case aside) is not added twice. New codes are the commune's with a
// dotted number, which no statistics office code has. It returns the
// villages added; flows.ErrNotFound when the commune is not the person's.
func (db *DB) AddVillages(ctx context.Context, personID int64, commune string, names []string) ([]flows.Area, error) {
	var added []flows.Area
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE areas IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var level, region string
		err := tx.QueryRow(ctx, `SELECT level, region FROM areas WHERE code = $1`, commune).Scan(&level, &region)
		if errors.Is(err, pgx.ErrNoRows) || level != "commune" {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		if ok, err := may(ctx, tx, personID, role.Places, commune); err != nil || !ok {
			if err == nil {
				err = flows.ErrNotFound
			}
			return err
		}
		rows, err := tx.Query(ctx, `SELECT name_fold FROM areas WHERE parent_code = $1`, commune)
		if err != nil {
			return err
		}
		have, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, h := range have {
			known[h] = true
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM areas WHERE parent_code = $1`, commune).Scan(&n); err != nil {
			return err
		}
		for _, name := range names {
			fold := area.Fold(name)
			if known[fold] {
				continue
			}
			known[fold] = true
			var code string
			for { // the next free number: codes imported by CSV may hold some
				n++
				code = commune + "." + fmt.Sprintf("%02d", n)
				var taken bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1)`, code).Scan(&taken); err != nil {
					return err
				}
				if !taken {
					break
				}
			}
			a := flows.Area{Code: code, Parent: commune, Level: "village", Name: scoring.Text{VI: name, EN: area.EnglishName(name)}, Region: scoring.Region(region)}
			if _, err := tx.Exec(ctx, `INSERT INTO areas (code, parent_code, level, name_vi, name_en, name_fold, name_key, region, valid_from)
				VALUES ($1, $2, 'village', $3, $4, $5, $6, $7, current_date)`, a.Code, commune, a.Name.VI, a.Name.EN, fold, area.SortKey(name), region); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO area_parents (code, parent_code, valid_from) VALUES ($1, $2, current_date)`, a.Code, commune); err != nil {
				return err
			}
			added = append(added, a)
		}
		if len(added) == 0 {
			return nil
		}
		if _, err := askVillagers(ctx, tx, commune, time.Now()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, 'area.add', $2)`,
			personID, map[string]any{"commune": commune, "villages": len(added)})
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("add villages: %w", err)
	}
	return added, nil
}

// SubjectsAt returns the subjects placed at an area itself (a commune's
// households enrolled before it had villages), for a person who may manage
// its places; flows.ErrNotFound otherwise.
func (db *DB) SubjectsAt(ctx context.Context, personID int64, areaCode string) ([]flows.Subject, error) {
	var out []flows.Subject
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if ok, err := may(ctx, tx, personID, role.Places, areaCode); err != nil || !ok {
			if err == nil {
				err = flows.ErrNotFound
			}
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, kind, name, area_code FROM subjects WHERE area_code = $1 AND kind = 'family' ORDER BY name, id`, areaCode)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.Subject, error) {
			var s flows.Subject
			var kind string
			err := row.Scan(&s.ID, &kind, &s.Name, &s.AreaCode)
			s.Kind = scoring.Kind(kind)
			return s, err
		})
		return err
	})
	if err != nil && !errors.Is(err, flows.ErrNotFound) {
		return nil, fmt.Errorf("query subjects: %w", err)
	}
	return out, err
}

// MoveSubject moves a household placed at a commune into one of its
// villages, for a person who may manage the commune's places;
// flows.ErrNotFound otherwise.
func (db *DB) MoveSubject(ctx context.Context, personID, subjectID int64, village string) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var from string
		err := tx.QueryRow(ctx, `
			SELECT s.area_code FROM subjects s JOIN areas v ON v.code = $2 AND v.level = 'village' AND v.parent_code = s.area_code
			WHERE s.id = $1 FOR UPDATE OF s`, subjectID, village).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		if ok, err := may(ctx, tx, personID, role.Places, from); err != nil || !ok {
			if err == nil {
				err = flows.ErrNotFound
			}
			return err
		}
		if err := moveSubject(ctx, tx, subjectID, village); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, 'subject.move', $2)`,
			personID, map[string]any{"subject": subjectID, "from": from, "to": village})
		return err
	})
	if errors.Is(err, flows.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("move subject: %w", err)
	}
	return nil
}
