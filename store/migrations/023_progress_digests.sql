-- A leader's weekly digest of an area's figures, switched on from the
-- area's /progress screen: the reminders' planner writes one a week for
-- each (package store's PlanReminders), and the figures are read when it
-- is shown, as the person may see them then.
CREATE TABLE progress_digests (
    id         bigserial PRIMARY KEY,
    person_id  bigint NOT NULL REFERENCES people (id),
    area_code  text NOT NULL REFERENCES areas (code),
    created_at timestamptz NOT NULL,
    UNIQUE (person_id, area_code)
);
