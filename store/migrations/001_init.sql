-- Areas: a tree of any depth with effective dates, so a merge keeps history.
CREATE TABLE areas (
    code        text PRIMARY KEY,
    parent_code text REFERENCES areas (code),
    level       text NOT NULL,
    name_vi     text NOT NULL,
    name_en     text NOT NULL,
    region      text NOT NULL DEFAULT 'normal' CHECK (region IN ('normal', 'hardship')),
    valid_from  date NOT NULL DEFAULT '2025-07-01',
    valid_to    date
);
CREATE INDEX areas_parent ON areas (parent_code);

-- People exist from their consent on; a channel identity, a language.
CREATE TABLE people (
    id           bigserial PRIMARY KEY,
    channel      text NOT NULL,
    channel_user bigint NOT NULL,
    lang         text NOT NULL,
    consent_at   timestamptz NOT NULL,
    inactive     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, channel_user)
);

-- Subjects: households, clans, villages, units and citizens assessed.
CREATE TABLE subjects (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL,
    name       text NOT NULL,
    area_code  text NOT NULL REFERENCES areas (code),
    created_by bigint NOT NULL REFERENCES people (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Assessments, pinned to the criteria set version they started on.
CREATE TABLE assessments (
    id           bigserial PRIMARY KEY,
    subject_id   bigint NOT NULL REFERENCES subjects (id),
    person_id    bigint NOT NULL REFERENCES people (id),
    set_id       text NOT NULL,
    set_version  int NOT NULL,
    year         int NOT NULL,
    region       text NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'abandoned')),
    rev          int NOT NULL DEFAULT 1,
    cursor       text NOT NULL DEFAULT '',
    start_key    text NOT NULL UNIQUE,
    total        numeric,
    passed       boolean,
    result       jsonb,
    submitted_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX assessments_one_open ON assessments (person_id) WHERE status = 'open';
CREATE INDEX assessments_submitted ON assessments (submitted_at) WHERE status = 'submitted';

-- The current answer to each question.
CREATE TABLE answers (
    assessment_id bigint NOT NULL REFERENCES assessments (id),
    code          text NOT NULL,
    value         jsonb NOT NULL,
    given_by      bigint NOT NULL REFERENCES people (id),
    given_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (assessment_id, code)
);

-- Evidence photos, stored by content hash; the channel's ids kept.
CREATE TABLE evidence (
    id             bigserial PRIMARY KEY,
    assessment_id  bigint NOT NULL REFERENCES assessments (id),
    code           text NOT NULL,
    sha256         text NOT NULL,
    size           bigint NOT NULL,
    mime           text NOT NULL,
    file_id        text NOT NULL,
    file_unique_id text NOT NULL,
    added_by       bigint NOT NULL REFERENCES people (id),
    added_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (assessment_id, code, sha256)
);

-- Inputs that changed an assessment, so that none takes effect twice.
CREATE TABLE applied_inputs (
    key           text PRIMARY KEY,
    assessment_id bigint NOT NULL,
    applied_at    timestamptz NOT NULL DEFAULT now()
);

-- Append-only audit log of every change.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    person_id     bigint,
    assessment_id bigint,
    action        text NOT NULL,
    detail        jsonb
);
