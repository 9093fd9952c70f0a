-- Notices are brought by River's jobs now, one per notice, written in the
-- same transaction; River holds a job while it runs, so the claim lease
-- goes.
ALTER TABLE notices DROP COLUMN claimed_until;
-- A person's notices go in the order they fell due: a job looks for an
-- earlier one still waiting.
CREATE INDEX notices_waiting ON notices (person_id, due_at, id) WHERE sent_at IS NULL;

-- Broadcasts: an announcement to everyone, or to those holding a role in
-- an area and below, in both languages. Its recipients are fixed when it
-- is queued; each has a job of the broadcast's generation (gen), and
-- resuming a paused broadcast starts a new generation for those still
-- pending, so that the jobs of before drop themselves.
CREATE TABLE broadcasts (
    id         bigserial PRIMARY KEY,
    sent_by    bigint REFERENCES people (id), -- NULL: from the command line
    role       text,                          -- NULL: everyone
    area_code  text REFERENCES areas (code),
    text_vi    text NOT NULL,
    text_en    text NOT NULL,
    state      text NOT NULL DEFAULT 'sending' CHECK (state IN ('sending', 'paused', 'cancelled')),
    gen        int NOT NULL DEFAULT 1,
    send_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE broadcast_recipients (
    broadcast_id bigint NOT NULL REFERENCES broadcasts (id),
    person_id    bigint NOT NULL REFERENCES people (id),
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    done_at      timestamptz,
    PRIMARY KEY (broadcast_id, person_id)
);
