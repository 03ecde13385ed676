// Where a sync decides its next step. In the spirit of gitops-engine's sync context: each pass
// re-plans the operation's target against live as observed now, drops what this operation already
// did, and runs the lowest wave still pending; the executor only drives it (dispatch, wait, record).
// Pure and idempotent: the same operation and observation always give the same decision.
//
// - The target (bound desired state) is fixed when the sync starts: a spec change mid-sync is the
//   next sync's business (as an Argo CD operation syncs the revision it was started with).
// - A step this operation ran successfully is not run again while live catches up (inventories
//   arrive after results), unless live shows its container died: then the sync fails, naming it.
// - A failed step fails the sync once the steps in flight have finished; later waves never start,
//   so a failed deploy (rolled back by the agent) leaves the routes as they were.
// - Prune is the last wave: nothing is removed before everything the spec asks for is in place.
// - Pipelined (pipeline.ts): the gateway deploys alongside the services with the routes that are
//   ready (a missing network too, when only deploys wait for it), and each route switches once its
//   target passed its health check.
import type { DesiredSandbox } from '../../schema/desired.ts';
import type { LiveContainer } from '../../schema/protocol.ts';
import type { BindResult } from '../bind/bind.ts';
import type { LiveNodeState } from '../diff/live.ts';
import { canonicalJson } from '../bind/bind.ts';
import { pipeline } from './pipeline.ts';
import { planSandbox, type PlannedStep } from './plan.ts';

/** What a sync applies: a sandbox's bound desired state, or (for an orphan) a fixed list of removals. */
export type SyncTarget = { sandbox: DesiredSandbox; bound: BindResult } | { fixed: readonly PlannedStep[] };

export type StepOutcome =
  | { status: 'running' }
  | { status: 'succeeded'; rolledBack?: boolean }
  | { status: 'failed'; error: string; rolledBack?: boolean };

export interface Operation {
  target: SyncTarget;
  prune: boolean;
  platform: string;
  /** every step this operation started, by step id, with how it went so far */
  steps: ReadonlyMap<string, { step: PlannedStep; outcome: StepOutcome }>;
}

/** Live as observed now (the sandbox's objects per node) and the nodes whose agent is connected. */
export interface Observed {
  live: readonly LiveNodeState[];
  online: readonly string[];
}

export type NextStep =
  /** dispatch these (none of them started yet); they may run in parallel */
  | { kind: 'run'; steps: PlannedStep[] }
  /** steps are in flight and nothing else may start: decide again when one finishes */
  | { kind: 'wait' }
  | { kind: 'succeeded' }
  | { kind: 'failed'; error: string };

export function nextStep(op: Operation, observed: Observed): NextStep {
  const running = [...op.steps.values()].filter((s) => s.outcome.status === 'running');
  for (const { step, outcome } of op.steps.values()) {
    if (outcome.status === 'failed') return running.length > 0 ? { kind: 'wait' } : { kind: 'failed', error: failureText(step, outcome) };
  }

  const died = diedAfterDeploy(op, observed);
  if (died) return running.length > 0 ? { kind: 'wait' } : { kind: 'failed', error: died };

  const done = new Set<string>();
  for (const { step, outcome } of op.steps.values()) if (outcome.status === 'succeeded') done.add(handled(step));
  const isDone = (s: PlannedStep) => op.steps.has(s.id) || done.has(handled(s));
  const planned = plan(op, observed);
  const t = op.target;
  const pass =
    'sandbox' in t
      ? pipeline({
          sandbox: t.sandbox,
          plan: planned,
          steps: new Map([...op.steps].map(([id, { step, outcome }]) => [id, { step, status: outcome.status }])),
          live: observed.live,
          done: isDone,
        })
      : planned;
  const pending = pass.filter((s) => !isDone(s));

  const lowestRunning = Math.min(...running.map((s) => s.step.wave));
  const lowestPending = Math.min(...pending.map((s) => s.wave));
  if (pending.length === 0) return running.length > 0 ? { kind: 'wait' } : { kind: 'succeeded' };
  // a later wave waits for every earlier one to finish; one wave's steps run together
  if (lowestRunning < lowestPending) return { kind: 'wait' };
  return { kind: 'run', steps: pending.filter((s) => s.wave === lowestPending) };
}

/** The plan of the operation's target against live as observed now. */
export function plan(op: Operation, observed: Observed): PlannedStep[] {
  const t = op.target;
  if ('fixed' in t) return [...t.fixed];
  return planSandbox(
    { sandbox: t.sandbox, bound: t.bound, live: observed.live, online: observed.online },
    { prune: op.prune, platform: op.platform },
  );
}

/**
 * What a step takes care of: re-planned steps of another kind for the same container count as done;
 * a route step is done once that very table was applied.
 */
function handled(s: PlannedStep): string {
  const job = s.job;
  if (job.kind === 'apply-routes') return `${s.resource}@${s.node}/apply-routes/${canonicalJson(job.routes)}`;
  return `${s.resource}@${s.node}${s.kind === 'remove' || s.kind === 'ensure-network' ? `/${s.kind}` : ''}`;
}

const DOWN = new Set(['exited', 'dead']);

/** A container this operation deployed or started that live now shows down, with its desired spec. */
function diedAfterDeploy(op: Operation, observed: Observed): string | undefined {
  for (const { step, outcome } of op.steps.values()) {
    if (outcome.status !== 'succeeded' || outcome.rolledBack) continue;
    const job = step.job;
    const names = job.kind === 'deploy' ? [job.container.name] : job.kind === 'start' ? job.containers : [];
    for (const name of names) {
      const live = liveContainer(observed, step.node, name);
      const specHash = job.kind === 'deploy' ? job.container.specHash : undefined;
      // a container still carrying the previous spec is live lagging behind, not a death
      if (!live || (specHash !== undefined && live.specHash !== specHash)) continue;
      if (DOWN.has(live.state)) return `${step.resource} on ${step.node} stopped during the sync (container ${live.state}${live.health && live.health !== 'none' ? `, ${live.health}` : ''}); later waves were not run`;
    }
  }
  return undefined;
}

function liveContainer(observed: Observed, node: string, name: string): LiveContainer | undefined {
  if (!observed.online.includes(node)) return undefined;
  for (const ln of observed.live) if (ln.node === node) for (const c of ln.containers) if (c.name === name) return c;
  return undefined;
}

function failureText(step: PlannedStep, o: Extract<StepOutcome, { status: 'failed' }>): string {
  return `${step.resource} on ${step.node}: ${o.error}${o.rolledBack ? ' (rolled back to the previous container)' : ''}`;
}
