-- An assessment a reviewer fills in on behalf of a household without a
-- smartphone is marked as assisted wherever it shows; the reviewer is its
-- person_id (submitted by), and its subject has no representative.
ALTER TABLE assessments ADD COLUMN assisted boolean NOT NULL DEFAULT false;
