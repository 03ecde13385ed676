// History and rollback end to end, on a real reconciler and agent, real Docker, git, SQLite, the
// Caddy gateway and headless Chromium: two good syncs of two commits of a branch (auto-sync), then
// `sdp rollback --to` the first job: the first commit answers behind the gateway, the sandbox shows
// pinned (API, CLI, browser), the automated policy and self-heal leave it alone while the branch head
// moves and a container goes, a snapshot recreates it, and unpin (in the browser) lets auto-sync bring
// the head back. A spec change lifts a pin.
//
// Everything it makes belongs to sandboxes `t-hist-*`, Platform t-hist, host ports 33000-33999.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signIn } from '../support/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, HistoryResponse, SandboxDetail, SandboxSummary, SnapshotsResponse } from '../../schema/api.ts';
import { cleanupBuiltImages } from '../../agent/testing/fixtures.ts';
import { ADMIN_PASSWORD, branchApp, httpGet, sandboxYaml, startStack, type Stack, type TestRepo } from '../support/reconciler.ts';

const PREFIX = 't-hist-';
const SANDBOX = `${PREFIX}a`;
const BRANCH = 'feature/h';
/** screenshots of the pinned sandbox page, for a person to look at */
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'history');
/** automated sync and self-heal on: everything the pin must hold back */
const SPEC = sandboxYaml(SANDBOX, { account: BRANCH }, { syncPolicy: '{ automated: true, selfHeal: true, prune: false }' });

let stack: Stack;
let account: TestRepo;
const commits: string[] = [];
const jobs: string[] = [];
let browser: Browser | undefined;
let page: Page;

function sdp(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/sdp.js', ...argv, '--server', stack.url], { env: { ...process.env, SDP_TOKEN: stack.token, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const summary = async (): Promise<SandboxSummary> => (await stack.sandbox(SANDBOX)) as SandboxSummary;
const history = (): Promise<HistoryResponse> => stack.api<HistoryResponse>('GET', `/api/sandboxes/${SANDBOX}/history`);
const liveCommit = (d: SandboxDetail) => d.services.find((s) => s.service === 'account')?.liveCommit;

/** What the sandbox's gateway answers for the account service. */
async function answer(): Promise<string> {
  const s = await summary();
  return (await httpGet(`${s.gatewayUrl}/account/`)).body;
}

async function waitAnswer(marker: string, timeoutMs = 120_000): Promise<void> {
  let last = '';
  await stack.waitFor(`the gateway to answer ${marker}`, async () => (last = await answer()).includes(`branch=${BRANCH} ${marker}`), timeoutMs, () => last);
}

/** Waits for the job that applied `commit` (the newest succeeded one whose record has it). */
async function jobApplying(commit: string): Promise<string> {
  let found: string | undefined;
  await stack.waitFor(`a successful sync applying ${commit.slice(0, 12)}`, async () => {
    found = (await history()).entries.find((e) => e.status === 'succeeded' && e.containers.some((c) => c.service === 'account' && c.commit === commit))?.job;
    return found !== undefined;
  }, 120_000);
  return found as string;
}

async function audit(action: string): Promise<AuditPage['events']> {
  return (await stack.api<AuditPage>('GET', `/api/audit?action=${action}&limit=50`)).events.filter((e) => e.target === SANDBOX);
}

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  stack = await startStack({ prefix: PREFIX, port: 33000, ports: { gateway: [33100, 33149], services: [33200, 33299] } });
  account = stack.repo('account');
  account.commit('main', branchApp('main'));
  commits.push(account.commit(BRANCH, branchApp(BRANCH, { marker: 'one' })));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }));
  await stack.writeSpec('sandbox.yaml', SPEC);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await cleanupBuiltImages(commits);
});

