// SandboxSet end to end, with real git, Docker and the gateway: branches matching the set's glob
// become sandboxes (the branch's service from the branch, the rest from baseline), a push gets its
// commit answering behind the gateway through the signed webhook and automated sync, a deleted
// branch takes its containers, network and port with it, clashing slugs get distinct names and
// `max` keeps the newest branches. Sandboxes t-set-*, Platform t-set, host ports 30000-30999.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaselines, removeBaselines, type BaselineSet } from '../../scripts/demo/baseline.ts';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../../reconciler/auth/index.ts';
import type { PlanPreview, SandboxSummary, SetView } from '../../schema/api.ts';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, Stack, TestRepo, branchApp, httpGet } from '../support/reconciler.ts';

const run = promisify(execFile);
const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const WEBHOOK_SECRET = 'set-webhook-secret-for-the-test-91f';
const BASELINES: BaselineSet = { namePrefix: 't-set-baseline-', label: 't-set-baseline', ports: { payment: 30901 } };
const savedSecret = process.env['SDP_WEBHOOK_SECRET'];

let stack: Stack;
let account: TestRepo;

const setYaml = (max: number) => `apiVersion: sdp/v1
kind: SandboxSet
metadata: { name: previews }
spec:
  generator: { service: account, branches: "feature/*" }
  name: "t-set-{{slug}}"
  services:
    account: { branch: "{{branch}}" }
  max: ${max}
  syncPolicy: { automated: true, prune: true }
`;

/** Commits a second later than the last one: `max` orders branches by commit time, in seconds. */
async function commitLater(branch: string, files: Record<string, string>): Promise<string> {
  await new Promise((r) => setTimeout(r, 1100));
  return account.commit(branch, files);
}

async function webhook(): Promise<void> {
  const body = JSON.stringify({ ref: 'refs/heads/any' });
  const res = await fetch(`${stack.url}/api/webhooks/git`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signWebhook(WEBHOOK_SECRET, body) },
    body,
  });
  expect(res.status).toBe(202);
}

const generated = async (): Promise<SandboxSummary[]> =>
  (await stack.api<SandboxSummary[]>('GET', '/api/sandboxes')).filter((s) => s.generatedBy?.set === 'previews');

/** Waits until the sandbox's gateway answers `text` on `path`; returns its gateway URL. */
async function answers(name: string, path: string, text: string, timeoutMs = 90_000): Promise<string> {
  const s = await stack.waitSandbox(name, (x) => x.gatewayUrl !== '', 'a gateway URL', timeoutMs);
  let last = '';
  await stack.waitFor(`${name}${path} to answer ${text}`, async () => {
    const res = await httpGet(`${s.gatewayUrl}${path}`);
    last = `${res.status} ${res.body}`;
    return res.status === 200 && res.body.includes(text);
  }, timeoutMs, () => last);
  return s.gatewayUrl;
}

async function dockerIds(kind: 'ps' | 'network', sandbox: string): Promise<string> {
  const args = kind === 'ps' ? ['ps', '-aq'] : ['network', 'ls', '-q'];
  const { stdout } = await run('docker', [...args, '--filter', `label=sdp.sandbox=${sandbox}`]);
  return stdout.trim();
}

beforeAll(async () => {
  stack = new Stack({ prefix: 't-set-', port: 30000, ports: { gateway: [30100, 30149], services: [30200, 30299] }, resolveIntervalMs: 3_600_000 });
  const urls = await ensureBaselines(BASELINES);
  account = stack.repo('account');
  account.commit('main', branchApp('main'));
  account.commit('feature/login', branchApp('feature/login'));
  await commitLater('feature/pay', branchApp('feature/pay'));
  account.commit('fix/other', branchApp('fix/other'));
  // payment is not in any sandbox: every gateway routes it to its baseline
  const platform = stack
    .platformYaml({ account: account.url, payment: 'file:///nonexistent/payment.git' })
    .replace(/baseline: http:\/\/host\.docker\.internal:9\n(?![\s\S]*baseline:)/, `baseline: ${urls['payment']}\n`);
  await stack.writeSpec('platform.yaml', platform);
  await stack.writeSpec('previews.yaml', setYaml(3));
  process.env['SDP_WEBHOOK_SECRET'] = WEBHOOK_SECRET;
  await stack.start();
}, 120_000);

