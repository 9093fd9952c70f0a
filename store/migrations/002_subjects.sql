-- A person may represent several subjects and hold one assessment in
-- progress for each: one assessment per subject and year that is not
-- abandoned (a subject's kind is its title).
DROP INDEX assessments_one_open;
CREATE UNIQUE INDEX assessments_one_per_year ON assessments (subject_id, year) WHERE status <> 'abandoned';
CREATE INDEX assessments_person ON assessments (person_id, updated_at DESC) WHERE status <> 'abandoned';
CREATE INDEX subjects_created_by ON subjects (created_by, kind);
