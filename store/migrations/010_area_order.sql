-- Areas are listed in Vietnamese alphabetical order (Đ after D, "Hà"
-- before "Hải"), which the database's collation may not know: the program
-- keeps each name's collation key (package area's SortKey) and fills it in
-- for the rows this leaves empty.
ALTER TABLE areas ADD COLUMN name_key bytea NOT NULL DEFAULT ''::bytea;
CREATE INDEX areas_children ON areas (parent_code, name_key, code);
