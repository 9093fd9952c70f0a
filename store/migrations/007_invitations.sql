-- Settings of the installation; the key that signs invitation links is
-- made by the program the first time it migrates.
CREATE TABLE settings (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);

-- Invitations to a role over an area, or (household) into a village:
-- used at most uses times (NULL: no limit) until expires_at.
CREATE TABLE invitations (
    id         bigserial PRIMARY KEY,
    role       text NOT NULL CHECK (role IN ('admin', 'leader', 'reviewer', 'recogniser', 'household')),
    area_code  text NOT NULL REFERENCES areas (code),
    uses       int CHECK (uses > 0),
    used       int NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    created_by bigint REFERENCES people (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
-- Who used one; a person opening the same link again uses it once.
CREATE TABLE invitation_uses (
    invitation_id bigint NOT NULL REFERENCES invitations (id),
    person_id     bigint NOT NULL REFERENCES people (id),
    used_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (invitation_id, person_id)
);
