-- A clan's member households (they may live in several villages): a
-- household joins by a link from one who represents the clan, and the
-- clan's derived indicators count them.
CREATE TABLE clan_members (
    clan_id      bigint NOT NULL REFERENCES subjects (id),
    household_id bigint NOT NULL REFERENCES subjects (id),
    added_by     bigint REFERENCES people (id),
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clan_id, household_id)
);
CREATE INDEX clan_members_household ON clan_members (household_id);
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check
    CHECK (role IN ('admin', 'leader', 'reviewer', 'recogniser', 'household', 'representative', 'member'));
