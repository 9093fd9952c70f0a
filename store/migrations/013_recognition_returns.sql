-- A higher level (a province's recogniser or admin, or the nation's) may
-- send a recognised title back with a reason: the recognition ends, who
-- ended it and why are kept, and its submission waits for review again,
-- counted as returned.
ALTER TABLE recognitions ADD COLUMN ended_by bigint REFERENCES people (id);
ALTER TABLE recognitions ADD COLUMN end_reason text;
ALTER TABLE reviews ADD COLUMN returned int NOT NULL DEFAULT 0;
