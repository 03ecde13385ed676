// Revisions on an in-memory store: identical compiles are not new revisions, a rejected compile
// keeps the last good desired state, port allocations persist and are released when absent.
import { expect, it } from 'vitest';
import type { CompileResult, DesiredState } from '../../schema/desired.ts';
import { openStore } from '../store/db.ts';
import { Revisions } from './revisions.ts';

function desired(ports: Record<string, number>): DesiredState {
  return {
    platform: { name: 'default', nodes: [], ports: { gateway: [8080, 8099], services: [9001, 9099] }, services: [] },
    sandboxes: [],
    templates: [],
    environments: [],
    ports,
  };
}
const ok = (ports: Record<string, number>): CompileResult => ({ ok: true, desired: desired(ports) });
const bad: CompileResult = { ok: false, errors: [{ file: 'sb.yaml', line: 3, col: 5, message: 'unknown key bogus', field: 'spec.bogus' }] };

it('records revisions, keeps the last good one in force and persists ports', () => {
  const store = openStore(':memory:');
  const revs = new Revisions(store, '/specs');
  expect(revs.current).toBeNull();

  const r1 = revs.record(ok({ 'gateway/a': 8080, 'gateway/b': 8081 }), { commit: 'abc', dirty: false });
  expect(r1).toMatchObject({ id: '1', ok: true, commit: 'abc', dirty: false });
  expect(revs.ports()).toEqual({ 'gateway/a': 8080, 'gateway/b': 8081 });
  // the same result again (another fs event of one save) is not a new revision
  expect(revs.record(ok({ 'gateway/a': 8080, 'gateway/b': 8081 }), { commit: 'abc', dirty: false })).toBeNull();
  // the same files, now uncommitted edits: a new revision (dirty)
  expect(revs.record(ok({ 'gateway/a': 8080, 'gateway/b': 8081 }), { commit: 'abc', dirty: true })).toMatchObject({ id: '2', dirty: true });

  const r3 = revs.record(bad, { commit: 'abc', dirty: true });
  expect(r3).toMatchObject({ id: '3', ok: false });
  expect(revs.current?.view.id).toBe('2');
  expect(revs.rejected?.errors[0]).toMatchObject({ file: 'sb.yaml', line: 3, col: 5 });
  expect(revs.ports()).toEqual({ 'gateway/a': 8080, 'gateway/b': 8081 });

  // b deleted: its port is released; a keeps its port
  revs.record(ok({ 'gateway/a': 8080 }), { commit: 'def', dirty: false });
  expect(revs.rejected).toBeNull();
  expect(revs.ports()).toEqual({ 'gateway/a': 8080 });
  // a freed port can go to another sandbox
  revs.record(ok({ 'gateway/a': 8080, 'gateway/c': 8081 }), { commit: 'def', dirty: true });
  expect(revs.ports()).toEqual({ 'gateway/a': 8080, 'gateway/c': 8081 });

  // a restarted process finds the same state
  const again = new Revisions(store, '/specs');
  expect(again.current?.view.id).toBe('5');
  expect(again.current?.desired.ports).toEqual({ 'gateway/a': 8080, 'gateway/c': 8081 });
  expect(again.list().map((r) => r.id)).toEqual(['5', '4', '3', '2', '1']);
  store.close();
});
