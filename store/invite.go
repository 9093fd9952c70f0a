package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/invite"
	"hoctap/role"
)

// inviteKeyName names the signing key of invitation links in settings.
const inviteKeyName = "invite_key"

// ensureInviteKey makes the installation's signing key once.
func ensureInviteKey(ctx context.Context, tx pgx.Tx) error {
	key := make([]byte, invite.KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("make the invitation key: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, inviteKeyName, key)
	if err != nil {
		return fmt.Errorf("keep the invitation key: %w", err)
	}
	return nil
}

func inviteKey(ctx context.Context, q pgx.Tx) ([]byte, error) {
	var key []byte
	if err := q.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, inviteKeyName).Scan(&key); err != nil {
		return nil, fmt.Errorf("read the invitation key: %w", err)
	}
	return key, nil
}

// Invitation is an invitation as listed.
type Invitation = flows.InvitationMade

// CreateInvitation makes an invitation and returns its link's payload. A
// household invitation is to a village.
func (db *DB) CreateInvitation(ctx context.Context, n flows.NewInvitation) (string, error) {
	if !role.Valid(n.Role) && n.Role != flows.Household && n.Role != flows.Representative && n.Role != flows.Member {
		return "", fmt.Errorf("%q is not a role", n.Role)
	}
	var payload string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if n.Role == flows.Representative || n.Role == flows.Member {
			// Only one who represents the subject invites to it; members
			// join clans only.
			err := tx.QueryRow(ctx, `SELECT s.area_code FROM subjects s JOIN representatives r ON r.subject_id = s.id AND r.person_id = $2
				WHERE s.id = $1 AND ($3 = 'representative' OR s.kind = 'clan')`, n.Subject, n.By, n.Role).Scan(&n.Area)
			if errors.Is(err, pgx.ErrNoRows) {
				return flows.ErrNotFound
			}
			if err != nil {
				return err
			}
		}
		var level string
		err := tx.QueryRow(ctx, `SELECT level FROM areas WHERE code = $1`, n.Area).Scan(&level)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("no area %q", n.Area)
		}
		if err != nil {
			return err
		}
		if n.Role == flows.Household && level != "village" {
			return fmt.Errorf("a household invitation is to a village; %s is a %s", n.Area, level)
		}
		if n.By != 0 && n.Role != flows.Representative && n.Role != flows.Member {
			ok, err := mayManage(ctx, tx, n.By, n.Role, n.Area)
			if err != nil {
				return err
			}
			if !ok {
				return flows.ErrNotFound // not theirs to invite to
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO invitations (role, area_code, uses, expires_at, created_by, subject_id) VALUES ($1, $2, nullif($3, 0), $4, nullif($5, 0), nullif($6, 0))
			RETURNING id`, n.Role, n.Area, n.Uses, n.Expires, n.By, n.Subject).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES (nullif($1, 0), 'invitation.create', $2)`,
			n.By, map[string]any{"invitation": id, "role": n.Role, "area": n.Area}); err != nil {
			return err
		}
		key, err := inviteKey(ctx, tx)
		if err != nil {
			return err
		}
		payload = invite.Payload(key, id)
		return nil
	})
	if errors.Is(err, flows.ErrNotFound) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("make invitation: %w", err)
	}
	return payload, nil
}

