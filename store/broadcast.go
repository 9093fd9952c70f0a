package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
)

// BroadcastJob is the durable job that brings one broadcast to one
// recipient, made for one generation of it.
type BroadcastJob struct {
	Broadcast int64 `json:"broadcast"`
	Person    int64 `json:"person"`
	Gen       int   `json:"gen"`
}

// Kind implements river.JobArgs.
func (BroadcastJob) Kind() string { return "broadcast" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (BroadcastJob) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueBulk} }

// ErrAudience is an audience that names no valid role or area.
var ErrAudience = errors.New("a broadcast goes to everyone or to a role (" + flows.Representative + " or a role) within an area")

// audienceCTE names, as "audience", the persons of audience $1 (everyone),
// $2 (the role), $3 (the area) who may be sent to.
const audienceCTE = `
	WITH RECURSIVE below (code) AS (
		SELECT code FROM areas WHERE code = $3
		UNION
		SELECT a.code FROM areas a JOIN below ON a.parent_code = below.code
	), audience (person_id) AS (
		SELECT id FROM people WHERE $1
		UNION
		SELECT r.person_id FROM roles r JOIN below ON r.area_code = below.code WHERE NOT $1 AND r.revoked_at IS NULL AND r.role = $2
		UNION
		SELECT rp.person_id FROM representatives rp JOIN subjects s ON s.id = rp.subject_id JOIN below ON s.area_code = below.code
		WHERE NOT $1 AND $2 = '` + flows.Representative + `'
	)`

func checkAudience(a flows.Audience) error {
	if a.Everyone {
		return nil
	}
	if a.Area == "" || (!role.Valid(a.Role) && a.Role != flows.Representative) {
		return ErrAudience
	}
	return nil
}

// Recipients counts the persons a broadcast to audience would reach now.
func (db *DB) Recipients(ctx context.Context, a flows.Audience) (int, error) {
	if err := checkAudience(a); err != nil {
		return 0, err
	}
	if err := db.areaExists(ctx, a); err != nil {
		return 0, err
	}
	var n int
	err := db.pool.QueryRow(ctx, audienceCTE+`
		SELECT count(*) FROM audience JOIN people p ON p.id = audience.person_id WHERE NOT p.inactive`,
		a.Everyone, a.Role, a.Area).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recipients: %w", err)
	}
	return n, nil
}

func (db *DB) areaExists(ctx context.Context, a flows.Audience) error {
	if a.Everyone {
		return nil
	}
	var ok bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1)`, a.Area).Scan(&ok); err != nil {
		return fmt.Errorf("find area: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: no area has the code %q", flows.ErrNotFound, a.Area)
	}
	return nil
}

// QueueBroadcast queues a broadcast: its recipients, fixed now, and a job
// for each, due at b.At. By, when not 0, must be allowed to broadcast over
// the area (everyone: over the nation). It returns the broadcast's id and
// its number of recipients.
func (db *DB) QueueBroadcast(ctx context.Context, b flows.NewBroadcast, now time.Time) (id int64, n int, err error) {
	if err := checkAudience(b.Audience); err != nil {
		return 0, 0, err
	}
	if err := db.areaExists(ctx, b.Audience); err != nil {
		return 0, 0, err
	}
	if b.At.Before(now) {
		b.At = now
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := mayBroadcast(ctx, tx, b.By, b.Audience); err != nil {
			return err
		}
		if b.Key != "" {
			err := tx.QueryRow(ctx, `SELECT b.id, (SELECT count(*) FROM broadcast_recipients r WHERE r.broadcast_id = b.id)
				FROM broadcasts b WHERE b.draft_key = $1`, b.Key).Scan(&id, &n)
			if err == nil {
				return nil // queued before, from the same draft
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("find the draft's broadcast: %w", err)
			}
		}
		var by, r, area, key any
		if b.By != 0 {
			by = b.By
		}
		if b.Key != "" {
			key = b.Key
		}
		if !b.Everyone {
			r, area = b.Role, b.Area
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO broadcasts (sent_by, role, area_code, text_vi, text_en, send_at, created_at, draft_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, by, r, area, b.TextVI, b.TextEN, b.At, now, key).Scan(&id); err != nil {
			return fmt.Errorf("record broadcast: %w", err)
		}
		rows, err := tx.Query(ctx, audienceCTE+`
			INSERT INTO broadcast_recipients (broadcast_id, person_id)
			SELECT $4, p.id FROM audience JOIN people p ON p.id = audience.person_id WHERE NOT p.inactive
			RETURNING person_id`, b.Everyone, b.Role, b.Area, id)
		if err != nil {
			return fmt.Errorf("record recipients: %w", err)
		}
		persons, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("record recipients: %w", err)
		}
		n = len(persons)
		if err := enqueueBroadcast(ctx, tx, id, 1, persons, b.At); err != nil {
			return err
		}
		// The text is the sender's own: it stays out of the log.
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, 'broadcast', $2)`,
			by, map[string]any{"broadcast": id, "recipients": n})
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return id, n, nil
}

