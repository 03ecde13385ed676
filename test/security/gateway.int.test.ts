// The built-in gateway against feature-branch code, on a real reconciler, agent, Docker and the
// stock-built caddy:2: a sandbox's own service container cannot reach the gateway's control API on any
// port, a /load attempt changes nothing, a route changed by hand (through the control socket, as an
// operator on the host could) is route drift that self-heal puts back, and a new proxy image is
// gateway drift that Sync swaps in keeping the port and the routes.
// Sandboxes t-gw-*, Platform t-gw, ports 28000 (API), 28100-28149 (gateways), 28200-28299 (services).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../agent/gateway/admin.ts';
import { caddyConfig } from '../../agent/gateway/caddy.ts';
import { isLoopback, listeners, shIn } from '../../agent/testing/netns.ts';
import { PROXY_ADMIN_SOCKET, PROXY_CONTROL_DIR } from '../../schema/container.ts';
import type { UiMessage } from '../../schema/api.ts';
import { watchOutage } from '../support/outage.ts';
import { branchApp, httpGet, sandboxYaml, startStack, type Stack, type TestRepo } from '../support/reconciler.ts';

const PREFIX = 't-gw-';
const SWAP_IMAGE = 'sdp-test/caddy-swap:t-gw';
let stack: Stack;
let account: TestRepo;

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  stack = await startStack({ prefix: PREFIX, port: 28000, ports: { gateway: [28100, 28149], services: [28200, 28299] } });
  account = stack.repo('account');
  account.commit('main', branchApp('main'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }));
});

afterAll(async () => {
  await stack?.stop();
  try {
    docker('rmi', SWAP_IMAGE);
  } catch {
    // not made
  }
});

/** The host end of a gateway's control socket, from its mounts (what an operator on the host sees). */
function controlSocket(container: string): string {
  const mounts = JSON.parse(docker('inspect', '-f', '{{json .Mounts}}', container)) as Array<{ Source: string; Destination: string }>;
  const dir = mounts.find((m) => m.Destination === PROXY_CONTROL_DIR)?.Source;
  if (!dir) throw new Error(`${container} has no control directory mounted`);
  return join(dir, PROXY_ADMIN_SOCKET);
}

describe("the gateway control API, out of the sandbox's reach", () => {
  const SB = 't-gw-heal';
  const GW = `sandbox-${SB}-gateway`;

  it('syncs a self-healing sandbox whose gateway runs the stock caddy:2', async () => {
    await stack.writeSpec('heal.yaml', sandboxYaml(SB, { account: 'main' }, { syncPolicy: '{ automated: true, selfHeal: true }' }));
    const s = await stack.waitSandbox(SB, (x) => x.sync === 'Synced' && x.health === 'Healthy', 'auto-synced', 90_000);
    expect(docker('inspect', '-f', '{{.Config.Image}}', GW)).toBe('caddy:2');
    expect((await httpGet(`${s.gatewayUrl}/account/`)).body).toContain('branch=main');
  });

  it('listens on the proxy port only (read inside the gateway network namespace)', async () => {
    const open = (await listeners(GW)).filter((l) => !isLoopback(l.address));
    expect(open.map((l) => `${l.proto}/${l.port}`)).toEqual(['tcp/80']);
  });

  it('refuses every /load attempt from the sandbox service container and keeps its routes', async () => {
    const before = (await stack.detail(SB)).routes;
    const evil = JSON.stringify(caddyConfig({ account: 'http://evil.invalid:1' }, 80));
    const from = `sandbox-${SB}-account`;
    for (const target of ['gateway:2019', 'gateway:80', 'gateway:443', 'host.docker.internal:2019']) {
      const res = await shIn(from, `wget -q -T 2 -O - --header 'Content-Type: application/json' --post-data '${evil}' http://${target}/load`);
      expect(res.code, `${target}: ${res.out}`).not.toBe(0);
    }
    const after = await stack.detail(SB);
    expect(after.routes).toEqual(before);
    expect(after.drift).toEqual([]);
    expect((await httpGet(`${after.gatewayUrl}/account/`)).body).toContain('branch=main');
  });

  it('shows a route changed by hand as route drift, and self-heal restores it', async () => {
    const s = await stack.detail(SB);
    const desired = Object.fromEntries(s.routes.map((r) => [r.service, r.target]));
    const drifted = stack.nextUi(
      (m: UiMessage) => m.type === 'sandbox' && m.sandbox.name === SB && m.sandbox.drift.some((d) => d.resource === 'route/account' && d.change === 'changed'),
      20_000,
    );
    const res = await adminRequest(controlSocket(GW), 'POST', '/load', caddyConfig({ ...desired, account: 'http://host.docker.internal:9' }, 80));
    expect(res.status).toBe(200);
    const seen = await drifted;
    expect(seen.type === 'sandbox' && seen.sandbox.drift.find((d) => d.resource === 'route/account')).toMatchObject({ field: 'target', live: 'http://host.docker.internal:9' });
    await stack.waitFor('self-heal of the route', async () => (await stack.detail(SB)).history.some((j) => j.user === 'sdp:self-heal' && j.status === 'succeeded'), 60_000);
    const healed = await stack.waitSandbox(SB, (x) => x.sync === 'Synced' && x.drift.length === 0, 'route restored', 30_000);
    expect((await httpGet(`${healed.gatewayUrl}/account/`)).body).toContain('branch=main');
  });
});

describe('a new proxy image', () => {
  const SB = 't-gw-swap';
  const GW = `sandbox-${SB}-gateway`;

  it('is drift on the gateway; Sync swaps it keeping its port and routes', async () => {
    await stack.writeSpec('swap.yaml', sandboxYaml(SB, { account: 'main' }));
    await stack.waitSandbox(SB, (x) => x.drift.some((d) => d.resource === 'service/account'), 'service drift (its branch resolved)');
    await stack.syncAndWait(SB);
    const before = await stack.detail(SB);
    const url = `${before.gatewayUrl}/account/`;
    expect((await httpGet(url)).body).toContain('branch=main');

    docker('tag', 'caddy:2', SWAP_IMAGE);
    await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }, { gatewayImage: SWAP_IMAGE }));
    const drifted = await stack.waitSandbox(SB, (x) => x.drift.some((d) => d.resource === 'gateway'), 'gateway drift');
    expect(drifted.drift.filter((d) => d.resource === 'gateway')).toContainEqual(expect.objectContaining({ change: 'changed', field: 'image', desired: SWAP_IMAGE, live: 'caddy:2' }));

    const outage = watchOutage(url);
    await stack.syncAndWait(SB);
    const gap = await outage.stop();
    console.log(`gateway image swap: the gateway port went ${gap.longestMs.toFixed(0)} ms without an answer (${gap.failed}/${gap.requests} requests failed)`);

    const after = await stack.waitSandbox(SB, (x) => x.sync === 'Synced' && x.drift.length === 0, 'Synced on the new image');
    expect(after.gatewayUrl).toBe(before.gatewayUrl);
    expect((await stack.detail(SB)).routes).toEqual(before.routes);
    expect(docker('inspect', '-f', '{{.Config.Image}}', GW)).toBe(SWAP_IMAGE);
    expect((await httpGet(url)).body).toContain('branch=main');
    // something did answer during the sync, and the outage ended: the port is back
    expect(gap.requests).toBeGreaterThan(gap.failed);
  });
});
