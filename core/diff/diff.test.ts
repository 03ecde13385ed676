import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DriftEntry } from '../../schema/api.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import type { LiveContainer } from '../../schema/protocol.ts';
import { bindSandbox } from '../bind/bind.ts';
import { diffSandbox as diffFindings } from './diff.ts';
import { driftEntries } from '../../reconciler/present/drift.ts';

/** The diff as the API shows it: findings rendered to DriftEntry (reconciler/present/drift.ts). */
const diffSandbox = (input: Parameters<typeof diffFindings>[0]) => {
  const d = diffFindings(input);
  return { ...d, drift: driftEntries(d.drift) };
};
import {
  MI,
  bind,
  desiredSandbox,
  diffInput,
  editLive,
  fakeCommit,
  fakeDigest,
  liveContainer,
  liveInSync,
  specOf,
} from './fixtures.ts';
import { groupLiveBySandbox, type LiveNodeState } from './live.ts';
import { diffOrphans } from './orphans.ts';

const ACCOUNT = 'sandbox-qa-account';
const ORDERS = 'sandbox-qa-orders';
const GATEWAY = 'sandbox-qa-gateway';

/** A live side where `name` runs an older config: another hash, plus the given live fields. */
function drifted(name: string, over: Partial<LiveContainer>) {
  const s = desiredSandbox();
  const bound = bind(s);
  const live = editLive(liveInSync(s, bound), name, (c) => ({ ...c, specHash: 'old-hash', ...over }));
  return diffSandbox(diffInput(s, { bound, live }));
}

function withRoutes(live: LiveNodeState[], routes: Record<string, string>): LiveNodeState[] {
  return live.map((ln) => ({ ...ln, gateways: ln.gateways.map((g) => ({ ...g, routes })) }));
}

describe('diffSandbox: in sync', () => {
  it('a live side built from the spec is Synced and Healthy with no drift', () => {
    const d = diffSandbox(diffInput(desiredSandbox()));
    expect(d).toMatchObject({ sync: 'Synced', health: 'Healthy', drift: [] });
    expect(d.routes).toEqual([
      { service: 'account', mode: 'sandbox', target: 'http://account:8080', live: 'http://account:8080' },
      { service: 'orders', mode: 'sandbox', target: 'http://orders:8080', live: 'http://orders:8080' },
      { service: 'payment', mode: 'baseline', target: 'https://payment-dev.example.com', live: 'https://payment-dev.example.com' },
    ]);
  });

  it('an equal spec hash on a running container is trusted: live fields the agent reports differently are not drift', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, env: { OTHER: 'x' }, ports: [], image: 'sha256:1234' }));
    expect(diffSandbox(diffInput(s, { bound, live })).drift).toEqual([]);
  });
});

