// The one place the runtime calls the pure modules: commit binding, diff and planner. Everything
// else in reconciler/sync works on what these return.
import { createHash } from 'node:crypto';
import type { DriftEntry, HealthStatus, RouteView, SyncStatus } from '../schema/api.ts';
import type { DesiredSandbox } from '../schema/desired.ts';
import { bindSandbox, canonicalJson, type BindResult, type CommitLookup, type SecretDigest } from './bind/bind.ts';
import type { LiveNodeState } from './diff/live.ts';
import { diffOrphans, diffSandbox } from './diff/index.ts';
import { planOrphans, planSandbox, type PlannedStep } from './plan/index.ts';

export type { PlannedStep };

export interface EvalContext {
  commits: CommitLookup;
  secretDigest: SecretDigest;
  online: readonly string[];
  /** the Platform's name: on every spec, network and removal; live objects of others are not ours */
  platform: string;
}

export interface Evaluated {
  sync: SyncStatus;
  health: HealthStatus;
  drift: DriftEntry[];
  routes: RouteView[];
  /** identity of what a sync would apply (bound containers, routes, suspension); '' for orphans */
  fingerprint: string;
  bound?: BindResult;
  /** the planner's steps for this state */
  plan(prune: boolean): PlannedStep[];
}

/** A sandbox the specs ask for. `expired` applies its ttl: it is then treated as suspended. */
export function evaluateSandbox(sandbox: DesiredSandbox, live: LiveNodeState[], ctx: EvalContext, expired: boolean): Evaluated {
  const effective = expired ? { ...sandbox, suspended: true } : sandbox;
  const bound = bindSandbox(effective, ctx.commits, ctx.secretDigest, ctx.platform);
  const input = { sandbox: effective, bound, live, online: ctx.online, expired };
  const d = diffSandbox(input);
  return {
    sync: d.sync,
    health: d.health,
    drift: d.drift,
    routes: d.routes,
    fingerprint: fingerprint({ containers: bound.containers.map((c) => c.specHash), unresolved: bound.unresolved, routes: effective.routes, suspended: effective.suspended }),
    bound,
    plan: (prune) => planSandbox(input, { prune, platform: ctx.platform }),
  };
}

/**
 * Sandboxes no spec asks for any more but with live objects on online nodes: always OutOfSync,
 * their objects are `extra` drift, and only a sync with prune removes them.
 */
export function evaluateOrphans(
  live: ReadonlyMap<string, readonly LiveNodeState[]>,
  desired: Iterable<string>,
  ctx: Pick<EvalContext, 'online' | 'platform'>,
): Map<string, Evaluated> {
  const out = new Map<string, Evaluated>();
  for (const o of diffOrphans(live, desired, ctx.online)) {
    out.set(o.sandbox, {
      sync: 'OutOfSync',
      health: 'Unknown',
      drift: o.drift,
      routes: [],
      fingerprint: '',
      plan: (prune) => (prune ? planOrphans(o, ctx.platform) : []),
    });
  }
  return out;
}

function fingerprint(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 32);
}
