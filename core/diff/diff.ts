// The diff view of one sandbox: statuses and drift entries as DESIGN.md "Statuses" defines them.
import type { HealthStatus, RouteView, SyncStatus } from '../../schema/api.ts';
import type { DriftFinding } from './findings.ts';
import type { SandboxStatus } from '../status.ts';
import { compareSandbox, routeViews, type DiffInput } from './compare.ts';

export interface SandboxDiff {
  sync: SyncStatus;
  health: HealthStatus;
  drift: DriftFinding[];
  /** desired routes with what the gateway really routes to (SandboxSummary.routes) */
  routes: RouteView[];
  /** sync and health with their reasons, and the conditions */
  status: SandboxStatus;
}

/**
 * sync: Unknown when a node of the sandbox is offline, OutOfSync on any drift, Unknown when a branch
 * did not resolve or the gateway's routes could not be read (and nothing else is known to drift),
 * else Synced. health: Unknown (node offline) > Expired > Suspended > from its containers.
 */
export function diffSandbox(input: DiffInput): SandboxDiff {
  const c = compareSandbox(input);
  return { sync: c.sync, health: c.health, drift: c.drift, routes: routeViews(c), status: c.status };
}
