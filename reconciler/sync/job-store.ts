// Persistence of sync jobs: the job, its ordered steps (from the plan), its log lines, and one
// sync_history row per finished sync. Reads assemble the API's JobView / JobSummary. A job keeps
// its first `jobLogLines` log lines (a chatty build cannot fill the database); finished jobs are
// pruned by count and age as new ones finish (store/retention.ts).
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { JobStatus, JobSummary, JobView, LogLine, Plan, PlanAction, StepStatus, StepView } from '../../schema/api.ts';
import type { SyncRecord } from '../../core/evaluate.ts';
import type { Store } from '../store/db.ts';
import { DEFAULT_RETENTION, pruneJobs, type Retention } from '../store/retention.ts';
import { jobLogs, jobs, jobSteps, syncHistory, type StoredAgentJob, type SyncTrigger } from '../store/tables/core.ts';

export interface NewJob {
  id: string;
  sandbox: string;
  user: string;
  trigger: SyncTrigger;
  revision: string;
  fingerprint: string;
  prune: boolean;
  plan: Plan;
  steps: ReadonlyArray<PlanAction & { job: StoredAgentJob }>;
}

/** Characters kept of one log line. */
const LOG_LINE_CHARS = 4096;

const p = (name: string) => sql.placeholder(name);

export class JobStore {
  /** syncRecord per sandbox: read on every evaluation of every sandbox, changed only by this class */
  private readonly records = new Map<string, SyncRecord>();
  /** per running job: log lines stored and dropped past the limit */
  private readonly logCounts = new Map<string, { kept: number; dropped: number }>();

  // Prepared once: a sync writes a step update or a log line for every message of its agents, and
  // every progress push reads the steps and summary back; building a query costs more than running it.
  private readonly updateStep;
  private readonly insertLog;
  private readonly selectSteps;
  private readonly selectSummary;

