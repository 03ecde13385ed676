// The planner: the comparison of one sandbox -> ordered waves of actions, each with the agent job
// that carries it out. Pure. Waves run in order, the actions of one wave in parallel:
//   1 network  -> 2 services -> 3 gateway -> 4 routes -> 5 prune
// Like an Argo CD sync, a sync is best run as a loop: plan, run the first wave, re-read live,
// plan again, until the plan is empty (or a wave fails). Planning is cheap and idempotent for that.
//
// Jobs carry no secrets and no credentials: the executor adds `secretValues` and `credentials` to a
// deploy job when it sends it, so a plan can be stored and shown as it is.
import type { PlanAction } from '../../schema/api.ts';
import type { DriftFinding, ResourcesValue } from '../diff/findings.ts';
import type { RouteTable } from '../../schema/container.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import type { Job } from '../../schema/protocol.ts';
import { compareSandbox, type Comparison, type ContainerComparison, type DiffInput } from '../diff/compare.ts';
import { shortCommit } from '../diff/normalize.ts';
import { formatMemory } from '../quantities.ts';
import type { OrphanSandbox } from '../diff/orphans.ts';

/** A protocol job without its id (the executor gives each run its own id). */
export type JobDraft = Job extends infer J ? (J extends Job ? Omit<J, 'id'> : never) : never;

export type PlannedStep = PlanAction & { job: JobDraft };

export interface PlanOptions {
  /** remove extra containers and networks (the sandbox's objects that no spec asks for) */
  prune: boolean;
  /**
   * The Platform's name, carried by the jobs that create or remove networks and whole sandboxes
   * (deploys carry it in their bound spec). The runtime always sets it.
   */
  platform?: string;
}

export const WAVE = { network: 1, services: 2, gateway: 3, routes: 4, prune: 5 } as const;

export function planSandbox(input: DiffInput, opts: PlanOptions): PlannedStep[] {
  const c = compareSandbox(input);
  const s = c.sandbox;
  const steps: PlannedStep[] = [];

  if (s.suspended) {
    for (const cc of c.containers) {
      const wave = cc.resource === 'gateway' ? WAVE.gateway : WAVE.services;
      steps.push(step(wave, 'stop', cc.resource, cc.node, 'stop', `sandbox suspended (container ${cc.live?.state ?? 'running'})`, {
        kind: 'stop',
        sandbox: s.name,
        containers: [cc.name],
      }));
    }
  } else {
    for (const node of c.missingNetworks) {
      steps.push(step(WAVE.network, 'ensure-network', 'network', node, 'create', 'network missing', {
        kind: 'ensure-network',
        sandbox: s.name,
        ...platformOf(opts.platform),
        network: s.network,
      }));
    }
    let gatewayDeployed = false;
    for (const cc of c.containers) {
      const isGateway = cc.resource === 'gateway';
      const st = containerStep(s, cc, isGateway ? WAVE.gateway : WAVE.services);
      if (!st) continue;
      if (isGateway && st.kind === 'deploy') gatewayDeployed = true;
      steps.push(st);
    }
    // a gateway deploy applies the routes itself; the env adapter can only apply them by a deploy
    if (c.routeDrift.length > 0 && !gatewayDeployed && c.gatewayLive && s.gateway.adapter.adapter !== 'env') {
      steps.push(step(WAVE.routes, 'apply-routes', 'routes', s.gateway.node, 'update', c.routeDrift.map((e) => routeReason(s, e)).join('; '), {
        kind: 'apply-routes',
        sandbox: s.name,
        container: s.gateway.name,
        adapter: s.gateway.adapter,
        routes: routeTable(s),
      }));
    }
  }

  if (opts.prune) steps.push(...pruneSteps(c, opts.platform));
  return uniqueIds(steps.sort(byOrder));
}

/** Two extras of one service on one node would share an id: the later ones get "#2", "#3"... */
function uniqueIds(steps: PlannedStep[]): PlannedStep[] {
  const seen = new Map<string, number>();
  for (const st of steps) {
    const n = (seen.get(st.id) ?? 0) + 1;
    seen.set(st.id, n);
    if (n > 1) st.id = `${st.id}#${n}`;
  }
  return steps;
}

/**
 * Removes a deleted sandbox: per online node, its containers, network and worktrees in one
 * `remove` job with `all: true`.
 */
export function planOrphans(orphan: OrphanSandbox, platform?: string): PlannedStep[] {
  return orphan.nodes.map((n) => {
    const what = [n.containers.length > 0 ? `${n.containers.length} container(s)` : '', 'network and worktrees'].filter(Boolean).join(', ');
    return step(WAVE.prune, 'remove', 'sandbox', n.node, 'remove', `sandbox ${orphan.sandbox} is in no spec: remove ${what}`, {
      kind: 'remove',
      sandbox: orphan.sandbox,
      ...platformOf(platform),
      containers: n.containers,
      all: true,
    });
  });
}

