-- Registration of intent: a subject registers to strive for its title in a
-- year ("đăng ký"), counted apart from submissions; starting a
-- self-assessment registers too.
CREATE TABLE registrations (
    subject_id    bigint NOT NULL REFERENCES subjects (id),
    year          int NOT NULL,
    person_id     bigint NOT NULL REFERENCES people (id),
    registered_at timestamptz NOT NULL,
    PRIMARY KEY (subject_id, year)
);

-- A province's assessment season of a year; without one, a season is the
-- calendar year (in Vietnam's time).
CREATE TABLE seasons (
    province_code text NOT NULL REFERENCES areas (code),
    year          int NOT NULL,
    opens         date NOT NULL,
    closes        date NOT NULL CHECK (closes >= opens),
    PRIMARY KEY (province_code, year)
);
