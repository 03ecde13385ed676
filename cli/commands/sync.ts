// `sdp sync SANDBOX [--prune] [--dry-run] [--wait [--timeout D]]`: asks the server to sync. Prints
// the plan; with --wait follows the job step by step (over /ws/ui, with a poll as a safety net).
// Exit (cli/exit.ts): 0 done or nothing to do; 1 the job failed, --timeout passed (the job goes on
// on the server), or a --dry-run found something to do; 2 the server refused or cannot be reached.
import type { JobView, LogLine, StepView, UiMessage } from '../../schema/api.ts';
import { renderPlan } from '../../reconciler/present/plan.ts';
import { parseDuration } from '../../reconciler/specs/units.ts';
import { resolveRemote, type Remote, type RemoteFlags } from '../context.ts';
import { CliError, EXIT } from '../exit.ts';
import { api, watchUi } from '../server-client.ts';
import { state } from '../color.ts';

export interface SyncOptions {
  prune?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  /** with wait: give up after this many ms */
  timeoutMs?: number;
}

export async function runSync(sandbox: string, o: SyncOptions, remote: Remote, print = console.log): Promise<number> {
  const res = await api(remote, 'POST /api/sandboxes/{name}/sync', { name: sandbox }, {
    prune: o.prune ?? false,
    dryRun: o.dryRun ?? false,
  });
  print(renderPlan(res.plan, 'text').trimEnd());
  if (o.dryRun) return res.plan.noop ? EXIT.ok : EXIT.changedOrFailed;
  if (!res.job) return EXIT.ok;
  // nothing to do: no action and no drift (a prune of extra objects can plan as a no-op while its job removes them)
  if (res.plan.noop && res.plan.actions.length === 0 && res.plan.drift.length === 0) {
    print(`nothing to do (job ${res.job.id} records the sync)`);
    return EXIT.ok;
  }
  print(`job ${res.job.id} started`);
  if (!o.wait) return EXIT.ok;
  return waitForJob(remote, res.job.id, `sync of ${sandbox}`, o.timeoutMs, print);
}

/**
 * Follows a started job until it ends (a sync's, a rollback's): exit 0 when it succeeded, 1 when it
 * failed or `timeoutMs` passed (the job goes on). The watch on /ws/ui shows steps and log lines as
 * they happen; what it missed before it opened comes from the job itself (GET /api/jobs/:id).
 */
export async function waitForJob(remote: Remote, jobId: string, what: string, timeoutMs: number | undefined, print = console.log): Promise<number> {
  const events: UiMessage[] = [];
  let notify: (() => void) | null = null;
  const watch = await watchUi(remote, (m) => (events.push(m), notify?.())).catch(() => null);
  try {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    const job = await follow(remote, jobId, events, (fn) => (notify = fn), print, deadline);
    if (!job) {
      print(`${what}: still running after the --timeout; job ${jobId} goes on (sdp get job ${jobId})`);
      return EXIT.changedOrFailed;
    }
    if (job.status === 'succeeded') {
      print(`${what} ${state('succeeded')}`);
      return EXIT.ok;
    }
    print(`${what} ${state('failed')}: ${job.error ?? 'unknown reason'}`);
    return EXIT.changedOrFailed;
  } finally {
    watch?.close();
  }
}

/** Prints each step as it changes and each log line; the finished job, or null past the deadline. */
async function follow(
  remote: Remote,
  jobId: string,
  events: UiMessage[],
  onEvent: (fn: () => void) => void,
  print: (s: string) => void,
  deadline: number,
): Promise<JobView | null> {
  const shown = new Map<string, string>();
  const logged = new Set<string>();
  const showLog = (l: LogLine) => {
    const key = `${l.at} ${l.step ?? ''} ${l.line}`;
    if (logged.has(key)) return;
    logged.add(key);
    print(`    ${l.line}`);
  };
  const showSteps = (steps: StepView[]) => {
    for (const s of steps) {
      const key = `${s.status} ${s.message ?? ''}`;
      if (shown.get(s.id) === key) continue;
      shown.set(s.id, key);
      print(`  [${s.status.padEnd(9)}] ${s.kind} ${s.resource} on ${s.node}${s.message ? ` — ${s.message}` : ''}`);
    }
  };
  for (;;) {
    while (events.length > 0) {
      const m = events.shift() as UiMessage;
      if (m.type === 'job' && m.job.id === jobId) showSteps(m.job.steps);
      if (m.type === 'job-log' && m.jobId === jobId) showLog(m.log);
    }
    const job = await api(remote, 'GET /api/jobs/{id}', { id: jobId });
    job.logs.forEach(showLog);
    if (job.status === 'succeeded' || job.status === 'failed') {
      showSteps(job.steps);
      return job;
    }
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(1000, left));
      onEvent(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** --timeout D (needs --wait) in ms. */
export function waitTimeout(o: { wait?: boolean; timeout?: string }): number | undefined {
  if (o.timeout === undefined) return undefined;
  const ms = parseDuration(o.timeout);
  if (ms === undefined) throw new CliError(`--timeout ${o.timeout}: not a duration (e.g. 90s, 5m, 1m30s)`);
  if (!o.wait) throw new CliError('--timeout needs --wait');
  return ms;
}

export function sync(sandbox: string, o: RemoteFlags & { prune?: boolean; dryRun?: boolean; wait?: boolean; timeout?: string }): Promise<number> {
  const timeoutMs = waitTimeout(o);
  return runSync(sandbox, { prune: o.prune ?? false, dryRun: o.dryRun ?? false, wait: o.wait ?? false, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, resolveRemote(o));
}
