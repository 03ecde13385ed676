// The history repository: what each sync applied (applied_states, one row per job, pruned with its
// job) and named snapshots (copies of such a record, kept whatever the retention). The only SQL on
// those tables; the pure part (records, rollback targets) is core/history.ts.
import { and, asc, desc, eq } from 'drizzle-orm';
import type { HistoryEntry, JobStatus, SnapshotView } from '../../schema/api.ts';
import type { AppliedState, SyncOutcome } from '../../core/history.ts';
import type { Store } from './db.ts';
import { jobs } from './tables/core.ts';
import { appliedStates, snapshots } from './tables/history.ts';

/** A record to re-apply: what the job applied, the revision it came from, the fingerprint it had. */
export interface StoredState {
  job: string;
  sandbox: string;
  revision: string;
  fingerprint: string;
  status: JobStatus;
  state: AppliedState;
}

export class History {
  constructor(private readonly store: Store) {}

  /** What the job (already stored) applies; `update` when its deploys reported the images they ran. */
  record(jobId: string, sandbox: string, state: AppliedState): void {
    this.store.db.insert(appliedStates).values({ jobId, sandbox, state }).onConflictDoUpdate({ target: appliedStates.jobId, set: { state } }).run();
  }

  /** The sandbox's syncs, newest first, each with what it applied (none for syncs made before records). */
  entries(sandbox: string, limit = 50): HistoryEntry[] {
    return this.store.db
      .select({ job: jobs, state: appliedStates.state })
      .from(jobs)
      .leftJoin(appliedStates, eq(appliedStates.jobId, jobs.id))
      .where(eq(jobs.sandbox, sandbox))
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(limit)
      .all()
      .map(({ job, state }) => ({
        job: job.id,
        createdAt: job.createdAt,
        ...(job.finishedAt !== null ? { finishedAt: job.finishedAt } : {}),
        user: job.user,
        trigger: job.trigger,
        revision: job.revision,
        status: job.status,
        ...(job.error !== null ? { error: job.error } : {}),
        containers: state?.containers ?? [],
      }));
  }

  /** Finished syncs of the sandbox, newest first, as the default rollback target reads them. */
  outcomes(sandbox: string): SyncOutcome[] {
    return this.store.db
      .select({ id: jobs.id, status: jobs.status, fingerprint: jobs.fingerprint, recorded: appliedStates.jobId })
      .from(jobs)
      .leftJoin(appliedStates, eq(appliedStates.jobId, jobs.id))
      .where(eq(jobs.sandbox, sandbox))
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .all()
      .filter((j) => j.status === 'succeeded' || j.status === 'failed')
      .map((j) => ({ job: j.id, ok: j.status === 'succeeded', fingerprint: j.fingerprint, recorded: j.recorded !== null }));
  }

  /** A job's record, if the job is still kept and has one. */
  state(jobId: string): StoredState | undefined {
    const row = this.store.db.select({ job: jobs, state: appliedStates.state }).from(jobs).innerJoin(appliedStates, eq(appliedStates.jobId, jobs.id)).where(eq(jobs.id, jobId)).get();
    return row ? { job: row.job.id, sandbox: row.job.sandbox, revision: row.job.revision, fingerprint: row.job.fingerprint, status: row.job.status, state: row.state } : undefined;
  }

  /** Keeps a copy of `from` as the sandbox's snapshot `name` (replacing none: names are unique per sandbox). */
  createSnapshot(name: string, from: StoredState, by: string, at: string, reason?: string): SnapshotView | 'exists' {
    const existing = this.store.db.select().from(snapshots).where(and(eq(snapshots.sandbox, from.sandbox), eq(snapshots.name, name))).get();
    if (existing) return 'exists';
    const row = { sandbox: from.sandbox, name, jobId: from.job, revision: from.revision, fingerprint: from.fingerprint, state: from.state, createdBy: by, createdAt: at, reason: reason ?? null };
    this.store.db.insert(snapshots).values(row).run();
    return snapshotView(row);
  }

  snapshots(sandbox: string): SnapshotView[] {
    return this.store.db.select().from(snapshots).where(eq(snapshots.sandbox, sandbox)).orderBy(asc(snapshots.createdAt), asc(snapshots.name)).all().map(snapshotView);
  }

  /** A snapshot as a record to re-apply. */
  snapshot(sandbox: string, name: string): (StoredState & { view: SnapshotView }) | undefined {
    const row = this.store.db.select().from(snapshots).where(and(eq(snapshots.sandbox, sandbox), eq(snapshots.name, name))).get();
    return row ? { job: row.jobId, sandbox, revision: row.revision, fingerprint: row.fingerprint, status: 'succeeded', state: row.state, view: snapshotView(row) } : undefined;
  }

  deleteSnapshot(sandbox: string, name: string): boolean {
    return this.store.db.delete(snapshots).where(and(eq(snapshots.sandbox, sandbox), eq(snapshots.name, name))).run().changes > 0;
  }
}

function snapshotView(row: typeof snapshots.$inferSelect): SnapshotView {
  return {
    sandbox: row.sandbox,
    name: row.name,
    job: row.jobId,
    revision: row.revision,
    by: row.createdBy,
    at: row.createdAt,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    containers: row.state.containers,
    routes: row.state.sandbox.routes.map((r) => ({ service: r.service, mode: r.mode, target: r.target })),
    environments: [...row.state.sandbox.environments],
  };
}
