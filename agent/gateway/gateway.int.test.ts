// Gateways on a real Docker engine: the built-in Caddy proxy (routes pushed through its admin API and
// read back from it), the file adapter (a team's own gateway app from git) and the env adapter.
// Sandbox t-agent-gw-*, host ports 20010-20019.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec, RouteAdapter, RouteTable } from '../../schema/container.ts';
import type { Job } from '../../schema/protocol.ts';
import { startAgent, type Agent } from '../index.ts';
import { Harness } from '../testing/harness.ts';
import { TestRepo, cleanupSandboxes, httpGet, jobId, serviceSpec } from '../testing/fixtures.ts';

const PREFIX = 't-agent-gw-';
const SB = `${PREFIX}one`;
const TOKEN = 'gateway-test-token';
let root: string;
let harness: Harness;
let agent: Agent;
let repo: TestRepo;

beforeAll(async () => {
  await cleanupSandboxes(PREFIX);
  root = mkdtempSync(join(tmpdir(), 'sdp-agent-gw-'));
  repo = new TestRepo(root, 'gateway-app');
  repo.commit('main', { 'config/README': 'routes are written here\n' });
  harness = await Harness.start(TOKEN);
  agent = await startAgent({ server: harness.url, name: 'gw-node', token: TOKEN, roles: ['gateway'], address: '127.0.0.1', workDir: join(root, 'work'), logger: pino({ level: 'warn' }) });
  await harness.waitFor((m) => m.type === 'inventory');
  // two backends that say who they are at /rest
  for (const [service, hostPort] of [['account', 20011], ['payment', 20012]] as const) {
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: backend(service, hostPort) });
    expect(res.ok, res.error).toBe(true);
  }
});

afterAll(async () => {
  await agent?.stop();
  await harness?.close();
  await cleanupSandboxes(PREFIX);
  if (root) rmSync(root, { recursive: true, force: true });
});

const run = (job: Job) => harness.runJob(job);

function backend(service: string, hostPort: number): ContainerSpec {
  return serviceSpec({
    sandbox: SB,
    service,
    build: { type: 'image', image: 'sdp/busybox:local', run: ['httpd', '-f', '-p', '8080', '-h', '/www'] },
    files: [{ path: '/www/rest', content: `${service}-backend\n` }],
    hostPort,
  });
}

function gateway(p: Partial<ContainerSpec>): ContainerSpec {
  return serviceSpec({ sandbox: SB, service: 'gateway', kind: 'gateway', build: { type: 'image', image: 'sdp/caddy:local' }, port: 80, ...p });
}

async function liveRoutes(container: string): Promise<RouteTable | undefined> {
  const inv = await harness.inventory();
  return inv.gateways.find((g) => g.container === container)?.routes;
}

describe('built-in proxy gateway (Caddy)', () => {
  const routes = { account: 'http://account:8080', payment: 'http://host.docker.internal:20012' };
  const spec = gateway({ hostPort: 20010 });

  it('deploys Caddy, pushes the routes, and strips the service prefix', async () => {
    const res = await run({ id: jobId('gw'), kind: 'deploy', container: spec, gateway: { adapter: { adapter: 'proxy' }, routes } });
    expect(res.ok, res.error).toBe(true);
    expect(await httpGet('http://127.0.0.1:20010/account/rest')).toEqual({ status: 200, body: 'account-backend\n' });
    // across "nodes": through the host's published port
    expect(await httpGet('http://127.0.0.1:20010/payment/rest')).toEqual({ status: 200, body: 'payment-backend\n' });
    expect((await httpGet('http://127.0.0.1:20010/nowhere/rest')).status).toBe(404);
    expect((await httpGet('http://127.0.0.1:20010/')).status).toBe(404);
  });

  it('reads the routes back from the admin API', async () => {
    expect(await liveRoutes(spec.name)).toEqual(routes);
  });

  it('applies a new route table live', async () => {
    const next = { account: 'http://payment:8080', billing: 'http://account:8080' };
    const res = await run({ id: jobId('routes'), kind: 'apply-routes', sandbox: SB, container: spec.name, adapter: { adapter: 'proxy' }, routes: next });
    expect(res.ok, res.error).toBe(true);
    expect((await httpGet('http://127.0.0.1:20010/account/rest')).body).toBe('payment-backend\n');
    expect((await httpGet('http://127.0.0.1:20010/billing/rest')).body).toBe('account-backend\n');
    expect((await httpGet('http://127.0.0.1:20010/payment/rest')).status).toBe(404);
    expect(await liveRoutes(spec.name)).toEqual(next);
  });

  it('keeps its routes through a stop and start', async () => {
    expect((await run({ id: jobId('stop'), kind: 'stop', sandbox: SB, containers: [spec.name] })).ok).toBe(true);
    expect((await liveRoutes(spec.name)) ?? {}).toEqual({});
    expect((await run({ id: jobId('start'), kind: 'start', sandbox: SB, containers: [spec.name] })).ok).toBe(true);
    await expect.poll(async () => (await httpGet('http://127.0.0.1:20010/billing/rest')).body, { timeout: 5000 }).toBe('account-backend\n');
    expect(await liveRoutes(spec.name)).toEqual({ account: 'http://payment:8080', billing: 'http://account:8080' });
  });
});

