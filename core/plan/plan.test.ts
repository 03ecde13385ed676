import { describe, expect, it } from 'vitest';
import type { LiveContainer } from '../../schema/protocol.ts';
import { validateServerMessage } from '../../schema/validate.ts';
import { diffSandbox as diffFindings } from '../diff/diff.ts';
import { driftEntries } from '../../reconciler/present/drift.ts';

/** The diff as the API shows it: findings rendered to DriftEntry (reconciler/present/drift.ts). */
const diffSandbox = (input: Parameters<typeof diffFindings>[0]) => {
  const d = diffFindings(input);
  return { ...d, drift: driftEntries(d.drift) };
};
import { bind, desiredSandbox, diffInput, editLive, fakeCommit, fakeDigest, liveContainer, liveInSync, specOf } from '../diff/fixtures.ts';
import { groupLiveBySandbox, type LiveNodeState } from '../diff/live.ts';
import { diffOrphans } from '../diff/orphans.ts';
import { bindSandbox } from '../bind/bind.ts';
import { planView } from '../../reconciler/present/plan.ts';
import { planOrphans, planSandbox, type PlannedStep } from './plan.ts';

const ACCOUNT = 'sandbox-qa-account';
const ORDERS = 'sandbox-qa-orders';
const GATEWAY = 'sandbox-qa-gateway';

const summary = (steps: PlannedStep[]) => steps.map((s) => `${s.id} ${s.change}: ${s.reason}`);

function expectValidJobs(steps: PlannedStep[]): void {
  for (const s of steps) {
    const checked = validateServerMessage({ type: 'job', job: { ...s.job, id: `job-${s.id}` } });
    expect(checked, `${s.id}: ${checked.ok ? '' : checked.error}`).toMatchObject({ ok: true });
  }
}

function plan(live: (l: LiveNodeState[]) => LiveNodeState[], o: { prune?: boolean; suspended?: boolean } = {}) {
  const s = desiredSandbox({ suspended: o.suspended ?? false });
  const bound = bind(s);
  const steps = planSandbox(diffInput(s, { bound, live: live(liveInSync(s, bound)) }), { prune: o.prune ?? false });
  expectValidJobs(steps);
  return steps;
}

const setLive = (name: string, over: Partial<LiveContainer>) => (l: LiveNodeState[]) => editLive(l, name, (c) => ({ ...c, ...over }));

