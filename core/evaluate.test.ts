import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../schema/desired.ts';
import { bindSandbox } from './bind/bind.ts';
import { desiredSandbox, fakeCommit, fakeDigest, liveInSync } from './diff/fixtures.ts';
import type { NodeLive } from './diff/live.ts';
import { sandboxSummary } from '../reconciler/present/summary.ts';
import { evaluateWorld, type WorldInput } from './evaluate.ts';

const sandbox = desiredSandbox();
const desired: DesiredState = {
  platform: { name: 'p', nodes: [{ name: 'node-1', roles: ['micro', 'gateway'], address: '127.0.0.1' }], ports: { gateway: [1, 2], services: [3, 4] }, services: [] },
  sandboxes: [sandbox],
  templates: [],
  environments: [],
  ports: {},
};
const bound = bindSandbox(sandbox, fakeCommit, fakeDigest(), 'p');
const inSync = (): Map<string, NodeLive> => new Map(liveInSync(sandbox, bound).map(({ node, ...rest }) => [node, rest]));

function world(over: Partial<WorldInput> = {}, ctx: Partial<WorldInput['ctx']> = {}) {
  const states = evaluateWorld({
    revision: { id: '7', desired },
    live: inSync(),
    ctx: { commits: fakeCommit, secretDigest: fakeDigest(), online: ['node-1'], ...ctx },
    now: Date.parse('2026-06-01T00:00:00Z'),
    expiresAt: () => undefined,
    syncs: () => ({}),
    ...over,
  });
  // as the API shows it (reconciler/present/summary.ts renders the findings)
  return new Map([...states].map(([name, st]) => [name, { ...st, summary: sandboxSummary(st) }]));
}