// AreasFor returns the areas of the person's roles that allow an action,
// by name.
func (db *DB) AreasFor(ctx context.Context, personID int64, a role.Action) ([]flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT DISTINCT a.code, coalesce(a.parent_code, ''), a.level, a.name_vi, a.name_en, a.region FROM roles r JOIN areas a ON a.code = r.area_code
		WHERE r.person_id = $1 AND r.revoked_at IS NULL AND r.role = ANY($2)`, personID, role.Holders(a))
	if err != nil {
		return nil, fmt.Errorf("query the areas of %s: %w", a, err)
	}
	areas, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return nil, fmt.Errorf("query the areas of %s: %w", a, err)
	}
	area.SortByName(areas)
	return areas, nil
}

// Invitations lists the invitations for an area and below it ("" for
// all), the newest first.
func (db *DB) Invitations(ctx context.Context, under string) ([]Invitation, error) {
	rows, err := db.pool.Query(ctx, belowCTE+`
		SELECT id, role, area_code, coalesce(uses, 0), used, expires_at, created_at, revoked_at IS NOT NULL
		FROM invitations WHERE area_code IN (SELECT code FROM below) ORDER BY id DESC`, under)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Invitation])
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}

// belowCTE names, as "below", area $1 and everything under it (every
// area for "").
const belowCTE = `
	WITH RECURSIVE below (code) AS (
		SELECT code FROM areas WHERE code = $1 OR $1 = ''
		UNION
		SELECT a.code FROM areas a JOIN below ON a.parent_code = below.code
	)`

// mayManage reports whether a person may end a role or an invitation over
// an area: one that allows inviting to it (an admin's, for an admin's role).
func mayManage(ctx context.Context, q pgx.Tx, by int64, r, areaCode string) (bool, error) {
	action := role.Invite
	if r == string(role.Admin) {
		action = role.Administer
	}
	return may(ctx, q, by, action, areaCode)
}

// RevokeInvitation ends an invitation; by (0 for the command line) must
// manage its area. flows.ErrNotFound when there is no such one in force
// that is theirs.
func (db *DB) RevokeInvitation(ctx context.Context, id, by int64) error {
	if err := db.mayEnd(ctx, `SELECT role, area_code FROM invitations WHERE id = $1 AND revoked_at IS NULL`, id, by); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `
		WITH upd AS (UPDATE invitations SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id)
		INSERT INTO audit_log (person_id, action, detail) SELECT nullif($2, 0), 'invitation.revoke', jsonb_build_object('invitation', id) FROM upd`,
		id, by)
	if err != nil {
		return fmt.Errorf("revoke invitation: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return flows.ErrNotFound
	}
	return nil
}

// Redeem uses an invitation link's payload for a person: it grants the
// role (a household invitation grants none: the household enrols into
// its village), counts the use once per person, and returns what it gave.
// flows.ErrInviteInvalid, ErrInviteEnded or ErrInviteUsedUp say why not.
func (db *DB) Redeem(ctx context.Context, payload string, personID int64, at time.Time) (flows.Invitation, error) {
	var inv flows.Invitation
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		key, err := inviteKey(ctx, tx)
		if err != nil {
			return err
		}
		id, err := invite.Read(key, payload)
		if err != nil {
			return flows.ErrInviteInvalid
		}
		var uses *int
		var used int
		var expires time.Time
		var revoked bool
		var subject *int64
		err = tx.QueryRow(ctx, `SELECT role, area_code, uses, used, expires_at, revoked_at IS NOT NULL, subject_id FROM invitations WHERE id = $1 FOR UPDATE`,
			id).Scan(&inv.Role, &inv.Area.Code, &uses, &used, &expires, &revoked, &subject)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrInviteInvalid
		}
		if err != nil {
			return err
		}
		inv.ID = id
		var again bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM invitation_uses WHERE invitation_id = $1 AND person_id = $2)`,
			id, personID).Scan(&again); err != nil {
			return err
		}
		switch {
		case revoked || !at.Before(expires):
			return flows.ErrInviteEnded
		case again:
			return nil // opened again: given already
		case uses != nil && used >= *uses:
			return flows.ErrInviteUsedUp
		}
		var households []int64
		if inv.Role == flows.Member && subject != nil {
			// The households the person represents join the clan.
			rows, err := tx.Query(ctx, `
				SELECT s.id, s.name FROM subjects s JOIN representatives r ON r.subject_id = s.id AND r.person_id = $1
				WHERE s.kind = 'family' ORDER BY s.id`, personID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					rows.Close()
					return err
				}
				households, inv.Joined = append(households, id), append(inv.Joined, name)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(households) == 0 {
				return flows.ErrNoHousehold
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO invitation_uses (invitation_id, person_id, used_at) VALUES ($1, $2, $3)`, id, personID, at); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET used = used + 1 WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, 'invitation.use', $2)`,
			personID, map[string]any{"invitation": id, "role": inv.Role}); err != nil {
			return err
		}
		if inv.Role == flows.Household {
			return nil
		}
		if inv.Role == flows.Representative && subject != nil {
			_, err := tx.Exec(ctx, `INSERT INTO representatives (subject_id, person_id, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				*subject, personID, at)
			return err
		}
		if inv.Role == flows.Member && subject != nil {
			if _, err := tx.Exec(ctx, `
				INSERT INTO clan_members (clan_id, household_id, added_by, added_at) SELECT $1, h, $2, $3 FROM unnest($4::bigint[]) h
				ON CONFLICT DO NOTHING`, *subject, personID, at, households); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, 'clan.join', $2)`,
				personID, map[string]any{"clan": *subject, "households": households})
			return err
		}
		_, err = tx.Exec(ctx, `
			WITH ins AS (
				INSERT INTO roles (person_id, role, area_code) VALUES ($1, $2, $3)
				ON CONFLICT (person_id, role, area_code) WHERE revoked_at IS NULL DO NOTHING RETURNING id
			)
			INSERT INTO audit_log (person_id, action, detail)
			SELECT $1, 'role.grant', jsonb_build_object('role_id', id, 'role', $2::text, 'area', $3::text, 'invitation', $4::bigint) FROM ins`,
			personID, inv.Role, inv.Area.Code, id)
		return err
	})
	if err != nil {
		if errors.Is(err, flows.ErrInviteInvalid) || errors.Is(err, flows.ErrInviteEnded) || errors.Is(err, flows.ErrInviteUsedUp) ||
			errors.Is(err, flows.ErrNoHousehold) {
			return inv, err
		}
		return inv, fmt.Errorf("use invitation: %w", err)
	}
	inv.Area, err = db.Area(ctx, inv.Area.Code)
	if err == nil && (inv.Role == flows.Representative || inv.Role == flows.Member) {
		err = db.pool.QueryRow(ctx, `SELECT s.name FROM invitations i JOIN subjects s ON s.id = i.subject_id WHERE i.id = $1`, inv.ID).Scan(&inv.SubjectName)
	}
	return inv, err
}

