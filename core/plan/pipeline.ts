// Pipelining of a sync, applied by nextStep to each pass's plan: independent work overlaps instead
// of waiting wave by wave for the gateway.
// - The gateway deploy joins the services' wave, carrying only the routes that are ready: baseline
//   routes, routes to services this sync does not touch, and, for a service still deploying, its
//   route as the gateway has it now (left as it was) or none.
// - Each route switches as soon as its target passed its health check (its deploy step succeeded),
//   never before: an apply-routes with the ready table, once the gateway is up.
// - With the env route adapter routes live in the gateway's env: it keeps the strict order.
// - A network to create joins the services' wave when only deploys (which ensure it) are in it.
import type { RouteTable } from '../../schema/container.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import { canonicalJson } from '../bind/bind.ts';
import type { LiveNodeState } from '../diff/live.ts';
import { WAVE, type PlannedStep } from './plan.ts';

export interface PipelineState {
  sandbox: DesiredSandbox;
  /** the plan of this pass, minus nothing (ids as the planner gives them) */
  plan: readonly PlannedStep[];
  /** steps of this operation by id, with whether they finished well */
  steps: ReadonlyMap<string, { step: PlannedStep; status: 'running' | 'succeeded' | 'failed' }>;
  live: readonly LiveNodeState[];
  /** is this planned step already done (run by this operation, or an equivalent one)? */
  done: (s: PlannedStep) => boolean;
}

/** The pass's plan with the gateway moved up and route switches added. */
export function pipeline(p: PipelineState): PlannedStep[] {
  const s = p.sandbox;
  if (s.suspended) return [...p.plan];
  if (s.gateway.adapter.adapter === 'env') return networkWithDeploys(p, [...p.plan]);
  const waiting = servicesNotReady(p);
  const liveRoutes = gatewayRoutes(s, p.live);
  const ready = readyTable(s, waiting, liveRoutes);
  const out: PlannedStep[] = [];
  for (const step of p.plan) {
    const job = step.job;
    if (job.kind === 'deploy' && job.container.kind === 'gateway' && job.gateway && !p.done(step)) {
      out.push({ ...step, wave: WAVE.services, job: { ...job, gateway: { ...job.gateway, routes: ready } } });
    } else {
      out.push(step);
    }
  }
  const switchStep = routeSwitch(p, ready);
  if (switchStep) out.push(switchStep);
  return networkWithDeploys(p, out);
}

/**
 * A network to create joins the services' wave when every step of that wave on its node is a deploy:
 * a deploy ensures its network itself (the agent shares one check among them), so nothing waits
 * for it. A start still waits: a stopped container cannot start without its network.
 */
function networkWithDeploys(p: PipelineState, steps: PlannedStep[]): PlannedStep[] {
  return steps.map((step) => {
    if (step.job.kind !== 'ensure-network' || p.done(step)) return step;
    const others = steps.filter((o) => o !== step && o.node === step.node && o.wave === WAVE.services && !p.done(o));
    return others.length > 0 && others.every((o) => o.job.kind === 'deploy') ? { ...step, wave: WAVE.services } : step;
  });
}

/** Services with a deploy or start in this sync that has not succeeded yet. */
function servicesNotReady(p: PipelineState): Set<string> {
  const out = new Set<string>();
  const touch = (step: PlannedStep) => {
    const job = step.job;
    if (job.kind === 'deploy' && job.container.kind === 'service') out.add(job.container.service);
    if (job.kind === 'start' && step.resource.startsWith('service/')) out.add(step.resource.slice('service/'.length));
  };
  for (const step of p.plan) if (!p.done(step)) touch(step);
  for (const { step, status } of p.steps.values()) if (status === 'running') touch(step);
  return out;
}

/** Desired routes, except those to a service not ready yet: kept as the gateway has them, or left out. */
function readyTable(s: DesiredSandbox, waiting: ReadonlySet<string>, live: RouteTable | undefined): RouteTable {
  const out: RouteTable = {};
  for (const r of [...s.routes].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0))) {
    if (r.mode === 'sandbox' && waiting.has(r.service)) {
      const now = live?.[r.service];
      if (now !== undefined) out[r.service] = now;
    } else {
      out[r.service] = r.target;
    }
  }
  return out;
}

/**
 * An apply-routes with the ready table, when the gateway runs what this sync deployed (or needed no
 * deploy) and the last table this sync gave it differs; none while one is in flight.
 */
function routeSwitch(p: PipelineState, ready: RouteTable): PlannedStep | undefined {
  const s = p.sandbox;
  let gatewayStep: PlannedStep | undefined;
  let last: RouteTable | undefined;
  let inFlight = false;
  let count = 0;
  for (const { step, status } of p.steps.values()) {
    const job = step.job;
    if (job.kind === 'deploy' && job.container.kind === 'gateway') {
      gatewayStep = step;
      if (status === 'succeeded' && job.gateway) last = job.gateway.routes;
    }
    if (job.kind === 'apply-routes') {
      count++;
      if (status === 'running') inFlight = true;
      if (status === 'succeeded') last = job.routes;
    }
  }
  // only a gateway this sync deployed: otherwise the planner's own route step covers route drift
  if (!gatewayStep || last === undefined || inFlight) return undefined;
  if (canonicalJson(last) === canonicalJson(ready)) return undefined;
  return {
    id: `${WAVE.services}-apply-routes-routes@${s.gateway.node}~${count + 1}`,
    wave: WAVE.services,
    kind: 'apply-routes',
    resource: 'routes',
    node: s.gateway.node,
    change: 'update',
    reason: `route${Object.keys(ready).length === 1 ? '' : 's'} to healthy targets: ${Object.keys(ready).sort().join(', ') || 'none'}`,
    job: { kind: 'apply-routes', sandbox: s.name, container: s.gateway.name, adapter: s.gateway.adapter, routes: ready },
  };
}

function gatewayRoutes(s: DesiredSandbox, live: readonly LiveNodeState[]): RouteTable | undefined {
  for (const ln of live) {
    if (ln.node !== s.gateway.node) continue;
    for (const g of ln.gateways) if (g.container === s.gateway.name && g.error === undefined) return g.routes;
  }
  return undefined;
}
