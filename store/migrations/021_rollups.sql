-- Where each subject stands in each year, as the roll-ups count it:
-- 'registered', and the state of its assessment of the year (open,
-- submitted, needs_changes, accepted, rejected, recognised); year 0 is
-- the registry, where every subject is 'enrolled'. Kept by the store in
-- the transaction of every change of the facts (store/rollup.go), so
-- that each change adds to the roll-ups only what it changed.
CREATE TABLE standings (
    subject_id bigint NOT NULL REFERENCES subjects (id),
    year       int NOT NULL,
    kind       text NOT NULL,
    area_code  text NOT NULL REFERENCES areas (code),
    states     text[] NOT NULL,
    PRIMARY KEY (subject_id, year)
);

-- Roll-ups: how many subjects of a kind stand in a state in a year, at or
-- below an area of today's tree. The nation's and the provinces' counts
-- are spread over slots (by subject), so that concurrent changes do not
-- all wait for one row; a count is the sum of its slots.
CREATE TABLE rollups (
    area_code text NOT NULL,
    year      int NOT NULL,
    kind      text NOT NULL,
    state     text NOT NULL,
    slot      smallint NOT NULL,
    n         int NOT NULL,
    PRIMARY KEY (area_code, year, kind, state, slot)
);

-- The roll-ups as they were when a month began (Vietnam's time), for the
-- change since: taken once a month by the periodic job.
CREATE TABLE rollup_months (
    month     date NOT NULL,
    area_code text NOT NULL,
    year      int NOT NULL,
    kind      text NOT NULL,
    state     text NOT NULL,
    n         int NOT NULL,
    PRIMARY KEY (month, area_code, year, kind, state)
);

-- An area and the areas above it in today's tree; spread says its counts
-- are spread over slots.
CREATE FUNCTION area_line(leaf text) RETURNS TABLE (code text, spread boolean)
LANGUAGE sql STABLE ROWS 5 AS $$
    WITH RECURSIVE up (code, level, parent) AS (
        SELECT a.code, a.level, a.parent_code FROM areas a WHERE a.code = leaf
        UNION ALL
        SELECT a.code, a.level, a.parent_code FROM areas a JOIN up ON a.code = up.parent
    )
    SELECT code, level IN ('nation', 'province') FROM up
$$;