describe('diffSandbox: normalisation, no false drift', () => {
  // The hash differs because of the commit only; every other field is spelled differently on the
  // live side, and must not show up.
  const commitOnly = (over: Partial<LiveContainer>) => drifted(ACCOUNT, { commit: '1a2b3c4d5e6f7a8b9c0d', ...over }).drift;
  const commitEntry: DriftEntry = {
    resource: 'service/account',
    change: 'changed',
    field: 'commit',
    desired: fakeCommit('https://git.example.com/app/account.git', 'feature/account'),
    live: '1a2b3c4d5e6f7a8b9c0d',
  };

  it('image: implied :latest and docker.io/library/ prefix', () => {
    const s = desiredSandbox();
    const bound = bindSandbox(
      { ...s, services: s.services.map((d) => ({ ...d, build: { type: 'image' as const, image: 'busybox' } })) },
      fakeCommit,
      fakeDigest(),
    );
    const live = editLive(liveInSync(s, bound), ACCOUNT, (c) => ({
      ...c,
      specHash: 'old',
      commit: '1a2b3c4d5e6f7a8b9c0d',
      image: 'docker.io/library/busybox:latest',
    }));
    expect(diffSandbox(diffInput(s, { bound, live })).drift).toEqual([commitEntry]);
  });

  it('env: key order and image-provided keys (PATH, HOME)', () => {
    const spec = specOf(bind(desiredSandbox()), 'account');
    const env = Object.fromEntries(Object.entries(liveContainer(spec).env).reverse());
    expect(commitOnly({ env: { HOME: '/root', ...env } })).toEqual([commitEntry]);
  });

  it('ports: duplicate bindings per address family and unpublished ports', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = editLive(liveInSync(s, bound), GATEWAY, (c) => ({
      ...c,
      specHash: 'old',
      image: 'sdp/caddy:latest',
      ports: [
        { container: 80, host: 8081 },
        { container: 80, host: 8081 },
        { container: 2019, host: 0 },
      ],
    }));
    expect(diffSandbox(diffInput(s, { bound, live })).drift).toEqual([
      { resource: 'gateway', change: 'changed', field: 'image', desired: 'sdp/caddy:local', live: 'sdp/caddy:latest' },
    ]);
  });

  it('resources: NanoCpus vs cores, no limit as 0', () => {
    expect(commitOnly({ resources: { cpu: 500_000_000, memoryBytes: 512 * MI } })).toEqual([commitEntry]);
    const s = desiredSandbox();
    const bound = bind(s);
    const live = editLive(liveInSync(s, bound), GATEWAY, (c) => ({ ...c, specHash: 'old', image: 'x:1', resources: { cpu: 0, memoryBytes: 0 } }));
    const d = diffSandbox(diffInput(s, { bound, live })).drift;
    expect(d.map((e) => e.field)).toEqual(['image']);
  });

  it('commit: a short or upper-case sha on the live label', () => {
    const full = fakeCommit('https://git.example.com/app/account.git', 'feature/account');
    const d = drifted(ACCOUNT, { commit: full.slice(0, 7).toUpperCase(), image: 'sdp/busybox:2' }).drift;
    expect(d.map((e) => e.field)).toEqual(['image']);
  });

  it('routes: trailing slash, default port, case and order of the live table', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = withRoutes(liveInSync(s, bound), {
      payment: 'HTTPS://payment-dev.example.com:443/',
      orders: 'http://orders:8080/',
      account: 'http://Account:8080',
    });
    expect(diffSandbox(diffInput(s, { bound, live })).drift).toEqual([]);
  });

  it('desired re-spelled (env and keys reordered, image with :latest) keeps the same hash: still in sync', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = liveInSync(s, bound);
    const respelled = {
      ...s,
      services: s.services.map((d) => ({ ...d, env: Object.fromEntries(Object.entries(d.env).reverse()) })),
      gateway: { ...s.gateway, build: { type: 'image' as const, image: 'docker.io/sdp/caddy:local' } },
    };
    expect(diffSandbox(diffInput(respelled, { live })).sync).toBe('Synced');
  });
});

