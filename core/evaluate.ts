// Evaluation: the specs in force + what runs -> every sandbox's state (bound containers, statuses
// with reasons, drift findings, routes, its plan); reconciler/present/ renders it for the API. Pure: the runtime gathers the inputs
// (revision, live inventory, online nodes, branch heads, job history, clocks) and passes them in.
import { createHash } from 'node:crypto';
import type { HealthStatus, JobSummary, RevisionAttempt, RouteView, SyncStatus } from '../schema/api.ts';
import type { DriftFinding } from './diff/findings.ts';
import type { DesiredSandbox, DesiredState } from '../schema/desired.ts';
import { bindSandbox, canonicalJson, type BindResult, type CommitLookup, type SecretDigest } from './bind/bind.ts';
import { groupLiveBySandbox, type LiveNodeState, type NodeLive } from './diff/live.ts';
import { diffOrphans, diffSandbox } from './diff/index.ts';
import { planOrphans, planSandbox, type PlannedStep } from './plan/index.ts';
import { pipeline } from './plan/pipeline.ts';
import type { SyncTarget } from './plan/next-step.ts';
import type { Pin } from './history.ts';
import { lastSyncCondition, orphanStatus, type SandboxStatus } from './status.ts';

export type { PlannedStep };

export interface EvalContext {
  commits: CommitLookup;
  /** why a branch did not resolve, when the resolver said */
  branchError?: (repo: string, branch: string) => string | undefined;
  secretDigest: SecretDigest;
  online: readonly string[];
  /** the Platform's name: on every spec, network and removal; live objects of others are not ours */
  platform: string;
}

export interface Evaluated {
  sync: SyncStatus;
  health: HealthStatus;
  status: SandboxStatus;
  drift: DriftFinding[];
  routes: RouteView[];
  /** identity of what a sync would apply (bound containers, routes, suspension); '' for orphans */
  fingerprint: string;
  bound?: BindResult;
  /** what a sync applies: the bound desired state (suspended when expired), or an orphan's removals */
  target(prune: boolean): SyncTarget;
  /** the planner's steps for this state */
  plan(prune: boolean): PlannedStep[];
}

/** A sandbox the specs ask for. `expired` applies its ttl: it is then treated as suspended. */
export function evaluateSandbox(sandbox: DesiredSandbox, live: readonly LiveNodeState[], ctx: EvalContext, expired: boolean): Evaluated {
  const effective = expired ? { ...sandbox, suspended: true } : sandbox;
  const bound = bindSandbox(effective, ctx.commits, ctx.secretDigest, ctx.platform);
  const input = { sandbox: effective, bound, live, online: ctx.online, expired, ...(ctx.branchError ? { branchError: ctx.branchError } : {}) };
  const d = diffSandbox(input);
  return {
    sync: d.sync,
    health: d.health,
    status: d.status,
    drift: d.drift,
    routes: d.routes,
    fingerprint: fingerprintOf(effective, bound),
    bound,
    target: () => ({ sandbox: effective, bound }),
    // the first pass of a sync (next-step.ts): pipelined as it will run, so what is shown is what happens
    plan: (prune) => pipeline({ sandbox: effective, plan: planSandbox(input, { prune, platform: ctx.platform }), steps: new Map(), live, done: () => false }),
  };
}

// Evaluated for every sandbox on every change: the last fingerprint is kept per (immutable) sandbox
// and reused while its containers' hashes are the same.
const lastFingerprint = new WeakMap<DesiredSandbox, { key: string; fp: string }>();

/** Identity of what a sync of this bound sandbox applies. */
export function fingerprintOf(effective: DesiredSandbox, bound: BindResult): string {
  const key = `${bound.containers.map((c) => c.specHash).join(',')}|${bound.unresolved.join(',')}`;
  const last = lastFingerprint.get(effective);
  if (last?.key === key) return last.fp;
  const fp = fingerprint({ containers: bound.containers.map((c) => c.specHash), unresolved: bound.unresolved, routes: effective.routes, suspended: effective.suspended });
  lastFingerprint.set(effective, { key, fp });
  return fp;
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
    const status = orphanStatus();
    out.set(o.sandbox, {
      sync: status.sync.status,
      health: status.health.status,
      status,
      drift: o.drift,
      routes: [],
      fingerprint: '',
      target: (prune) => ({ fixed: prune ? planOrphans(o, ctx.platform) : [] }),
      plan: (prune) => (prune ? planOrphans(o, ctx.platform) : []),
    });
  }
  return out;
}

