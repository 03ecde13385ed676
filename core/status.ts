// Statuses with their reasons: a sandbox's sync and health as DESIGN.md "Statuses" names them, each
// with the cause that holds (reason) and a sentence that names the resource (message), plus the
// conditions they are read from. Pure: everything it needs is in the comparison and its facts.
import type { Condition, HealthStatus, Reasoned, SyncStatus } from '../schema/api.ts';
import type { ProbeReport } from '../schema/protocol.ts';
import { findingResource, type DriftFinding } from './diff/findings.ts';

/** Facts the comparison gathered that a status can be explained by. */
export interface StatusFacts {
  /** nodes of the sandbox whose agent is offline */
  offline: readonly string[];
  /** containers whose branch did not resolve, with why when the resolver said */
  unresolved: readonly UnresolvedBranch[];
  /** why the gateway's live routes are unknown; undefined when they were read (or need not be) */
  routesUnreadable: string | undefined;
  drift: readonly DriftFinding[];
  suspended: boolean;
  expired: boolean;
  /** desired containers that are not Healthy, in display order */
  unhealthy: readonly UnhealthyContainer[];
  /** how many containers the sandbox asks for */
  total: number;
}

export interface UnresolvedBranch {
  resource: string;
  repo: string;
  branch: string;
  /** the resolver's error (e.g. "no branch feature/x", "authentication failed"); undefined: not tried yet */
  error: string | undefined;
}

export interface UnhealthyContainer {
  resource: string;
  health: 'Missing' | 'Degraded' | 'Progressing';
  /** Docker state and health, e.g. "exited", "running (unhealthy)"; undefined when missing */
  state: string | undefined;
  /** the agent's failing health check of a running container: what it probes and what failed */
  probe?: ProbeReport;
}

export interface SandboxStatus {
  sync: Reasoned<SyncStatus>;
  health: Reasoned<HealthStatus>;
  conditions: Condition[];
}

/**
 * sync: Unknown when a node is offline or a branch did not resolve (yet); OutOfSync on any drift;
 * Unknown when the gateway's routes could not be read (nothing else known to drift); else Synced.
 * health: Unknown (node offline) > Expired > Suspended > from the containers.
 */
export function sandboxStatus(f: StatusFacts): SandboxStatus {
  return { sync: syncStatus(f), health: healthStatus(f), conditions: conditions(f) };
}

export function syncStatus(f: StatusFacts): Reasoned<SyncStatus> {
  if (f.offline.length > 0) return { status: 'Unknown', reason: 'AgentOffline', message: offlineMessage(f.offline) };
  // before drift: the containers of an unresolved branch are left out of the comparison, so its drift
  // (and a sync's plan) would be partial; a sync pressed on that "OutOfSync" would skip them
  if (!f.suspended && f.unresolved.length > 0) return { status: 'Unknown', reason: 'BranchUnresolved', message: unresolvedMessage(f.unresolved) };
  if (f.drift.length > 0) return { status: 'OutOfSync', reason: 'Drift', message: driftMessage(f.drift) };
  if (f.routesUnreadable !== undefined) return { status: 'Unknown', reason: 'RoutesUnreadable', message: routesMessage(f.routesUnreadable) };
  return { status: 'Synced', reason: 'InSync', message: 'what runs matches the desired state' };
}

export function healthStatus(f: StatusFacts): Reasoned<HealthStatus> {
  if (f.offline.length > 0) return { status: 'Unknown', reason: 'AgentOffline', message: offlineMessage(f.offline) };
  if (f.expired) return { status: 'Expired', reason: 'TtlExpired', message: 'its ttl ran out without a sync or spec change: containers stopped, config and ports kept (a sync or spec change renews it)' };
  if (f.suspended) return { status: 'Suspended', reason: 'Suspended', message: 'spec.suspended is true: containers stopped, config and ports kept' };
  const missing = f.unhealthy.filter((u) => u.health === 'Missing');
  const degraded = f.unhealthy.filter((u) => u.health === 'Degraded');
  const progressing = f.unhealthy.filter((u) => u.health === 'Progressing');
  if (f.total > 0 && missing.length === f.total) return { status: 'Missing', reason: 'ContainersMissing', message: 'none of its containers exists yet (a sync creates them)' };
  if (degraded.length > 0 || missing.length > 0) {
    const parts = [...degraded.map((u) => (u.probe ? `${u.resource} ${probeText(u.probe)}` : `${u.resource} ${u.state ?? 'down'}`)), ...missing.map((u) => `${u.resource} missing`)];
    // running but not answering its health check, and nothing down or missing besides
    if (missing.length === 0 && degraded.every((u) => u.probe)) {
      return { status: 'Degraded', reason: 'HealthCheckFailing', message: `running but failing its health check: ${list(parts)}` };
    }
    return { status: 'Degraded', reason: 'ContainerDown', message: `not serving: ${list(parts)}` };
  }
  if (progressing.length > 0) {
    return { status: 'Progressing', reason: 'ContainerStarting', message: `starting: ${list(progressing.map((u) => `${u.resource} ${u.state ?? ''}`.trim()))}` };
  }
  return { status: 'Healthy', reason: 'AllHealthy', message: `${f.total} container${f.total === 1 ? '' : 's'} running and healthy` };
}

