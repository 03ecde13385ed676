import { describe, expect, it } from 'vitest';
import { desiredSandbox } from '../../core/diff/fixtures.ts';
import { openStore } from '../store/db.ts';
import { SandboxRecords } from './sandbox-records.ts';
import type { SandboxSummary } from '../../schema/api.ts';

describe('SandboxRecords.specDigest (what "its spec changed" means for a ttl and a pin)', () => {
  const records = new SandboxRecords(openStore(':memory:'));
  const s = desiredSandbox();

  it('is the same when only where the document is written moved', () => {
    expect(records.specDigest({ ...s, source: { file: 'other.yaml', line: 40, col: 1 } })).toBe(records.specDigest(s));
  });

  it('changes with the spec itself', () => {
    expect(records.specDigest({ ...s, labels: { team: 'qa' } })).not.toBe(records.specDigest(s));
    expect(records.specDigest({ ...s, services: s.services.map((d) => ({ ...d, env: { ...d.env, LOG: 'debug' } })) })).not.toBe(records.specDigest(s));
  });
});

describe('SandboxRecords', () => {
  it('writes the spec changes an evaluation saw with its summaries, in one save; a restart reads the ttl clocks back', () => {
    const store = openStore(':memory:');
    const records = new SandboxRecords(store);
    const qa = { ...desiredSandbox(), ttlSeconds: 60 };
    const t0 = Date.parse('2026-06-01T00:00:00Z');
    expect(records.expiresAt(qa, t0)).toBe(t0 + 60_000);
    expect(store.sqlite.prepare('SELECT count(*) AS n FROM sandbox_status').get()).toEqual({ n: 0 });
    const summary = { name: 'qa', sync: 'OutOfSync', health: 'Missing', drift: [{ resource: 'service/account', change: 'missing' }], revision: '3' } as unknown as SandboxSummary;
    records.save([summary], '2026-06-01T00:00:01Z');
    const row = store.sqlite.prepare('SELECT sync, health, drift, revision, spec_changed_at AS changed, updated_at AS at FROM sandbox_status').get();
    expect(row).toEqual({ sync: 'OutOfSync', health: 'Missing', drift: JSON.stringify(summary.drift), revision: '3', changed: '2026-06-01T00:00:00.000Z', at: '2026-06-01T00:00:01Z' });
    // the same spec later: no new spec change, the ttl still runs from the first
    expect(new SandboxRecords(store).expiresAt(qa, t0 + 30_000)).toBe(t0 + 60_000);
    records.renew('qa', '2026-06-01T00:00:40.000Z');
    expect(new SandboxRecords(store).expiresAt(qa, t0 + 50_000)).toBe(t0 + 100_000);
    store.close();
  });
});
