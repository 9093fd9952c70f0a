-- A province's own reasons for sending a submission back or rejecting it,
-- which its reviewers pick from; a province with none uses the default
-- list of the locales. Text is what the province typed (at most 80
-- characters, a button's label), or the locale id of a default reason it
-- kept. At most 10 a province: the store counts them under a lock of the
-- province's row.
CREATE TABLE province_reasons (
    id            bigserial PRIMARY KEY,
    province_code text NOT NULL REFERENCES areas (code),
    text          text NOT NULL CHECK (char_length(text) BETWEEN 3 AND 80),
    added_by      bigint REFERENCES people (id),
    added_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX province_reasons_province ON province_reasons (province_code, id);

-- Who set a province's season last, and when (hoctap season leaves set_by
-- empty).
ALTER TABLE seasons ADD COLUMN set_by bigint REFERENCES people (id);
ALTER TABLE seasons ADD COLUMN set_at timestamptz NOT NULL DEFAULT now();
