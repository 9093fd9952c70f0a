-- Reminders: each has a key — the person, what it is about, and the period it is
-- for (for an unfinished questionnaire, the assessment, its revision and
-- the day step) — and goes out at most once, even with two replicas or a
-- crash: the planner inserts the key with the River job that brings it,
-- and a key there already is a reminder planned before.
CREATE TABLE reminders (
    person_id bigint NOT NULL REFERENCES people (id),
    about     text NOT NULL, -- unfinished...
    period    text NOT NULL,
    object_id bigint NOT NULL,
    rev       int NOT NULL,
    due_at    timestamptz NOT NULL,
    sent_at   timestamptz,
    skipped   boolean NOT NULL DEFAULT false, -- not sent: switched off, or blocked the bot
    PRIMARY KEY (person_id, about, period)
);

-- /reminders off: no reminder for the person until /reminders on.
ALTER TABLE people ADD COLUMN reminders_off boolean NOT NULL DEFAULT false;

CREATE INDEX assessments_open ON assessments (updated_at) WHERE status = 'open';
