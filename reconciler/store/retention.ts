// How much history the reconciler keeps: spec revisions and finished sync jobs (with their steps and
// log lines) are pruned by count and by age, and a job keeps at most so many log lines. What is in
// force or running is never pruned: the good revision in force, the newest revision, running jobs,
// and each sandbox's newest finished job (its last sync, which status and automated sync read).
import type { Store } from './db.ts';

export interface Retention {
  /** newest spec revisions kept */
  revisions: number;
  /** newest finished jobs kept per sandbox */
  jobsPerSandbox: number;
  /** revisions and finished jobs older than this many days go, whatever the counts */
  maxAgeDays: number;
  /** log lines kept per job (the first ones; a last line counts the rest) */
  jobLogLines: number;
}

export const DEFAULT_RETENTION: Retention = { revisions: 200, jobsPerSandbox: 50, maxAgeDays: 30, jobLogLines: 5000 };

/** The env variables that set each field (documented in the README). */
export const RETENTION_ENV: Record<keyof Retention, string> = {
  revisions: 'SDP_KEEP_REVISIONS',
  jobsPerSandbox: 'SDP_KEEP_JOBS',
  maxAgeDays: 'SDP_KEEP_DAYS',
  jobLogLines: 'SDP_KEEP_LOG_LINES',
};

/** Retention from env over `base`; a value that is not a whole number >= 1 is an error naming the variable. */
export function retentionFromEnv(env: NodeJS.ProcessEnv, base: Retention = DEFAULT_RETENTION): Retention {
  const out = { ...base };
  for (const [field, name] of Object.entries(RETENTION_ENV) as [keyof Retention, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${JSON.stringify(raw)}: must be a whole number of at least 1 (default ${base[field]})`);
    out[field] = n;
  }
  return out;
}

const cutoff = (now: Date, days: number): string => new Date(now.getTime() - days * 86_400_000).toISOString();

/**
 * Removes revisions beyond the newest `revisions` or older than `maxAgeDays`, but never those in
 * `keep`, then the stored desired states no revision refers to. Returns how many revisions went.
 */
export function pruneRevisions(store: Store, policy: Retention, now: Date, keep: readonly number[]): number {
  return store.sqlite.transaction(() => {
    const ids = JSON.stringify(keep);
    const removed = store.sqlite
      .prepare(
        `DELETE FROM spec_revisions
          WHERE id NOT IN (SELECT value FROM json_each(?))
            AND id <> (SELECT MAX(id) FROM spec_revisions)
            AND (id NOT IN (SELECT id FROM spec_revisions ORDER BY id DESC LIMIT ?) OR at < ?)`,
      )
      .run(ids, policy.revisions, cutoff(now, policy.maxAgeDays)).changes;
    if (removed > 0) {
      store.sqlite.prepare('DELETE FROM spec_contents WHERE hash NOT IN (SELECT content_hash FROM spec_revisions WHERE content_hash IS NOT NULL)').run();
    }
    return removed;
  })();
}

/**
 * Removes finished jobs beyond each sandbox's newest `jobsPerSandbox` or finished more than
 * `maxAgeDays` ago (steps, log lines and applied states go with them), but never a running job nor a sandbox's
 * newest finished one; then the sync history rows of removed jobs. Returns how many jobs went.
 */
export function pruneJobs(store: Store, policy: Retention, now: Date): number {
  return store.sqlite.transaction(() => {
    const removed = store.sqlite
      .prepare(
        `DELETE FROM jobs WHERE id IN (
           SELECT id FROM (
             SELECT id, finished_at, ROW_NUMBER() OVER (PARTITION BY sandbox ORDER BY created_at DESC, id DESC) AS rn
               FROM jobs WHERE status NOT IN ('pending', 'running')
           ) WHERE rn > 1 AND (rn > ? OR finished_at < ?)
         )`,
      )
      .run(policy.jobsPerSandbox, cutoff(now, policy.maxAgeDays)).changes;
    if (removed > 0) store.sqlite.prepare('DELETE FROM sync_history WHERE job_id NOT IN (SELECT id FROM jobs)').run();
    return removed;
  })();
}
