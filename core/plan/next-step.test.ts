import { describe, expect, it } from 'vitest';
import type { LiveContainer } from '../../schema/protocol.ts';
import { bind, desiredSandbox, editLive, liveContainer, liveInSync, specOf } from '../diff/fixtures.ts';
import type { LiveNodeState } from '../diff/live.ts';
import { nextStep, type Observed, type Operation, type StepOutcome } from './next-step.ts';
import type { PlannedStep } from './plan.ts';

const ACCOUNT = 'sandbox-qa-account';
const ORDERS = 'sandbox-qa-orders';
const GATEWAY = 'sandbox-qa-gateway';

function operation(o: { prune?: boolean; sandbox?: ReturnType<typeof desiredSandbox> } = {}) {
  const sandbox = o.sandbox ?? desiredSandbox();
  const bound = bind(sandbox);
  const steps = new Map<string, { step: PlannedStep; outcome: StepOutcome }>();
  const op: Operation = { target: { sandbox, bound }, prune: o.prune ?? false, platform: '', steps };
  return { op, steps, sandbox, bound };
}

const observed = (live: LiveNodeState[]): Observed => ({ live, online: ['node-1'] });
const ids = (d: ReturnType<typeof nextStep>) => (d.kind === 'run' ? d.steps.map((s) => s.id) : d.kind);

function start(steps: Map<string, { step: PlannedStep; outcome: StepOutcome }>, d: ReturnType<typeof nextStep>): PlannedStep[] {
  if (d.kind !== 'run') throw new Error(`expected run, got ${d.kind}`);
  for (const s of d.steps) steps.set(s.id, { step: s, outcome: { status: 'running' } });
  return d.steps;
}

function finish(steps: Map<string, { step: PlannedStep; outcome: StepOutcome }>, id: string, outcome: StepOutcome): void {
  const s = steps.get(id);
  if (!s) throw new Error(`no step ${id}`);
  steps.set(id, { step: s.step, outcome });
}

/** What a deploy step leaves behind: the container from its spec, running (or as `over` says). */
function deployed(live: LiveNodeState[], step: PlannedStep, over: Partial<LiveContainer> = {}): LiveNodeState[] {
  if (step.job.kind !== 'deploy') return live;
  const c = liveContainer(step.job.container, over);
  return live.map((ln) => ({ ...ln, containers: [...ln.containers.filter((x) => x.name !== c.name), c] }));
}