function containerStep(s: DesiredSandbox, cc: ContainerComparison, wave: number): PlannedStep | undefined {
  const spec = cc.spec;
  if (!spec) return undefined;
  const deploy = (change: 'create' | 'replace', reason: string) =>
    step(wave, 'deploy', cc.resource, cc.node, change, reason, {
      kind: 'deploy',
      container: spec,
      ...(spec.kind === 'gateway' ? { gateway: { adapter: s.gateway.adapter, routes: routeTable(s) } } : {}),
    });
  if (!cc.live) return deploy('create', 'container missing');
  const config = cc.drift.filter((e) => e.kind !== 'state');
  // a dead container cannot be started again: it is replaced
  if (!cc.hashMatches || cc.live.state === 'dead') {
    return deploy('replace', config.length > 0 ? fieldReasons(config) : `container ${cc.live.state}`);
  }
  if (cc.drift.some((e) => e.kind === 'state')) {
    return step(wave, 'start', cc.resource, cc.node, 'start', `container ${cc.live.state}`, {
      kind: 'start',
      sandbox: s.name,
      containers: [cc.name],
    });
  }
  return undefined;
}

function pruneSteps(c: Comparison, platform: string | undefined): PlannedStep[] {
  const s = c.sandbox;
  const steps: PlannedStep[] = [];
  // a node that should hold nothing of the sandbox: everything there goes, network and worktrees too
  const whole = new Set(c.extraNetworks);
  for (const node of c.extraNetworks) {
    const containers = c.extras.filter((x) => x.node === node).map((x) => x.live.name).sort();
    steps.push(step(WAVE.prune, 'remove', 'network', node, 'remove', `sandbox has nothing on ${node} any more`, {
      kind: 'remove',
      sandbox: s.name,
      ...platformOf(platform),
      containers,
      all: true,
    }));
  }
  for (const x of c.extras) {
    if (whole.has(x.node)) continue;
    steps.push(step(WAVE.prune, 'remove', x.resource, x.node, 'remove', `not in the spec (${x.live.name})`, {
      kind: 'remove',
      sandbox: s.name,
      ...platformOf(platform),
      containers: [x.live.name],
      all: false,
    }));
  }
  return steps;
}

function platformOf(platform: string | undefined): { platform?: string } {
  return platform !== undefined ? { platform } : {};
}

function step(
  wave: number,
  kind: PlanAction['kind'],
  resource: string,
  node: string,
  change: PlanAction['change'],
  reason: string,
  job: JobDraft,
): PlannedStep {
  return { id: `${wave}-${kind}-${resource}@${node}`, wave, kind, resource, node, change, reason, job };
}

function byOrder(a: PlannedStep, b: PlannedStep): number {
  return a.wave - b.wave || cmp(a.resource, b.resource) || cmp(a.node, b.node) || cmp(a.kind, b.kind);
}

function routeTable(s: DesiredSandbox): RouteTable {
  const out: RouteTable = {};
  for (const r of [...s.routes].sort((a, b) => cmp(a.service, b.service))) out[r.service] = r.target;
  return out;
}

/** "commit 1a2b3c4 -> 9f8e7d6; env DB_HOST, DB_PORT" — the live value first: what changes into what. */
function fieldReasons(findings: readonly DriftFinding[]): string {
  const parts: string[] = [];
  const env: string[] = [];
  let envAt = 0;
  for (const f of findings) {
    switch (f.kind) {
      case 'commit':
        parts.push(`commit ${f.live !== undefined ? shortCommit(f.live) : 'none'} -> ${f.desired !== undefined ? shortCommit(f.desired) : 'none'}`);
        break;
      case 'image':
        parts.push(`image ${f.live} -> ${f.desired}`);
        break;
      case 'env':
        if (env.length === 0) envAt = parts.length;
        env.push(f.key ?? 'secrets');
        break;
      case 'ports':
        parts.push(`ports ${listText(f.live)} -> ${listText(f.desired)}`);
        break;
      case 'resources':
        parts.push(`resources ${resourcesText(f.live)} -> ${resourcesText(f.desired)}`);
        break;
      case 'files':
        parts.push('files changed');
        break;
      case 'spec':
        parts.push(`config changed (spec ${(f.liveHash ?? 'none').slice(0, 12)} -> spec ${f.desiredHash.slice(0, 12)})`);
        break;
      default:
        break;
    }
  }
  if (env.length > 0) parts.splice(envAt, 0, `env ${[...new Set(env)].join(', ')}`);
  return parts.join('; ');
}

function routeReason(s: DesiredSandbox, f: Extract<DriftFinding, { kind: 'route' }>): string {
  const d = s.routes.find((r) => r.service === f.service);
  const to = d ? `${d.mode} (${d.target})` : 'removed';
  return `route ${f.service}: ${f.live ?? 'none'} -> ${to}`;
}

function listText(v: readonly string[]): string {
  return v.length > 0 ? v.join(', ') : 'none';
}

function resourcesText(r: ResourcesValue): string {
  const parts = [r.cpu !== undefined ? `cpu ${r.cpu}` : '', r.memoryBytes !== undefined ? `memory ${formatMemory(r.memoryBytes)}` : ''];
  return parts.filter(Boolean).join(', ') || 'unlimited';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
