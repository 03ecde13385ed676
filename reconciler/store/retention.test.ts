// Retention on an in-memory store: revisions and jobs pruned by count and age, never what is in
// force or running; one stored copy of a desired state however many revisions compile to it.
import { describe, expect, it } from 'vitest';
import type { CompileResult, DesiredState } from '../../schema/desired.ts';
import { Revisions } from '../source/revisions.ts';
import { JobStore } from '../sync/job-store.ts';
import { openStore, type Store } from './db.ts';
import { DEFAULT_RETENTION, pruneJobs, pruneRevisions, retentionFromEnv } from './retention.ts';

const desired = (tag: string): DesiredState => ({
  platform: { name: tag, nodes: [], ports: { gateway: [8080, 8099], services: [9001, 9099] }, services: [] },
  sandboxes: [],
  templates: [],
  environments: [],
  ports: {},
});
const ok = (tag: string): CompileResult => ({ ok: true, desired: desired(tag) });
const bad = (n: number): CompileResult => ({ ok: false, errors: [{ file: 'a.yaml', line: n, col: 1, message: 'bad' }] });
const count = (store: Store, table: string): number => (store.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('revisions', () => {
  it('unchanged content is stored once, whatever the commit', () => {
    const store = openStore(':memory:');
    const revs = new Revisions(store, '/specs');
    for (let i = 0; i < 5; i++) revs.record(ok('same'), { commit: `c${i}`, dirty: false });
    expect(count(store, 'spec_revisions')).toBe(5);
    expect(count(store, 'spec_contents')).toBe(1);
    // read back after a restart from the shared copy
    expect(new Revisions(store, '/specs').current?.desired.platform.name).toBe('same');
  });

  it('keeps the newest N, and the good one in force however old', () => {
    const store = openStore(':memory:');
    const revs = new Revisions(store, '/specs', { ...DEFAULT_RETENTION, revisions: 3 });
    revs.record(ok('good'), { dirty: false });
    for (let i = 1; i <= 10; i++) revs.record(bad(i), { dirty: false });
    const ids = revs.list().map((r) => r.id);
    expect(ids).toEqual(['11', '10', '9', '1']);
    expect(revs.current?.view.id).toBe('1');
    revs.record(ok('newer'), { dirty: false });
    expect(revs.list().map((r) => r.id)).toEqual(['12', '11', '10']);
    expect(count(store, 'spec_contents')).toBe(1); // 'good' is no one's any more
  });

  it('drops revisions past the age, but not the newest', () => {
    const store = openStore(':memory:');
    const revs = new Revisions(store, '/specs');
    revs.record(bad(1), { dirty: false });
    revs.record(bad(2), { dirty: false });
    const later = new Date(Date.now() + 31 * 86_400_000);
    expect(pruneRevisions(store, DEFAULT_RETENTION, later, [])).toBe(1);
    expect(revs.list().map((r) => r.id)).toEqual(['2']);
  });
});

describe('jobs', () => {
  const job = (jobs: JobStore, id: string, sandbox: string, at: Date, finish = true) => {
    jobs.create({ id, sandbox, user: 'u', trigger: 'manual', revision: '1', fingerprint: 'f', prune: false, plan: { sandbox, actions: [] } as never, steps: [] }, at.toISOString());
    if (finish) jobs.finish(id, 'succeeded', at.toISOString());
  };

  it('keeps the newest N finished jobs per sandbox, running jobs and each sandbox newest', () => {
    const store = openStore(':memory:');
    const jobs = new JobStore(store, { ...DEFAULT_RETENTION, jobsPerSandbox: 2 });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) job(jobs, `a${i}`, 'a', new Date(t0 + i * 1000));
    job(jobs, 'b0', 'b', new Date(t0));
    expect(jobs.history('a').map((j) => j.id)).toEqual(['a4', 'a3']);
    expect(count(store, 'sync_history')).toBe(3);
    // a month later only each sandbox's newest is left; a running job stays
    job(jobs, 'a5', 'a', new Date(t0 + 6000), false);
    expect(pruneJobs(store, DEFAULT_RETENTION, new Date(t0 + 40 * 86_400_000))).toBe(1);
    expect(jobs.history('a').map((j) => j.id)).toEqual(['a5', 'a4']);
    expect(jobs.history('b').map((j) => j.id)).toEqual(['b0']);
  });

  it('a job keeps its first N log lines and counts the rest', () => {
    const store = openStore(':memory:');
    const jobs = new JobStore(store, { ...DEFAULT_RETENTION, jobLogLines: 3 });
    job(jobs, 'j', 's', new Date(), false);
    for (let i = 0; i < 10; i++) jobs.addLog('j', { at: new Date().toISOString(), stream: 'build', line: `line ${i}` });
    jobs.addLog('j', { at: new Date().toISOString(), stream: 'build', line: 'never kept' });
    jobs.finish('j', 'succeeded', new Date().toISOString());
    expect(jobs.view('j')?.logs.map((l) => l.line)).toEqual(['line 0', 'line 1', 'line 2', '8 more log lines not kept (a job keeps its first 3; SDP_KEEP_LOG_LINES)']);
  });
});

it('retention from env: whole numbers >= 1, else an error naming the variable', () => {
  expect(retentionFromEnv({ SDP_KEEP_REVISIONS: '10', SDP_KEEP_DAYS: '' })).toEqual({ ...DEFAULT_RETENTION, revisions: 10 });
  expect(() => retentionFromEnv({ SDP_KEEP_JOBS: '0' })).toThrow('SDP_KEEP_JOBS="0": must be a whole number of at least 1 (default 50)');
});
