-- History and rollback (issue 16 item 3): what each sync applied, named snapshots of such records,
-- and pins (a sandbox held at a record: auto-sync and self-heal leave it alone).

-- One row per sync job: the sandbox's desired state as that sync compiled it (secrets by name only)
-- and per container the commit, image and env digest it applied. Goes with its job (retention).
CREATE TABLE applied_states (
  job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  sandbox TEXT NOT NULL,
  state TEXT NOT NULL              -- JSON AppliedState (core/history.ts)
);
CREATE INDEX applied_states_sandbox ON applied_states(sandbox);

-- A named copy of an applied state: kept whatever the job retention, to roll back to or recreate from.
CREATE TABLE snapshots (
  sandbox TEXT NOT NULL,
  name TEXT NOT NULL,
  job_id TEXT NOT NULL,            -- the job whose applied state it copies (that job may be pruned since)
  revision TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL,             -- JSON AppliedState
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  reason TEXT,
  PRIMARY KEY (sandbox, name)
);

-- A pinned sandbox; spec_digest is its compiled spec when pinned: a revision that changes it unpins.
CREATE TABLE sandbox_pins (
  sandbox TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  snapshot TEXT,
  pinned_by TEXT NOT NULL,
  pinned_at TEXT NOT NULL,
  reason TEXT NOT NULL,
  spec_digest TEXT NOT NULL
);
