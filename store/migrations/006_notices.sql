-- Notices to people, written in the transaction of the change they tell
-- of (an outbox): each is due at a time, taken by one replica at a time
-- for a while (claimed_until), and marked sent once it reached the
-- person's conversation as an event. A notice for an object that has moved
-- on since (rev) drops itself there.
CREATE TABLE notices (
    id            bigserial PRIMARY KEY,
    person_id     bigint NOT NULL REFERENCES people (id),
    name          text NOT NULL,
    object_id     bigint NOT NULL,
    rev           int NOT NULL,
    due_at        timestamptz NOT NULL,
    claimed_until timestamptz,
    sent_at       timestamptz
);
CREATE INDEX notices_due ON notices (due_at) WHERE sent_at IS NULL;
