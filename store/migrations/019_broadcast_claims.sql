-- A broadcast's recipient is claimed by the job that is sending to them,
-- until claimed_until: a job of a later generation (after a pause and a
-- resume) waits while an earlier one still holds the recipient, so that
-- nobody is sent it twice. A broadcast queued from the bot carries the key
-- of the draft it was made from: pressing Send again, or a redelivered
-- press, finds it rather than queueing a second. paused_by is who paused
-- it (NULL: the command line); a sender resumes only their own pause.
ALTER TABLE broadcast_recipients ADD COLUMN claimed_until timestamptz;
ALTER TABLE broadcasts ADD COLUMN draft_key text UNIQUE;
ALTER TABLE broadcasts ADD COLUMN paused_by bigint REFERENCES people (id);