describe('evaluateWorld', () => {
  it('in sync: Synced/Healthy with reasons, every condition True', () => {
    const s = world().get('qa')!.summary;
    expect(s).toMatchObject({ sync: 'Synced', health: 'Healthy', revision: '7' });
    expect(s.syncStatus).toEqual({ status: 'Synced', reason: 'InSync', message: 'what runs matches the desired state' });
    expect(s.healthStatus).toMatchObject({ status: 'Healthy', reason: 'AllHealthy', message: '3 containers running and healthy' });
    expect(s.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['AgentsConnected=True', 'BranchesResolved=True', 'RoutesRead=True']);
  });

  it('Unknown because the agent is offline: named as such, with the node', () => {
    const s = world({}, { online: [] }).get('qa')!.summary;
    expect(s.syncStatus).toMatchObject({ status: 'Unknown', reason: 'AgentOffline' });
    expect(s.syncStatus.message).toContain('node-1 is offline');
    expect(s.healthStatus.reason).toBe('AgentOffline');
    expect(s.conditions.find((c) => c.type === 'AgentsConnected')).toMatchObject({ status: 'False', reason: 'AgentOffline' });
  });

  it('Unknown because a branch did not resolve: names the service, the branch and the resolver error', () => {
    const commits = (repo: string, ref: string) => (repo.includes('account') ? undefined : fakeCommit(repo, ref));
    const failed = world({}, { commits, branchError: () => 'no branch feature/login' }).get('qa')!.summary;
    expect(failed.syncStatus).toMatchObject({ status: 'Unknown', reason: 'BranchUnresolved' });
    expect(failed.syncStatus.message).toMatch(/^service\/account: branch \S+ of \S+ could not be resolved: no branch feature\/login$/);
    const notYet = world({}, { commits }).get('qa')!.summary;
    expect(notYet.syncStatus.message).toContain('is not resolved yet');
    expect(notYet.conditions.find((c) => c.type === 'BranchesResolved')).toMatchObject({ status: 'False', reason: 'BranchUnresolved' });
  });

  it("Unknown because the gateway's routes could not be read: carries the agent's error", () => {
    const live = inSync();
    const n = live.get('node-1')!;
    live.set('node-1', { ...n, gateways: n.gateways.map((g) => ({ ...g, routes: {}, error: 'admin API: connect ECONNREFUSED' })) });
    const s = world({ live }).get('qa')!.summary;
    expect(s.syncStatus).toEqual({ status: 'Unknown', reason: 'RoutesUnreadable', message: "the gateway's routes could not be read: admin API: connect ECONNREFUSED" });
    expect(s.conditions.find((c) => c.type === 'RoutesRead')).toMatchObject({ status: 'False' });
  });

  it('drift and a dead container: OutOfSync (Drift) and Degraded naming the container', () => {
    const live = inSync();
    const n = live.get('node-1')!;
    live.set('node-1', { ...n, containers: n.containers.map((c) => (c.service === 'orders' ? { ...c, state: 'exited' as const, health: 'none' } : c)) });
    const s = world({ live }).get('qa')!.summary;
    expect(s.syncStatus).toMatchObject({ status: 'OutOfSync', reason: 'Drift', message: '1 drift entry on service/orders' });
    expect(s.healthStatus).toEqual({ status: 'Degraded', reason: 'ContainerDown', message: 'not serving: service/orders exited' });
  });

  it("a running container failing the agent's health check: Degraded (HealthCheckFailing) naming it and what failed", () => {
    const live = inSync();
    const n = live.get('node-1')!;
    const probe = { status: 'unhealthy' as const, check: 'GET /health', failure: { kind: 'status' as const, message: 'HTTP 500' }, since: '2026-06-01T00:00:00Z' };
    live.set('node-1', { ...n, containers: n.containers.map((c) => (c.service === 'orders' ? { ...c, health: 'unhealthy', probe } : c)) });
    const s = world({ live }).get('qa')!.summary;
    expect(s.sync).toBe('Synced');
    expect(s.healthStatus).toEqual({
      status: 'Degraded',
      reason: 'HealthCheckFailing',
      message: 'running but failing its health check: service/orders GET /health: HTTP 500 since 2026-06-01T00:00:00Z',
    });
    // and Healthy again once the probe passes
    live.set('node-1', { ...n, containers: n.containers.map((c) => (c.service === 'orders' ? { ...c, health: 'healthy', probe: { ...probe, status: 'healthy' as const } } : c)) });
    expect(world({ live }).get('qa')!.summary.healthStatus.reason).toBe('AllHealthy');
  });

  it('expired: health Expired (TtlExpired), and the sync target is the suspended state', () => {
    const st = world({ expiresAt: () => 0 }).get('qa')!;
    expect(st.summary.healthStatus.reason).toBe('TtlExpired');
    const target = st.evaluated.target(false);
    expect('sandbox' in target && target.sandbox.suspended).toBe(true);
  });

  it('last applied vs last attempted revision, and a failed last sync as a condition', () => {
    const s = world({
      syncs: () => ({
        applied: { revision: '6', jobId: 'j1', at: 'a' },
        attempted: { revision: '7', jobId: 'j2', at: 'b', ok: false },
        last: { id: 'j2', sandbox: 'qa', status: 'failed', user: 'u', revision: '7', prune: false, dryRun: false, createdAt: 'b', error: 'service/account on node-1: health check failed' },
      }),
    }).get('qa')!.summary;
    expect(s.lastApplied).toEqual({ revision: '6', jobId: 'j1', at: 'a' });
    expect(s.lastAttempted).toEqual({ revision: '7', jobId: 'j2', at: 'b', ok: false });
    expect(s.conditions.find((c) => c.type === 'LastSyncSucceeded')).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(s.lastSync).toEqual({ jobId: 'j2', status: 'failed', at: 'b' });
  });

  it('an orphan: OutOfSync because no spec asks for it', () => {
    const none = { ...desired, sandboxes: [] };
    const s = world({ revision: { id: '8', desired: none } }).get('qa')!.summary;
    expect(s.syncStatus).toMatchObject({ status: 'OutOfSync', reason: 'NotInSpec' });
  });
});