// Role is a role held, as listed.
type Role = flows.RoleHeld

// Roles lists the roles in force, over an area and below it ("" for all).
func (db *DB) Roles(ctx context.Context, under string) ([]Role, error) {
	rows, err := db.pool.Query(ctx, belowCTE+`
		SELECT id, person_id, role, area_code, granted_at FROM roles
		WHERE revoked_at IS NULL AND area_code IN (SELECT code FROM below) ORDER BY area_code, role, id`, under)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Role])
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return out, nil
}

// mayEnd checks that by (0 for the command line) manages what query
// returns the role and area of; flows.ErrNotFound otherwise.
func (db *DB) mayEnd(ctx context.Context, query string, id, by int64) error {
	if by == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var r, areaCode string
		err := tx.QueryRow(ctx, query, id).Scan(&r, &areaCode)
		if errors.Is(err, pgx.ErrNoRows) {
			return flows.ErrNotFound
		}
		if err != nil {
			return err
		}
		ok, err := mayManage(ctx, tx, by, r, areaCode)
		if err == nil && !ok {
			err = flows.ErrNotFound
		}
		return err
	})
}

// RevokeRole ends a role; by (0 for the command line) must manage its
// area. flows.ErrNotFound when there is no such one in force that is
// theirs.
func (db *DB) RevokeRole(ctx context.Context, id, by int64) error {
	if err := db.mayEnd(ctx, `SELECT role, area_code FROM roles WHERE id = $1 AND revoked_at IS NULL`, id, by); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `
		WITH upd AS (UPDATE roles SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id, role, area_code)
		INSERT INTO audit_log (person_id, action, detail)
		SELECT nullif($2, 0), 'role.revoke', jsonb_build_object('role_id', id, 'role', role, 'area', area_code) FROM upd`, id, by)
	if err != nil {
		return fmt.Errorf("revoke role: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return flows.ErrNotFound
	}
	return nil
}