// mayBroadcast checks that a person may send to an audience: a role that
// allows broadcasting over its area (everyone: over the nation).
// flows.ErrNotFound when they may not.
func mayBroadcast(ctx context.Context, tx pgx.Tx, by int64, a flows.Audience) error {
	if by == 0 {
		return nil
	}
	area := a.Area
	if a.Everyone {
		if err := tx.QueryRow(ctx, `SELECT code FROM areas WHERE parent_code IS NULL AND level = 'nation'`).Scan(&area); err != nil {
			return fmt.Errorf("find the nation: %w", err)
		}
	}
	return allowed(ctx, tx, by, role.Broadcast, area)
}

// enqueueBroadcast writes the jobs of one generation of a broadcast, by
// COPY: a broadcast may have hundreds of thousands.
func enqueueBroadcast(ctx context.Context, tx pgx.Tx, id int64, gen int, persons []int64, at time.Time) error {
	if len(persons) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(persons))
	for i, p := range persons {
		params[i] = river.InsertManyParams{Args: BroadcastJob{Broadcast: id, Person: p, Gen: gen}, InsertOpts: due(at)}
	}
	if _, err := jobs.InsertManyFastTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue broadcast: %w", err)
	}
	return nil
}

// BroadcastStatusOf returns how a broadcast goes; by, when not 0, must be
// the one who sent it. flows.ErrNotFound when there is no such broadcast
// of theirs.
func (db *DB) BroadcastStatusOf(ctx context.Context, id, by int64) (flows.BroadcastStatus, error) {
	found, err := db.broadcastStatuses(ctx, `b.id = $1 AND ($2 = 0 OR b.sent_by = $2)`, id, by)
	if err != nil {
		return flows.BroadcastStatus{}, err
	}
	if len(found) == 0 {
		return flows.BroadcastStatus{}, fmt.Errorf("%w: no broadcast %d", flows.ErrNotFound, id)
	}
	return found[0], nil
}

