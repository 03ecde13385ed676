// The audit trail on a real SQLite file: append-only at the database, paged newest first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/db.ts';
import { createAudit } from './audit.ts';

const dir = mkdtempSync(join(tmpdir(), 't-auth-audit-'));
const store = openStore(join(dir, 'sdp.db'));
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
const audit = createAudit(store);

describe('audit trail', () => {
  it('records events, including a sync with its revision, branches and commits', () => {
    const id = audit.record({
      action: 'sync',
      actor: 'qa1',
      target: 'qa-login-error',
      outcome: 'success',
      detail: { revision: 'r7', jobId: 'job-1', prune: false, dryRun: false, services: [{ service: 'account', branch: 'feature/x', commit: 'abc123' }] },
    });
    const [e] = audit.list({ limit: 1 }).events;
    expect(e).toMatchObject({ id, actor: 'qa1', action: 'sync', target: 'qa-login-error', outcome: 'success' });
    expect(e?.detail).toMatchObject({ revision: 'r7', services: [{ service: 'account', branch: 'feature/x', commit: 'abc123' }] });
  });

  it('refuses UPDATE and DELETE at the database', () => {
    audit.record({ action: 'login', actor: 'x', outcome: 'failure' });
    expect(() => store.sqlite.prepare("UPDATE audit_events SET actor = 'someone-else'").run()).toThrow(/append-only/);
    expect(() => store.sqlite.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
    expect(audit.list().events.length).toBeGreaterThanOrEqual(2);
  });

  it('pages newest first with `next`, and filters by action and actor', () => {
    for (let i = 0; i < 7; i++) audit.record({ action: 'secret.set', actor: `lead${i % 2}`, target: `dev/K${i}`, outcome: 'success' });
    const p1 = audit.list({ action: 'secret.set', limit: 3 });
    expect(p1.events.map((e) => e.target)).toEqual(['dev/K6', 'dev/K5', 'dev/K4']);
    const p2 = audit.list({ action: 'secret.set', limit: 3, before: p1.next ?? 0 });
    expect(p2.events.map((e) => e.target)).toEqual(['dev/K3', 'dev/K2', 'dev/K1']);
    const p3 = audit.list({ action: 'secret.set', limit: 3, before: p2.next ?? 0 });
    expect(p3.events.map((e) => e.target)).toEqual(['dev/K0']);
    expect(p3.next).toBeNull();
    expect(audit.list({ action: 'secret.set', actor: 'lead1' }).events.map((e) => e.target)).toEqual(['dev/K5', 'dev/K3', 'dev/K1']);
    expect(audit.list({ limit: 10_000 }).events.length).toBeLessThanOrEqual(200);
  });
});
