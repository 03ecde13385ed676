// Continuous health against the real thing: a reconciler and a real agent (test/support/reconciler.ts)
// on the real Docker engine. After a good deploy the service's health endpoint starts failing (its
// file is removed inside the container): the sandbox turns Degraded with the container and what
// failed (how fast: `npm run bench -- health`), in the API and the CLI (`sdp status`, `sdp get sandbox`); the
// endpoint comes back and so does Healthy; a `docker restart` counts a restart, and so does a crash
// the restart policy brings back; CPU and memory show.
//
// Everything it makes belongs to sandboxes `t-health-e2e-*`, its own Platform (t-health-e2e) and host
// ports 31000-31299.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxDetail, ServiceView } from '../../schema/api.ts';
import { branchApp, sandboxYaml, startStack, type Stack } from '../support/reconciler.ts';
import { PROJECT } from './harness.ts';

const run = promisify(execFile);
const PREFIX = 't-health-e2e-';
const SANDBOX = `${PREFIX}app`;
const CONTAINER = `sandbox-${SANDBOX}-account`;
/** the probe interval the Platform asks for */
const INTERVAL_MS = 1000;

const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ prefix: PREFIX, port: 31000, ports: { gateway: [31100, 31149], services: [31200, 31249] }, usageIntervalMs: 1000 });
  const repo = stack.repo('account');
  repo.commit('develop', branchApp('develop'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: repo.url }, { health: `{ path: /health, timeout: 500ms, retries: 10, interval: ${INTERVAL_MS}ms }` }));
  await stack.writeSpec('sandbox.yaml', sandboxYaml(SANDBOX, { account: 'develop' }));
  await stack.waitSandbox(SANDBOX, (s) => s.drift.some((d) => d.resource === 'service/account' && d.change === 'missing'), 'its branch resolved');
  await stack.syncAndWait(SANDBOX);
});

afterAll(async () => {
  await stack?.stop();
});

const account = (d: SandboxDetail): ServiceView | undefined => d.services.find((s) => s.service === 'account');

async function waitDetail(what: string, ok: (d: SandboxDetail) => boolean, timeoutMs = 30_000): Promise<{ detail: SandboxDetail; ms: number }> {
  const start = Date.now();
  let last: SandboxDetail | undefined;
  await stack.waitFor(what, async () => ok((last = await stack.detail(SANDBOX))), timeoutMs, () => JSON.stringify({ health: last?.healthStatus, services: last?.services }));
  return { detail: last as SandboxDetail, ms: Date.now() - start };
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['bin/sdp.js', ...args, '--server', stack.url], { cwd: PROJECT, env: { ...process.env, SDP_TOKEN: stack.token, NO_COLOR: '1' } });
  return stdout;
}

describe('continuous health', () => {
  it('after the deploy the agent keeps probing: healthy, with restarts, CPU and memory', async () => {
    const { detail } = await waitDetail('account probed and sampled', (d) => account(d)?.probe?.status === 'healthy' && account(d)?.cpu !== undefined);
    expect(detail.health).toBe('Healthy');
    expect(account(detail)).toMatchObject({ state: 'running', health: 'healthy', restarts: 0, probe: { check: 'GET /health' } });
    expect(account(detail)?.memoryBytes).toBeGreaterThan(0);
    // the gateway has no health path: its port is probed
    expect(detail.services.find((s) => s.service === 'gateway')?.probe).toMatchObject({ status: 'healthy', check: 'tcp 80' });
  });

  it('a health endpoint that starts failing turns the sandbox Degraded, with the container and what failed', async () => {
    await docker('exec', CONTAINER, 'rm', '/src/public/health');
    const { detail, ms } = await waitDetail('Degraded', (d) => d.health === 'Degraded', 10_000);
    // the bound (two intervals) is a target of `npm run bench -- health`, not timed here
    console.log(`health endpoint failing -> sandbox Degraded in ${ms} ms (probe interval ${INTERVAL_MS} ms)`);
    expect(detail.healthStatus.reason).toBe('HealthCheckFailing');
    expect(detail.healthStatus.message).toMatch(/^running but failing its health check: service\/account GET \/health: HTTP 404 since \S+$/);
    expect(account(detail)).toMatchObject({ state: 'running', health: 'unhealthy', probe: { status: 'unhealthy', failure: { kind: 'status', message: 'HTTP 404' } } });
    // failing health is not drift: what runs is still what the spec asks for
    expect(detail.sync).toBe('Synced');

    const status = await cli('status');
    expect(status).toContain(`${SANDBOX}: health Degraded (HealthCheckFailing): running but failing its health check: service/account GET /health: HTTP 404`);
    const get = await cli('get', 'sandbox', SANDBOX);
    expect(get).toMatch(/health Degraded \(HealthCheckFailing\): running but failing its health check: service\/account/);
    expect(get).toMatch(/account .*unhealthy \(HTTP 404\)/);
  });

  it('Healthy again when it recovers', async () => {
    await docker('exec', CONTAINER, 'sh', '-c', 'echo ok > /src/public/health');
    const { detail, ms } = await waitDetail('Healthy again', (d) => d.health === 'Healthy', 10_000);
    console.log(`health endpoint back -> sandbox Healthy in ${ms} ms`);
    expect(detail.healthStatus.reason).toBe('AllHealthy');
    expect(account(detail)).toMatchObject({ health: 'healthy', probe: { status: 'healthy' } });
    expect(await cli('get', 'sandbox', SANDBOX)).toMatch(/account .*healthy/);
  });

  it('`docker restart` counts a restart', async () => {
    await docker('restart', '-t', '1', CONTAINER);
    const { detail } = await waitDetail('one restart, healthy again', (d) => account(d)?.restarts === 1 && d.health === 'Healthy');
    // Healthy once probed again: until then it was starting (Progressing), not assumed healthy
    expect(account(detail)).toMatchObject({ state: 'running', health: 'healthy', restarts: 1 });
    expect(await cli('get', 'sandbox', SANDBOX)).toMatch(/account .* healthy +1\b/);
  });

  it('a crash brought back by the restart policy counts too', async () => {
    // the app (PID 1 is Docker's init) exits: the container stops and its restart policy starts it again
    await docker('exec', CONTAINER, 'sh', '-c', 'kill $(pidof httpd)');
    const { detail } = await waitDetail('two restarts, healthy again', (d) => account(d)?.restarts === 2 && d.health === 'Healthy');
    expect(account(detail)).toMatchObject({ state: 'running', health: 'healthy', restarts: 2 });
  });
});