// broadcastStatuses returns the status of the broadcasts where says, the
// newest first.
func (db *DB) broadcastStatuses(ctx context.Context, where string, args ...any) ([]flows.BroadcastStatus, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT b.id, coalesce(b.sent_by, 0), b.role, b.area_code, b.state, b.send_at,
			count(r.person_id), count(*) FILTER (WHERE r.state = 'sent'), count(*) FILTER (WHERE r.state = 'pending'),
			count(*) FILTER (WHERE r.state = 'failed')
		FROM broadcasts b LEFT JOIN broadcast_recipients r ON r.broadcast_id = b.id
		WHERE `+where+` GROUP BY b.id ORDER BY b.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("read broadcasts: %w", err)
	}
	var out []flows.BroadcastStatus
	var s flows.BroadcastStatus
	var r, area *string
	_, err = pgx.ForEachRow(rows, []any{&s.ID, &s.By, &r, &area, &s.State, &s.At, &s.Recipients, &s.Sent, &s.Pending, &s.Failed}, func() error {
		s.Audience = audienceOf(r, area)
		if s.State == flows.BroadcastSending && s.Pending == 0 {
			s.State = flows.BroadcastDone
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read broadcasts: %w", err)
	}
	return out, nil
}

// audienceOf is the audience a broadcast's role and area columns name:
// everyone when the role is NULL.
func audienceOf(r, area *string) flows.Audience {
	if r == nil || area == nil {
		return flows.Audience{Everyone: true}
	}
	return flows.Audience{Role: *r, Area: *area}
}

// SetBroadcast pauses (flows.BroadcastPaused), resumes
// (flows.BroadcastSending) or cancels (flows.BroadcastCancelled) a
// broadcast; by, when not 0, must be the one who sent it, and resumes only
// a pause of their own while they may still send to its audience
// (flows.ErrNotFound otherwise). A cancelled broadcast stays so. Resuming
// starts a new generation of jobs for the recipients still pending, due at
// once or at the broadcast's time; a job of before that still holds its
// recipient finishes first (BroadcastFor). It returns the status after.
func (db *DB) SetBroadcast(ctx context.Context, id, by int64, state string, now time.Time) (flows.BroadcastStatus, error) {
	if state != flows.BroadcastPaused && state != flows.BroadcastSending && state != flows.BroadcastCancelled {
		return flows.BroadcastStatus{}, fmt.Errorf("no broadcast state %q", state)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var was string
		var gen int
		var at time.Time
		var pausedBy *int64
		var sentBy int64
		var r, area *string
		err := tx.QueryRow(ctx, `SELECT state, gen, send_at, paused_by, coalesce(sent_by, 0), role, area_code FROM broadcasts WHERE id = $1 FOR UPDATE`, id).
			Scan(&was, &gen, &at, &pausedBy, &sentBy, &r, &area)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && by != 0 && sentBy != by) {
			return fmt.Errorf("%w: no broadcast %d", flows.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("read broadcast: %w", err)
		}
		if was == state || was == flows.BroadcastCancelled || (state == flows.BroadcastSending && was != flows.BroadcastPaused) {
			return nil
		}
		if state == flows.BroadcastSending && by != 0 {
			// A sender resumes only their own pause, and only while they
			// may still send to the audience.
			if pausedBy == nil || *pausedBy != by {
				return flows.ErrNotFound
			}
			if err := mayBroadcast(ctx, tx, by, audienceOf(r, area)); err != nil {
				return err
			}
		}
		if state == flows.BroadcastSending {
			gen++
		}
		var actor any
		if by != 0 {
			actor = by
		}
		if _, err := tx.Exec(ctx, `UPDATE broadcasts SET state = $2, gen = $3, paused_by = CASE WHEN $2 = 'paused' THEN $4::bigint END WHERE id = $1`,
			id, state, gen, actor); err != nil {
			return fmt.Errorf("set broadcast: %w", err)
		}
		if state == flows.BroadcastSending {
			rows, err := tx.Query(ctx, `SELECT person_id FROM broadcast_recipients WHERE broadcast_id = $1 AND state = 'pending'`, id)
			if err != nil {
				return fmt.Errorf("read recipients: %w", err)
			}
			pending, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return fmt.Errorf("read recipients: %w", err)
			}
			if at.Before(now) {
				at = now
			}
			if err := enqueueBroadcast(ctx, tx, id, gen, pending, at); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (person_id, action, detail) VALUES ($1, $2, $3)`,
			actor, "broadcast."+state, map[string]any{"broadcast": id})
		return err
	})
	if err != nil {
		return flows.BroadcastStatus{}, err
	}
	return db.BroadcastStatusOf(ctx, id, by)
}

// BroadcastDelivery is what a broadcast job needs to know before it sends.
type BroadcastDelivery struct {
	// Send: the job is of the broadcast's generation, which is sending,
	// its recipient still waits, and the job now holds them.
	Send bool
	// Busy: a job of an earlier generation holds the recipient (it was
	// waiting to send when the broadcast was paused and resumed): wait,
	// and look again.
	Busy     bool
	Inactive bool // the recipient blocked the bot since
	Channel  string
	User     int64
}

// BroadcastFor tells a broadcast job whether it is to send, and to whom:
// when it is, the job holds the recipient until now + hold, or until
// BroadcastSent or BroadcastRelease, so that no other job sends to them
// meanwhile.
func (db *DB) BroadcastFor(ctx context.Context, j BroadcastJob, now time.Time, hold time.Duration) (BroadcastDelivery, error) {
	var d BroadcastDelivery
	err := db.pool.QueryRow(ctx, `
		UPDATE broadcast_recipients r SET claimed_until = $3::timestamptz + $4::interval
		FROM broadcasts b, people p
		WHERE r.broadcast_id = $1 AND r.person_id = $2 AND b.id = r.broadcast_id AND p.id = r.person_id
			AND b.state = 'sending' AND b.gen = $5 AND r.state = 'pending' AND (r.claimed_until IS NULL OR r.claimed_until <= $3)
		RETURNING p.inactive, p.channel, p.channel_user`, j.Broadcast, j.Person, now, hold, j.Gen).Scan(&d.Inactive, &d.Channel, &d.User)
	if err == nil {
		d.Send = true
		return d, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("claim broadcast recipient: %w", err)
	}
	err = db.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM broadcast_recipients r JOIN broadcasts b ON b.id = r.broadcast_id
			WHERE r.broadcast_id = $1 AND r.person_id = $2 AND b.state = 'sending' AND b.gen = $4 AND r.state = 'pending' AND r.claimed_until > $3)`,
		j.Broadcast, j.Person, now, j.Gen).Scan(&d.Busy)
	if err != nil {
		return d, fmt.Errorf("read broadcast recipient: %w", err)
	}
	return d, nil
}

// BroadcastSent records how a broadcast went for one recipient: sent, or
// failed (they blocked the bot, or Telegram refused it).
func (db *DB) BroadcastSent(ctx context.Context, j BroadcastJob, sent bool, at time.Time) error {
	state := "sent"
	if !sent {
		state = "failed"
	}
	if _, err := db.pool.Exec(ctx, `UPDATE broadcast_recipients SET state = $3, done_at = $4, claimed_until = NULL
		WHERE broadcast_id = $1 AND person_id = $2 AND state = 'pending'`, j.Broadcast, j.Person, state, at); err != nil {
		return fmt.Errorf("record broadcast sent: %w", err)
	}
	return nil
}

// BroadcastRelease lets go of a recipient a job held and did not send to
// (a 429's pause, a stop): the next job may.
func (db *DB) BroadcastRelease(ctx context.Context, j BroadcastJob) error {
	if _, err := db.pool.Exec(ctx, `UPDATE broadcast_recipients SET claimed_until = NULL
		WHERE broadcast_id = $1 AND person_id = $2 AND state = 'pending'`, j.Broadcast, j.Person); err != nil {
		return fmt.Errorf("release broadcast recipient: %w", err)
	}
	return nil
}

// BroadcastText returns a broadcast's text in a language (vi or en).
func (db *DB) BroadcastText(ctx context.Context, id int64, lang string) (string, error) {
	var vi, en string
	err := db.pool.QueryRow(ctx, `SELECT text_vi, text_en FROM broadcasts WHERE id = $1`, id).Scan(&vi, &en)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", flows.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read broadcast: %w", err)
	}
	if lang == "en" {
		return en, nil
	}
	return vi, nil
}

// BroadcastAreas returns the areas a person may broadcast over: those of
// their roles that allow it (role.Broadcast), in force, by name.
func (db *DB) BroadcastAreas(ctx context.Context, personID int64) ([]flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT DISTINCT a.code, coalesce(a.parent_code, ''), a.level, a.name_vi, a.name_en, a.region
		FROM roles r JOIN areas a ON a.code = r.area_code
		WHERE r.person_id = $1 AND r.revoked_at IS NULL AND r.role = ANY($2) AND a.valid_to IS NULL`,
		personID, role.Holders(role.Broadcast))
	if err != nil {
		return nil, fmt.Errorf("query the areas of broadcasts: %w", err)
	}
	areas, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return nil, fmt.Errorf("query the areas of broadcasts: %w", err)
	}
	area.SortByName(areas)
	return areas, nil
}

// Broadcasts returns the latest broadcasts a person sent, the newest
// first, at most limit.
func (db *DB) Broadcasts(ctx context.Context, by int64, limit int) ([]flows.BroadcastStatus, error) {
	return db.broadcastStatuses(ctx, `b.id IN (SELECT id FROM broadcasts WHERE sent_by = $1 ORDER BY id DESC LIMIT $2)`, by, limit)
}
