// `sdp sync SANDBOX [--prune] [--dry-run] [--wait]`: asks the server to sync. Prints the plan; with
// --wait follows the job step by step (over /ws/ui, with a poll as a safety net) and exits 1 when
// it fails. Exit 2 when the server refuses or cannot be reached.
import type { Command } from 'commander';
import type { JobView, Plan, StepView, UiMessage } from '../../schema/api.ts';
import { renderPlan } from '../../reconciler/present/plan.ts';
import { ServerError, api, serverOption, watchUi } from '../server-client.ts';

interface SyncOptions {
  server: string;
  prune?: boolean;
  dryRun?: boolean;
  wait?: boolean;
}

export async function runSync(sandbox: string, o: SyncOptions, print = console.log): Promise<number> {
  // watch before asking, so no step of a fast job is missed
  const events: UiMessage[] = [];
  let notify: (() => void) | null = null;
  const watch = o.wait && !o.dryRun ? await watchUi(o.server, (m) => (events.push(m), notify?.())).catch(() => null) : null;
  try {
    const res = await api<{ job: JobView | null; plan: Plan }>(o.server, 'POST', `/api/sandboxes/${encodeURIComponent(sandbox)}/sync`, {
      prune: o.prune ?? false,
      dryRun: o.dryRun ?? false,
    });
    print(renderPlan(res.plan, 'text').trimEnd());
    if (!res.job) return 0;
    print(`job ${res.job.id} started`);
    if (!o.wait) return 0;
    const job = await follow(o.server, res.job.id, events, (fn) => (notify = fn), print);
    if (job.status === 'succeeded') {
      print(`sync of ${sandbox} succeeded`);
      return 0;
    }
    print(`sync of ${sandbox} failed: ${job.error ?? 'unknown reason'}`);
    return 1;
  } finally {
    watch?.close();
  }
}

/** Prints each step as it changes and each log line; resolves with the finished job. */
async function follow(server: string, jobId: string, events: UiMessage[], onEvent: (fn: () => void) => void, print: (s: string) => void): Promise<JobView> {
  const shown = new Map<string, string>();
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
      if (m.type === 'job-log' && m.jobId === jobId) print(`    ${m.log.line}`);
    }
    const job = await api<JobView>(server, 'GET', `/api/jobs/${encodeURIComponent(jobId)}`);
    if (job.status === 'succeeded' || job.status === 'failed') {
      showSteps(job.steps);
      return job;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      onEvent(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export function register(program: Command): void {
  serverOption(
    program
      .command('sync <sandbox>')
      .description('sync a sandbox to its specs (exit 1 when the sync fails, 2 on error)')
      .option('--prune', 'also remove what no spec asks for (role lead)')
      .option('--dry-run', 'show the plan only')
      .option('--wait', 'follow the job until it ends'),
  ).action(async (sandbox: string, o: SyncOptions) => {
    try {
      process.exitCode = await runSync(sandbox, o);
    } catch (err) {
      console.error(`sdp sync: ${err instanceof ServerError ? err.message : (err as Error).message}`);
      process.exitCode = 2;
    }
  });
}
