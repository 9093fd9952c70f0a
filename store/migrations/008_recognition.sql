-- How each province recognises a title: 'accept', a reviewer's acceptance
-- recognises at once (the default, where a province has no row), or
-- 'confirm', a recogniser confirms accepted submissions as a batch under a
-- decision's number and date.
CREATE TABLE recognition_chains (
    province_code text PRIMARY KEY REFERENCES areas (code),
    chain         text NOT NULL CHECK (chain IN ('accept', 'confirm')),
    set_by        bigint REFERENCES people (id),
    set_at        timestamptz NOT NULL DEFAULT now()
);

-- A recognised title: what, for whom, in which area (the subject's at the
-- time, so that a year's figures add up under that year's tree), by whom,
-- when and under which decision. An undone acceptance ends it.
CREATE TABLE recognitions (
    id             bigserial PRIMARY KEY,
    assessment_id  bigint NOT NULL REFERENCES assessments (id),
    subject_id     bigint NOT NULL REFERENCES subjects (id),
    kind           text NOT NULL,
    year           int NOT NULL,
    set_id         text NOT NULL,
    set_version    int NOT NULL,
    area_code      text NOT NULL REFERENCES areas (code),
    recognised_by  bigint NOT NULL REFERENCES people (id),
    recognised_at  timestamptz NOT NULL,
    decision_no    text,
    decision_date  date,
    ended_at       timestamptz
);
CREATE UNIQUE INDEX recognitions_one ON recognitions (assessment_id) WHERE ended_at IS NULL;
CREATE INDEX recognitions_area_year ON recognitions (area_code, year) WHERE ended_at IS NULL;
