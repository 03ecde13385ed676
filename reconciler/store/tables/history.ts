// Drizzle declarations of the history tables; the schema on disk is migrations/0316_history.sql.
import { primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { AppliedState } from '../../../core/history.ts';
import { jobs } from './core.ts';

export const appliedStates = sqliteTable('applied_states', {
  jobId: text('job_id').primaryKey().references(() => jobs.id, { onDelete: 'cascade' }),
  sandbox: text('sandbox').notNull(),
  state: text('state', { mode: 'json' }).$type<AppliedState>().notNull(),
});

export const snapshots = sqliteTable(
  'snapshots',
  {
    sandbox: text('sandbox').notNull(),
    name: text('name').notNull(),
    jobId: text('job_id').notNull(),
    revision: text('revision').notNull(),
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { mode: 'json' }).$type<AppliedState>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: text('created_at').notNull(),
    reason: text('reason'),
  },
  (t) => [primaryKey({ columns: [t.sandbox, t.name] })],
);

export const sandboxPins = sqliteTable('sandbox_pins', {
  sandbox: text('sandbox').primaryKey(),
  jobId: text('job_id').notNull(),
  snapshot: text('snapshot'),
  pinnedBy: text('pinned_by').notNull(),
  pinnedAt: text('pinned_at').notNull(),
  reason: text('reason').notNull(),
  specDigest: text('spec_digest').notNull(),
});
