-- How often each indicator was missed — answered, applicable, and scored
-- below half its points — in the assessments submitted in an area (and
-- every area below it) in a year: what the programme's training should
-- address. Counted from the submissions' results by the nightly job, as
-- analytics tables are, not at each change: a submission's result is
-- read once a day, and the figure moves slowly. misses_built holds when.
CREATE TABLE misses (
    area_code text NOT NULL,
    year      int NOT NULL,
    set_id    text NOT NULL,
    code      text NOT NULL,
    kind      text NOT NULL,
    assessed  int NOT NULL,
    missed    int NOT NULL,
    PRIMARY KEY (area_code, year, set_id, code)
);

CREATE TABLE misses_built (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    built_at timestamptz NOT NULL
);
