-- A leader's tap on "remind their reviewers" under the child areas that
-- have not reported: once a day for an area's screen and year, whoever
-- taps. quiet holds the child areas not reported at the tap; each
-- reviewer covering one of them gets a notice naming this row.
CREATE TABLE nudges (
    id        bigserial PRIMARY KEY,
    area_code text NOT NULL REFERENCES areas (code),
    year      int NOT NULL,
    day       date NOT NULL, -- in Vietnam
    person_id bigint NOT NULL REFERENCES people (id),
    at        timestamptz NOT NULL,
    quiet     text[] NOT NULL,
    UNIQUE (area_code, year, day)
);
