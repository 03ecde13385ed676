// Specs from a git repository: cloned at start, pulled on POST /api/webhooks/git; each revision is
// tagged with the specs commit. Real bare repo, real reconciler.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RevisionView } from '../../schema/api.ts';
import { Stack, TestRepo, sandboxYaml } from '../../test/support/reconciler.ts';

let stack: Stack;
let specs: TestRepo;
let first: string;

beforeAll(async () => {
  const ports = { gateway: [21190, 21199] as [number, number], services: [21380, 21389] as [number, number] };
  const root = mkdtempSync(join(tmpdir(), 't-rec-gitspecs-'));
  specs = new TestRepo(root, 'specs');
  stack = new Stack({ prefix: 't-rec-', port: 21040, ports, specsGit: { url: specs.url, branch: 'main', path: 'sdp', intervalMs: 3_600_000 } });
  first = specs.commit('main', {
    'sdp/platform.yaml': stack.platformYaml({ web: 'file:///nonexistent/web.git' }),
    'sdp/a.yaml': sandboxYaml('t-rec-git-a', { web: 'main' }),
  });
  await stack.start({ agent: false });
  cleanup = () => rmSync(root, { recursive: true, force: true });
});

let cleanup = () => {};
afterAll(async () => {
  await stack?.stop();
  cleanup();
});

it('follows the specs repository: a push plus the webhook is a new revision tagged with its commit', async () => {
  await stack.waitSandbox('t-rec-git-a', () => true, 'from the first commit');
  let revs = await stack.api<RevisionView[]>('GET', '/api/revisions');
  expect(revs[0]).toMatchObject({ ok: true, commit: first, dirty: false });

  const second = specs.commit('main', { 'sdp/b.yaml': sandboxYaml('t-rec-git-b', { web: 'main' }) });
  const res = await fetch(`${stack.url}/api/webhooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(202);
  await stack.waitSandbox('t-rec-git-b', () => true, 'from the pushed commit', 20_000);
  revs = await stack.api<RevisionView[]>('GET', '/api/revisions');
  expect(revs[0]).toMatchObject({ ok: true, commit: second, dirty: false });
});
