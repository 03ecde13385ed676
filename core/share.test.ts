import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../schema/desired.ts';
import { desiredSandbox } from './diff/fixtures.ts';
import { sameData, shareDesired, shared } from './share.ts';

const state = (sandboxes: DesiredState['sandboxes']): DesiredState => ({
  platform: { name: 'p', nodes: [], ports: { gateway: [1, 2], services: [3, 4] }, services: [] },
  sandboxes,
  templates: [],
  environments: [],
  ports: {},
});

describe('sameData', () => {
  it('is deep equality of plain data, key order ignored', () => {
    expect(sameData({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameData({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameData({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(sameData([1, 2], [2, 1])).toBe(false);
    expect(sameData([], {})).toBe(false);
    expect(sameData({ a: null }, { a: undefined })).toBe(false);
    expect(sameData({ a: undefined }, {})).toBe(false);
    expect(sameData('1', 1)).toBe(false);
    expect(sameData(null, null)).toBe(true);
  });

  it('shared keeps the earlier object only when equal', () => {
    const prev = { a: [1] };
    expect(shared(prev, { a: [1] })).toBe(prev);
    const next = { a: [2] };
    expect(shared(prev, next)).toBe(next);
    expect(shared(undefined, next)).toBe(next);
  });
});

describe('shareDesired', () => {
  it('an unchanged sandbox is the earlier object; a changed one keeps its unchanged containers', () => {
    const before = state([desiredSandbox({ name: 'qa' }), desiredSandbox({ name: 'qb' })]);
    const relabelled = { ...desiredSandbox({ name: 'qb' }), labels: { team: 'b' } };
    const after = state([desiredSandbox({ name: 'qa' }), relabelled, desiredSandbox({ name: 'qc' })]);
    const out = shareDesired(before, after);
    expect(out).toEqual(after);
    expect(out.sandboxes[0]).toBe(before.sandboxes[0]);
    const qb = out.sandboxes[1]!;
    expect(qb).not.toBe(before.sandboxes[1]);
    expect(qb.labels).toEqual({ team: 'b' });
    expect(qb.gateway).toBe(before.sandboxes[1]!.gateway);
    qb.services.forEach((c, i) => expect(c).toBe(before.sandboxes[1]!.services[i]));
    expect(out.sandboxes[2]).toBe(after.sandboxes[2]);
  });

  it('a changed container is the new one; nothing shared gives the new state itself', () => {
    const before = state([desiredSandbox({ name: 'qa' })]);
    const changed = desiredSandbox({ name: 'qa' });
    changed.services[0] = { ...changed.services[0]!, port: 9999 };
    const after = state([changed]);
    const out = shareDesired(before, after);
    expect(out.sandboxes[0]!.services[0]).toBe(changed.services[0]);
    expect(out.sandboxes[0]!.services[1]).toBe(before.sandboxes[0]!.services[1]);
    const fresh = state([desiredSandbox({ name: 'qz' })]);
    expect(shareDesired(before, fresh)).toBe(fresh);
    expect(shareDesired(undefined, fresh)).toBe(fresh);
  });
});
