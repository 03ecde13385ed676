// A reconciler killed (SIGKILL) in the middle of a sync: after a restart on the same data dir the
// job is failed ("reconciler restarted"), never left running, and a new sync converges.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobView } from '../../schema/api.ts';
import { ADMIN_PASSWORD, Stack, branchApp, sandboxYaml, type TestRepo } from '../../test/support/reconciler.ts';

const PORT = 21050;
let stack: Stack;
let repo: TestRepo;
let child: ChildProcess | null = null;
let output = '';

/** `sdp up` on the stack's folders as a child process; resolves once its agent is online. */
async function up(): Promise<void> {
  child = spawn('node', ['bin/sdp.js', 'up', '--specs', stack.specsDir, '--data', stack.dataDir, '--port', String(PORT)], {
    env: { ...process.env, SDP_ADMIN_PASSWORD: ADMIN_PASSWORD, SDP_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${PORT}`;
  await stack.waitFor('sdp up', async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok === true, 60_000, () => output.slice(-2000));
  await stack.attach(url);
  await stack.waitFor('agent online', async () => (await stack.api<{ agents: { online: boolean }[] }>('GET', '/api/status')).agents.some((a) => a.online));
}

function kill9(): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  stack = new Stack({ prefix: 't-rec-', port: PORT, ports: { gateway: [21150, 21169], services: [21300, 21349] } });
  repo = stack.repo('slow');
  // a build that takes a while, so the kill lands in the middle of the deploy
  repo.commit('main', { ...branchApp('main'), 'build.sh': `sleep 6\n${branchApp('main')['build.sh']}` });
  await stack.writeSpec('platform.yaml', stack.platformYaml({ slow: repo.url }));
  await stack.writeSpec('sb.yaml', sandboxYaml('t-rec-restart', { slow: 'main' }));
  await up();
});

afterAll(async () => {
  await kill9();
  await stack?.stop();
});

it('a sync interrupted by a killed reconciler is failed on restart, and a new sync converges', async () => {
  await stack.waitSandbox('t-rec-restart', (s) => s.drift.some((d) => d.resource === 'service/slow'), 'service drift');
  const { job } = await stack.sync('t-rec-restart');
  expect(job).not.toBeNull();
  await stack.waitFor('deploy step running', async () => {
    const j = await stack.api<JobView>('GET', `/api/jobs/${job!.id}`);
    return j.steps.some((s) => s.kind === 'deploy' && s.status === 'running');
  });
  await kill9();

  await up();
  const after = await stack.api<JobView>('GET', `/api/jobs/${job!.id}`);
  expect(after.status).toBe('failed');
  expect(after.error).toBe('reconciler restarted');
  expect(after.steps.some((s) => s.status === 'running' || s.status === 'pending')).toBe(false);

  const again = await stack.syncAndWait('t-rec-restart');
  expect(again.status).toBe('succeeded');
  await stack.waitSandbox('t-rec-restart', (s) => s.sync === 'Synced' && s.health === 'Healthy', 'Synced', 60_000);
});