describe('diffSandbox: every field', () => {
  it('commit: a branch head that moved', () => {
    const s = desiredSandbox();
    const before = bind(s);
    const live = liveInSync(s, before);
    const moved = bindSandbox(s, (repo, ref) => (repo.endsWith('account.git') ? '9f8e7d6c5b4a3928' : fakeCommit(repo, ref)), fakeDigest());
    const d = diffSandbox(diffInput(s, { bound: moved, live }));
    expect(d.sync).toBe('OutOfSync');
    expect(d.drift).toEqual([
      {
        resource: 'service/account',
        change: 'changed',
        field: 'commit',
        desired: '9f8e7d6c5b4a3928',
        live: fakeCommit('https://git.example.com/app/account.git', 'feature/account'),
      },
    ]);
  });

  it('image', () => {
    expect(drifted(ACCOUNT, { image: 'sdp/busybox:old' }).drift).toEqual([
      { resource: 'service/account', change: 'changed', field: 'image', desired: 'sdp/busybox:local', live: 'sdp/busybox:old' },
    ]);
  });

  it('env: one entry per changed, missing key', () => {
    const spec = specOf(bind(desiredSandbox()), 'orders');
    const env: Record<string, string> = { ...liveContainer(spec).env, DB_HOST: '10.0.0.9' };
    delete env.DB_PORT;
    expect(drifted(ORDERS, { env }).drift).toEqual([
      { resource: 'service/orders', change: 'changed', field: 'env', desired: 'DB_HOST=10.0.0.5', live: 'DB_HOST=10.0.0.9' },
      { resource: 'service/orders', change: 'changed', field: 'env', desired: 'DB_PORT=5432' },
    ]);
  });

  it('env: a secret added, a secret dropped, a plain value that became secret', () => {
    const spec = specOf(bind(desiredSandbox()), 'account');
    const env: Record<string, string> = { ...liveContainer(spec).env, OLD_TOKEN: '(redacted)', DB_HOST: '(redacted)' };
    delete env.DB_PASSWORD;
    expect(drifted(ACCOUNT, { env }).drift).toEqual([
      { resource: 'service/account', change: 'changed', field: 'env', desired: 'DB_HOST=10.0.0.5', live: 'DB_HOST=(redacted)' },
      { resource: 'service/account', change: 'changed', field: 'env', desired: 'DB_PASSWORD=(redacted)' },
      { resource: 'service/account', change: 'changed', field: 'env', live: 'OLD_TOKEN=(redacted)' },
    ]);
  });

  it('network attachment: a running container off its network, or there without its alias', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const off = diffSandbox(diffInput(s, { bound, live: editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, networks: { bridge: [] } })) }));
    expect(off.sync).toBe('OutOfSync');
    expect(off.drift).toEqual([{ resource: 'service/account', change: 'changed', field: 'network', desired: 'sandbox-qa as account', live: 'not attached' }]);
    const noAlias = diffSandbox(diffInput(s, { bound, live: editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, networks: { 'sandbox-qa': [] } })) }));
    expect(noAlias.drift).toEqual([{ resource: 'service/account', change: 'changed', field: 'network', desired: 'sandbox-qa as account', live: 'sandbox-qa as (no alias)' }]);
    // an agent that does not report attachments: no guess
    const { networks: _unreported, ...older } = liveInSync(s, bound)[0]!.containers[0]!;
    expect(diffSandbox(diffInput(s, { bound, live: editLive(liveInSync(s, bound), older.name, () => older) })).drift).toEqual([]);
  });

  it('ports', () => {
    expect(drifted(GATEWAY, { ports: [{ container: 80, host: 8090 }] }).drift).toEqual([
      { resource: 'gateway', change: 'changed', field: 'ports', desired: ['8081:80'], live: ['8090:80'] },
    ]);
  });

  it('resources', () => {
    expect(drifted(ACCOUNT, { resources: { cpu: 1_000_000_000 } }).drift).toEqual([
      {
        resource: 'service/account',
        change: 'changed',
        field: 'resources',
        desired: { cpu: 0.5, memoryBytes: 512 * MI },
        live: { cpu: 1 },
      },
    ]);
  });

  it('state: a stopped container of the right config', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, state: 'exited', health: 'none' }));
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(d.drift).toEqual([{ resource: 'service/account', change: 'changed', field: 'state', desired: 'running', live: 'exited' }]);
    expect(d).toMatchObject({ sync: 'OutOfSync', health: 'Degraded' });
  });

  it('files: only files can explain the hash', () => {
    const s = desiredSandbox({ secrets: [] });
    const withFiles = { ...s, services: s.services.map((d) => ({ ...d, files: [{ path: '/etc/app/config.yaml', content: 'x: 2' }] })) };
    const bound = bind(withFiles);
    const live = editLive(liveInSync(withFiles, bound), ACCOUNT, (c) => ({ ...c, specHash: 'old' }));
    expect(diffSandbox(diffInput(withFiles, { bound, live })).drift).toEqual([
      { resource: 'service/account', change: 'changed', field: 'files', desired: ['/etc/app/config.yaml'] },
    ]);
  });

  it('a hash difference nothing visible explains: one entry naming the hashes', () => {
    const s = desiredSandbox({ secrets: [] });
    const bound = bind(s);
    const live = editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, specHash: 'abcdef0123456789' }));
    const [entry, ...rest] = diffSandbox(diffInput(s, { bound, live })).drift;
    expect(rest).toEqual([]);
    expect(entry).toEqual({
      resource: 'service/account',
      change: 'changed',
      desired: `spec ${specOf(bound, 'account').specHash.slice(0, 12)}`,
      live: 'spec abcdef012345',
    });
  });
});

