// No-op sync round trip: POST /api/sandboxes/:name/sync on a sandbox without drift, until its job
// is reported finished on /ws/ui. Real reconciler, real agent, real SQLite. Target: < 100 ms.
// Uses Docker; sandbox t-rec-bench-sync, ports 21080+ / 21180-21189 / 21370-21379.
import type { UiMessage } from '../../schema/api.ts';
import { Stack } from '../../test/support/reconciler.ts';
import { syncedSandbox } from './synced.ts';

const ROUNDS = 30;
const SANDBOX = 't-rec-bench-sync';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;

export async function run(): Promise<void> {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  const stack = new Stack({ prefix: 't-rec-bench-', port: 21080, ports: { gateway: [21180, 21189], services: [21370, 21379] } });
  try {
    await stack.start();
    await syncedSandbox(stack, SANDBOX);

    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const finished = stack.nextUi((m: UiMessage) => m.type === 'job' && m.job.sandbox === SANDBOX && m.job.status === 'succeeded', 5000);
      const { job, plan } = await stack.sync(SANDBOX);
      if (!plan.noop || !job) throw new Error(`expected a no-op sync, got ${JSON.stringify(plan.actions)}`);
      const msg = await finished;
      if (msg.type !== 'job' || msg.job.id !== job.id) throw new Error('finished message of another job');
      samples.push(performance.now() - t0);
    }
    const p50 = pct(samples, 50);
    const p95 = pct(samples, 95);
    console.log(`no-op sync round trip (POST -> job finished on /ws/ui): ${ROUNDS} syncs, p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms (target < 100 ms: ${p95 < 100 ? 'met' : 'MISSED'})`);
  } finally {
    await stack.stop();
  }
}
