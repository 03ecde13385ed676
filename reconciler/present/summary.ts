// A sandbox's evaluation (core/evaluate.ts) -> the API's SandboxSummary (GET /api/sandboxes, /ws/ui).
import type { SandboxState } from '../../core/evaluate.ts';
import type { Pin } from '../../core/history.ts';
import type { PinView, SandboxSummary } from '../../schema/api.ts';
import { generatedByLive } from '../../core/sets.ts';
import { driftEntries } from './drift.ts';

export function sandboxSummary(st: SandboxState): SandboxSummary {
  const ev = st.evaluated;
  const s = st.desired;
  const { syncs } = st;
  const generatedBy = s ? s.generatedBy : generatedByLive(st.live);
  return {
    name: st.name,
    ...(generatedBy ? { generatedBy } : {}),
    ...(s?.owner ? { owner: s.owner } : {}),
    labels: s?.labels ?? {},
    ...(s?.template ? { template: s.template } : {}),
    sync: ev.sync,
    health: ev.health,
    syncStatus: ev.status.sync,
    healthStatus: ev.status.health,
    conditions: ev.status.conditions,
    ...(syncs.applied ? { lastApplied: syncs.applied } : {}),
    ...(syncs.attempted ? { lastAttempted: syncs.attempted } : {}),
    drift: driftEntries(ev.drift),
    gatewayUrl: s?.gatewayUrl ?? '',
    routes: ev.routes,
    suspended: (s?.suspended ?? false) || st.expired,
    ...(st.expiresAt !== undefined ? { expiresAt: new Date(st.expiresAt).toISOString() } : {}),
    revision: st.revision,
    ...(syncs.last ? { lastSync: { jobId: syncs.last.id, status: syncs.last.status, at: syncs.last.finishedAt ?? syncs.last.createdAt } } : {}),
    ...(st.pin ? { pinned: pinView(st.name, st.pin) } : {}),
  };
}

export function pinView(sandbox: string, p: Pin): PinView {
  const to = p.snapshot !== undefined ? `snapshot ${p.snapshot} (job ${p.job})` : `job ${p.job}`;
  return {
    ...p,
    message: `pinned to ${to} by ${p.by} at ${p.at}: ${p.reason}. Auto-sync and self-heal leave it alone until \`sdp unpin ${sandbox}\` or a spec change of this sandbox.`,
  };
}