describe('planSandbox', () => {
  it('no drift: an empty plan, a noop view', () => {
    const steps = plan((l) => l, { prune: true });
    expect(steps).toEqual([]);
    expect(planView('qa', 'rev1', [], steps)).toEqual({ sandbox: 'qa', revision: 'rev1', drift: [], actions: [], noop: true });
  });

  it('a new sandbox: network, then services in one wave, then the gateway carrying its routes', () => {
    const steps = plan(() => []);
    expect(summary(steps)).toEqual([
      '1-ensure-network-network@node-1 create: network missing',
      '2-deploy-service/account@node-1 create: container missing',
      '2-deploy-service/orders@node-1 create: container missing',
      '3-deploy-gateway@node-1 create: container missing',
    ]);
    const gw = steps[3]!.job;
    expect(gw).toMatchObject({
      kind: 'deploy',
      gateway: {
        adapter: { adapter: 'proxy' },
        routes: { account: 'http://account:8080', orders: 'http://orders:8080', payment: 'https://payment-dev.example.com' },
      },
    });
    expect(steps[1]!.job).toEqual({ kind: 'deploy', container: specOf(bind(desiredSandbox()), 'account') });
    expect(steps[0]!.job).toEqual({ kind: 'ensure-network', sandbox: 'qa', network: 'sandbox-qa' });
  });

  it('a moved branch head: redeploy with the commits in the reason', () => {
    const s = desiredSandbox();
    const live = editLive(liveInSync(s, bind(s)), ACCOUNT, (c) => ({ ...c, commit: '1a2b3c4d5e6f70000000', specHash: 'old' }));
    const bound = bindSandbox(s, (repo, ref) => (repo.endsWith('account.git') ? '9f8e7d6c5b4a3928' : fakeCommit(repo, ref)), fakeDigest());
    const steps = planSandbox(diffInput(s, { bound, live }), { prune: false });
    expect(summary(steps)).toEqual(['2-deploy-service/account@node-1 replace: commit 1a2b3c4 -> 9f8e7d6']);
    expect(steps[0]!.job).toMatchObject({ kind: 'deploy', container: { source: { commit: '9f8e7d6c5b4a3928' } } });
  });

  it('reasons name every changed field', () => {
    const steps = plan(
      setLive(ACCOUNT, {
        specHash: 'old',
        image: 'sdp/busybox:old',
        env: { DB_HOST: 'x', DB_PORT: '5432', SERVICE_NAME: 'account', DB_PASSWORD: '(redacted)' },
        resources: { cpu: 1 },
      }),
    );
    expect(summary(steps)).toEqual([
      '2-deploy-service/account@node-1 replace: image sdp/busybox:old -> sdp/busybox:local; env DB_HOST; resources cpu 1 -> cpu 0.5, memory 512Mi',
    ]);
  });

  it('a stopped container of the right config is started, not redeployed', () => {
    const steps = plan(setLive(ORDERS, { state: 'exited', health: 'none' }));
    expect(summary(steps)).toEqual(['2-start-service/orders@node-1 start: container exited']);
    expect(steps[0]!.job).toEqual({ kind: 'start', sandbox: 'qa', containers: [ORDERS] });
  });

  it('a stopped container of another config is redeployed; a dead one too', () => {
    expect(summary(plan(setLive(ORDERS, { state: 'exited', specHash: 'old', image: 'sdp/busybox:old' })))).toEqual([
      '2-deploy-service/orders@node-1 replace: image sdp/busybox:old -> sdp/busybox:local',
    ]);
    expect(summary(plan(setLive(ORDERS, { state: 'dead' })))).toEqual(['2-deploy-service/orders@node-1 replace: container dead']);
  });

  it('route drift alone: apply-routes in wave 4 with the whole desired table', () => {
    const steps = plan((l) =>
      l.map((ln) => ({
        ...ln,
        gateways: ln.gateways.map((g) => ({ ...g, routes: { ...g.routes, account: 'https://account-dev.example.com' } })),
      })),
    );
    expect(summary(steps)).toEqual([
      '4-apply-routes-routes@node-1 update: route account: https://account-dev.example.com -> sandbox (http://account:8080)',
    ]);
    expect(steps[0]!.job).toEqual({
      kind: 'apply-routes',
      sandbox: 'qa',
      container: GATEWAY,
      adapter: { adapter: 'proxy' },
      routes: { account: 'http://account:8080', orders: 'http://orders:8080', payment: 'https://payment-dev.example.com' },
    });
  });

  it('route drift with a gateway redeploy: the deploy applies the routes, no apply-routes', () => {
    const steps = plan((l) =>
      setLive(GATEWAY, { specHash: 'old', image: 'sdp/caddy:old' })(l).map((ln) => ({
        ...ln,
        gateways: ln.gateways.map((g) => ({ ...g, routes: {} })),
      })),
    );
    expect(steps.map((s) => s.id)).toEqual(['3-deploy-gateway@node-1']);
  });

  it('the env adapter never gets apply-routes (its routes change only by a redeploy)', () => {
    const s = desiredSandbox({ adapter: { adapter: 'env' } });
    const bound = bind(s);
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, gateways: ln.gateways.map((g) => ({ ...g, routes: {} })) }));
    expect(planSandbox(diffInput(s, { bound, live }), { prune: false })).toEqual([]);
  });

  describe('prune', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const legacy = liveContainer({ ...specOf(bound, 'orders'), name: 'sandbox-qa-legacy', service: 'legacy' });
    const away = liveContainer(specOf(bound, 'account'));
    const live: LiveNodeState[] = [
      ...liveInSync(s, bound).map((ln) => ({ ...ln, containers: [...ln.containers, legacy] })),
      { node: 'node-9', containers: [away], networks: [{ id: 'n9', name: 'sandbox-qa', sandbox: 'qa' }], gateways: [] },
    ];
    const input = diffInput(s, { bound, live, online: ['node-1', 'node-9'] });

    it('without prune, extras are drift but get no action', () => {
      expect(diffSandbox(input).drift.filter((e) => e.change === 'extra')).toHaveLength(3);
      expect(planSandbox(input, { prune: false })).toEqual([]);
    });

    it('with prune: wave 5 removes extra containers, and everything on a node that should hold nothing', () => {
      const steps = planSandbox(input, { prune: true });
      expectValidJobs(steps);
      expect(summary(steps)).toEqual([
        '5-remove-network@node-9 remove: sandbox has nothing on node-9 any more',
        '5-remove-service/legacy@node-1 remove: not in the spec (sandbox-qa-legacy)',
      ]);
      expect(steps.map((x) => x.job)).toEqual([
        { kind: 'remove', sandbox: 'qa', containers: [ACCOUNT], all: true },
        { kind: 'remove', sandbox: 'qa', containers: ['sandbox-qa-legacy'], all: false },
      ]);
    });
  });

  it('two extra containers of one service on one node get distinct ids', () => {
    const s = desiredSandbox();
    const bound = bind(s);
    const stale = (name: string) => liveContainer({ ...specOf(bound, 'orders'), name, service: 'legacy' });
    const live = liveInSync(s, bound).map((ln) => ({ ...ln, containers: [...ln.containers, stale('sandbox-qa-legacy-b'), stale('sandbox-qa-legacy-a')] }));
    const steps = planSandbox(diffInput(s, { bound, live }), { prune: true });
    expect(steps.map((x) => [x.id, x.job])).toEqual([
      ['5-remove-service/legacy@node-1', { kind: 'remove', sandbox: 'qa', containers: ['sandbox-qa-legacy-a'], all: false }],
      ['5-remove-service/legacy@node-1#2', { kind: 'remove', sandbox: 'qa', containers: ['sandbox-qa-legacy-b'], all: false }],
    ]);
  });

  describe('suspend and resume', () => {
    it('suspended: stop every running container, services then gateway', () => {
      const steps = plan((l) => setLive(ORDERS, { state: 'exited' })(l), { suspended: true });
      expect(summary(steps)).toEqual([
        '2-stop-service/account@node-1 stop: sandbox suspended (container running)',
        '3-stop-gateway@node-1 stop: sandbox suspended (container running)',
      ]);
      expect(steps[0]!.job).toEqual({ kind: 'stop', sandbox: 'qa', containers: [ACCOUNT] });
    });

    it('suspended and stopped: nothing to do, even with config drift or prune', () => {
      const stopped = (l: LiveNodeState[]) =>
        l.map((ln) => ({ ...ln, containers: ln.containers.map((c) => ({ ...c, state: 'exited', specHash: 'old' })) }));
      expect(plan(stopped, { suspended: true, prune: true })).toEqual([]);
    });

    it('resumed: stopped containers of the right config are started', () => {
      const stopped = (l: LiveNodeState[]) => l.map((ln) => ({ ...ln, containers: ln.containers.map((c) => ({ ...c, state: 'exited' })) }));
      expect(summary(plan(stopped))).toEqual([
        '2-start-service/account@node-1 start: container exited',
        '2-start-service/orders@node-1 start: container exited',
        '3-start-gateway@node-1 start: container exited',
      ]);
    });
  });

  it('plans nothing for a node that is offline, nor for a branch that did not resolve', () => {
    const s = desiredSandbox({ gatewayNode: 'gw-1' });
    const steps = planSandbox(diffInput(s, { live: [], online: ['node-1'] }), { prune: true });
    expect(steps.map((x) => x.id)).toEqual([
      '1-ensure-network-network@node-1',
      '2-deploy-service/account@node-1',
      '2-deploy-service/orders@node-1',
    ]);
    const bound = bindSandbox(s, (repo, ref) => (repo.endsWith('account.git') ? undefined : fakeCommit(repo, ref)), fakeDigest());
    const unresolved = planSandbox(diffInput(s, { bound, live: [] }), { prune: true });
    expect(unresolved.map((x) => x.id)).not.toContain('2-deploy-service/account@node-1');
    expect(unresolved.map((x) => x.id)).toContain('3-deploy-gateway@gw-1');
  });

  it('is deterministic: same ids and order whatever the input order', () => {
    const s = desiredSandbox({ services: ['a', 'b', 'c', 'd'], gatewayNode: 'gw-1' });
    const bound = bind(s);
    const a = planSandbox(diffInput(s, { bound, live: [] }), { prune: true });
    const reversed = { ...s, services: [...s.services].reverse(), nodes: [...s.nodes].reverse() };
    const b = planSandbox(diffInput(reversed, { bound: bind(reversed), live: [] }), { prune: true });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(new Set(a.map((x) => x.id)).size).toBe(a.length);
    expect(a.map((x) => x.wave)).toEqual([...a.map((x) => x.wave)].sort());
  });

  it('never carries a secret value (jobs hold keys only; the executor adds values when it sends)', () => {
    const SECRET = 'S3cr3t-5d0a7c11-unique';
    const steps = plan(setLive(ACCOUNT, { specHash: 'old', env: { DB_PASSWORD: SECRET } }));
    expect(steps.length).toBeGreaterThan(0);
    expect(JSON.stringify(steps)).not.toContain(SECRET);
    for (const st of steps) expect(st.job).not.toHaveProperty('secretValues');
  });
});