afterAll(async () => {
  if (savedSecret === undefined) delete process.env['SDP_WEBHOOK_SECRET'];
  else process.env['SDP_WEBHOOK_SECRET'] = savedSecret;
  await stack?.stop();
  await removeBaselines(BASELINES);
});

describe('a SandboxSet over feature/* of account', () => {
  let payUrl = '';

  it('makes a sandbox per matching branch, routed: the branch\'s service from the branch, the rest from baseline', async () => {
    const loginUrl = await answers('t-set-feature-login', '/account/', 'branch=feature/login');
    payUrl = await answers('t-set-feature-pay', '/account/', 'branch=feature/pay');
    expect(loginUrl).not.toBe(payUrl);
    expect((await httpGet(`${loginUrl}/payment/`)).body).toContain('"env":"baseline"');
    const made = await generated();
    expect(made.map((s) => [s.name, s.generatedBy?.branch]).sort()).toEqual([
      ['t-set-feature-login', 'feature/login'],
      ['t-set-feature-pay', 'feature/pay'],
    ]);
    expect(made.some((s) => s.name.includes('fix'))).toBe(false);
    const [set] = await stack.api<SetView[]>('GET', '/api/sets');
    expect(set).toMatchObject({ name: 'previews', service: 'account', branches: 'feature/*', listed: true, matched: 2 });
  });

  it('a push reaches its sandbox through the webhook and automated sync', async () => {
    await commitLater('feature/login', branchApp('feature/login', { marker: 'v2' }));
    await webhook();
    await answers('t-set-feature-login', '/account/', 'branch=feature/login v2', 60_000);
  });

  it('a deleted branch takes its sandbox with it: containers, network and gateway port', async () => {
    expect(await dockerIds('ps', 't-set-feature-pay')).not.toBe('');
    account.deleteBranch('feature/pay');
    await webhook();
    await stack.waitFor('t-set-feature-pay to go', async () => (await stack.sandbox('t-set-feature-pay')) === undefined, 60_000);
    expect(await dockerIds('ps', 't-set-feature-pay')).toBe('');
    expect(await dockerIds('network', 't-set-feature-pay')).toBe('');
    expect((await httpGet(`${payUrl}/account/`)).status).toBe(0);
  });

  it('branches whose slugs clash get distinct names; max keeps the newest', async () => {
    await commitLater('feature/a_b', branchApp('feature/a_b'));
    await commitLater('feature/a-b', branchApp('feature/a-b'));
    await webhook();
    await stack.waitFor('two sandboxes for feature/a_b and feature/a-b', async () => (await generated()).length === 3, 60_000);
    const clash = (await generated()).filter((s) => s.generatedBy?.branch.startsWith('feature/a'));
    const names = clash.map((s) => s.name);
    expect(new Set(names).size).toBe(2);
    for (const n of names) expect(n).toMatch(/^t-set-feature-a-b-[0-9a-f]{6}$/);
    const underscore = clash.find((s) => s.generatedBy?.branch === 'feature/a_b')!;
    await answers(underscore.name, '/account/', 'branch=feature/a_b');

    // the oldest of the three (feature/login, pushed before both) goes when max drops to 2
    await stack.writeSpec('previews.yaml', setYaml(2));
    await stack.waitFor('max 2 to hold', async () => {
      const now = await generated();
      return now.length === 2 && !now.some((s) => s.name === 't-set-feature-login');
    }, 60_000);
    await stack.waitFor('t-set-feature-login containers to go', async () => (await dockerIds('ps', 't-set-feature-login')) === '', 60_000);
    const [set] = await stack.api<SetView[]>('GET', '/api/sets');
    expect(set).toMatchObject({ max: 2, matched: 3 });
    expect(set!.sandboxes.map((s) => s.branch).sort()).toEqual(['feature/a-b', 'feature/a_b']);
  });

  it("a pull request's plan shows the set's sandboxes it would keep and drop, and a name clash as an error in both files", async () => {
    const platform = await readFile(join(stack.specsDir, 'platform.yaml'), 'utf8');
    const keep = (await generated()).map((s) => s.name);
    const plan = await stack.api<PlanPreview>('POST', '/api/plan', { files: [{ path: 'platform.yaml', text: platform }, { path: 'previews.yaml', text: setYaml(1) }] });
    if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
    expect(plan.removed).toHaveLength(1);
    expect(keep).toContain(plan.removed[0]);
    const kept = plan.plans.find((p) => !plan.removed.includes(p.sandbox) && p.sandbox.startsWith('t-set-feature'));
    expect(kept?.generatedBy?.set).toBe('previews');

    const clash = `apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: ${keep[0]} }\nspec:\n  services:\n    account: { branch: main }\n`;
    const bad = await stack.api<PlanPreview>('POST', '/api/plan', {
      files: [{ path: 'platform.yaml', text: platform }, { path: 'previews.yaml', text: setYaml(2) }, { path: 'hand.yaml', text: clash }],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors).toEqual([expect.objectContaining({ file: 'previews.yaml', line: 6, message: expect.stringContaining(`the hand-written Sandbox at hand.yaml:3 has that name`) })]);
  });
});

describe('the CLI', () => {
  const sdp = async (...args: string[]) =>
    (await run(process.execPath, ['bin/sdp.js', ...args], { cwd: PROJECT, env: { ...process.env, SDP_SERVER: stack.url, SDP_TOKEN: stack.token, NO_COLOR: '1' } })).stdout;

  it('sdp status and get show the set and branch of each generated sandbox; sdp get sets lists the set', async () => {
    const made = await generated();
    const status = await sdp('status');
    for (const s of made) expect(status).toMatch(new RegExp(`${s.name}\\s+previews \\(${s.generatedBy!.branch}\\)`));
    const sets = await sdp('get', 'sets');
    expect(sets).toMatch(/previews\s+account\s+feature\/\*\s+2\s+3\s+2\s+yes/);
    const yaml = await sdp('get', 'sandbox', made[0]!.name, '-o', 'yaml');
    expect(yaml).toContain('generatedBy:');
  });
});

describe('in a real browser', () => {
  it('the overview groups generated sandboxes under their set; a sandbox page names its set and branch', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto(`${stack.url}/login?next=/`);
      await page.fill('#u', 'admin');
      await page.fill('#p', ADMIN_PASSWORD);
      await page.click('button[type=submit]');
      const head = page.locator('tr.set-head[data-set=previews]');
      await head.waitFor({ timeout: 20_000 });
      await expect(head.textContent()).resolves.toContain('SandboxSet previews');
      const made = (await generated()).map((s) => s.name).sort();
      // the set's sandboxes are the rows right after its heading
      const after = await page.$$eval('tr.set-head[data-set=previews] ~ tr[data-sandbox]', (rows) => rows.map((r) => r.getAttribute('data-sandbox')));
      expect([...after].sort()).toEqual(made);
      await page.click(`a.name[href="/sandboxes/${made[0]}"]`);
      const note = page.locator('[data-testid=generated-by]');
      await note.waitFor({ timeout: 20_000 });
      const text = (await note.textContent()) ?? '';
      expect(text).toContain('Made by SandboxSet previews for branch feature/a');
      expect(text).toContain('previews.yaml:1');
    } finally {
      await browser.close();
    }
  });
});
