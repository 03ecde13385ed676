// Drizzle declarations of the core runtime tables; the schema on disk is migrations/0001_core.sql.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { DriftEntry, HealthStatus, JobStatus, Plan, StepStatus, SyncStatus, SyncTrigger } from '../../../schema/api.ts';
import type { DesiredState, SpecError } from '../../../schema/desired.ts';
import type { BranchTip, DiskUse, Job, LiveContainer, LiveNetwork, LiveRoutes } from '../../../schema/protocol.ts';

export const agents = sqliteTable('agents', {
  name: text('name').primaryKey(),
  roles: text('roles', { mode: 'json' }).$type<string[]>().notNull(),
  address: text('address').notNull(),
  version: text('version'),
  online: integer('online', { mode: 'boolean' }).notNull().default(false),
  lastSeen: text('last_seen'),
  disk: text('disk', { mode: 'json' }).$type<DiskUse>(),
});

export const liveInventory = sqliteTable('live_inventory', {
  node: text('node').primaryKey(),
  containers: text('containers', { mode: 'json' }).$type<LiveContainer[]>().notNull(),
  networks: text('networks', { mode: 'json' }).$type<LiveNetwork[]>().notNull(),
  gateways: text('gateways', { mode: 'json' }).$type<LiveRoutes[]>().notNull(),
  at: text('at').notNull(),
});

export const specRevisions = sqliteTable('spec_revisions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  source: text('source').notNull(),
  specCommit: text('spec_commit'),
  dirty: integer('dirty', { mode: 'boolean' }).notNull().default(false),
  at: text('at').notNull(),
  ok: integer('ok', { mode: 'boolean' }).notNull(),
  errors: text('errors', { mode: 'json' }).$type<SpecError[]>().notNull(),
  /** only on revisions stored before spec_contents existed */
  desired: text('desired', { mode: 'json' }).$type<DesiredState>(),
  digest: text('digest').notNull(),
  contentHash: text('content_hash'),
});

/** One copy of each compiled desired state, shared by every revision that compiled to it. */
export const specContents = sqliteTable('spec_contents', {
  hash: text('hash').primaryKey(),
  desired: text('desired', { mode: 'json' }).$type<DesiredState>().notNull(),
});

export const portAllocations = sqliteTable('port_allocations', {
  key: text('key').primaryKey(),
  port: integer('port').notNull().unique(),
  revision: integer('revision').notNull(),
  allocatedAt: text('allocated_at').notNull(),
});

export const branchLists = sqliteTable('branch_lists', {
  repo: text('repo').primaryKey(),
  branches: text('branches', { mode: 'json' }).$type<BranchTip[]>().notNull(),
  listedAt: text('listed_at').notNull(),
});

export const branchHeads = sqliteTable(
  'branch_heads',
  {
    repo: text('repo').notNull(),
    ref: text('ref').notNull(),
    commit: text('commit_sha').notNull(),
    resolvedAt: text('resolved_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.ref] })],
);

export const sandboxStatus = sqliteTable('sandbox_status', {
  name: text('name').primaryKey(),
  sync: text('sync').$type<SyncStatus>().notNull(),
  health: text('health').$type<HealthStatus>().notNull(),
  drift: text('drift', { mode: 'json' }).$type<DriftEntry[]>().notNull(),
  revision: text('revision').notNull(),
  specDigest: text('spec_digest'),
  specChangedAt: text('spec_changed_at'),
  lastSyncedAt: text('last_synced_at'),
  updatedAt: text('updated_at').notNull(),
});

export type { SyncTrigger };

export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    sandbox: text('sandbox').notNull(),
    status: text('status').$type<JobStatus>().notNull(),
    user: text('user').notNull(),
    trigger: text('trigger').$type<SyncTrigger>().notNull(),
    revision: text('revision').notNull(),
    fingerprint: text('fingerprint').notNull(),
    prune: integer('prune', { mode: 'boolean' }).notNull().default(false),
    dryRun: integer('dry_run', { mode: 'boolean' }).notNull().default(false),
    plan: text('plan', { mode: 'json' }).$type<Plan>().notNull(),
    createdAt: text('created_at').notNull(),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
    error: text('error'),
  },
  (t) => [index('jobs_sandbox').on(t.sandbox, t.createdAt), index('jobs_status').on(t.status)],
);

/** An agent Job as stored: never carries secret values or credentials. */
export type StoredAgentJob = Omit<Job, 'id'>;

export const jobSteps = sqliteTable(
  'job_steps',
  {
    jobId: text('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    seq: integer('seq').notNull(),
    wave: integer('wave').notNull(),
    kind: text('kind').notNull(),
    resource: text('resource').notNull(),
    node: text('node').notNull(),
    change: text('change').notNull(),
    reason: text('reason').notNull(),
    agentJob: text('agent_job', { mode: 'json' }).$type<StoredAgentJob>().notNull(),
    status: text('status').$type<StepStatus>().notNull(),
    message: text('message'),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.stepId] })],
);

export const jobLogs = sqliteTable(
  'job_logs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: text('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
    stepId: text('step_id'),
    stream: text('stream').notNull(),
    line: text('line').notNull(),
    at: text('at').notNull(),
  },
  (t) => [index('job_logs_job').on(t.jobId, t.id)],
);

export const syncHistory = sqliteTable(
  'sync_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sandbox: text('sandbox').notNull(),
    jobId: text('job_id').notNull(),
    trigger: text('trigger').$type<SyncTrigger>().notNull(),
    revision: text('revision').notNull(),
    fingerprint: text('fingerprint').notNull(),
    ok: integer('ok', { mode: 'boolean' }).notNull(),
    at: text('at').notNull(),
  },
  (t) => [index('sync_history_sandbox').on(t.sandbox, t.id)],
);