/** A sandbox as one evaluation sees it. */
export interface SandboxState {
  name: string;
  /** undefined for an orphan: live objects no spec asks for */
  desired?: DesiredSandbox;
  live: LiveNodeState[];
  evaluated: Evaluated;
  expired: boolean;
  /** when its ttl runs out (epoch ms), if it has one */
  expiresAt?: number;
  /** the revision in force ('' before the first) and the Platform's name the evaluation ran under */
  revision: string;
  platform: string;
  syncs: SyncRecord;
  /** held at a recorded state (a rollback): auto-sync and self-heal leave it alone */
  pin?: Pin;
}

/** What the runtime knows of a sandbox's syncs, read from its job history. */
export interface SyncRecord {
  last?: JobSummary;
  applied?: RevisionAttempt;
  attempted?: RevisionAttempt & { ok: boolean };
  /** the fingerprint the attempted sync applied (what the auto-sync policy compares) */
  attemptedFingerprint?: string;
}

export interface WorldInput {
  /** the revision in force; undefined before the first valid one */
  revision: { id: string; desired: DesiredState } | undefined;
  /** node -> inventory */
  live: ReadonlyMap<string, NodeLive>;
  ctx: Omit<EvalContext, 'platform'>;
  now: number;
  /** when the sandbox's ttl runs out (epoch ms), if it has one */
  expiresAt: (s: DesiredSandbox) => number | undefined;
  syncs: (sandbox: string) => SyncRecord;
  /** the sandbox's pin, if it is pinned (the same object until it changes) */
  pins?: (sandbox: string) => Pin | undefined;
  /**
   * The last evaluation, when only live state, sync records or the revision changed since (not
   * branch heads, secrets or online agents, which the runtime re-evaluates everything for): a
   * sandbox whose inputs are all the same objects as then keeps its state, or, under a new
   * revision that kept its compiled object, its evaluation.
   */
  previous?: ReadonlyMap<string, SandboxState>;
}

/** Same live objects (by identity: the live cache replaces only what an event or inventory changed). */
function sameLive(a: readonly LiveNodeState[], b: readonly LiveNodeState[]): boolean {
  if (a.length !== b.length) return false;
  const same = <T>(x: readonly T[], y: readonly T[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return a.every((n, i) => {
    const m = b[i]!;
    return n === m || n.node === m.node && same(n.containers, m.containers) && same(n.networks, m.networks) && same(n.gateways, m.gateways);
  });
}

/** Every sandbox: those the specs ask for, then orphans (re-evaluated only where inputs changed, given `previous`). */
export function evaluateWorld(w: WorldInput): Map<string, SandboxState> {
  const revision = w.revision?.id ?? '';
  // before the first spec revision the Platform's name is unknown: no live object is known to be ours
  const platform = w.revision?.desired.platform.name ?? '';
  const liveBySandbox = w.revision ? groupLiveBySandbox(w.live, platform) : new Map<string, LiveNodeState[]>();
  const ctx: EvalContext = { ...w.ctx, platform };
  const out = new Map<string, SandboxState>();
  for (const s of w.revision?.desired.sandboxes ?? []) {
    const expiresAt = w.expiresAt(s);
    const expired = expiresAt !== undefined && expiresAt <= w.now;
    const live = liveBySandbox.get(s.name) ?? [];
    const syncs = w.syncs(s.name);
    const pin = w.pins?.(s.name);
    const prev = w.previous?.get(s.name);
    if (prev && prev.desired === s && prev.platform === platform && prev.expired === expired && prev.expiresAt === expiresAt && prev.syncs === syncs && prev.pin === pin && sameLive(prev.live, live)) {
      // the evaluation depends on the sandbox's compiled object, not on which revision holds it
      out.set(s.name, prev.revision === revision ? prev : { ...prev, revision });
      continue;
    }
    const evaluated = withSyncCondition(evaluateSandbox(s, live, ctx, expired), syncs);
    out.set(s.name, { name: s.name, desired: s, live, evaluated, expired, ...(expiresAt !== undefined ? { expiresAt } : {}), revision, platform, syncs, ...(pin ? { pin } : {}) });
  }
  for (const [name, ev] of evaluateOrphans(liveBySandbox, out.keys(), ctx)) {
    const syncs = w.syncs(name);
    out.set(name, { name, live: liveBySandbox.get(name) ?? [], evaluated: withSyncCondition(ev, syncs), expired: false, revision, platform, syncs });
  }
  return out;
}

function withSyncCondition(ev: Evaluated, syncs: SyncRecord): Evaluated {
  const c = lastSyncCondition(syncs);
  return c ? { ...ev, status: { ...ev.status, conditions: [...ev.status.conditions, c] } } : ev;
}

function fingerprint(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 32);
}
