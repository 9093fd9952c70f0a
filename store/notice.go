package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notice is a notice to deliver, with the channel identity to deliver it
// to.
type Notice struct {
	ID      int64
	Person  int64
	Channel string
	User    int64 // the person within the channel
	Name    string
	Object  int64
	Rev     int
	Sent    bool // delivered already
	// Behind is true while an earlier notice to the same person, due no
	// later, is not delivered: notices reach a person in the order they
	// fell due (a decision before its certificate).
	Behind bool
}

// NoticeOf returns a notice by its id; found is false when there is none.
func (db *DB) NoticeOf(ctx context.Context, id int64) (n Notice, found bool, err error) {
	err = db.pool.QueryRow(ctx, `
		SELECT n.id, n.person_id, p.channel, p.channel_user, n.name, n.object_id, n.rev, n.sent_at IS NOT NULL,
			EXISTS (SELECT 1 FROM notices e WHERE e.person_id = n.person_id AND e.sent_at IS NULL
				AND (e.due_at, e.id) < (n.due_at, n.id))
		FROM notices n JOIN people p ON p.id = n.person_id WHERE n.id = $1`, id).
		Scan(&n.ID, &n.Person, &n.Channel, &n.User, &n.Name, &n.Object, &n.Rev, &n.Sent, &n.Behind)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, false, nil
	}
	if err != nil {
		return n, false, fmt.Errorf("read notice: %w", err)
	}
	return n, true, nil
}

// Sent marks a notice delivered — or given up, the person having blocked
// the bot.
func (db *DB) Sent(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE notices SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL`, id, at); err != nil {
		return fmt.Errorf("mark notice sent: %w", err)
	}
	return nil
}
