-- Areas are found by typing part of their name, accents optional: the
-- folded name (lower case, no accents, đ as d) is kept beside it. The
-- program fills it (package area's Fold) for the rows this leaves empty.
ALTER TABLE areas ADD COLUMN name_fold text NOT NULL DEFAULT '';
