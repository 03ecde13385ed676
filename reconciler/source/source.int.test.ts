// Specs from a git repository: cloned at start, pulled on POST /api/webhooks/git (signed with the
// webhook secret, as git hosts sign it); each revision is tagged with the specs commit. Real bare
// repo, real reconciler.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RevisionView } from '../../schema/api.ts';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../auth/index.ts';
import { Stack, TestRepo, sandboxYaml } from '../../test/support/reconciler.ts';

let stack: Stack;
let specs: TestRepo;
let first: string;
const WEBHOOK_SECRET = 'webhook-secret-for-the-test-7c2';
const savedSecret = process.env['SDP_WEBHOOK_SECRET'];

beforeAll(async () => {
  const ports = { gateway: [21190, 21199] as [number, number], services: [21380, 21389] as [number, number] };
  const root = mkdtempSync(join(tmpdir(), 't-rec-gitspecs-'));
  specs = new TestRepo(root, 'specs');
  stack = new Stack({ prefix: 't-rec-', port: 21040, ports, specsGit: { url: specs.url, branch: 'main', path: 'sdp', intervalMs: 3_600_000 } });
  first = specs.commit('main', {
    'sdp/platform.yaml': stack.platformYaml({ web: 'file:///nonexistent/web.git' }),
    'sdp/a.yaml': sandboxYaml('t-rec-git-a', { web: 'main' }),
  });
  // Stack starts the reconciler with its defaults: the secret comes the way `sdp server` reads it
  process.env['SDP_WEBHOOK_SECRET'] = WEBHOOK_SECRET;
  await stack.start({ agent: false });
  cleanup = () => rmSync(root, { recursive: true, force: true });
});

let cleanup = () => {};
afterAll(async () => {
  if (savedSecret === undefined) delete process.env['SDP_WEBHOOK_SECRET'];
  else process.env['SDP_WEBHOOK_SECRET'] = savedSecret;
  await stack?.stop();
  cleanup();
});

it('follows the specs repository: a push plus the webhook is a new revision tagged with its commit', async () => {
  await stack.waitSandbox('t-rec-git-a', () => true, 'from the first commit');
  let revs = await stack.api<RevisionView[]>('GET', '/api/revisions');
  expect(revs[0]).toMatchObject({ ok: true, commit: first, dirty: false });

  const second = specs.commit('main', { 'sdp/b.yaml': sandboxYaml('t-rec-git-b', { web: 'main' }) });
  const body = JSON.stringify({ ref: 'refs/heads/main', after: second });
  const hook = (headers: Record<string, string>) =>
    fetch(`${stack.url}/api/webhooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  // unsigned, or signed with another secret: refused, and nothing is pulled
  expect((await hook({})).status).toBe(401);
  expect((await hook({ [WEBHOOK_SIGNATURE_HEADER]: signWebhook('another-secret', body) })).status).toBe(401);
  await new Promise((r) => setTimeout(r, 1000));
  revs = await stack.api<RevisionView[]>('GET', '/api/revisions');
  expect(revs[0]).toMatchObject({ commit: first });

  expect((await hook({ [WEBHOOK_SIGNATURE_HEADER]: signWebhook(WEBHOOK_SECRET, body) })).status).toBe(202);
  await stack.waitSandbox('t-rec-git-b', () => true, 'from the pushed commit', 20_000);
  revs = await stack.api<RevisionView[]>('GET', '/api/revisions');
  expect(revs[0]).toMatchObject({ ok: true, commit: second, dirty: false });
});
