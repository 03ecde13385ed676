-- Core runtime tables of the reconciler: agents, live inventory, spec revisions, port allocations,
-- branch resolutions, sandbox status, sync jobs (steps, logs) and sync history.
-- Auth, secrets and audit tables live in their own migrations.

CREATE TABLE agents (
  name TEXT PRIMARY KEY,
  roles TEXT NOT NULL,             -- JSON string[]
  address TEXT NOT NULL,
  version TEXT,
  online INTEGER NOT NULL DEFAULT 0,
  last_seen TEXT
);

-- The last full inventory each node reported, with events applied; read back at start-up so the
-- UI shows the last known live state (sync Unknown) until the agent reconnects.
CREATE TABLE live_inventory (
  node TEXT PRIMARY KEY,
  containers TEXT NOT NULL,        -- JSON LiveContainer[]
  networks TEXT NOT NULL,          -- JSON LiveNetwork[]
  gateways TEXT NOT NULL,          -- JSON LiveRoutes[]
  at TEXT NOT NULL
);

CREATE TABLE spec_revisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,            -- folder path or git url
  spec_commit TEXT,                -- HEAD of the specs repository, if any
  dirty INTEGER NOT NULL DEFAULT 0,
  at TEXT NOT NULL,
  ok INTEGER NOT NULL,
  errors TEXT NOT NULL DEFAULT '[]',   -- JSON SpecError[]
  desired TEXT,                    -- JSON DesiredState, only when ok
  digest TEXT NOT NULL             -- hash of the compile result; an identical save is not a new revision
);

CREATE TABLE port_allocations (
  key TEXT PRIMARY KEY,            -- gateway/<sandbox> | service/<sandbox>/<service>
  port INTEGER NOT NULL UNIQUE,
  revision INTEGER NOT NULL,       -- revision that first allocated it
  allocated_at TEXT NOT NULL
);

CREATE TABLE branch_heads (
  repo TEXT NOT NULL,
  ref TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  resolved_at TEXT NOT NULL,
  PRIMARY KEY (repo, ref)
);

CREATE TABLE sandbox_status (
  name TEXT PRIMARY KEY,
  sync TEXT NOT NULL,
  health TEXT NOT NULL,
  drift TEXT NOT NULL DEFAULT '[]',    -- JSON DriftEntry[]
  revision TEXT NOT NULL,
  spec_digest TEXT,                -- hash of the sandbox's desired state; a change restarts its ttl
  spec_changed_at TEXT,
  last_synced_at TEXT,             -- last sync that succeeded
  updated_at TEXT NOT NULL
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  sandbox TEXT NOT NULL,
  status TEXT NOT NULL,            -- pending | running | succeeded | failed
  user TEXT NOT NULL,
  trigger TEXT NOT NULL,           -- manual | automated | self-heal | ttl
  revision TEXT NOT NULL,
  fingerprint TEXT NOT NULL,       -- hash of the bound desired state (revision + commits) it applied
  prune INTEGER NOT NULL DEFAULT 0,
  dry_run INTEGER NOT NULL DEFAULT 0,
  plan TEXT NOT NULL,              -- JSON Plan
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  error TEXT
);
CREATE INDEX jobs_sandbox ON jobs (sandbox, created_at);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE job_steps (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  step_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  wave INTEGER NOT NULL,
  kind TEXT NOT NULL,
  resource TEXT NOT NULL,
  node TEXT NOT NULL,
  change TEXT NOT NULL,
  reason TEXT NOT NULL,
  agent_job TEXT NOT NULL,         -- JSON agent Job without secret values or credentials
  status TEXT NOT NULL,            -- pending | running | succeeded | failed | skipped
  message TEXT,
  started_at TEXT,
  finished_at TEXT,
  PRIMARY KEY (job_id, step_id)
);

CREATE TABLE job_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  step_id TEXT,
  stream TEXT NOT NULL,
  line TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX job_logs_job ON job_logs (job_id, id);

-- One row per finished sync: what it applied and how it ended. Automated sync reads it so a
-- revision + commit set whose sync just failed is not re-applied in a loop (cf. argo-cd#9570).
CREATE TABLE sync_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sandbox TEXT NOT NULL,
  job_id TEXT NOT NULL,
  trigger TEXT NOT NULL,
  revision TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  ok INTEGER NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX sync_history_sandbox ON sync_history (sandbox, id);