describe('diffSandbox: missing and extra', () => {
  it('a missing container, and health Degraded while others run', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, containers: ln.containers.filter((c) => c.name !== ORDERS) }));
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(d.drift).toEqual([{ resource: 'service/orders', change: 'missing', desired: specOf(bound, 'orders').source!.commit }]);
    expect(d).toMatchObject({ sync: 'OutOfSync', health: 'Degraded' });
  });

  it('nothing live at all: Missing, every container and the network missing, no route entries', () => {
    const s = desiredSandbox();
    const d = diffSandbox(diffInput(s, { live: [] }));
    expect(d.health).toBe('Missing');
    expect(d.drift.map((e) => `${e.resource} ${e.change}`)).toEqual([
      'network missing',
      'service/account missing',
      'service/orders missing',
      'gateway missing',
    ]);
    expect(d.drift[0]).toEqual({ resource: 'network', change: 'missing', desired: 'sandbox-qa on node-1' });
    expect(d.routes.every((r) => r.live === null)).toBe(true);
  });

  it('a container of the sandbox no spec asks for is extra', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const old = liveContainer({ ...specOf(bound, 'orders'), name: 'sandbox-qa-legacy', service: 'legacy' });
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, containers: [...ln.containers, old] }));
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(d.drift).toEqual([{ resource: 'service/legacy', change: 'extra', live: old.commit }]);
    expect(d.sync).toBe('OutOfSync');
    expect(d.health).toBe('Healthy');
  });

  it('another sandbox’s containers are not extra', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const other = bind(desiredSandbox({ name: 'qb' }));
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, containers: [...ln.containers, liveContainer(specOf(other, 'account'))] }));
    expect(diffSandbox(diffInput(s, { bound, live })).drift).toEqual([]);
  });

  it('the network on a node that should hold nothing of the sandbox is extra; a container moved node is missing + extra', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const moved = liveContainer(specOf(bound, 'orders'));
    const live: LiveNodeState[] = [
      ...liveInSync(s, bound).map((ln) => ({ ...ln, containers: ln.containers.filter((c) => c.name !== ORDERS) })),
      { node: 'node-2', containers: [moved], networks: [{ id: 'n2', name: 'sandbox-qa', sandbox: 'qa' }], gateways: [] },
    ];
    const d = diffSandbox(diffInput(s, { bound, live, online: ['node-1', 'node-2'] }));
    expect(d.drift).toEqual([
      { resource: 'network', change: 'extra', live: 'sandbox-qa on node-2' },
      { resource: 'service/orders', change: 'missing', desired: moved.commit },
      { resource: 'service/orders', change: 'extra', live: moved.commit },
    ]);
  });

  it('a missing network on one node of two', () => {
    const s = desiredSandbox({ gatewayNode: 'gw-1' });
    const bound = bind(s);
    const live = liveInSync(s, bound).map((ln) => (ln.node === 'gw-1' ? { ...ln, networks: [] } : ln));
    expect(diffSandbox(diffInput(s, { bound, live })).drift).toEqual([
      { resource: 'network', change: 'missing', desired: 'sandbox-qa on gw-1' },
    ]);
  });
});

