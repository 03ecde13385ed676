// Drift findings (core/diff/findings.ts) -> the wire format of DESIGN.md "Statuses" (DriftEntry),
// for the API, /ws/ui, the CLI and the UI. Secret values are never in a finding; they show as
// REDACTED on both sides.
import type { DriftEntry } from '../../schema/api.ts';
import { REDACTED } from '../../schema/names.ts';
import { findingResource, type DriftFinding, type EnvValue } from '../../core/diff/findings.ts';

export function driftEntries(findings: readonly DriftFinding[]): DriftEntry[] {
  return findings.map(driftEntry);
}

export function driftEntry(f: DriftFinding): DriftEntry {
  const resource = findingResource(f);
  switch (f.kind) {
    case 'network':
      return f.change === 'missing' ? { resource, change: 'missing', desired: `${f.network} on ${f.node}` } : { resource, change: 'extra', live: `${f.network} on ${f.node}` };
    case 'container':
      return f.change === 'missing' ? { resource, change: 'missing', desired: f.desired } : { resource, change: 'extra', live: f.live };
    case 'route':
      if (f.change === 'missing') return { resource, change: 'missing', ...(f.desired !== undefined ? { desired: f.desired } : {}) };
      if (f.change === 'extra') return { resource, change: 'extra', ...(f.live !== undefined ? { live: f.live } : {}) };
      return changed(resource, 'target', f.desired, f.live);
    case 'commit':
      return changed(resource, 'commit', f.desired, f.live);
    case 'image':
      return changed(resource, 'image', f.desired, f.live);
    case 'ports':
      return changed(resource, 'ports', f.desired, f.live);
    case 'resources':
      return changed(resource, 'resources', f.desired, f.live);
    case 'files':
      return changed(resource, 'files', f.paths, undefined);
    case 'state':
      return changed(resource, 'state', f.desired, f.live);
    case 'env':
      if (f.key === undefined) return changed(resource, 'env', REDACTED, REDACTED);
      return changed(resource, 'env', envText(f.key, f.desired), envText(f.key, f.live));
    case 'spec':
      return { resource, change: 'changed', desired: `spec ${f.desiredHash.slice(0, 12)}`, live: `spec ${(f.liveHash ?? 'none').slice(0, 12)}` };
  }
}

function envText(key: string, v: EnvValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  return `${key}=${'secret' in v ? REDACTED : v.value}`;
}

function changed(resource: string, field: DriftEntry['field'], desired: unknown, live: unknown): DriftEntry {
  const e: DriftEntry = { resource, change: 'changed', field };
  if (desired !== undefined) e.desired = desired;
  if (live !== undefined) e.live = live;
  return e;
}