/** The status of a sandbox no spec asks for any more, with live objects left. */
export function orphanStatus(): SandboxStatus {
  const message = 'no spec asks for this sandbox any more: a sync with prune removes what is left of it';
  return {
    sync: { status: 'OutOfSync', reason: 'NotInSpec', message },
    health: { status: 'Unknown', reason: 'NotInSpec', message },
    conditions: [],
  };
}

/** LastSyncSucceeded from the latest finished sync; undefined before the first. */
export function lastSyncCondition(syncs: {
  attempted?: { revision: string; jobId: string; ok: boolean };
  last?: { id: string; error?: string };
}): Condition | undefined {
  const a = syncs.attempted;
  if (!a) return undefined;
  if (a.ok) return { type: 'LastSyncSucceeded', status: 'True', reason: 'Succeeded', message: `job ${a.jobId} applied revision ${a.revision}` };
  const error = syncs.last?.id === a.jobId && syncs.last.error ? `: ${syncs.last.error}` : '';
  return { type: 'LastSyncSucceeded', status: 'False', reason: 'Failed', message: `job ${a.jobId} failed${error}; automated sync does not retry this state` };
}

function conditions(f: StatusFacts): Condition[] {
  return [
    f.offline.length > 0
      ? { type: 'AgentsConnected', status: 'False', reason: 'AgentOffline', message: offlineMessage(f.offline) }
      : { type: 'AgentsConnected', status: 'True', reason: 'Connected', message: 'every node of the sandbox has its agent connected' },
    f.unresolved.length > 0
      ? { type: 'BranchesResolved', status: 'False', reason: 'BranchUnresolved', message: unresolvedMessage(f.unresolved) }
      : { type: 'BranchesResolved', status: 'True', reason: 'Resolved', message: 'every branch is bound to a commit' },
    f.routesUnreadable !== undefined
      ? { type: 'RoutesRead', status: 'False', reason: 'RoutesUnreadable', message: routesMessage(f.routesUnreadable) }
      : { type: 'RoutesRead', status: 'True', reason: 'Read', message: 'the gateway reported its routes (or routes live in its env)' },
  ];
}

function offlineMessage(nodes: readonly string[]): string {
  return `the agent of node${nodes.length === 1 ? '' : 's'} ${list([...nodes])} is offline: what runs there cannot be read (start the agent or check its token)`;
}

function unresolvedMessage(u: readonly UnresolvedBranch[]): string {
  return list(
    u.map((b) =>
      b.error !== undefined
        ? `${b.resource}: branch ${b.branch} of ${b.repo} could not be resolved: ${b.error}`
        : `${b.resource}: branch ${b.branch} of ${b.repo} is not resolved yet (an online agent resolves it; POST /api/refresh retries)`,
    ),
  );
}

function routesMessage(why: string): string {
  return `the gateway's routes could not be read: ${why}`;
}

function driftMessage(drift: readonly DriftFinding[]): string {
  const resources = [...new Set(drift.map(findingResource))];
  return `${drift.length} drift entr${drift.length === 1 ? 'y' : 'ies'} on ${list(resources)}`;
}

function list(parts: string[]): string {
  return parts.length <= 4 ? parts.join('; ') : `${parts.slice(0, 4).join('; ')} and ${parts.length - 4} more`;
}

/** A failing health check as a person reads it: "GET /health: HTTP 500 since 2026-01-02T03:04:05Z". */
function probeText(report: ProbeReport): string {
  return `${report.check}: ${report.failure?.message ?? report.status} since ${report.since}`;
}
