-- SandboxSets: each followed repository's branches (name, head, commit time) as an agent last listed
-- them. Kept across restarts: a restart must not compile a set as if its branches were gone.
CREATE TABLE branch_lists (
  repo TEXT PRIMARY KEY,
  branches TEXT NOT NULL,  -- JSON BranchTip[]
  listed_at TEXT NOT NULL
);
