// The dashboard in a real browser against the real thing: startReconciler + a real agent on the
// real Docker engine, real git repos and baselines, headless Chromium. A person's flow: log in, see
// the sandbox OutOfSync, read its drift, press Sync, review the plan, confirm, watch the steps reach
// Synced without a reload, reach the sandbox through its gateway; then kill a container and watch
// the drift appear live. Screenshots of every main page at desktop and phone width go to
// test-artifacts/ui/ for a person to look at.
//
// Everything it makes belongs to sandboxes `t-ui-*` and host ports 23000-23999 (ARCHITECTURE.md).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NETWORK_CHANGED, gotoRetrying, launchChromium } from '../support/browser.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '../../agent/index.ts';
import { startReconciler } from '../../reconciler/index.ts';
import { ensureBaselines, removeBaselines, type BaselineSet } from '../../scripts/demo/baseline.ts';
import { ensureDemoRepos } from '../../scripts/demo/repos.ts';

const run = promisify(execFile);
const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(PROJECT, 'test-artifacts', 'ui');
const PREFIX = 't-ui-';
const SANDBOX = `${PREFIX}login`;
const ADMIN_PASSWORD = 'ui-admin-password-0123';
const PORTS = {
  server: 23000,
  gateways: '23100-23149',
  services: '23200-23249',
  baselines: { account: 23901, payment: 23902, user: 23903, notification: 23904 } as Record<string, number>,
};
const BASELINES: BaselineSet = { namePrefix: `${PREFIX}baseline-`, label: 'ui-baseline', ports: PORTS.baselines };
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 8 * 1024 * 1024 });
  return stdout.trim();
}

/** Every Docker object of a `t-ui-` sandbox, found by the labels and names sdp gives them. */
async function removeUiDockerObjects(): Promise<void> {
  const rows = await docker('ps', '-a', '--filter', 'label=sdp.managed=true', '--format', '{{.ID}} {{.Label "sdp.sandbox"}}');
  const ids = rows
    .split('\n')
    .filter((r) => r.split(' ')[1]?.startsWith(PREFIX))
    .map((r) => r.split(' ')[0] as string);
  if (ids.length) await docker('rm', '-f', ...ids);
  const nets = (await docker('network', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`sandbox-${PREFIX}`));
  for (const n of nets) await docker('network', 'rm', n).catch(() => undefined);
}

function platformYaml(repos: Record<string, string>): string {
  const services = Object.entries(repos)
    .map(
      ([s, repo]) => `    ${s}:
      repo: ${repo}
      role: micro
      build: { type: host, command: "sh build.sh", image: sdp/busybox:local, run: ["httpd", "-f", "-p", "8080", "-h", "/src/public"] }
      port: 8080
      health: { path: /health, timeout: 2s, retries: 3, interval: 1s }
      baseline: http://host.docker.internal:${PORTS.baselines[s]}
`,
    )
    .join('');
  return `apiVersion: sdp/v1
kind: Platform
metadata: { name: t-ui }
spec:
  nodes:
    - { name: local, roles: [micro, gateway], address: 127.0.0.1 }
  ports: { gateway: ${PORTS.gateways}, services: ${PORTS.services} }
  services:
${services}  gateway:
    role: gateway
    proxy: { image: caddy:2 }
---
apiVersion: sdp/v1
kind: SandboxTemplate
metadata: { name: ${PREFIX}qa }
spec:
  env: [${PREFIX}common]
  ttl: 14d
---
apiVersion: sdp/v1
kind: Environment
metadata: { name: ${PREFIX}common }
spec:
  variables: { LOG_LEVEL: info }
`;
}

const SANDBOX_YAML = `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: ${SANDBOX}, owner: qa-ana, labels: { team: qa } }
spec:
  template: ${PREFIX}qa
  services:
    account: { branch: feature/login-error }
    payment: { baseline: true }
`;

