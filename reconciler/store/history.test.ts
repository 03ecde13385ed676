// The history and pins repositories on an in-memory store (real SQLite): records go with their job,
// snapshots outlive it, pins are read back after a restart.
import { describe, expect, it } from 'vitest';
import type { AppliedState } from '../../core/history.ts';
import { desiredSandbox } from '../../core/diff/fixtures.ts';
import { JobStore } from '../sync/job-store.ts';
import { openStore } from './db.ts';
import { History } from './history.ts';
import { Pins } from './pins.ts';
import { DEFAULT_RETENTION } from './retention.ts';

const state = (commit: string): AppliedState => ({
  sandbox: desiredSandbox(),
  containers: [{ service: 'account', kind: 'service', branch: 'feature/account', commit, image: `img:${commit}`, envDigest: '0123456789abcdef' }],
});

function setup(jobsPerSandbox = DEFAULT_RETENTION.jobsPerSandbox) {
  const store = openStore(':memory:');
  const jobs = new JobStore(store, { ...DEFAULT_RETENTION, jobsPerSandbox });
  const history = new History(store);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const sync = (id: string, i: number, ok: boolean, fingerprint: string, commit?: string) => {
    const at = new Date(t0 + i * 1000).toISOString();
    jobs.create({ id, sandbox: 'qa', user: 'ana', trigger: 'manual', revision: String(i), fingerprint, prune: false, plan: { sandbox: 'qa', actions: [] } as never, steps: [] }, at);
    if (commit) history.record(id, 'qa', state(commit));
    jobs.finish(id, ok ? 'succeeded' : 'failed', at, ok ? undefined : 'boom');
  };
  return { store, jobs, history, sync, t0 };
}

describe('History', () => {
  it('entries: every sync newest first with what it applied; outcomes for the default rollback target', () => {
    const { history, sync } = setup();
    sync('j1', 1, true, 'a', 'c1');
    sync('j2', 2, false, 'b', 'c2');
    sync('old', 0, true, 'z'); // a sync from before records: listed, not recorded
    const entries = history.entries('qa');
    expect(entries.map((e) => e.job)).toEqual(['j2', 'j1', 'old']);
    expect(entries[0]).toMatchObject({ status: 'failed', error: 'boom', user: 'ana', revision: '2', containers: [{ commit: 'c2' }] });
    expect(entries[2]!.containers).toEqual([]);
    expect(history.outcomes('qa')).toEqual([
      { job: 'j2', ok: false, fingerprint: 'b', recorded: true },
      { job: 'j1', ok: true, fingerprint: 'a', recorded: true },
      { job: 'old', ok: true, fingerprint: 'z', recorded: false },
    ]);
    expect(history.state('j1')).toMatchObject({ job: 'j1', sandbox: 'qa', revision: '1', fingerprint: 'a', status: 'succeeded', state: state('c1') });
    expect(history.state('old')).toBeUndefined();
  });

  it('a record goes with its pruned job; a snapshot of it is kept, and its name is unique per sandbox', () => {
    const { store, history, sync, t0 } = setup(2);
    sync('j1', 1, true, 'a', 'c1');
    const snap = history.createSnapshot('keep', history.state('j1')!, 'ana', new Date(t0).toISOString(), 'signed off');
    expect(snap).toMatchObject({ sandbox: 'qa', name: 'keep', job: 'j1', revision: '1', by: 'ana', reason: 'signed off', containers: [{ commit: 'c1' }] });
    expect(history.createSnapshot('keep', history.state('j1')!, 'bob', new Date(t0).toISOString())).toBe('exists');
    sync('j2', 2, true, 'b', 'c2');
    sync('j3', 3, true, 'c', 'c3');
    // the job store keeps 2 per sandbox: j1 went when j3 finished, its record with it
    expect(history.entries('qa').map((e) => e.job)).toEqual(['j3', 'j2']);
    expect(history.state('j1')).toBeUndefined();
    expect((store.sqlite.prepare('SELECT COUNT(*) AS n FROM applied_states').get() as { n: number }).n).toBe(2);
    expect(history.snapshot('qa', 'keep')).toMatchObject({ job: 'j1', status: 'succeeded', state: state('c1') });
    expect(history.snapshots('qa').map((s) => s.name)).toEqual(['keep']);
    expect(history.deleteSnapshot('qa', 'keep')).toBe(true);
    expect(history.deleteSnapshot('qa', 'keep')).toBe(false);
  });
});

describe('Pins', () => {
  it('pins, is read back after a restart (same object until it changes), and unpins', () => {
    const { store } = setup();
    const pins = new Pins(store);
    pins.set('qa', { job: 'j1', snapshot: 'keep', by: 'ana', at: '2026-01-01T00:00:00.000Z', reason: 'login broke' }, 'digest-1');
    const again = new Pins(store);
    const pin = again.get('qa');
    expect(pin).toEqual({ job: 'j1', snapshot: 'keep', by: 'ana', at: '2026-01-01T00:00:00.000Z', reason: 'login broke' });
    expect(again.get('qa')).toBe(pin);
    expect(again.all().get('qa')?.specDigest).toBe('digest-1');
    expect(again.remove('qa')).toBe(pin);
    expect(again.remove('qa')).toBeUndefined();
    expect(new Pins(store).get('qa')).toBeUndefined();
  });
});