describe('planOrphans', () => {
  it('removes a deleted sandbox per node: containers, network and worktrees', () => {
    const gone = desiredSandbox({ name: 'gone', gatewayNode: 'gw-1' });
    const live = liveInSync(gone, bind(gone));
    const grouped = groupLiveBySandbox(new Map(live.map((ln) => [ln.node, ln])));
    const [orphan] = diffOrphans(grouped, [], ['node-1', 'gw-1']);
    const steps = planOrphans(orphan!);
    expectValidJobs(steps);
    expect(summary(steps)).toEqual([
      '5-remove-sandbox@gw-1 remove: sandbox gone is in no spec: remove 1 container(s), network and worktrees',
      '5-remove-sandbox@node-1 remove: sandbox gone is in no spec: remove 2 container(s), network and worktrees',
    ]);
    expect(steps[1]!.job).toEqual({ kind: 'remove', sandbox: 'gone', containers: ['sandbox-gone-account', 'sandbox-gone-orders'], all: true });
    expect(planView('gone', 'rev', driftEntries(orphan!.drift), steps).noop).toBe(false);
  });

  it("the jobs that create or remove networks and sandboxes carry the Platform's name", () => {
    const gone = desiredSandbox({ name: 'gone' });
    const grouped = groupLiveBySandbox(new Map(liveInSync(gone, bind(gone)).map((ln) => [ln.node, ln])));
    const [orphan] = diffOrphans(grouped, [], ['node-1']);
    const steps = planOrphans(orphan!, 't-plan');
    expectValidJobs(steps);
    expect(steps.map((st) => st.job)).toEqual([{ kind: 'remove', sandbox: 'gone', platform: 't-plan', containers: expect.any(Array), all: true }]);
    const qa = desiredSandbox();
    const fresh = planSandbox({ sandbox: qa, bound: bind(qa), live: [], online: ['node-1'] }, { prune: false, platform: 't-plan' });
    expectValidJobs(fresh);
    expect(fresh[0]!.job).toEqual({ kind: 'ensure-network', sandbox: 'qa', platform: 't-plan', network: 'sandbox-qa' });
  });
});
