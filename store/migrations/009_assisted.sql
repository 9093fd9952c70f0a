-- An assessment a reviewer fills in on behalf of a household without a
-- smartphone is marked as assisted wherever it shows (the entry itself
-- comes with assisted entry; until then none is).
ALTER TABLE assessments ADD COLUMN assisted boolean NOT NULL DEFAULT false;