/** Sandboxes that are never synced: enough rows for the overview to page and search over. */
const EXTRA = 30;
const EXTRA_YAML = Array.from(
  { length: EXTRA },
  (_, i) => `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: ${PREFIX}page-${String(i).padStart(2, '0')}, owner: qa-pager }
spec:
  services:
    payment: { baseline: true }
`,
).join('---\n');

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let error = '';
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${error ? ` (last error: ${error})` : ''}`);
}

/** Newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

/** The UI is served from ui/build: (re)build it when missing or older than its sources, as setup.sh does. */
async function ensureUiBuilt(): Promise<void> {
  const index = join(PROJECT, 'ui', 'build', 'index.html');
  const ui = join(PROJECT, 'ui');
  const sources = Math.max(newest(join(ui, 'src')), newest(join(ui, 'static')), statSync(join(ui, 'svelte.config.js')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  await run('npm', ['run', '--silent', 'build:ui'], { cwd: PROJECT, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 });
}

/** Uncaught errors in the page: any is a defect, reported with the test that saw it. */
const pageErrors: string[] = [];
/**
 * Chromium aborts every request in flight with ERR_NETWORK_CHANGED when a network interface comes or
 * goes, which Docker does whenever any suite on this machine creates or removes a network. That is
 * the test machine, not the dashboard: the page must recover (hooks.client.ts reloads once), and the
 * code-download errors it causes within a moment of such a change are not counted as defects.
 */
let lastNetworkChange = 0;
const afterNetworkChange = (text: string): boolean =>
  Date.now() - lastNetworkChange < 10_000 && /dynamically imported module|Failed to fetch|NetworkError/.test(text);

function watchErrors(p: Page): void {
  p.on('pageerror', (e) => {
    const text = `${e.name}: ${e.stack || e.message || String(e)}`;
    if (!afterNetworkChange(text)) pageErrors.push(`${p.url()}: ${text}`);
  });
  // SvelteKit reports a render error on the console before showing its error page
  p.on('console', (m) => {
    // an HTTP error status is logged by the browser too; the UI handles those, so they are not defects here
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource') && !afterNetworkChange(m.text())) pageErrors.push(`${p.url()}: console: ${m.text()}`);
  });
  p.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (why === NETWORK_CHANGED) {
      lastNetworkChange = Date.now();
      return;
    }
    // a socket or request cut short by a navigation is normal; a script or API call that fails is not
    if (r.resourceType() !== 'websocket' && why !== 'net::ERR_ABORTED') pageErrors.push(`${p.url()}: request failed: ${r.method()} ${r.url()} ${why}`);
  });
}

/** page.goto, again when Chromium dropped the navigation because a network interface changed. */
const go = (p: Page, url: string): Promise<void> => gotoRetrying(p, url, () => (lastNetworkChange = Date.now()));

/** Full page load of `path`; waits for `ready`, and on a timeout keeps a screenshot and what the page reported. */
async function open(p: Page, url: string, ready: string, label: string): Promise<void> {
  await go(p, url);
  try {
    await p.locator(ready).first().waitFor({ timeout: 20_000 });
  } catch (err) {
    await p.screenshot({ path: join(ARTIFACTS, `FAILED-${label}.png`), fullPage: true });
    throw new Error(`${label}: ${url} never showed ${ready}; page said: ${pageErrors.join(' | ') || 'nothing'}; main: ${(await p.textContent('body').catch(() => ''))?.slice(0, 300)}`, { cause: err });
  }
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is, one line each. */
async function axeFindings(p: Page): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ content: AXE_SOURCE });
  const violations = await p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(' ')}`);
}

