-- Areas merge and split: an area that ended names the one that took it
-- over, and the link to a parent is dated, so that last year's figures add
-- up under last year's tree.
ALTER TABLE areas ADD COLUMN replaced_by text REFERENCES areas (code);
CREATE TABLE area_parents (
    code        text NOT NULL REFERENCES areas (code),
    parent_code text NOT NULL REFERENCES areas (code),
    valid_from  date NOT NULL,
    valid_to    date,
    PRIMARY KEY (code, valid_from)
);
CREATE UNIQUE INDEX area_parents_current ON area_parents (code) WHERE valid_to IS NULL;
INSERT INTO area_parents (code, parent_code, valid_from)
    SELECT code, parent_code, valid_from FROM areas WHERE parent_code IS NOT NULL;
