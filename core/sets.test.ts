import { describe, expect, it } from 'vitest';
import type { DesiredSet } from '../schema/desired.ts';
import { bind, desiredSandbox, liveInSync } from './diff/fixtures.ts';
import { decideAutoSyncs } from './policy.ts';
import { generatedByLive, orphanPolicy } from './sets.ts';

const set = (policy: Partial<DesiredSet['syncPolicy']>): DesiredSet => ({
  name: 'previews',
  source: { file: 'sets.yaml', line: 1, col: 1 },
  service: 'account',
  repo: 'file:///r/account.git',
  branches: 'feature/*',
  max: 10,
  listed: true,
  matched: 0,
  skipped: [],
  sandboxes: [],
  syncPolicy: { automated: false, prune: false, selfHeal: false, ...policy },
});

describe('the orphan of a branch gone', () => {
  const s = { ...desiredSandbox(), generatedBy: { set: 'previews', branch: 'feature/x' } };
  const live = liveInSync(s, bind(s));

  it('names its set from the containers, and the branch from a service', () => {
    expect(generatedByLive(live)).toEqual({ set: 'previews', branch: expect.any(String) });
    const plain = desiredSandbox();
    expect(generatedByLive(liveInSync(plain, bind(plain)))).toBeUndefined();
  });

  it('is removed automatically only while its set is in force with automated and prune', () => {
    expect(orphanPolicy(live, [set({ automated: true, prune: true })])).toEqual({ automated: true, prune: true, selfHeal: false });
    expect(orphanPolicy(live, [set({ automated: true })])).toBeUndefined();
    expect(orphanPolicy(live, [set({ prune: true })])).toBeUndefined();
    expect(orphanPolicy(live, [])).toBeUndefined();
    const decision = decideAutoSyncs(
      [{ name: s.name, syncPolicy: orphanPolicy(live, [set({ automated: true, prune: true })]), sync: 'OutOfSync', unresolved: false, expired: false, syncing: false, pinned: false, fingerprint: '', lastAttempt: { fingerprint: 'before', ok: true } }],
      new Map(),
      0,
    );
    expect(decision.start).toEqual([{ sandbox: s.name, trigger: 'automated', prune: true }]);
  });
});
