-- A subject's second representative (a spouse, a son) joins by an
-- invitation of one who represents it: the invitation names the subject.
ALTER TABLE invitations ADD COLUMN subject_id bigint REFERENCES subjects (id);
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check
    CHECK (role IN ('admin', 'leader', 'reviewer', 'recogniser', 'household', 'representative'));