describe('diffSandbox: routes', () => {
  const s = desiredSandbox();
  const bound = bind(s);

  it('changed target, missing and extra routes', () => {
    const live = withRoutes(liveInSync(s, bound), {
      account: 'https://account-dev.example.com',
      payment: 'https://payment-dev.example.com',
      legacy: 'http://legacy:8080',
    });
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(d.drift).toEqual([
      { resource: 'route/account', change: 'changed', field: 'target', desired: 'http://account:8080', live: 'https://account-dev.example.com' },
      { resource: 'route/legacy', change: 'extra', live: 'http://legacy:8080' },
      { resource: 'route/orders', change: 'missing', desired: 'http://orders:8080' },
    ]);
    expect(d.routes.find((r) => r.service === 'orders')!.live).toBeNull();
    expect(d.sync).toBe('OutOfSync');
  });

  it('a route table the agent could not read is Unknown, not drift', () => {
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, gateways: ln.gateways.map((g) => ({ ...g, routes: {}, error: 'admin API refused' })) }));
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(d).toMatchObject({ sync: 'Unknown', health: 'Healthy', drift: [] });
    expect(d.routes.every((r) => r.live === null)).toBe(true);
  });

  it('a running gateway that reports no route table is Unknown', () => {
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, gateways: [] }));
    expect(diffSandbox(diffInput(s, { bound, live })).sync).toBe('Unknown');
  });

  it('the env adapter keeps routes in the gateway env: no route comparison', () => {
    const envSandbox = desiredSandbox({ adapter: { adapter: 'env' } });
    const b = bind(envSandbox);
    const live = liveInSync(envSandbox, b).map((ln) => ({ ...ln, gateways: [] }));
    expect(diffSandbox(diffInput(envSandbox, { bound: b, live }))).toMatchObject({ sync: 'Synced', drift: [] });
    // a route table the agent does report is shown, not compared
    const reported = withRoutes(liveInSync(envSandbox, b), { account: 'http://elsewhere:1' });
    const d = diffSandbox(diffInput(envSandbox, { bound: b, live: reported }));
    expect(d.drift).toEqual([]);
    expect(d.routes.find((r) => r.service === 'account')!.live).toBe('http://elsewhere:1');
  });
});

describe('diffSandbox: secrets', () => {
  const SECRET = 'S3cr3t-9f1c2e7a-unique';

  it('a secret value never appears, even if the agent leaked it on the live side', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const live = editLive(liveInSync(s, bound), ACCOUNT, (c) => ({
      ...c,
      specHash: 'old',
      env: { ...c.env, DB_PASSWORD: SECRET },
    }));
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(JSON.stringify(d)).not.toContain(SECRET);
    expect(d.drift).toContainEqual({
      resource: 'service/account',
      change: 'changed',
      field: 'env',
      desired: 'DB_PASSWORD=(redacted)',
      live: 'DB_PASSWORD=(redacted)',
    });
  });

  it('a changed secret value (new digest) is one redacted env entry', () => {
    const s = desiredSandbox();
    const live = liveInSync(s, bind(s, 'v1'));
    const d = diffSandbox(diffInput(s, { bound: bind(s, 'v2'), live }));
    expect(d.drift).toEqual([
      { resource: 'service/account', change: 'changed', field: 'env', desired: '(redacted)', live: '(redacted)' },
      { resource: 'service/orders', change: 'changed', field: 'env', desired: '(redacted)', live: '(redacted)' },
    ]);
  });
});

describe('diffSandbox: health', () => {
  const s = desiredSandbox();
  const bound = bind(s);
  const health = (over: Partial<LiveContainer>) =>
    diffSandbox(diffInput(s, { bound, live: editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, ...over })) })).health;

  it.each<[Partial<LiveContainer>, string]>([
    [{ health: 'none' }, 'Healthy'],
    [{ health: 'healthy' }, 'Healthy'],
    [{ health: 'starting' }, 'Progressing'],
    [{ state: 'created', health: 'none' }, 'Progressing'],
    [{ health: 'unhealthy' }, 'Degraded'],
    [{ state: 'exited' }, 'Degraded'],
    [{ state: 'restarting' }, 'Degraded'],
    [{ state: 'dead' }, 'Degraded'],
  ])('%o -> %s', (over, expected) => {
    expect(health(over)).toBe(expected);
  });

  it('health is about what runs, not whether it matches: a drifted, running container is Healthy', () => {
    expect(drifted(ACCOUNT, { image: 'sdp/busybox:old' }).health).toBe('Healthy');
  });
});

