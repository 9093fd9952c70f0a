-- An area split (it ended with no replaced_by) leaves its subjects to be
-- placed: each subject still in it whose place no mapping gives is asked
-- of its representatives, a notice each, and moves when one of them picks
-- the new area. One row per subject and area split, so that importing the
-- same file again asks nobody twice; settled once the subject moved.
CREATE TABLE relocations (
    id         bigserial PRIMARY KEY,
    subject_id bigint NOT NULL REFERENCES subjects (id),
    from_code  text NOT NULL REFERENCES areas (code),
    asked_at   timestamptz NOT NULL,
    to_code    text REFERENCES areas (code),
    moved_by   bigint REFERENCES people (id), -- NULL when a mapping moved it
    moved_at   timestamptz,
    UNIQUE (subject_id, from_code)
);