describe('nextStep', () => {
  it('an in-sync sandbox: succeeded at once, nothing to run', () => {
    const { op, sandbox, bound } = operation();
    expect(nextStep(op, observed(liveInSync(sandbox, bound)))).toEqual({ kind: 'succeeded' });
  });

  it('a new sandbox, pipelined: the network and the gateway start with the services; each route switches once its target is healthy, never before', () => {
    const { op, steps, sandbox, bound } = operation();
    let live: LiveNodeState[] = [{ node: 'node-1', containers: [], networks: [], gateways: [] }];
    // every deploy ensures the network itself: nothing waits for the network step
    const all = start(steps, nextStep(op, observed(live)));
    expect(all.map((s) => s.id)).toEqual(['1-ensure-network-network@node-1', '2-deploy-service/account@node-1', '2-deploy-service/orders@node-1', '3-deploy-gateway@node-1']);
    expect(new Set(all.map((s) => s.wave))).toEqual(new Set([2]));
    finish(steps, '1-ensure-network-network@node-1', { status: 'succeeded' });
    // the inventory has not caught up yet (no network): the network is not created twice
    expect(nextStep(op, observed(live))).toEqual({ kind: 'wait' });
    const wave = all.slice(1);
    const gw = wave[2]!;
    // its routes: only what is ready (the baseline); account and orders are not healthy yet
    expect(gw.job).toMatchObject({ kind: 'deploy', gateway: { routes: { payment: 'https://payment-dev.example.com' } } });
    expect(Object.keys(gw.job.kind === 'deploy' ? (gw.job.gateway?.routes ?? {}) : {})).toEqual(['payment']);

    finish(steps, wave[0]!.id, { status: 'succeeded' });
    live = deployed(live, wave[0]!);
    expect(nextStep(op, observed(live)), 'no route can switch before the gateway runs').toEqual({ kind: 'wait' });
    finish(steps, gw.id, { status: 'succeeded' });
    live = deployed(live, gw);
    const first = start(steps, nextStep(op, observed(live)));
    expect(first.map((s) => s.kind)).toEqual(['apply-routes']);
    expect(first[0]!.job).toMatchObject({ kind: 'apply-routes', routes: { account: 'http://account:8080', payment: 'https://payment-dev.example.com' } });
    expect(first[0]!.job.kind === 'apply-routes' && 'orders' in first[0]!.job.routes).toBe(false);
    finish(steps, first[0]!.id, { status: 'succeeded' });
    expect(nextStep(op, observed(live)), 'orders is still deploying').toEqual({ kind: 'wait' });

    finish(steps, wave[1]!.id, { status: 'succeeded' });
    live = deployed(live, wave[1]!);
    const second = start(steps, nextStep(op, observed(live)));
    expect(second[0]!.job).toMatchObject({ kind: 'apply-routes', routes: { account: 'http://account:8080', orders: 'http://orders:8080', payment: 'https://payment-dev.example.com' } });
    finish(steps, second[0]!.id, { status: 'succeeded' });
    expect(nextStep(op, observed(liveInSync(sandbox, bound)))).toEqual({ kind: 'succeeded' });
    // and also while the inventory still lags behind (the gateway reports its first table)
    expect(nextStep(op, observed(live))).toEqual({ kind: 'succeeded' });
  });

  it('a missing network still comes first when a stopped container is to start on it', () => {
    const { op, steps, sandbox, bound } = operation();
    const live = editLive(liveInSync(sandbox, bound), ORDERS, (c) => ({ ...c, state: 'exited' })).map((ln) => ({ ...ln, networks: [] }));
    const first = start(steps, nextStep(op, observed(live)));
    expect(first.map((s) => s.id)).toEqual(['1-ensure-network-network@node-1']);
    finish(steps, first[0]!.id, { status: 'succeeded' });
    expect(ids(nextStep(op, observed(live)))).toEqual(['2-start-service/orders@node-1']);
  });

  it('the env route adapter keeps the strict order: the gateway (routes in its env) deploys after the services', () => {
    const { op, steps } = operation({ sandbox: desiredSandbox({ adapter: { adapter: 'env' } }) });
    const live: LiveNodeState[] = [{ node: 'node-1', containers: [], networks: [{ id: 'n', name: 'sandbox-qa', sandbox: 'qa' }], gateways: [] }];
    const services = start(steps, nextStep(op, observed(live)));
    expect(services.map((s) => s.id)).toEqual(['2-deploy-service/account@node-1', '2-deploy-service/orders@node-1']);
  });

  it('failure mid-wave: the steps in flight finish, then the sync fails; no route ever points at the failed service', () => {
    const { op, steps } = operation();
    const live: LiveNodeState[] = [{ node: 'node-1', containers: [], networks: [{ id: 'n', name: 'sandbox-qa', sandbox: 'qa' }], gateways: [] }];
    const wave = start(steps, nextStep(op, observed(live)));
    expect(wave).toHaveLength(3);
    finish(steps, wave[0]!.id, { status: 'failed', error: 'build failed: exit 2' });
    expect(nextStep(op, observed(live)), 'orders and the gateway are still in flight').toEqual({ kind: 'wait' });
    finish(steps, wave[1]!.id, { status: 'succeeded' });
    finish(steps, wave[2]!.id, { status: 'succeeded' });
    expect(nextStep(op, observed(deployed(live, wave[1]!)))).toEqual({ kind: 'failed', error: 'service/account on node-1: build failed: exit 2' });
    const routed = [...steps.values()].flatMap(({ step }) =>
      step.job.kind === 'apply-routes' ? Object.keys(step.job.routes) : step.job.kind === 'deploy' && step.job.gateway ? Object.keys(step.job.gateway.routes) : [],
    );
    expect(routed).not.toContain('account');
  });

  it('rollback: a deploy whose health check failed is rolled back; the routes are left as they were', () => {
    // account moves to a new commit while the gateway routes are in place
    const { op, steps, sandbox } = operation();
    const old = bind(desiredSandbox());
    let live = editLive(liveInSync(sandbox, old), ACCOUNT, (c) => ({ ...c, specHash: 'old', commit: 'aaaaaaa' }));
    // and a route drifted, which a later wave would re-apply
    live = live.map((ln) => ({ ...ln, gateways: ln.gateways.map((g) => ({ ...g, routes: { ...g.routes, orders: 'http://old-orders:8080' } })) }));
    const first = start(steps, nextStep(op, observed(live)));
    expect(first.map((s) => s.id)).toEqual(['2-deploy-service/account@node-1']);
    finish(steps, first[0]!.id, { status: 'failed', error: 'health check GET /health failed after 3 attempts', rolledBack: true });
    const d = nextStep(op, observed(live));
    expect(d).toEqual({ kind: 'failed', error: 'service/account on node-1: health check GET /health failed after 3 attempts (rolled back to the previous container)' });
    expect([...steps.values()].map((s) => s.step.kind)).toEqual(['deploy']);
  });

  it('a container that dies mid-sync: once live shows it down, the sync fails naming it instead of redeploying it', () => {
    const { op, steps, bound } = operation();
    const live: LiveNodeState[] = [{ node: 'node-1', containers: [], networks: [{ id: 'n', name: 'sandbox-qa', sandbox: 'qa' }], gateways: [] }];
    const services = start(steps, nextStep(op, observed(live)));
    for (const s of services) finish(steps, s.id, { status: 'succeeded' });
    const dead = deployed(deployed(live, services[0]!, { state: 'exited', health: 'none' }), services[1]!);
    expect(specOf(bound, 'account').name).toBe(ACCOUNT);
    expect(nextStep(op, observed(dead))).toEqual({
      kind: 'failed',
      error: 'service/account on node-1 stopped during the sync (container exited); later waves were not run',
    });
  });

  it('a container that dies mid-wave: no route switches to it and no later step starts', () => {
    const { op, steps } = operation();
    const live: LiveNodeState[] = [{ node: 'node-1', containers: [], networks: [{ id: 'n', name: 'sandbox-qa', sandbox: 'qa' }], gateways: [] }];
    const services = start(steps, nextStep(op, observed(live)));
    finish(steps, services[0]!.id, { status: 'succeeded' });
    // orders and the gateway still deploying while account is seen dead: wait for them, then fail
    const dead = deployed(live, services[0]!, { state: 'dead' });
    expect(nextStep(op, observed(dead))).toEqual({ kind: 'wait' });
    finish(steps, services[1]!.id, { status: 'succeeded' });
    finish(steps, services[2]!.id, { status: 'succeeded' });
    expect(nextStep(op, observed(deployed(dead, services[1]!)))).toMatchObject({ kind: 'failed' });
  });

  it('a spec change mid-sync: the operation keeps applying the state it started with', () => {
    const { op, steps, sandbox, bound } = operation();
    const live = editLive(liveInSync(sandbox, bound), ORDERS, (c) => ({ ...c, specHash: 'old' }));
    const first = start(steps, nextStep(op, observed(live)));
    expect(first.map((s) => s.id)).toEqual(['2-deploy-service/orders@node-1']);
    const hash = first[0]!.job.kind === 'deploy' ? first[0]!.job.container.specHash : '';
    // the specs change now (a new env value for orders): not this operation's target
    const changed = { ...sandbox, services: sandbox.services.map((d) => (d.name === ORDERS ? { ...d, env: { ...d.env, LOG_LEVEL: 'debug' } } : d)) };
    expect(bind(changed).containers.find((c) => c.name === ORDERS)?.specHash).not.toBe(hash);
    finish(steps, first[0]!.id, { status: 'succeeded' });
    const after = deployed(live, first[0]!);
    expect(nextStep(op, observed(after))).toEqual({ kind: 'succeeded' });
    expect(after.flatMap((l) => l.containers).find((c) => c.name === ORDERS)?.specHash).toBe(hash);
  });

  it('live changed mid-sync (the gateway was killed): the next pass adds the step it now needs', () => {
    const { op, steps, sandbox, bound } = operation();
    const live = editLive(liveInSync(sandbox, bound), ORDERS, (c) => ({ ...c, specHash: 'old' }));
    const first = start(steps, nextStep(op, observed(live)));
    finish(steps, first[0]!.id, { status: 'succeeded' });
    const killed = editLive(deployed(live, first[0]!), GATEWAY, (c) => ({ ...c, state: 'exited' }));
    expect(ids(nextStep(op, observed(killed)))).toEqual(['3-start-gateway@node-1']);
  });

  it('prune ordering: extras are removed only after every deploy and the gateway succeeded', () => {
    const { op, steps, sandbox, bound } = operation({ prune: true });
    const extra = liveContainer({ ...specOf(bound, 'account'), name: 'sandbox-qa-legacy', service: 'legacy', specHash: 'x' });
    let live: LiveNodeState[] = liveInSync(sandbox, bound).map((ln) => ({ ...ln, containers: [...ln.containers, extra] }));
    live = editLive(live, ACCOUNT, (c) => ({ ...c, specHash: 'old' }));
    const wave2 = start(steps, nextStep(op, observed(live)));
    expect(wave2.map((s) => s.id)).toEqual(['2-deploy-service/account@node-1']);
    expect(nextStep(op, observed(live)), 'prune waits for the deploy').toEqual({ kind: 'wait' });
    finish(steps, wave2[0]!.id, { status: 'succeeded' });
    live = deployed(live, wave2[0]!);
    const prune = start(steps, nextStep(op, observed(live)));
    expect(prune.map((s) => `${s.wave} ${s.kind} ${s.resource}`)).toEqual(['5 remove service/legacy']);
    finish(steps, prune[0]!.id, { status: 'succeeded' });
    expect(nextStep(op, observed(live)), 'the removed container still in a lagging inventory is not removed twice').toEqual({ kind: 'succeeded' });
  });

  it('an orphan (fixed removals) runs them and succeeds', () => {
    const step: PlannedStep = { id: '5-remove-sandbox@node-1', wave: 5, kind: 'remove', resource: 'sandbox', node: 'node-1', change: 'remove', reason: 'gone', job: { kind: 'remove', sandbox: 'old', containers: [], all: true } };
    const steps = new Map<string, { step: PlannedStep; outcome: StepOutcome }>();
    const op: Operation = { target: { fixed: [step] }, prune: true, platform: '', steps };
    start(steps, nextStep(op, observed([])));
    finish(steps, step.id, { status: 'succeeded' });
    expect(nextStep(op, observed([]))).toEqual({ kind: 'succeeded' });
  });
});
