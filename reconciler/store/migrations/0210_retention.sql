-- Retention: one stored copy of each compiled desired state (revisions of unchanged content share
-- it), and indexes for pruning old revisions and jobs by age and count.
CREATE TABLE spec_contents (
  hash TEXT PRIMARY KEY,           -- sha256 of the desired state's JSON
  desired TEXT NOT NULL            -- JSON DesiredState
);
ALTER TABLE spec_revisions ADD COLUMN content_hash TEXT;  -- a row of spec_contents; NULL for revisions stored before (they keep `desired`)
CREATE INDEX spec_revisions_content ON spec_revisions(content_hash);
CREATE INDEX jobs_finished ON jobs(sandbox, finished_at);
ALTER TABLE agents ADD COLUMN disk TEXT;  -- JSON DiskUse, as the agent last reported it
