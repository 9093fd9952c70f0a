-- A subject may have several representatives; the person who enrolled it
-- is the first.
CREATE TABLE representatives (
    subject_id bigint NOT NULL REFERENCES subjects (id),
    person_id  bigint NOT NULL REFERENCES people (id),
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_id, person_id)
);
CREATE INDEX representatives_person ON representatives (person_id);
INSERT INTO representatives (subject_id, person_id, since) SELECT id, created_by, created_at FROM subjects;

-- Roles over an area and everything below it (package role says what
-- each allows). A revoked role keeps its row.
CREATE TABLE roles (
    id         bigserial PRIMARY KEY,
    person_id  bigint NOT NULL REFERENCES people (id),
    role       text NOT NULL CHECK (role IN ('admin', 'leader', 'reviewer', 'recogniser')),
    area_code  text NOT NULL REFERENCES areas (code),
    granted_by bigint REFERENCES people (id),
    granted_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE UNIQUE INDEX roles_held ON roles (person_id, role, area_code) WHERE revoked_at IS NULL;

-- The review of a submission, apart from the assessment, with its own
-- revision: waiting from the submission on, then decided; a send-back
-- keeps the answers as they were, to show what changed when it returns.
CREATE TABLE reviews (
    assessment_id bigint PRIMARY KEY REFERENCES assessments (id),
    state         text NOT NULL CHECK (state IN ('waiting', 'accepted', 'needs_changes', 'rejected')),
    rev           int NOT NULL DEFAULT 1,
    waiting_since timestamptz NOT NULL,
    reviewer_id   bigint REFERENCES people (id),
    reason        text,
    decided_at    timestamptz,
    resubmitted   int NOT NULL DEFAULT 0,
    answers_before jsonb,
    reopened_rev  int -- the assessment's revision when sent back: an undo only while it is untouched
);
CREATE INDEX reviews_waiting ON reviews (waiting_since, assessment_id) WHERE state = 'waiting';
INSERT INTO reviews (assessment_id, state, waiting_since)
    SELECT id, 'waiting', submitted_at FROM assessments WHERE status = 'submitted';
CREATE INDEX subjects_area ON subjects (area_code);
