-- Official counts of an area in a year (hoctap areas counts import): the
-- denominators of the programme's shares. A count not known is NULL, and
-- the figures fall back to the registry of enrolled subjects for it.
CREATE TABLE area_counts (
    code       text NOT NULL REFERENCES areas (code),
    year       int NOT NULL,
    households int CHECK (households >= 0),
    clans      int CHECK (clans >= 0),
    villages   int CHECK (villages >= 0),
    units      int CHECK (units >= 0),
    adults     int CHECK (adults >= 0),
    staff      int CHECK (staff >= 0),
    PRIMARY KEY (code, year)
);

-- The programme's targets: the share (per cent) of a title's entities that
-- should hold it by a year, per jurisdiction — the nation, or a province
-- whose own plan overrides the nation's figure for it. basis is what the
-- share is of: the title's entities, or for Learning Citizens adults (in
-- families and communities) or staff (in units). The shipped national
-- figures are loaded into an empty table (store/targets.csv).
CREATE TABLE targets (
    jurisdiction text NOT NULL REFERENCES areas (code),
    year         int NOT NULL,
    kind         text NOT NULL,
    basis        text NOT NULL CHECK (basis IN ('entities', 'adults', 'staff')),
    share        numeric NOT NULL CHECK (share > 0 AND share <= 100),
    source       text NOT NULL,
    confirmed    boolean NOT NULL,
    PRIMARY KEY (jurisdiction, year, kind, basis)
);