  constructor(
    private readonly store: Store,
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {
    const db = store.db;
    // a patch sets only the fields it has (an absent one is bound as null and keeps the stored value)
    this.updateStep = db
      .update(jobSteps)
      .set({
        status: sql`coalesce(${p('status')}, ${jobSteps.status})`,
        message: sql`coalesce(${p('message')}, ${jobSteps.message})`,
        startedAt: sql`coalesce(${p('startedAt')}, ${jobSteps.startedAt})`,
        finishedAt: sql`coalesce(${p('finishedAt')}, ${jobSteps.finishedAt})`,
      })
      .where(and(eq(jobSteps.jobId, p('jobId')), eq(jobSteps.stepId, p('stepId'))))
      .prepare();
    this.insertLog = db.insert(jobLogs).values({ jobId: p('jobId'), stepId: p('stepId'), stream: p('stream'), line: p('line'), at: p('at') }).prepare();
    // what a StepView shows: not the stored agent job, which is most of the row
    this.selectSteps = db
      .select({
        stepId: jobSteps.stepId,
        wave: jobSteps.wave,
        kind: jobSteps.kind,
        resource: jobSteps.resource,
        node: jobSteps.node,
        change: jobSteps.change,
        reason: jobSteps.reason,
        status: jobSteps.status,
        message: jobSteps.message,
        startedAt: jobSteps.startedAt,
        finishedAt: jobSteps.finishedAt,
      })
      .from(jobSteps)
      .where(eq(jobSteps.jobId, p('jobId')))
      .orderBy(asc(jobSteps.seq))
      .prepare();
    // a JobSummary: not the stored plan
    this.selectSummary = db
      .select({
        id: jobs.id,
        sandbox: jobs.sandbox,
        status: jobs.status,
        user: jobs.user,
        revision: jobs.revision,
        prune: jobs.prune,
        dryRun: jobs.dryRun,
        createdAt: jobs.createdAt,
        finishedAt: jobs.finishedAt,
        error: jobs.error,
      })
      .from(jobs)
      .where(eq(jobs.id, p('jobId')))
      .prepare();
  }

  create(j: NewJob, at: string): void {
    this.records.delete(j.sandbox);
    this.store.sqlite.transaction(() => {
      this.store.db
        .insert(jobs)
        .values({
          id: j.id,
          sandbox: j.sandbox,
          status: 'running',
          user: j.user,
          trigger: j.trigger,
          revision: j.revision,
          fingerprint: j.fingerprint,
          prune: j.prune,
          dryRun: false,
          plan: j.plan,
          createdAt: at,
          startedAt: at,
        })
        .run();
      j.steps.forEach((s, seq) => {
        this.store.db
          .insert(jobSteps)
          .values({
            jobId: j.id,
            stepId: s.id,
            seq,
            wave: s.wave,
            kind: s.kind,
            resource: s.resource,
            node: s.node,
            change: s.change,
            reason: s.reason,
            agentJob: s.job,
            status: 'pending',
          })
          .run();
      });
    })();
  }

  setStep(jobId: string, stepId: string, patch: { status?: StepStatus; message?: string; startedAt?: string; finishedAt?: string }): void {
    this.updateStep.run({ jobId, stepId, status: patch.status ?? null, message: patch.message ?? null, startedAt: patch.startedAt ?? null, finishedAt: patch.finishedAt ?? null });
  }

  /** A step the sync added on the way (live changed since it was planned), after the planned ones. */
  addStep(jobId: string, s: PlanAction & { job: StoredAgentJob }): void {
    const last = this.store.db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId)).orderBy(desc(jobSteps.seq)).limit(1).get();
    this.store.db
      .insert(jobSteps)
      .values({ jobId, stepId: s.id, seq: (last?.seq ?? -1) + 1, wave: s.wave, kind: s.kind, resource: s.resource, node: s.node, change: s.change, reason: s.reason, agentJob: s.job, status: 'pending' })
      .run();
  }

  /** The sandbox's latest job, if it is a finished no-op of this very state (a repeat sync can answer with it). */
  lastNoop(sandbox: string, fingerprint: string, revision: string, since: string): string | undefined {
    const j = this.store.db.select().from(jobs).where(eq(jobs.sandbox, sandbox)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(1).get();
    if (!j || j.status !== 'succeeded' || j.fingerprint !== fingerprint || j.revision !== revision || (j.finishedAt ?? '') < since) return undefined;
    const step = this.store.db.select().from(jobSteps).where(eq(jobSteps.jobId, j.id)).limit(1).get();
    return step ? undefined : j.id;
  }

  skipPending(jobId: string, at: string, message?: string): void {
    this.store.db
      .update(jobSteps)
      .set({ status: 'skipped', finishedAt: at, ...(message ? { message } : {}) })
      .where(and(eq(jobSteps.jobId, jobId), eq(jobSteps.status, 'pending')))
      .run();
  }

  addLog(jobId: string, log: LogLine): void {
    const count = this.logCounts.get(jobId) ?? { kept: 0, dropped: 0 };
    this.logCounts.set(jobId, count);
    if (count.kept >= this.retention.jobLogLines) {
      count.dropped++;
      return;
    }
    count.kept++;
    const line = log.line.length > LOG_LINE_CHARS ? `${log.line.slice(0, LOG_LINE_CHARS)}… (${log.line.length - LOG_LINE_CHARS} more characters)` : log.line;
    this.insertLog.run({ jobId, stepId: log.step ?? null, stream: log.stream, line, at: log.at });
  }

  finish(jobId: string, status: Extract<JobStatus, 'succeeded' | 'failed'>, at: string, error?: string): void {
    const dropped = this.logCounts.get(jobId)?.dropped ?? 0;
    this.logCounts.delete(jobId);
    this.store.sqlite.transaction(() => {
      if (dropped > 0) {
        const line = `${dropped} more log lines not kept (a job keeps its first ${this.retention.jobLogLines}; SDP_KEEP_LOG_LINES)`;
        this.store.db.insert(jobLogs).values({ jobId, stepId: null, stream: 'sdp', line, at }).run();
      }
      this.store.db.update(jobs).set({ status, finishedAt: at, error: error ?? null }).where(eq(jobs.id, jobId)).run();
      const j = this.store.db.select().from(jobs).where(eq(jobs.id, jobId)).get();
      if (j) this.records.delete(j.sandbox);
      if (j) {
        this.store.db
          .insert(syncHistory)
          .values({ sandbox: j.sandbox, jobId, trigger: j.trigger, revision: j.revision, fingerprint: j.fingerprint, ok: status === 'succeeded', at })
          .run();
      }
    })();
    this.prune(new Date(at));
  }

  /** Drops finished jobs past the retention's count per sandbox or age; never running ones, nor a sandbox's newest. */
  prune(now = new Date()): number {
    const pruned = pruneJobs(this.store, this.retention, now);
    if (pruned > 0) this.records.clear();
    return pruned;
  }

  /**
   * Jobs left pending/running by a previous process can never finish: fail them and their open
   * steps. Not recorded in sync_history, so automated sync re-plans them once. Returns their sandboxes.
   */
  failInterrupted(at: string): string[] {
    this.records.clear();
    return this.store.sqlite.transaction(() => {
      const open = this.store.db.select().from(jobs).where(inArray(jobs.status, ['pending', 'running'])).all();
      for (const j of open) {
        this.store.db.update(jobs).set({ status: 'failed', finishedAt: at, error: 'reconciler restarted' }).where(eq(jobs.id, j.id)).run();
        this.store.db
          .update(jobSteps)
          .set({ status: 'failed', message: 'reconciler restarted', finishedAt: at })
          .where(and(eq(jobSteps.jobId, j.id), eq(jobSteps.status, 'running')))
          .run();
        this.skipPending(j.id, at);
      }
      return [...new Set(open.map((j) => j.sandbox))];
    })();
  }

  /** The latest job, the latest finished sync and the latest one that succeeded. */
  syncRecord(sandbox: string): SyncRecord {
    let r = this.records.get(sandbox);
    if (!r) this.records.set(sandbox, (r = this.readSyncRecord(sandbox)));
    return r;
  }

  private readSyncRecord(sandbox: string): SyncRecord {
    const last = this.lastJob(sandbox);
    const attempted = this.store.db.select().from(syncHistory).where(eq(syncHistory.sandbox, sandbox)).orderBy(desc(syncHistory.id)).limit(1).get();
    const applied = attempted?.ok
      ? attempted
      : this.store.db.select().from(syncHistory).where(and(eq(syncHistory.sandbox, sandbox), eq(syncHistory.ok, true))).orderBy(desc(syncHistory.id)).limit(1).get();
    return {
      ...(last ? { last } : {}),
      ...(attempted ? { attempted: { revision: attempted.revision, jobId: attempted.jobId, at: attempted.at, ok: attempted.ok }, attemptedFingerprint: attempted.fingerprint } : {}),
      ...(applied ? { applied: { revision: applied.revision, jobId: applied.jobId, at: applied.at } } : {}),
    };
  }

  lastJob(sandbox: string): JobSummary | undefined {
    const row = this.store.db.select().from(jobs).where(eq(jobs.sandbox, sandbox)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(1).get();
    return row ? summary(row) : undefined;
  }

  history(sandbox: string, limit = 20): JobSummary[] {
    return this.store.db.select().from(jobs).where(eq(jobs.sandbox, sandbox)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(limit).all().map(summary);
  }

  steps(jobId: string): StepView[] {
    return this.selectSteps
      .all({ jobId })
      .map((s) => ({
        id: s.stepId,
        wave: s.wave,
        kind: s.kind as StepView['kind'],
        resource: s.resource,
        node: s.node,
        change: s.change as StepView['change'],
        reason: s.reason,
        status: s.status,
        ...(s.message !== null ? { message: s.message } : {}),
        ...(s.startedAt !== null ? { startedAt: s.startedAt } : {}),
        ...(s.finishedAt !== null ? { finishedAt: s.finishedAt } : {}),
      }));
  }

  summary(jobId: string): JobSummary | undefined {
    const row = this.selectSummary.get({ jobId });
    return row ? summary(row) : undefined;
  }

  view(jobId: string): JobView | undefined {
    const s = this.summary(jobId);
    if (!s) return undefined;
    const logs = this.store.db
      .select()
      .from(jobLogs)
      .where(eq(jobLogs.jobId, jobId))
      .orderBy(asc(jobLogs.id))
      .all()
      .map((l): LogLine => ({ at: l.at, ...(l.stepId !== null ? { step: l.stepId } : {}), stream: l.stream, line: l.line }));
    return { ...s, steps: this.steps(jobId), logs };
  }
}

function summary(row: Omit<typeof jobs.$inferSelect, 'plan' | 'trigger' | 'fingerprint' | 'startedAt'>): JobSummary {
  return {
    id: row.id,
    sandbox: row.sandbox,
    status: row.status,
    user: row.user,
    revision: row.revision,
    prune: row.prune,
    dryRun: row.dryRun,
    createdAt: row.createdAt,
    ...(row.finishedAt !== null ? { finishedAt: row.finishedAt } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
  };
}