describe('diffSandbox: suspended, expired, offline, unresolved', () => {
  it('suspended: running containers are state drift, health Suspended', () => {
    const s = desiredSandbox({ suspended: true });
    const d = diffSandbox(diffInput(s));
    expect(d.health).toBe('Suspended');
    expect(d.sync).toBe('OutOfSync');
    expect(d.drift).toEqual([
      { resource: 'service/account', change: 'changed', field: 'state', desired: 'exited', live: 'running' },
      { resource: 'service/orders', change: 'changed', field: 'state', desired: 'exited', live: 'running' },
      { resource: 'gateway', change: 'changed', field: 'state', desired: 'exited', live: 'running' },
    ]);
  });

  it('suspended and stopped is Synced: config drift, missing containers and routes wait for the resume', () => {
    const s = desiredSandbox({ suspended: true });
    const bound = bind(s);
    const live = liveInSync(s, bound).map((ln) => ({
      ...ln,
      containers: ln.containers
        .filter((c) => c.name !== ORDERS)
        .map((c) => ({ ...c, state: 'exited', specHash: c.name === ACCOUNT ? 'old' : c.specHash })),
      gateways: [],
    }));
    expect(diffSandbox(diffInput(s, { bound, live }))).toMatchObject({ sync: 'Synced', health: 'Suspended', drift: [] });
  });

  it('expired: health Expired, sync as usual', () => {
    expect(diffSandbox(diffInput(desiredSandbox(), { expired: true }))).toMatchObject({ sync: 'Synced', health: 'Expired' });
  });

  it('a node offline: Unknown / Unknown; its stale inventory is not read', () => {
    const s = desiredSandbox({ gatewayNode: 'gw-1' });
    const bound = bind(s);
    const live = liveInSync(s, bound).map((ln) => (ln.node === 'gw-1' ? { ...ln, containers: [] } : ln));
    const d = diffSandbox(diffInput(s, { bound, live, online: ['node-1'] }));
    expect(d).toMatchObject({ sync: 'Unknown', health: 'Unknown', drift: [] });
  });

  it('a branch that did not resolve: Unknown, and its live container is not extra', () => {
    const s = desiredSandbox();
    const live = liveInSync(s, bind(s));
    const bound = bindSandbox(s, (repo, ref) => (repo.endsWith('account.git') ? undefined : fakeCommit(repo, ref)), fakeDigest());
    expect(bound.unresolved).toEqual(['service/account']);
    const d = diffSandbox(diffInput(s, { bound, live }));
    expect(d).toMatchObject({ sync: 'Unknown', health: 'Healthy', drift: [] });
  });

  it('an unresolved branch does not hide drift elsewhere: OutOfSync', () => {
    const s = desiredSandbox();
    const live = editLive(liveInSync(s, bind(s)), ORDERS, (c) => ({ ...c, state: 'exited' }));
    const bound = bindSandbox(s, (repo, ref) => (repo.endsWith('account.git') ? undefined : fakeCommit(repo, ref)), fakeDigest());
    expect(diffSandbox(diffInput(s, { bound, live })).sync).toBe('OutOfSync');
  });
});

