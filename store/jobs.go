package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// River's queues of hoctap's jobs: notices (decisions, reminders) before
// broadcasts, each worked by its own workers so that a broadcast of
// thousands never keeps a notice waiting for a worker.
const (
	QueueNotice = "notice"
	QueueBulk   = "bulk"
)

// NoticeJob is the durable job that brings one notice to its person, due
// when the notice is. It is unique by its notice: the sweep that enqueues
// what has no job yet never doubles one.
type NoticeJob struct {
	Notice int64 `json:"notice"`
}

// Kind implements river.JobArgs.
func (NoticeJob) Kind() string { return "notice" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (NoticeJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotice, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// due is the insert options of a job due at a time: scheduled when it is
// still to come, else none, so that the job is available at once — a job
// scheduled for now would wait for River's scheduler to make it available
// (every few seconds).
func due(at time.Time) *river.InsertOpts {
	if at.After(time.Now()) {
		return &river.InsertOpts{ScheduledAt: at}
	}
	return nil
}

// jobs inserts hoctap's jobs within the store's transactions: River's
// insert-only client, which needs no pool of its own.
var jobs = func() *river.Client[pgx.Tx] {
	c, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	if err != nil {
		panic(fmt.Sprintf("river's insert-only client: %v", err)) // a build defect: the config is fixed
	}
	return c
}()

// notify writes notices with query — an INSERT INTO notices that returns
// each notice's id, person_id and due_at — and, in the same transaction,
// the job that brings each. It returns the persons notified.
func notify(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	type written struct {
		ID     int64
		Person int64
		Due    time.Time
	}
	ns, err := pgx.CollectRows(rows, pgx.RowToStructByPos[written])
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, nil
	}
	params := make([]river.InsertManyParams, len(ns))
	persons := make([]int64, len(ns))
	for i, n := range ns {
		params[i] = river.InsertManyParams{Args: NoticeJob{Notice: n.ID}, InsertOpts: due(n.Due)}
		persons[i] = n.Person
	}
	if _, err := jobs.InsertManyTx(ctx, tx, params); err != nil {
		return nil, fmt.Errorf("enqueue notices: %w", err)
	}
	return persons, nil
}

// EnqueueNotices gives a job to every notice not yet delivered that has
// none — those written before notices had jobs, or whose job River gave
// up on — and returns how many it enqueued. Jobs are unique by notice, so
// a notice whose job waits or runs is left as it is.
func (db *DB) EnqueueNotices(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, due_at FROM notices WHERE sent_at IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		var params []river.InsertManyParams
		var id int64
		var at time.Time
		if _, err := pgx.ForEachRow(rows, []any{&id, &at}, func() error {
			params = append(params, river.InsertManyParams{Args: NoticeJob{Notice: id}, InsertOpts: due(at)})
			return nil
		}); err != nil {
			return err
		}
		if len(params) == 0 {
			return nil
		}
		res, err := jobs.InsertManyTx(ctx, tx, params)
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				n++
			}
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue notices: %w", err)
	}
	return n, nil
}
