// How long a service deploy through the agent takes (job sent -> result, warm image, health-checked),
// next to a plain `docker run` + wait-for-HTTP of the same image and command. Both a first deploy
// (nothing there yet) and a redeploy (blue/green switch from a running container) are timed.
// Uses Docker; sandbox t-agent-bench, host ports 20030-20031; removes what it creates.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startAgent } from '../../agent/index.ts';
import { Harness } from '../../agent/testing/harness.ts';
import { cleanupSandboxes, httpGet, jobId, serviceSpec } from '../../agent/testing/fixtures.ts';

const ROUNDS = 5;
const SANDBOX = 't-agent-bench';
const IMAGE = 'sdp/busybox:local';
const CMD = ['sh', '-c', 'echo ok > /www/health && exec httpd -f -p 8080 -h /www'];
const PLAIN = 't-agent-bench-plain';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function waitHttp(url: string, budgetMs = 15_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    if ((await httpGet(url, 500)).status === 200) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} did not answer within ${budgetMs} ms`);
}

function docker(...args: string[]): void {
  const res = spawnSync('docker', args, { encoding: 'utf8' });
  if (res.status !== 0 && args[0] !== 'rm') throw new Error(`docker ${args.join(' ')}: ${res.stderr}`);
}

async function plainRun(): Promise<number> {
  docker('rm', '-f', PLAIN);
  const t0 = performance.now();
  docker('run', '-d', '--name', PLAIN, '-p', '0.0.0.0:20031:8080', IMAGE, ...CMD);
  await waitHttp('http://127.0.0.1:20031/health');
  const ms = performance.now() - t0;
  docker('rm', '-f', PLAIN);
  return ms;
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sdp-bench-'));
  await cleanupSandboxes(SANDBOX);
  const harness = await Harness.start('bench-token');
  const agent = await startAgent({ server: harness.url, name: 'bench', token: 'bench-token', roles: [], address: '127.0.0.1', workDir: join(root, 'work'), logger: pino({ level: 'warn' }) });
  try {
    await harness.waitFor((m) => m.type === 'inventory');
    const health = { path: '/health', timeoutMs: 1000, retries: 50, intervalMs: 50 };
    const spec = (n: number) => serviceSpec({ sandbox: SANDBOX, service: 'web', build: { type: 'image', image: IMAGE, run: CMD }, hostPort: 20030, health, env: { ROUND: String(n) } });
    const deploy = async (n: number) => {
      const t0 = performance.now();
      const res = await harness.runJob({ id: jobId('bench'), kind: 'deploy', container: spec(n) });
      if (!res.ok) throw new Error(`deploy failed: ${res.error}`);
      return { wall: performance.now() - t0, agent: res.durationMs };
    };
    const remove = () => harness.runJob({ id: jobId('bench-rm'), kind: 'remove', sandbox: SANDBOX, containers: [`sandbox-${SANDBOX}-web`], all: false });
    await harness.runJob({ id: jobId('bench-net'), kind: 'ensure-network', sandbox: SANDBOX, network: `sandbox-${SANDBOX}` });

    // warm-up: image in cache, network present
    await deploy(0);
    await remove();
    await plainRun();

    const first: number[] = [];
    const redeploy: number[] = [];
    const plain: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      first.push((await deploy(i)).wall);
      redeploy.push((await deploy(i + 100)).wall);
      await remove();
      plain.push(await plainRun());
    }
    const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;
    console.log('deploy (agent job -> result, warm image, health-checked):');
    console.log(`  first deploy            ${fmt(first)}`);
    console.log(`  redeploy (blue/green)   ${fmt(redeploy)}`);
    console.log(`  plain docker run + HTTP ${fmt(plain)}`);
  } finally {
    await agent.stop();
    await harness.close();
    await cleanupSandboxes(SANDBOX);
    docker('rm', '-f', PLAIN);
    rmSync(root, { recursive: true, force: true });
  }
}