describe('diffSandbox: determinism', () => {
  it('the same drift whatever the order of live lists and nodes', () => {
    const s = desiredSandbox({ gatewayNode: 'gw-1' });
    const bound = bind(s);
    const base = editLive(liveInSync(s, bound), ACCOUNT, (c) => ({ ...c, specHash: 'x', image: 'a:1', env: {} }));
    const shuffled = [...base].reverse().map((ln) => ({ ...ln, containers: [...ln.containers].reverse() }));
    const a = diffSandbox(diffInput(s, { bound, live: base }));
    const b = diffSandbox(diffInput({ ...s, services: [...s.services].reverse() }, { bound, live: shuffled }));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe('diffSandbox: properties', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
  it('any sandbox against the live side built from it: Synced, Healthy, no drift; one removal: OutOfSync', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(name, { maxLength: 3 }),
        fc.constantFrom('node-1', 'node-2'),
        fc.constantFrom('node-1', 'gw-1'),
        fc.nat(),
        (services, baseline, serviceNode, gatewayNode, pick) => {
          const s = desiredSandbox({ services, baseline: baseline.filter((b) => !services.includes(b)), serviceNode, gatewayNode });
          const bound = bind(s);
          const live = liveInSync(s, bound);
          expect(diffSandbox(diffInput(s, { bound, live }))).toMatchObject({ sync: 'Synced', health: 'Healthy', drift: [] });
          const victim = bound.containers[pick % bound.containers.length]!.name;
          const without = live.map((ln) => ({ ...ln, containers: ln.containers.filter((c) => c.name !== victim) }));
          const d = diffSandbox(diffInput(s, { bound, live: without }));
          expect(d.sync).toBe('OutOfSync');
          expect(d.drift.filter((e) => e.change === 'missing')).toHaveLength(1);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('groupLiveBySandbox', () => {
  it('slices every node inventory by sandbox, keeping the node', () => {
    const qa = desiredSandbox();
    const qb = desiredSandbox({ name: 'qb' });
    const a = liveInSync(qa, bind(qa))[0]!;
    const b = liveInSync(qb, bind(qb))[0]!;
    const grouped = groupLiveBySandbox(
      new Map([
        ['node-1', { containers: [...a.containers, ...b.containers], networks: [...a.networks, ...b.networks], gateways: [...a.gateways, ...b.gateways] }],
      ]),
    );
    expect([...grouped.keys()].sort()).toEqual(['qa', 'qb']);
    expect(grouped.get('qa')).toEqual([a]);
    expect(diffSandbox(diffInput(qb, { live: grouped.get('qb')! })).sync).toBe('Synced');
  });

  it("keeps only its Platform's objects: another installation's, or unlabelled ones, are not ours", () => {
    const inv = (s: DesiredSandbox, platform?: string) => liveInSync(s, bindSandbox(s, fakeCommit, fakeDigest(), platform))[0]!;
    const qa = desiredSandbox();
    const ours = inv(qa, 't-mine');
    const foreign = inv(desiredSandbox({ name: 'qb' }), 'other');
    const legacy = inv(desiredSandbox({ name: 'qc' }));
    // the other installation also has a sandbox `qa`, on another engine (node) both reach
    const twin = inv(qa, 'other');
    const merge = (...ls: LiveNodeState[]) => ({
      containers: ls.flatMap((l) => l.containers),
      networks: ls.flatMap((l) => l.networks),
      gateways: ls.flatMap((l) => l.gateways),
    });
    const nodes = new Map([
      ['node-1', merge(ours, foreign, legacy)],
      ['node-2', merge(twin)],
    ]);
    const grouped = groupLiveBySandbox(nodes, 't-mine');
    expect([...grouped.keys()]).toEqual(['qa']);
    expect(grouped.get('qa')).toEqual([ours]);
    expect(ours.gateways).toHaveLength(1);
    expect(diffOrphans(grouped, [], ['node-1', 'node-2']).map((o) => o.sandbox)).toEqual(['qa']);
    expect([...groupLiveBySandbox(nodes, 'other').keys()].sort()).toEqual(['qa', 'qb']);
    expect(groupLiveBySandbox(nodes, 'other').get('qa')!.map((ln) => ln.node)).toEqual(['node-2']);
    expect([...groupLiveBySandbox(nodes).keys()]).toEqual(['qc']);
  });

  it("reuses an unchanged node's slices: only the node whose inventory object changed is sliced again", () => {
    const qa = desiredSandbox();
    const qb = desiredSandbox({ name: 'qb', serviceNode: 'node-2' });
    const [a] = liveInSync(qa, bind(qa));
    const [b] = liveInSync(qb, bind(qb));
    const one = { containers: a!.containers, networks: a!.networks, gateways: a!.gateways };
    const two = { containers: b!.containers, networks: b!.networks, gateways: b!.gateways };
    const first = groupLiveBySandbox(new Map([['node-1', one], ['node-2', two]]), undefined);
    const again = groupLiveBySandbox(new Map([['node-1', one], ['node-2', { ...two, containers: [...two.containers] }]]), undefined);
    expect(again.get('qa')![0]).toBe(first.get('qa')![0]);
    expect(again.get('qb')![0]).not.toBe(first.get('qb')![0]);
    expect(again.get('qb')).toEqual(first.get('qb'));
    // sliced for another Platform, the same inventory is sliced again
    expect(groupLiveBySandbox(new Map([['node-1', one]]), 'other').get('qa')).toBeUndefined();
  });
});

describe('diffOrphans', () => {
  const gone = desiredSandbox({ name: 'gone', gatewayNode: 'gw-1' });
  const kept = desiredSandbox({ name: 'kept' });
  const nodes = new Map<string, { containers: LiveContainer[]; networks: LiveNodeState['networks']; gateways: LiveNodeState['gateways'] }>();
  for (const ln of [...liveInSync(gone, bind(gone)), ...liveInSync(kept, bind(kept))]) {
    const inv = nodes.get(ln.node) ?? { containers: [], networks: [], gateways: [] };
    nodes.set(ln.node, { containers: [...inv.containers, ...ln.containers], networks: [...inv.networks, ...ln.networks], gateways: [...inv.gateways, ...ln.gateways] });
  }
  const grouped = groupLiveBySandbox(nodes);

  it('lists the managed objects of sandboxes no spec asks for, per node, as extra', () => {
    const orphans = diffOrphans(grouped, ['kept'], ['node-1', 'gw-1']).map((o) => ({ ...o, drift: driftEntries(o.drift) }));
    expect(orphans).toEqual([
      {
        sandbox: 'gone',
        nodes: [
          { node: 'gw-1', containers: ['sandbox-gone-gateway'], networks: ['sandbox-gone'] },
          { node: 'node-1', containers: ['sandbox-gone-account', 'sandbox-gone-orders'], networks: ['sandbox-gone'] },
        ],
        drift: [
          { resource: 'gateway', change: 'extra', live: 'sdp/caddy:local' },
          { resource: 'network', change: 'extra', live: 'sandbox-gone on gw-1' },
          { resource: 'service/account', change: 'extra', live: fakeCommit('https://git.example.com/app/account.git', 'feature/account') },
          { resource: 'service/orders', change: 'extra', live: fakeCommit('https://git.example.com/app/orders.git', 'feature/orders') },
          { resource: 'network', change: 'extra', live: 'sandbox-gone on node-1' },
        ],
      },
    ]);
  });

  it('nothing when every sandbox is desired; offline nodes are left out', () => {
    expect(diffOrphans(grouped, ['kept', 'gone'], ['node-1', 'gw-1'])).toEqual([]);
    expect(diffOrphans(grouped, ['kept'], ['gw-1']).map((o) => o.nodes.map((n) => n.node))).toEqual([['gw-1']]);
  });

  it('ignores labels that are not a sandbox name (no job could name them)', () => {
    const odd = new Map([['Bad_Name', [{ node: 'node-1', containers: [], networks: [{ id: 'x', name: 'n', sandbox: 'Bad_Name' }], gateways: [] }]]]);
    expect(diffOrphans(odd, [], ['node-1'])).toEqual([]);
  });
});
