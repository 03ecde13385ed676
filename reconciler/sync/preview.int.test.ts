// A pull request's specs planned against what runs (POST /api/plan, `sdp plan --specs DIR`), with a
// real reconciler, agent, Docker and git: the PR changes a running sandbox to a branch the server has
// never resolved, adds one and removes one; the CI commands of docs/ci.md run as written with a
// viewer's token; nothing of the server's state (revisions, ports, jobs) changes.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevisionView, SandboxDetail, StatusView } from '../../schema/api.ts';
import { PLAN_MARKER } from '../present/plan.ts';
import { branchApp, sandboxYaml, startStack, type Stack } from '../../test/support/reconciler.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'sdp.js');
let stack: Stack;
let viewerToken = '';
let work = '';
/** no auto-sync: what runs changes only when the test syncs */
const MANUAL = { syncPolicy: '{ automated: false }' };

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  stack = await startStack({ prefix: 't-pr-', port: 29000, ports: { gateway: [29100, 29149], services: [29200, 29299] } });
  const account = stack.repo('account');
  account.commit('main', branchApp('main'));
  account.commit('feature/pr', branchApp('feature/pr'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }));
  await stack.writeSpec('keep.yaml', sandboxYaml('t-pr-keep', { account: 'main' }, MANUAL));
  await stack.writeSpec('gone.yaml', sandboxYaml('t-pr-gone', { account: 'main' }, MANUAL));
  await stack.waitSandbox('t-pr-keep', (s) => s.sync === 'OutOfSync', 'OutOfSync');
  expect((await stack.syncAndWait('t-pr-keep')).status).toBe('succeeded');
  await stack.waitSandbox('t-pr-keep', (s) => s.sync === 'Synced', 'Synced');
  // a CI token with the least role that works: a viewer's
  await stack.api('POST', '/api/users', { username: 'ci-bot', role: 'viewer', password: 'ci-bot-password-9' });
  const login = await fetch(`${stack.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ci-bot', password: 'ci-bot-password-9' }) });
  const session = ((await login.json()) as { token: string }).token;
  const tok = await fetch(`${stack.url}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` }, body: JSON.stringify({ name: 'ci' }) });
  viewerToken = ((await tok.json()) as { token: string }).token;
  // the PR's checkout: the specs in force, then the PR's edits
  work = join(stack.root, 'checkout');
  await cp(stack.specsDir, join(work, 'specs'), { recursive: true });
  await writeFile(join(work, 'specs', 'keep.yaml'), sandboxYaml('t-pr-keep', { account: 'feature/pr' }, MANUAL));
  await writeFile(join(work, 'specs', 'new.yaml'), sandboxYaml('t-pr-new', { account: 'main' }, MANUAL));
  await rm(join(work, 'specs', 'gone.yaml'));
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

/** `sdp` run from the PR checkout, as a CI step runs it. */
function sdp(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...argv], { cwd: work, env: { ...process.env, SDP_SERVER: stack.url, SDP_TOKEN: viewerToken } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A POST whose answer is read even when the server stops reading the body (fetch would fail). */
function postRaw(body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.url}/api/plan`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${viewerToken}` } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (err) => reject(err));
    req.end(body);
  });
}

async function serverState() {
  const revisions = await stack.api<RevisionView[]>('GET', '/api/revisions');
  const status = await stack.api<StatusView>('GET', '/api/status');
  const keep = await stack.api<SandboxDetail>('GET', '/api/sandboxes/t-pr-keep');
  return {
    revisions: revisions.map((r) => r.id),
    sandboxes: status.sandboxes.map((s) => [s.name, s.gatewayUrl, s.revision]),
    ports: keep.services.map((s) => [s.service, s.hostPort]),
    jobs: keep.history.map((j) => j.id),
  };
}

describe('plan a pull request against what runs', () => {
  it('text: the changed sandbox (a branch never resolved before), the added and the removed; exit 1; nothing stored', async () => {
    const before = await serverState();
    const r = await sdp('plan', '--specs', 'specs');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 added, 1 removed');
    expect(r.stdout).toContain('+ sandbox t-pr-new (new)');
    expect(r.stdout).toContain('- sandbox t-pr-gone (no longer in the specs)');
    expect(r.stdout).toContain('~ sandbox t-pr-keep (spec changed)');
    // feature/pr was resolved through the agent for this plan: its commit is what the deploy would run
    expect(r.stdout).toMatch(/deploy service\/account on local: commit [0-9a-f]{7} -> [0-9a-f]{7}/);
    expect(await serverState()).toEqual(before);
  });

  it('markdown: the sticky comment with its marker and summary', async () => {
    const r = await sdp('plan', '--specs', 'specs', '-o', 'markdown');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(PLAN_MARKER);
    expect(lines[1]).toMatch(/^\*\*sdp plan\*\*: 1 sandbox changed, 1 added, 1 removed, 0 errors/);
    expect(r.stdout).toContain('### New sandbox <code>t\\-pr\\-new</code>');
    expect(r.stdout).toContain('### Removed');
    expect(r.stdout).toContain('_its spec differs from the revision in force_');
  });

  it('one sandbox, unchanged by the PR: exit 0; json has the preview', async () => {
    await writeFile(join(work, 'specs', 'keep.yaml'), sandboxYaml('t-pr-keep', { account: 'main' }, MANUAL));
    try {
      const r = await sdp('plan', 't-pr-keep', '--specs', 'specs');
      expect(r.stdout + r.stderr).toContain('in sync');
      expect(r.code).toBe(0);
      const json = JSON.parse((await sdp('plan', '--specs', 'specs', '-o', 'json')).stdout) as { ok: boolean; added: string[]; removed: string[] };
      expect(json).toMatchObject({ ok: true, added: ['t-pr-new'], removed: ['t-pr-gone'] });
    } finally {
      await writeFile(join(work, 'specs', 'keep.yaml'), sandboxYaml('t-pr-keep', { account: 'feature/pr' }, MANUAL));
    }
  });

  it('spec errors: exit 2, file:line:col relative to the checkout, as sdp validate prints them', async () => {
    await mkdir(join(work, 'bad'), { recursive: true });
    await cp(join(work, 'specs'), join(work, 'bad'), { recursive: true });
    await writeFile(join(work, 'bad', 'new.yaml'), sandboxYaml('t-pr-new', { account: 'main' }, { ...MANUAL, ttl: 'soon' }));
    const r = await sdp('plan', '--specs', 'bad');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^bad\/new\.yaml:\d+:\d+: spec\.ttl: /m);
    const v = await sdp('validate', '--specs', 'bad');
    expect(v.stdout).toContain(r.stdout.split('\n')[0]!);
  });

  it("docs/ci.md's plain shell recipe, run as written: passes on a plan, prints the comment", async () => {
    const doc = await readFile(join(ROOT, 'docs', 'ci.md'), 'utf8');
    const recipe = /## Plain shell[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(recipe).toBeDefined();
    await mkdir(join(work, 'bin'), { recursive: true });
    await writeFile(join(work, 'bin', 'sdp'), `#!/bin/sh\nexec node ${BIN} "$@"\n`, { mode: 0o755 });
    await writeFile(join(work, 'ci.sh'), recipe!);
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      const env = { ...process.env, PATH: `${join(work, 'bin')}:${process.env['PATH'] ?? ''}`, SDP_SERVER: stack.url, SDP_TOKEN: viewerToken };
      execFile('bash', ['ci.sh'], { cwd: work, env }, (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^specs valid: /);
    const comment = await readFile(join(work, 'plan.md'), 'utf8');
    expect(comment.split('\n')[0]).toBe(PLAN_MARKER);
    expect(r.stdout).toContain(comment.trimEnd());
    expect(comment).toContain('1 added, 1 removed');
  });

  it('resolves branches only in repositories the specs in force deploy from: a URL the PR names is never contacted', async () => {
    // where a PR would point a new catalog service: it counts every request that reaches it
    let requests = 0;
    const listener = createServer((_req, res) => {
      requests++;
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const evil = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/evil.git`;
    try {
      const platform = stack.platformYaml({ account: `file://${join(stack.root, 'repos', 'account.git')}`, other: evil });
      const files = [
        { path: 'platform.yaml', text: platform },
        { path: 'keep.yaml', text: sandboxYaml('t-pr-keep', { account: 'main' }, MANUAL) },
        { path: 'other.yaml', text: sandboxYaml('t-pr-other', { other: 'main' }, MANUAL) },
      ];
      const res = await fetch(`${stack.url}/api/plan`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${viewerToken}` }, body: JSON.stringify({ files }) });
      expect(res.status).toBe(200);
      const preview = (await res.json()) as { ok: boolean; plans: Array<{ sandbox: string; actions: Array<{ resource: string }> }> };
      const plan = preview.plans.find((p) => p.sandbox === 't-pr-other');
      expect(plan).toBeDefined();
      // its branch stays unresolved: nothing to deploy for it, and nobody asked that server
      expect(plan?.actions.some((a) => a.resource === 'service/other')).toBe(false);
      expect(requests).toBe(0);
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });

  it('POST /api/plan: bounded, authenticated, relative paths only', async () => {
    const post = (body: unknown, token: string | undefined = viewerToken) =>
      fetch(`${stack.url}/api/plan`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect((await post({ files: [] }, '')).status).toBe(401);
    // refused on its Content-Length, before the body is read: the answer comes while it is still being sent
    const big = await postRaw(JSON.stringify({ files: [{ path: 'a.yaml', text: 'x'.repeat(2 * 1024 * 1024 + 10) }] }));
    expect(big.status).toBe(413);
    expect(big.text).toContain('larger than 2097152 bytes');
    const many = await post({ files: Array.from({ length: 1001 }, (_, i) => ({ path: `f${i}.yaml`, text: '' })) });
    expect(many.status).toBe(400);
    expect(((await many.json()) as { error: string }).error).toContain('at most 1000 spec files (got 1001)');
    expect((await post({ files: [{ path: '../etc/x.yaml', text: '' }] })).status).toBe(400);
  });

  it('POST /api/plan is rate-limited per user: 429 with Retry-After past 30 a minute', async () => {
    const post = () => fetch(`${stack.url}/api/plan`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` }, body: JSON.stringify({ files: [] }) });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await post()).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // another user (the viewer's CI token) is not held up by it
    expect((await fetch(`${stack.url}/api/plan`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${viewerToken}` }, body: '{"files":[]}' })).status).toBe(200);
  });
});
