// What a notification says: the events a sync raises (from the executor) and the ones a sandbox's
// status change raises (from the publisher: health degraded or recovered, expired), rendered as the
// body every webhook target gets. Drift is debounced by the caller: `isDrifted` says when it holds.
import type { SandboxSummary } from '../../schema/api.ts';
import type { NotificationBody } from '../../schema/notifications.ts';

/** A sync as the executor reports it. */
export interface SyncEvent {
  sandbox: string;
  phase: 'started' | 'succeeded' | 'failed';
  job: { id: string; trigger: string; user: string; revision: string };
  /** failed: why */
  error?: string;
  /** failed: the step that failed, when one did (a sync can fail before any step, e.g. an agent offline) */
  step?: { id: string; kind: string; resource: string; node: string; error: string };
  gatewayUrl?: string;
  generatedBy?: { set: string; branch: string };
}

export function syncBody(e: SyncEvent, at: string): NotificationBody {
  const base = { at, sandbox: e.sandbox, job: e.job, ...(e.gatewayUrl ? { gatewayUrl: e.gatewayUrl } : {}), ...(e.generatedBy ? { generatedBy: e.generatedBy } : {}) };
  const by = `job ${e.job.id}, ${e.job.trigger} by ${e.job.user}, revision ${e.job.revision}`;
  switch (e.phase) {
    case 'started':
      return { ...base, event: 'sync-started', message: `sync of ${e.sandbox} started (${by})` };
    case 'succeeded':
      return { ...base, event: 'sync-succeeded', message: `sync of ${e.sandbox} succeeded (${by})${e.gatewayUrl ? `: ${e.gatewayUrl}` : ''}` };
    case 'failed': {
      const where = e.step ? ` at ${e.step.kind} ${e.step.resource} on ${e.step.node}` : '';
      return { ...base, event: 'sync-failed', message: `sync of ${e.sandbox} failed${where}: ${e.error ?? e.step?.error ?? 'failed'} (${by})`, ...(e.step ? { step: e.step } : {}) };
    }
  }
}

/** OutOfSync because live differs from the spec (not because an agent is offline or a branch unresolved). */
export function isDrifted(s: SandboxSummary): boolean {
  return s.sync === 'OutOfSync' && s.syncStatus.reason === 'Drift';
}

/**
 * The events one status change raises, and whether the sandbox is now in a degraded episode:
 * `health-degraded` when it turns Degraded outside an episode (which opens one), `health-recovered`
 * when it is Healthy again and closes it (whatever it went through in between, e.g. Progressing
 * while a sync redeploys), `sandbox-expired` when it turns Expired. A first sight (no `prev`: a
 * restart) raises none, though a Degraded one opens an episode its recovery will close.
 */
export function statusEvents(prev: SandboxSummary | undefined, next: SandboxSummary, at: string, degraded: boolean): { events: NotificationBody[]; degraded: boolean } {
  if (!prev) return { events: [], degraded: next.health === 'Degraded' };
  const body = (event: NotificationBody['event'], message: string): NotificationBody => ({
    event,
    at,
    sandbox: next.name,
    message,
    health: { status: next.healthStatus.status, reason: next.healthStatus.reason, message: next.healthStatus.message },
    gatewayUrl: next.gatewayUrl,
    ...madeBy(next),
  });
  if (next.health === 'Degraded' && !degraded) return { events: [body('health-degraded', `${next.name} is Degraded: ${next.healthStatus.message}`)], degraded: true };
  if (next.health === 'Healthy' && degraded) return { events: [body('health-recovered', `${next.name} is Healthy again: ${next.healthStatus.message}`)], degraded: false };
  if (next.health === 'Expired' && prev.health !== 'Expired') return { events: [body('sandbox-expired', `${next.name} expired: ${next.healthStatus.message}`)], degraded };
  return { events: [], degraded };
}

/** drift-detected: what differs, by resource and field; values stay out (they may be env values). */
export function driftBody(s: SandboxSummary, at: string): NotificationBody {
  const drift = s.drift.map((d) => ({ resource: d.resource, change: d.change, ...(d.field ? { field: d.field } : {}) }));
  const shown = drift.slice(0, 5).map((d) => `${d.resource}${d.field ? ` ${d.field}` : ''} ${d.change}`);
  const more = drift.length > shown.length ? `, and ${drift.length - shown.length} more` : '';
  return {
    event: 'drift-detected',
    at,
    sandbox: s.name,
    message: `${s.name} drifted from its spec: ${shown.join(', ')}${more}`,
    drift,
    gatewayUrl: s.gatewayUrl,
    ...madeBy(s),
  };
}

function madeBy(s: SandboxSummary): Pick<NotificationBody, 'generatedBy'> {
  return s.generatedBy ? { generatedBy: { set: s.generatedBy.set, branch: s.generatedBy.branch } } : {};
}
