package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notice is a notice due, with the channel identity to deliver it to.
type Notice struct {
	ID      int64
	Person  int64
	Channel string
	User    int64 // the person within the channel
	Name    string
	Object  int64
	Rev     int
}

// ClaimDue takes up to limit notices that are due at now and not sent, for
// lease: another replica takes them only once it has passed, so that a
// replica that stops midway loses none.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Notice, error) {
	rows, err := db.pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM notices
			WHERE sent_at IS NULL AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE notices n SET claimed_until = $2 FROM due WHERE n.id = due.id
			RETURNING n.id, n.person_id, n.name, n.object_id, n.rev, n.due_at
		)
		SELECT c.id, c.person_id, p.channel, p.channel_user, c.name, c.object_id, c.rev
		FROM claimed c JOIN people p ON p.id = c.person_id ORDER BY c.due_at, c.id`, now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Notice])
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	return out, nil
}

// Sent marks a notice delivered.
func (db *DB) Sent(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE notices SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL`, id, at); err != nil {
		return fmt.Errorf("mark notice sent: %w", err)
	}
	return nil
}
