import { describe, expect, it } from 'vitest';
import { HEAL_BACKOFF_MS, decideAutoSyncs, type PolicySandbox } from './policy.ts';

const base: PolicySandbox = {
  name: 'qa',
  syncPolicy: { automated: false, prune: false, selfHeal: false },
  sync: 'OutOfSync',
  unresolved: false,
  expired: false,
  pinned: false,
  syncing: false,
  fingerprint: 'f2',
  lastAttempt: { fingerprint: 'f1', ok: true },
};
const sb = (over: Partial<PolicySandbox>): PolicySandbox => ({ ...base, ...over });
const auto = { automated: true, prune: true, selfHeal: false };
const heal = { automated: false, prune: false, selfHeal: true };

describe('decideAutoSyncs', () => {
  it('manual policy: never syncs on its own', () => {
    expect(decideAutoSyncs([sb({})], new Map(), 0).start).toEqual([]);
  });

  it('automated: a new desired state (revision + commits) is synced, with the policy’s prune', () => {
    expect(decideAutoSyncs([sb({ syncPolicy: auto })], new Map(), 0).start).toEqual([{ sandbox: 'qa', trigger: 'automated', prune: true }]);
  });

  it('automated: never re-applies a state whose sync failed', () => {
    const d = decideAutoSyncs([sb({ syncPolicy: auto, fingerprint: 'f1', lastAttempt: { fingerprint: 'f1', ok: false } })], new Map(), 0);
    expect(d.start).toEqual([]);
  });

  it('nothing starts while a sync runs, a branch is unresolved, or the sync is Unknown / Synced', () => {
    for (const over of [{ syncing: true }, { unresolved: true }, { sync: 'Unknown' as const }, { sync: 'Synced' as const }]) {
      expect(decideAutoSyncs([sb({ syncPolicy: auto, ...over })], new Map(), 0).start, JSON.stringify(over)).toEqual([]);
    }
  });

  it('orphans are left to a manual sync with prune', () => {
    expect(decideAutoSyncs([sb({ syncPolicy: undefined })], new Map(), 0).start).toEqual([]);
  });

  it('ttl: an expired sandbox is suspended once per desired state, without prune', () => {
    expect(decideAutoSyncs([sb({ expired: true })], new Map(), 0).start).toEqual([{ sandbox: 'qa', trigger: 'ttl', prune: false }]);
    expect(decideAutoSyncs([sb({ expired: true, fingerprint: 'f1' })], new Map(), 0).start).toEqual([]);
  });

  it('selfHeal: live drifted from a successfully synced state is healed, with backoff doubling up to the max', () => {
    const s = sb({ syncPolicy: heal, fingerprint: 'f1', lastAttempt: { fingerprint: 'f1', ok: true } });
    let state = new Map();
    let now = 1_000_000;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = decideAutoSyncs([s], state, now);
      expect(d.start).toEqual([{ sandbox: 'qa', trigger: 'self-heal', prune: false }]);
      state = d.heal;
      const next = state.get('qa')!.nextAt;
      delays.push(next - now);
      // before the backoff ends: nothing, and a wake-up at its end
      const early = decideAutoSyncs([s], state, now + 1);
      expect(early.start).toEqual([]);
      expect(early.wakeAt).toBe(next);
      now = next;
    }
    expect(delays.slice(0, 3)).toEqual([HEAL_BACKOFF_MS.first, HEAL_BACKOFF_MS.first * 2, HEAL_BACKOFF_MS.first * 4]);
    expect(Math.max(...delays)).toBe(HEAL_BACKOFF_MS.max);
  });

  it('selfHeal: a failed last sync is not retried; Synced resets the backoff', () => {
    const failed = sb({ syncPolicy: heal, fingerprint: 'f1', lastAttempt: { fingerprint: 'f1', ok: false } });
    expect(decideAutoSyncs([failed], new Map(), 0).start).toEqual([]);
    const d = decideAutoSyncs([sb({ syncPolicy: heal, sync: 'Synced' })], new Map([['qa', { attempts: 5, nextAt: 99 }]]), 0);
    expect(d.heal.has('qa')).toBe(false);
  });

  it('pinned: neither automated nor selfHeal syncs it, whatever changed or drifted; its backoff is dropped', () => {
    const both = { automated: true, prune: true, selfHeal: true };
    // the branch head moved (a new fingerprint) and live drifted from the last successful sync
    for (const over of [{ fingerprint: 'f2' }, { fingerprint: 'f1', lastAttempt: { fingerprint: 'f1', ok: true } }]) {
      const d = decideAutoSyncs([sb({ syncPolicy: both, pinned: true, ...over })], new Map([['qa', { attempts: 2, nextAt: 0 }]]), 0);
      expect(d.start, JSON.stringify(over)).toEqual([]);
      expect(d.heal.has('qa')).toBe(false);
      expect(d.wakeAt).toBeUndefined();
    }
  });

  it('pinned: unpinned again, automated brings the new desired state (the rollback was the last attempt)', () => {
    const rolledBack = { fingerprint: 'head', lastAttempt: { fingerprint: 'rolled-back', ok: true } };
    expect(decideAutoSyncs([sb({ syncPolicy: auto, pinned: true, ...rolledBack })], new Map(), 0).start).toEqual([]);
    expect(decideAutoSyncs([sb({ syncPolicy: auto, pinned: false, ...rolledBack })], new Map(), 0).start).toEqual([{ sandbox: 'qa', trigger: 'automated', prune: true }]);
  });

  it('pinned: the ttl still suspends an expired sandbox', () => {
    expect(decideAutoSyncs([sb({ syncPolicy: auto, pinned: true, expired: true })], new Map(), 0).start).toEqual([{ sandbox: 'qa', trigger: 'ttl', prune: false }]);
  });
});
