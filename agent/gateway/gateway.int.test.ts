// Gateways on a real Docker engine: the built-in Caddy proxy from the stock-built caddy:2 image
// (routes pushed through its admin API on the control socket and read back from it, and that API out
// of the sandbox's reach), the file adapter (a team's own gateway app from git) and the env adapter.
// Sandbox t-agent-gw-*, host ports 20010-20019.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_ADMIN_SOCKET, PROXY_COMMAND, type ContainerSpec, type RouteAdapter, type RouteTable } from '../../schema/container.ts';
import type { Job } from '../../schema/protocol.ts';
import { startAgent, type Agent } from '../index.ts';
import { Harness } from '../testing/harness.ts';
import { TestRepo, cleanupSandboxes, httpGet, jobId, serviceSpec } from '../testing/fixtures.ts';
import { isLoopback, listeners, shIn } from '../testing/netns.ts';
import { adminRequest } from './admin.ts';
import { caddyConfig } from './caddy.ts';

const PREFIX = 't-agent-gw-';
const SB = `${PREFIX}one`;
const TOKEN = 'gateway-test-token';
/** A stock image that does not start Caddy by itself: its own entrypoint, user, and caddy elsewhere on PATH. */
const ODD_IMAGE = 'sdp-test/caddy-odd:t-agent-gw';
let root: string;
let harness: Harness;
let agent: Agent;
let repo: TestRepo;

beforeAll(async () => {
  await cleanupSandboxes(PREFIX);
  root = mkdtempSync(join(tmpdir(), 'sdp-agent-gw-'));
  repo = new TestRepo(root, 'gateway-app');
  repo.commit('main', { 'config/README': 'routes are written here\n' });
  writeFileSync(join(root, 'Dockerfile'), [
    'FROM caddy:2',
    'RUN mkdir -p /opt/caddy/bin && mv /usr/bin/caddy /opt/caddy/bin/caddy',
    'ENV PATH=/opt/caddy/bin:/usr/bin:/bin',
    'USER nobody',
    'ENTRYPOINT ["/bin/sh", "-c", "echo this image does not run caddy by itself; exit 3"]',
  ].join('\n'));
  execFileSync('docker', ['build', '-q', '-t', ODD_IMAGE, root], { stdio: 'ignore' });
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
  try {
    execFileSync('docker', ['rmi', '-f', ODD_IMAGE], { stdio: 'ignore' });
  } catch {
    // never built
  }
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

/** The built-in proxy gateway as the compiler makes it: stock image, sdp's command. */
function gateway(p: Partial<ContainerSpec>, image = 'caddy:2'): ContainerSpec {
  return serviceSpec({ sandbox: SB, service: 'gateway', kind: 'gateway', build: { type: 'image', image, run: [...PROXY_COMMAND] }, port: 80, ...p });
}

const controlRoot = () => join(root, 'work', 'gateways');
const socketOf = (dir: string) => join(controlRoot(), dir, PROXY_ADMIN_SOCKET);
const mounts = (container: string) =>
  JSON.parse(execFileSync('docker', ['inspect', '-f', '{{json .Mounts}}', container], { encoding: 'utf8' })) as Array<{ Source: string; Destination: string }>;

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

  it('keeps its control directory private: mode 0700, mounted into the gateway alone', () => {
    const dirs = readdirSync(controlRoot());
    expect(dirs).toHaveLength(1);
    expect(statSync(join(controlRoot(), dirs[0]!)).mode & 0o777).toBe(0o700);
    expect(statSync(socketOf(dirs[0]!)).isSocket()).toBe(true);
    expect(mounts(spec.name).map((m) => m.Source)).toContain(join(controlRoot(), dirs[0]!));
    expect(mounts(`sandbox-${SB}-account`).some((m) => m.Source.startsWith(controlRoot()))).toBe(false);
  });

  it('listens on its proxy port alone: no admin API on any address of its network namespace', async () => {
    const open = (await listeners(spec.name)).filter((l) => !isLoopback(l.address));
    expect(open.map((l) => `${l.proto}/${l.port}`)).toEqual(['tcp/80']);
  });

  it('cannot be reconfigured from a sandbox container', async () => {
    const evil = JSON.stringify(caddyConfig({ account: 'http://evil.invalid:1' }, 80));
    const from = `sandbox-${SB}-account`;
    for (const port of [2019, 80, 443]) {
      const res = await shIn(from, `wget -q -T 2 -O - --header 'Content-Type: application/json' --post-data '${evil}' http://gateway:${port}/load`);
      expect(res.code, res.out).not.toBe(0);
    }
    expect(await liveRoutes(spec.name)).toEqual(routes);
    expect(await httpGet('http://127.0.0.1:20010/account/rest')).toEqual({ status: 200, body: 'account-backend\n' });
  });

  it('shows a route changed by hand through the socket, and apply-routes puts it back', async () => {
    const [dir] = readdirSync(controlRoot());
    const changed = { ...routes, account: 'http://payment:8080' };
    expect((await adminRequest(socketOf(dir!), 'POST', '/load', caddyConfig(changed, 80))).status).toBe(200);
    await expect.poll(() => liveRoutes(spec.name), { timeout: 5000 }).toEqual(changed);
    const res = await run({ id: jobId('heal'), kind: 'apply-routes', sandbox: SB, container: spec.name, adapter: { adapter: 'proxy' }, routes });
    expect(res.ok, res.error).toBe(true);
    expect(await liveRoutes(spec.name)).toEqual(routes);
    expect((await httpGet('http://127.0.0.1:20010/account/rest')).body).toBe('account-backend\n');
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

  it('comes back with its routes after a docker restart (they are in its startup config)', async () => {
    execFileSync('docker', ['restart', '-t', '2', spec.name], { stdio: 'ignore' });
    await expect.poll(async () => (await httpGet('http://127.0.0.1:20010/billing/rest')).body, { timeout: 5000 }).toBe('account-backend\n');
    expect(await liveRoutes(spec.name)).toEqual({ account: 'http://payment:8080', billing: 'http://account:8080' });
  });

  it('runs any image with caddy on its PATH, whatever its entrypoint and user; the swap keeps port and routes', async () => {
    const next = { account: 'http://payment:8080', billing: 'http://account:8080' };
    const odd = gateway({ hostPort: 20010 }, ODD_IMAGE);
    const res = await run({ id: jobId('odd'), kind: 'deploy', container: odd, gateway: { adapter: { adapter: 'proxy' }, routes: next } });
    expect(res.ok, res.error).toBe(true);
    expect((await httpGet('http://127.0.0.1:20010/billing/rest')).body).toBe('account-backend\n');
    expect(await liveRoutes(spec.name)).toEqual(next);
    // the previous gateway's control directory went with it
    expect(readdirSync(controlRoot())).toHaveLength(1);
  });

  it('removing the gateway removes its control directory', async () => {
    const res = await run({ id: jobId('rm'), kind: 'remove', sandbox: SB, containers: [spec.name], all: false });
    expect(res.ok, res.error).toBe(true);
    expect(readdirSync(controlRoot())).toEqual([]);
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