describe('evaluateWorld, incremental (given the last evaluation)', () => {
  // two sandboxes on one node: an event on one of them must leave the other's evaluation as it was
  const other = desiredSandbox({ name: 'uat' });
  const two: DesiredState = { ...desired, sandboxes: [sandbox, other] };
  const liveOfBoth = (): Map<string, NodeLive> => {
    const a = liveInSync(sandbox, bound)[0]!;
    const b = liveInSync(other, bindSandbox(other, fakeCommit, fakeDigest(), 'p'))[0]!;
    return new Map([['node-1', { containers: [...a.containers, ...b.containers], networks: [...a.networks, ...b.networks], gateways: [...a.gateways, ...b.gateways] }]]);
  };
  const input = (live: Map<string, NodeLive>, over: Partial<WorldInput> = {}): WorldInput => ({
    revision: { id: '7', desired: two },
    live,
    ctx: { commits: fakeCommit, secretDigest: fakeDigest(), online: ['node-1'] },
    now: 0,
    expiresAt: () => undefined,
    syncs: () => noSyncs,
    ...over,
  });
  const noSyncs = {};

  it('a container event re-evaluates its sandbox and keeps the unchanged one', () => {
    const live = liveOfBoth();
    const first = evaluateWorld(input(live));
    // as the live cache applies an event: one container replaced, every other object the same
    const n = live.get('node-1')!;
    const dead = new Map([['node-1', { ...n, containers: n.containers.map((c) => (c.sandbox === 'qa' && c.service === 'orders' ? { ...c, state: 'exited' as const } : c)) }]]);
    const next = evaluateWorld(input(dead, { previous: first }));
    expect(next.get('uat')).toBe(first.get('uat'));
    expect(next.get('qa')).not.toBe(first.get('qa'));
    expect(next.get('qa')!.evaluated.sync).toBe('OutOfSync');
    expect(next.get('uat')!.evaluated.sync).toBe('Synced');
  });

  it('a new sync record or a ttl that ran out re-evaluates that sandbox only', () => {
    const live = liveOfBoth();
    const first = evaluateWorld(input(live));
    const failed = { attempted: { revision: '7', jobId: 'j', at: 'a', ok: false } };
    const next = evaluateWorld(input(live, { previous: first, syncs: (n) => (n === 'qa' ? failed : noSyncs) }));
    expect(next.get('qa')).not.toBe(first.get('qa'));
    expect(next.get('uat')).toBe(first.get('uat'));
    const expired = evaluateWorld(input(live, { previous: next, syncs: (n) => (n === 'qa' ? failed : noSyncs), expiresAt: (s) => (s.name === 'uat' ? 0 : undefined) }));
    expect(expired.get('uat')!.expired).toBe(true);
    expect(expired.get('qa')).toBe(next.get('qa'));
  });

  it('a new revision keeps the evaluation of a sandbox whose compiled object it kept, under its id; a changed one is evaluated again', () => {
    const live = liveOfBoth();
    const first = evaluateWorld(input(live));
    const suspended = { ...other, suspended: true };
    const rev = evaluateWorld(input(live, { previous: first, revision: { id: '8', desired: { ...two, sandboxes: [sandbox, suspended] } } }));
    expect(rev.get('qa')).not.toBe(first.get('qa'));
    expect(rev.get('qa')!.evaluated).toBe(first.get('qa')!.evaluated);
    expect(rev.get('qa')!.revision).toBe('8');
    expect(rev.get('uat')!.evaluated).not.toBe(first.get('uat')!.evaluated);
    expect(rev.get('uat')!.evaluated.sync).toBe('OutOfSync');
    expect(rev.get('uat')!.revision).toBe('8');
    const all = evaluateWorld(input(live));
    expect(all.get('uat')).not.toBe(first.get('uat'));
  });
});