describe('file route adapter (the team gateway app from git)', () => {
  const adapter: RouteAdapter = { adapter: 'file', file: 'config/routes.json', format: 'json', key: '{service}_url', reload: ['sh', '-c', 'echo reloaded-ok'] };
  const routes = { account: 'http://account:8080', payment: 'https://payment-dev.example.com' };
  let spec: ContainerSpec;

  it('deploys the gateway app, writes the routes file, runs the reload command, reads the file back', async () => {
    const commit = repo.commit('main', { 'index.html': 'gateway app\n' });
    spec = serviceSpec({
      sandbox: SB,
      service: 'gateway',
      name: `sandbox-${SB}-appgw`,
      kind: 'gateway',
      source: { repo: repo.url, commit, branch: 'main' },
      build: { type: 'image', image: 'sdp/busybox:local', mount: '/srv/app', run: ['httpd', '-f', '-p', '8080', '-h', '/srv/app'] },
      hostPort: 20013,
    });
    const id = jobId('appgw');
    const since = harness.messages.length;
    const res = await run({ id, kind: 'deploy', container: spec, gateway: { adapter, routes } });
    expect(res.ok, res.error).toBe(true);
    expect(harness.of('log', since).some((l) => l.jobId === id && l.line === 'reloaded-ok')).toBe(true);
    const served = await httpGet('http://127.0.0.1:20013/config/routes.json');
    expect(JSON.parse(served.body)).toEqual({ account_url: 'http://account:8080', payment_url: 'https://payment-dev.example.com' });
    expect(await liveRoutes(spec.name)).toEqual(routes);
  });

  it('writes a php-array config block the app includes', async () => {
    const php: RouteAdapter = { adapter: 'file', file: 'config/config.php', format: 'php-array', key: '{service}_url' };
    const res = await run({ id: jobId('php'), kind: 'apply-routes', sandbox: SB, container: spec.name, adapter: php, routes: { account: "http://it's:8080" } });
    expect(res.ok, res.error).toBe(true);
    const served = await httpGet('http://127.0.0.1:20013/config/config.php');
    expect(served.body).toMatch(/^<\?php\n/);
    expect(served.body).toContain(`$config['account_url'] = 'http://it\\'s:8080';`);
  });
});

describe('env route adapter', () => {
  it('reads routes back from the container env and refuses a live change', async () => {
    const spec = serviceSpec({
      sandbox: SB,
      service: 'gateway',
      name: `sandbox-${SB}-envgw`,
      kind: 'gateway',
      build: { type: 'image', image: 'sdp/busybox:local', run: ['httpd', '-f', '-p', '8080', '-h', '/www'] },
      env: { ACCOUNT_URL: 'http://account:8080', OTHER: 'x' },
    });
    const adapter: RouteAdapter = { adapter: 'env' };
    const res = await run({ id: jobId('envgw'), kind: 'deploy', container: spec, gateway: { adapter, routes: { account: 'http://account:8080' } } });
    expect(res.ok, res.error).toBe(true);
    expect(await liveRoutes(spec.name)).toEqual({ account: 'http://account:8080' });
    const change = await run({ id: jobId('envr'), kind: 'apply-routes', sandbox: SB, container: spec.name, adapter, routes: { account: 'http://elsewhere:1' } });
    expect(change.ok).toBe(false);
    expect(change.error).toContain('ACCOUNT_URL');
    expect(change.error).toContain('redeploy');
    expect(harness.invalid).toEqual([]);
  });
});