describe('history, rollback and pins', () => {
  it('two good syncs of two commits (auto-sync), each recorded with its commit, image and env digest', async () => {
    await waitAnswer('one');
    jobs.push(await jobApplying(commits[0]!));
    commits.push(account.commit(BRANCH, branchApp(BRANCH, { marker: 'two' })));
    await stack.api('POST', '/api/refresh');
    await waitAnswer('two');
    jobs.push(await jobApplying(commits[1]!));
    expect(jobs[1]).not.toBe(jobs[0]);

    const h = await history();
    expect(h.pinned).toBeUndefined();
    for (const [i, job] of jobs.entries()) {
      const e = h.entries.find((x) => x.job === job)!;
      expect(e).toMatchObject({ user: 'sdp:automated', trigger: 'automated', status: 'succeeded' });
      const c = e.containers.find((x) => x.service === 'account')!;
      expect(c).toMatchObject({ kind: 'service', branch: BRANCH, commit: commits[i] });
      expect(c.image).toMatch(/\S/);
      expect(c.envDigest).toMatch(/^[0-9a-f]{16}$/);
    }

    const cli = await sdp('history', SANDBOX);
    expect(cli.code, cli.stderr).toBe(0);
    for (const job of jobs) expect(cli.stdout).toContain(job);
    for (const c of commits) expect(cli.stdout).toContain(c.slice(0, 12));
    expect(cli.stdout).toMatch(/job\s.*when\s.*who\s.*revision\s.*commits \/ images\s.*outcome/i);
  });

  it('sdp rollback --to the first job: the first commit answers behind the gateway; pinned in the API and the CLI', async () => {
    const r = await sdp('rollback', SANDBOX, '--to', jobs[0]!, '--reason', 'two breaks the login', '--wait');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('PINNED');
    expect(r.stdout).toMatch(/rollback of t-hist-a succeeded/);
    await waitAnswer('one');

    const s = await summary();
    expect(s.pinned).toMatchObject({ job: jobs[0], by: 'admin', reason: 'two breaks the login' });
    expect(s.pinned?.message).toContain(`sdp unpin ${SANDBOX}`);
    expect(liveCommit(await stack.detail(SANDBOX))).toBe(commits[0]);
    // the spec still asks for the branch head: that is drift, and it stays so
    await stack.waitSandbox(SANDBOX, (x) => x.sync === 'OutOfSync' && x.drift.some((d) => d.resource === 'service/account' && d.field === 'commit'), 'commit drift against the head');

    const rolled = (await history()).entries[0]!;
    expect(rolled).toMatchObject({ trigger: 'rollback', user: 'admin', status: 'succeeded' });
    expect(rolled.containers.find((c) => c.service === 'account')?.commit).toBe(commits[0]);

    const get = await sdp('get', 'sandbox', SANDBOX);
    expect(get.stdout).toContain(`PINNED: pinned to job ${jobs[0]} by admin`);
    expect(get.stdout).toContain('two breaks the login');
    expect((await sdp('get', 'sandboxes')).stdout).toMatch(/t-hist-a\s+OutOfSync \(pinned\)/);
    expect((await sdp('status')).stdout).toMatch(/t-hist-a: pinned: pinned to job/);
    expect((await audit('rollback'))[0]?.detail).toMatchObject({ to: jobs[0], reason: 'two breaks the login', job: rolled.job });
    expect((await audit('pin'))[0]).toMatchObject({ actor: 'admin', outcome: 'success' });
  });

  it('the sandbox page shows the pin (who, why) and the history with its Roll back actions; the overview marks it pinned', async () => {
    await signIn(page, stack.url, `/sandboxes/${SANDBOX}`, 'admin', ADMIN_PASSWORD);
    const banner = page.locator('[data-testid=pinned]');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toContain(`job ${jobs[0]}`);
    expect(await page.textContent('[data-testid=pinned-by]')).toContain('admin');
    expect(await page.textContent('[data-testid=pinned-reason]')).toContain('two breaks the login');
    expect(await page.locator('[data-testid=sync]').isDisabled()).toBe(true);
    expect(await page.textContent('#sync-why')).toMatch(/Pinned/);
    await page.locator(`[data-testid=history] tr[data-job="${jobs[1]}"] [data-testid=rollback]`).waitFor();
    expect(await page.locator('[data-testid=history] [data-testid=rollback]').count()).toBeGreaterThanOrEqual(3);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'pinned-1280.png'), fullPage: true });
    // the overview marks it too
    await page.goto(`${stack.url}/`);
    await page.locator(`tr[data-sandbox="${SANDBOX}"] [data-testid=pinned-mark]`).waitFor({ timeout: 20_000 });
    await page.goto(`${stack.url}/sandboxes/${SANDBOX}`);
    await banner.waitFor({ timeout: 20_000 });
  });

  it('the automated policy and self-heal leave the pinned sandbox alone: a moved head is drift but no sync; a manual sync is refused', async () => {
    const before = (await history()).entries.length;
    commits.push(account.commit(BRANCH, branchApp(BRANCH, { marker: 'three' })));
    await stack.api('POST', '/api/refresh');
    await stack.waitSandbox(SANDBOX, (x) => x.drift.some((d) => d.resource === 'service/account' && d.field === 'commit' && d.desired === commits[2]), 'drift to the new head');
    // auto-sync decides on every evaluation: give it several
    await new Promise((r) => setTimeout(r, 4000));
    expect((await history()).entries.length).toBe(before);
    expect(await answer()).toContain('branch=feature/h one');
    expect((await summary()).pinned?.job).toBe(jobs[0]);

    const manual = await sdp('sync', SANDBOX);
    expect(manual.code).toBe(2);
    expect(manual.stderr).toMatch(/pinned to job .* by admin \(two breaks the login\).*sdp unpin t-hist-a/);
    const viaApi = await stack.request('POST', `/api/sandboxes/${SANDBOX}/sync`, {});
    expect(viaApi.status).toBe(409);
  });

  it('a snapshot keeps the record; with a container gone (and no self-heal), rollback --to the snapshot recreates it', async () => {
    const made = await sdp('snapshot', SANDBOX, 'keep-one', '--job', jobs[0]!, '--reason', 'signed off by QA');
    expect(made.code, made.stderr).toBe(0);
    const list = await sdp('snapshot', SANDBOX);
    expect(list.stdout).toMatch(/keep-one\s.*signed off by QA/);
    expect((await stack.api<SnapshotsResponse>('GET', `/api/sandboxes/${SANDBOX}/snapshots`)).snapshots[0]).toMatchObject({
      name: 'keep-one',
      job: jobs[0],
      by: 'admin',
      containers: expect.arrayContaining([expect.objectContaining({ service: 'account', branch: BRANCH, commit: commits[0] })]),
      routes: [{ service: 'account', mode: 'sandbox', target: 'http://account:8080' }],
    });
    expect((await audit('snapshot'))[0]?.detail).toMatchObject({ name: 'keep-one', job: jobs[0] });

    execFileSync('docker', ['rm', '-f', `sandbox-${SANDBOX}-account`]);
    await stack.waitSandbox(SANDBOX, (x) => x.drift.some((d) => d.resource === 'service/account' && d.change === 'missing'), 'the container missing');
    const before = (await history()).entries.length;
    await new Promise((r) => setTimeout(r, 4000));
    expect((await history()).entries.length, 'self-heal left the pinned sandbox alone').toBe(before);

    const r = await sdp('rollback', SANDBOX, '--to', 'keep-one', '--wait');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    await waitAnswer('one');
    expect((await summary()).pinned).toMatchObject({ job: jobs[0], snapshot: 'keep-one' });
  });

  it('unpin in the browser resumes: auto-sync brings the branch head back', async () => {
    await page.reload();
    await page.locator('[data-testid=pinned]').waitFor({ timeout: 20_000 });
    expect(await page.textContent('[data-testid=pinned]')).toContain('snapshot keep-one');
    await page.click('[data-testid=unpin]');
    await page.locator('[data-testid=pinned]').waitFor({ state: 'detached', timeout: 20_000 });
    await waitAnswer('three');
    await stack.waitSandbox(SANDBOX, (x) => x.sync === 'Synced' && x.pinned === undefined, 'Synced and unpinned');
    expect((await audit('unpin'))[0]).toMatchObject({ actor: 'admin', outcome: 'success' });
  });

  it('a rollback from the sandbox page pins it again', async () => {
    await page.locator(`[data-testid=history] tr[data-job="${jobs[1]}"] [data-testid=rollback]`).click();
    await page.fill('[data-testid=rollback-reason]', 'back to two from the UI');
    await page.screenshot({ path: join(ARTIFACTS, 'rollback-dialog-1280.png') });
    await page.click('[data-testid=confirm-rollback]');
    await page.locator('[data-testid=pinned]').waitFor({ timeout: 20_000 });
    expect(await page.textContent('[data-testid=pinned-reason]')).toContain('back to two from the UI');
    await waitAnswer('two');
    expect((await summary()).pinned).toMatchObject({ job: jobs[1], by: 'admin' });
  });

  it('a spec change of the sandbox lifts its pin (recorded in the audit trail)', async () => {
    await stack.writeSpec('sandbox.yaml', SPEC.replace(`name: ${SANDBOX} }`, `name: ${SANDBOX}, labels: { team: qa } }`));
    await stack.waitSandbox(SANDBOX, (x) => x.pinned === undefined && x.labels['team'] === 'qa', 'the pin lifted by the spec change');
    expect((await audit('unpin'))[0]).toMatchObject({ actor: 'sdp:spec-change', detail: expect.objectContaining({ reason: 'a spec revision changed its spec' }) });
    await waitAnswer('three');
  });

  it('refuses what it cannot do, saying what to do instead', async () => {
    const unknown = await stack.request('POST', `/api/sandboxes/${SANDBOX}/rollback`, { job: '20200101000000-00000000' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('sdp history');
    const dup = await stack.request('POST', `/api/sandboxes/${SANDBOX}/snapshots`, { name: 'keep-one' });
    expect(dup.status).toBe(409);
    const notPinned = await sdp('unpin', SANDBOX);
    expect(notPinned.code).toBe(2);
    expect(notPinned.stderr).toContain('is not pinned');
  });

  it('roles: a viewer reads history but may not roll back, pin or unpin; qa may, but a rollback with prune is lead’s', async () => {
    const tokenOf = async (role: 'viewer' | 'qa'): Promise<string> => {
      const username = `hist-${role}`;
      const password = `${username}-password-1`;
      await stack.api('POST', '/api/users', { username, role, password });
      const res = await fetch(`${stack.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
      return ((await res.json()) as { token: string }).token;
    };
    const as = (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${stack.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const viewer = await tokenOf('viewer');
    const qa = await tokenOf('qa');
    expect((await as(viewer, 'GET', `/api/sandboxes/${SANDBOX}/history`)).status).toBe(200);
    expect((await as(viewer, 'GET', `/api/sandboxes/${SANDBOX}/snapshots`)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', `/api/sandboxes/${SANDBOX}/rollback`, { job: jobs[0] }],
      ['POST', `/api/sandboxes/${SANDBOX}/pin`, { reason: 'viewer' }],
      ['DELETE', `/api/sandboxes/${SANDBOX}/pin`, undefined],
      ['POST', `/api/sandboxes/${SANDBOX}/snapshots`, { name: 'viewer-snap' }],
    ] as const) {
      const res = await as(viewer, method, path, body);
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 403`);
      expect(((await res.json()) as { required: string }).required).toBe('qa');
    }
    const pruned = await as(qa, 'POST', `/api/sandboxes/${SANDBOX}/rollback`, { job: jobs[0], prune: true });
    expect(pruned.status).toBe(403);
    expect(((await pruned.json()) as { required: string }).required).toBe('lead');
    const pinned = await as(qa, 'POST', `/api/sandboxes/${SANDBOX}/pin`, { reason: 'qa holds it' });
    expect(pinned.status).toBe(200);
    expect(await pinned.json()).toMatchObject({ by: 'hist-qa', reason: 'qa holds it' });
    expect((await as(qa, 'DELETE', `/api/sandboxes/${SANDBOX}/pin`)).status).toBe(200);
    expect((await audit('pin')).some((e) => e.actor === 'hist-qa')).toBe(true);
  });

  it('a SandboxSet-generated sandbox is pinned the same way: its moved branch is drift but no automated sync, until unpinned', async () => {
    account.commit('set/one', branchApp('set/one', { marker: 'first' }));
    await stack.writeSpec('set.yaml', `apiVersion: sdp/v1
kind: SandboxSet
metadata: { name: hist-previews }
spec:
  generator: { service: account, branches: "set/*" }
  name: "${PREFIX}s-{{slug}}"
  services:
    account: { branch: "{{branch}}" }
  syncPolicy: { automated: true, selfHeal: true }
`);
    await stack.api('POST', '/api/refresh');
    let generated: SandboxSummary | undefined;
    await stack.waitFor('the set to make a synced sandbox', async () => {
      generated = (await stack.api<SandboxSummary[]>('GET', '/api/sandboxes')).find((x) => x.name.startsWith(`${PREFIX}s-`));
      return generated?.sync === 'Synced';
    }, 120_000, () => JSON.stringify(generated));
    const name = generated!.name;
    const pinned = await sdp('pin', name, '--reason', 'preview under test');
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(pinned.stdout).toContain('PINNED');
    const before = (await stack.api<HistoryResponse>('GET', `/api/sandboxes/${name}/history`)).entries.length;
    const moved = account.commit('set/one', branchApp('set/one', { marker: 'second' }));
    await stack.api('POST', '/api/refresh');
    await stack.waitSandbox(name, (x) => x.drift.some((d) => d.field === 'commit' && d.desired === moved), 'drift to the moved branch');
    await new Promise((r) => setTimeout(r, 4000));
    expect((await stack.api<HistoryResponse>('GET', `/api/sandboxes/${name}/history`)).entries.length).toBe(before);
    expect((await stack.sandbox(name))?.pinned).toMatchObject({ by: 'admin', reason: 'preview under test' });
    expect((await sdp('unpin', name)).code).toBe(0);
    await stack.waitSandbox(name, (x) => x.sync === 'Synced' && x.pinned === undefined, 'synced to the moved branch once unpinned', 120_000);
    await stack.removeSpec('set.yaml');
  });
});
