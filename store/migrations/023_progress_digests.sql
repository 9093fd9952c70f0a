-- A leader's weekly digest of an area's figures, switched on from the
-- area's /progress screen: the reminders' planner writes one a week for
-- each that is on (package store's PlanReminders), and the figures are
-- read when it is shown, as the person may see them then. Switched off,
-- the row stays (off_at), so that a button of an older digest names it;
-- switched on again, it is the same digest, on from then.
CREATE TABLE progress_digests (
    id        bigserial PRIMARY KEY,
    person_id bigint NOT NULL REFERENCES people (id),
    area_code text NOT NULL REFERENCES areas (code),
    on_at     timestamptz NOT NULL,
    off_at    timestamptz,
    UNIQUE (person_id, area_code)
);