async function shot(page: Page, name: string, viewport: keyof typeof VIEWPORTS): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}-${VIEWPORTS[viewport].width}.png`), fullPage: true });
}

describe('dashboard in a real browser', () => {
  let root = '';
  let server = '';
  let stopReconciler: (() => Promise<void>) | undefined;
  let agent: Agent | undefined;
  let browser: Browser | undefined;
  let desktop: BrowserContext | undefined;
  let page: Page;
  let jobId = '';

  beforeAll(async () => {
    await removeUiDockerObjects();
    await mkdir(ARTIFACTS, { recursive: true });
    // a FAILED-* screenshot left by an earlier run would mislead whoever looks next
    for (const f of readdirSync(ARTIFACTS)) if (f.startsWith('FAILED-')) await rm(join(ARTIFACTS, f));
    await ensureUiBuilt();
    root = await mkdtemp(join(tmpdir(), 'sdp-ui-'));
    const specsDir = join(root, 'specs');
    await mkdir(specsDir, { recursive: true });
    const repos = await ensureDemoRepos(join(root, 'repos'));
    await ensureBaselines(BASELINES);
    await writeFile(join(specsDir, 'platform.yaml'), platformYaml(repos));
    await writeFile(join(specsDir, `${SANDBOX}.yaml`), SANDBOX_YAML);
    await writeFile(join(specsDir, `${PREFIX}pages.yaml`), EXTRA_YAML);

    process.env['SDP_ADMIN_PASSWORD'] = ADMIN_PASSWORD;
    const rec = await startReconciler({ specsDir, dataDir: join(root, 'data'), port: PORTS.server, host: '127.0.0.1' });
    stopReconciler = rec.stop;
    server = rec.url.replace(/\/$/, '');
    agent = await startAgent({
      server: `${server.replace(/^http/, 'ws')}/ws/agent`,
      name: 'local',
      token: rec.addLocalAgentToken('local'),
      roles: ['micro', 'gateway'],
      address: '127.0.0.1',
      workDir: join(root, 'agent'),
    });

    browser = await launchChromium();
    // bypassCSP: axe-core is injected into the page; the dashboard's own CSP stays as it is
    desktop = await browser.newContext({ viewport: VIEWPORTS.desktop, bypassCSP: true });
    page = await desktop.newPage();
    watchErrors(page);
  }, 240_000);

  afterEach(() => {
    const seen = pageErrors.splice(0);
    expect(seen, 'uncaught errors in the page').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await stopReconciler?.().catch(() => undefined);
    await removeUiDockerObjects();
    await removeBaselines(BASELINES);
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('sends a signed-out visitor to the login page, then back where they were going', async () => {
    await go(page, `${server}/sandboxes/${SANDBOX}`);
    await page.waitForURL(/\/login\?next=/);
    await shot(page, 'login', 'desktop');
    await page.fill('#u', 'admin');
    await page.fill('#p', 'not-the-password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/wrong|invalid|password/i);
    await page.fill('#p', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server}/sandboxes/${SANDBOX}`);
    await expect.poll(() => page.textContent('[data-testid=user]')).toMatch(/admin\s+admin/);
  });

  it('shows the sandbox OutOfSync on the overview, with its gateway URL and drift count', async () => {
    await page.click('nav[aria-label=Main] >> text=Sandboxes');
    const row = page.locator(`tr[data-sandbox="${SANDBOX}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('td[data-label=Sync]').textContent(), { timeout: 60_000 }).toContain('OutOfSync');
    expect(await row.locator('td[data-label=Owner]').textContent()).toContain('qa-ana');
    expect(Number(await row.locator('td[data-label=Drift]').textContent())).toBeGreaterThan(0);
    expect(await row.locator('td[data-label=Gateway] code').textContent()).toMatch(/^http:\/\/127\.0\.0\.1:231\d\d$/);
    await shot(page, 'overview', 'desktop');
  });

  it('pages, searches and filters the overview on the server', async () => {
    const info = page.getByTestId('page-info');
    const asked: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes('/api/sandboxes?')) asked.push(new URL(r.url()).search);
    };
    page.on('request', onRequest);
    await open(page, `${server}/?per=25`, `tr[data-sandbox="${SANDBOX}"]`, 'overview-paged');
    await expect.poll(() => info.textContent()).toContain(`1–25 of ${EXTRA + 1}`);
    expect(await page.locator('[data-testid=sandboxes] tr[data-sandbox]').count()).toBe(25);
    expect(await page.getByTestId('prev-page').isDisabled()).toBe(true);

    await page.getByTestId('next-page').click();
    await expect.poll(() => info.textContent()).toContain(`26–${EXTRA + 1} of ${EXTRA + 1}`);
    expect(page.url()).toContain('page=2');
    expect(await page.locator('[data-testid=sandboxes] tr[data-sandbox]').count()).toBe(EXTRA + 1 - 25);
    expect(await page.getByTestId('next-page').isDisabled()).toBe(true);

    // a search goes back to page 1 of its matches
    await page.getByLabel('Search sandboxes').fill('PAGE-1');
    await expect.poll(() => info.textContent()).toContain('1–10 of 10 matching');
    const names = await page.locator('[data-testid=sandboxes] tr[data-sandbox]').evaluateAll((els) => els.map((e) => e.getAttribute('data-sandbox')));
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `${PREFIX}page-1${i}`));
    await page.getByLabel('Sync status').selectOption('Synced');
    await expect.poll(() => page.locator('[data-testid=sandboxes] td.empty').textContent()).toBe('No sandbox matches the filter.');
    await page.getByLabel('Sync status').selectOption('');
    await page.getByLabel('Search sandboxes').fill('');
    await page.getByLabel('Rows per page').selectOption('50');
    await expect.poll(() => info.textContent()).toContain(`1–${EXTRA + 1} of ${EXTRA + 1}`);
    page.off('request', onRequest);
    // the server did the work: every ask carried the page and the filters
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((a) => /limit=(25|50)/.test(a) && /offset=\d+/.test(a))).toBe(true);
    expect(asked.some((a) => a.includes('q=PAGE-1') && a.includes('sync=Synced'))).toBe(true);
  });

  it('shows the drift field by field, then syncs after a reviewed plan and follows it live to Synced', async () => {
    await page.click(`tr[data-sandbox="${SANDBOX}"] a:has-text("${SANDBOX}")`);
    await page.waitForURL(`${server}/sandboxes/${SANDBOX}`);
    const drift = page.locator('[data-testid=drift]');
    await drift.waitFor();
    expect(await drift.locator('[data-resource="service/account"]').count()).toBe(1);
    expect(await page.locator('[data-testid=services] tr[data-service=account] td[data-label=Branch]').textContent()).toContain('feature/login-error');
    await shot(page, 'detail-out-of-sync', 'desktop');

    // the same drift side by side, reached by keyboard: desired left, live right, field by field
    await page.getByLabel('Field table').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByLabel('Desired and live side by side').isChecked()).toBe(true);
    const account = drift.locator('[data-resource="service/account"] [data-testid=drift-side-by-side]');
    await account.waitFor();
    const fields = (side: string) => account.locator(`[data-side=${side}] [data-field]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
    const desiredFields = await fields('desired');
    expect(desiredFields.length).toBeGreaterThan(0);
    expect(await fields('live')).toEqual(desiredFields);
    expect(await account.locator('[data-side=desired] mark').first().textContent()).not.toBe(await account.locator('[data-side=live] mark').first().textContent());
    const [left, right] = await Promise.all(['desired', 'live'].map((side) => account.locator(`[data-side=${side}]`).boundingBox()));
    expect(left && right && left.x < right.x && Math.abs(left.y - right.y) < 2, 'desired left of live on a desktop').toBe(true);
    await shot(page, 'detail-side-by-side', 'desktop');
    await page.getByLabel('Field table').check();

    // from here on the page must never reload: progress arrives over /ws/ui
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    await page.click('[data-testid=sync]');
    const plan = page.locator('[data-testid=plan]');
    await plan.waitFor();
    const planText = (await plan.textContent()) ?? '';
    expect(planText).toContain('service/account');
    expect(planText).toMatch(/create/);
    expect(await page.locator('[data-testid=prune]').isChecked()).toBe(false);
    await shot(page, 'sync-review', 'desktop');
    await page.click('[data-testid=confirm-sync]');

    const job = page.locator('[data-testid=job]');
    await job.waitFor();
    jobId = (await job.getAttribute('data-job')) ?? '';
    expect(jobId).not.toBe('');
    await until('a step to be seen running or done', 60_000, async () =>
      (await page.locator('[data-testid=steps] li[data-status=running], [data-testid=steps] li[data-status=succeeded]').count()) > 0 ? true : undefined,
    );
    await shot(page, 'sync-progress', 'desktop');
    await until('the job to finish', 180_000, async () => {
      const s = await job.getAttribute('data-status');
      return s === 'succeeded' || s === 'failed' ? s : undefined;
    });
    const failure = (await page.locator('[data-testid=job-failure]').count()) ? await page.locator('[data-testid=job-failure]').textContent() : '';
    expect(await job.getAttribute('data-status'), `sync failed: ${failure}`).toBe('succeeded');
    expect(await page.locator('[data-testid=job-outcome]').textContent()).toBe('Synced');
    const statuses = await page.locator('[data-testid=steps] li[data-step]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 'succeeded' || s === 'skipped')).toBe(true);
    await expect.poll(() => page.locator('.badges').textContent(), { timeout: 30_000 }).toContain('Synced');
    await page.locator('[data-testid=no-drift]').waitFor({ timeout: 30_000 });

    expect(navigations).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await shot(page, 'detail-synced', 'desktop');
  });

  it('gives QA a gateway URL that reaches the sandbox branch', async () => {
    const url = (await page.locator('[data-testid=gateway-url] code').textContent())?.trim() ?? '';
    expect(url).toMatch(/^http:\/\//);
    const res = await fetch(`${url}/account/rest`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { service: string; branch: string };
    expect(body).toMatchObject({ service: 'account', branch: 'feature/login-error' });
    const baseline = (await (await fetch(`${url}/payment/rest`, { signal: AbortSignal.timeout(5000) })).json()) as { env: string };
    expect(baseline.env).toBe('baseline');
  });

  it('shows drift appear live when a container dies', async () => {
    await docker('kill', `sandbox-${SANDBOX}-account`);
    const account = page.locator('[data-testid=drift] [data-resource="service/account"]');
    await account.waitFor({ timeout: 60_000 });
    expect(await account.textContent()).toMatch(/state|missing/);
    await expect.poll(() => page.locator('.badges').textContent(), { timeout: 30_000 }).toContain('OutOfSync');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await shot(page, 'detail-drift-live', 'desktop');
  });

  it('tells a viewer why they may not sync and a qa why they may not prune; the review closes with Esc', async () => {
    const login = await fetch(`${server}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    for (const role of ['viewer', 'qa']) {
      const res = await fetch(`${server}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ username: `ui-${role}`, role, password: `ui-${role}-password-1` }),
      });
      expect(res.status, await res.text()).toBe(201);
    }
    if (!browser) throw new Error('no browser');
    for (const role of ['viewer', 'qa'] as const) {
      const ctx = await browser.newContext({ viewport: VIEWPORTS.desktop });
      const p = await ctx.newPage();
      watchErrors(p);
      await open(p, `${server}/login?next=/sandboxes/${SANDBOX}`, '#u', `login-${role}`);
      await p.fill('#u', `ui-${role}`);
      await p.fill('#p', `ui-${role}-password-1`);
      await p.click('button[type=submit]');
      await p.locator('[data-testid=services] tr[data-service]').first().waitFor();
      expect(await p.textContent('[data-testid=user]')).toContain(role);
      const sync = p.locator('[data-testid=sync]');
      if (role === 'viewer') {
        expect(await sync.isDisabled()).toBe(true);
        expect(await p.textContent('#sync-why')).toMatch(/viewer.*may not sync/);
        await shot(p, 'detail-viewer', 'desktop');
      } else {
        expect(await sync.isDisabled()).toBe(false);
        // keyboard only: focus the button, open with Enter, leave with Escape
        await sync.focus();
        await p.keyboard.press('Enter');
        await p.locator('dialog[open] [data-testid=plan], dialog[open] [data-testid=plan-noop]').first().waitFor();
        expect(await p.locator('[data-testid=prune]').isDisabled()).toBe(true);
        expect(await p.textContent('dialog[open]')).toMatch(/qa.*may not prune/);
        await p.keyboard.press('Escape');
        await expect.poll(() => p.locator('dialog[open]').count()).toBe(0);
        expect(await p.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('sync');
      }
      await ctx.close();
    }
  });

  it('names copy buttons by their visible text, says an unknown job is unavailable, and toggles dark mode', async () => {
    await open(page, `${server}/sandboxes/${SANDBOX}`, '[data-testid=gateway-url] button', 'copy-name');
    const gateway = (await page.locator('[data-testid=gateway-url] code').textContent()) ?? '';
    await page.getByRole('button', { name: `Copy gateway URL: ${gateway} Copy` }).waitFor();

    await open(page, `${server}/jobs/job-that-does-not-exist`, '[data-testid=job][data-status=error]', 'unknown-job');
    expect(await page.locator('[data-testid=job-outcome]').textContent()).toBe('Unavailable');

    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await bg();
    await page.getByTestId('theme-toggle').click();
    expect(await page.getByTestId('theme-toggle').getAttribute('aria-pressed')).toBe('true');
    expect(await bg()).not.toBe(light);
    await page.reload();
    await page.getByTestId('theme-toggle').waitFor();
    expect(await page.getByTestId('theme-toggle').getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('theme-toggle').click();
    expect(await bg()).toBe(light);
  });

  it('renders every main page at desktop and phone width', async () => {
    const pages: [string, string, string][] = [
      ['overview', '/', `tr[data-sandbox="${SANDBOX}"]`],
      ['detail', `/sandboxes/${SANDBOX}`, '[data-testid=services] tr[data-service]'],
      ['job', `/jobs/${jobId}`, '[data-testid=steps] li[data-step]'],
      ['agents', '/agents', 'tr[data-agent=local]'],
      ['audit', '/audit', '[data-testid=audit] td[data-label=Action]'],
      ['templates', '/templates', '[data-testid=templates] td[data-label=Template], [data-testid=templates] td.empty'],
      ['environments', '/environments', '[data-env], [data-testid=environments-missing]'],
    ];
    for (const viewport of ['desktop', 'phone'] as const) {
      const ctx = viewport === 'desktop' ? desktop : await browser?.newContext({ viewport: VIEWPORTS.phone, bypassCSP: true });
      if (!ctx) throw new Error('no browser context');
      const p = viewport === 'desktop' ? page : await ctx.newPage();
      if (p !== page) watchErrors(p);
      if (viewport === 'phone') {
        await open(p, `${server}/login`, '#u', 'login-390');
        await p.fill('#u', 'admin');
        await p.fill('#p', ADMIN_PASSWORD);
        await p.click('button[type=submit]');
        await p.waitForURL(`${server}/`);
      }
      for (const [name, path, ready] of pages) {
        await open(p, `${server}${path}`, ready, `${name}-${VIEWPORTS[viewport].width}`);
        // nothing may stick out sideways on a phone
        // (once the page has settled: a live update or a retried request may reflow it for a moment)
        await expect
          .poll(() => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), { message: `${name} overflows at ${VIEWPORTS[viewport].width}px`, timeout: 3000 })
          .toBeLessThanOrEqual(0);
        if (name === 'agents') expect(await p.locator('tr[data-agent=local] td[data-label=Status]').textContent()).toContain('online');
        await shot(p, name, viewport);
        for (const scheme of ['light', 'dark'] as const) {
          await p.emulateMedia({ colorScheme: scheme });
          expect(await axeFindings(p), `${name} at ${VIEWPORTS[viewport].width}px, ${scheme}`).toEqual([]);
        }
        await p.emulateMedia({ colorScheme: 'light' });
        if (name !== 'detail') continue;
        // the drift side by side: stacked on a phone, and as readable as the field table
        await p.getByTestId('drift-sides').check();
        const sides = p.locator('[data-resource="service/account"] [data-testid=drift-side-by-side]');
        await sides.waitFor();
        // the killed container: its state changed, its commit still as desired (shown, not marked)
        for (const side of ['desired', 'live']) {
          expect(await sides.locator(`[data-side=${side}] [data-field=state] mark`).count(), `${side} state marked`).toBe(1);
          expect(await sides.locator(`[data-side=${side}] [data-field=commit][data-same=true]`).count(), `${side} commit in sync`).toBe(1);
          expect(await sides.locator(`[data-side=${side}] [data-field=commit] mark`).count()).toBe(0);
        }
        const [left, right] = await Promise.all(['desired', 'live'].map((side) => sides.locator(`[data-side=${side}]`).boundingBox()));
        if (!left || !right) throw new Error('no desired or live column');
        if (viewport === 'phone') expect(right.y, 'live below desired on a phone').toBeGreaterThan(left.y);
        else expect(right.x, 'live right of desired').toBeGreaterThan(left.x);
        expect(await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `side by side overflows at ${VIEWPORTS[viewport].width}px`).toBeLessThanOrEqual(0);
        await shot(p, 'detail-side-by-side', viewport);
        for (const scheme of ['light', 'dark'] as const) {
          await p.emulateMedia({ colorScheme: scheme });
          expect(await axeFindings(p), `detail side by side at ${VIEWPORTS[viewport].width}px, ${scheme}`).toEqual([]);
        }
        await p.emulateMedia({ colorScheme: 'light' });
      }
      if (viewport === 'phone') await ctx.close();
    }
  });
});
