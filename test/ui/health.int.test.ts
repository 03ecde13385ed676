// The sandbox page in a real browser while a service's health endpoint fails and recovers: a real
// reconciler and agent (test/support/reconciler.ts) on the real Docker engine, headless Chromium. The
// page shows, without a reload, the live health of each running service (its check, restarts, CPU
// and memory), Degraded with the container and what failed, then Healthy again. A screenshot of the
// Degraded page goes to test-artifacts/ui/.
//
// Everything it makes belongs to sandboxes `t-health-ui-*`, its own Platform (t-health-ui) and host
// ports 31500-31799.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, branchApp, sandboxYaml, startStack, type Stack } from '../support/reconciler.ts';
import { PROJECT } from '../e2e/harness.ts';
import { launchChromium, signIn } from '../support/browser.ts';

const run = promisify(execFile);
const PREFIX = 't-health-ui-';
const SANDBOX = `${PREFIX}app`;
const CONTAINER = `sandbox-${SANDBOX}-account`;
const ARTIFACTS = join(PROJECT, 'test-artifacts', 'ui');

let stack: Stack;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const built = join(PROJECT, 'ui', 'build', 'index.html');
  const source = join(PROJECT, 'ui', 'src', 'routes', 'sandboxes', '[name]', '+page.svelte');
  if ((statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0) < statSync(source).mtimeMs) {
    throw new Error('ui/build is older than the sandbox page: run `npm run build:ui` first');
  }
  await mkdir(ARTIFACTS, { recursive: true });
  stack = await startStack({ prefix: PREFIX, port: 31500, ports: { gateway: [31600, 31649], services: [31700, 31749] }, usageIntervalMs: 1000 });
  const repo = stack.repo('account');
  repo.commit('develop', branchApp('develop'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: repo.url }, { health: '{ path: /health, timeout: 500ms, retries: 10, interval: 1s }' }));
  await stack.writeSpec('sandbox.yaml', sandboxYaml(SANDBOX, { account: 'develop' }));
  await stack.waitSandbox(SANDBOX, (s) => s.drift.some((d) => d.resource === 'service/account' && d.change === 'missing'), 'its branch resolved');
  await stack.syncAndWait(SANDBOX);

  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(`${e.name}: ${e.message}`));
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stack?.stop();
}, 120_000);

describe('sandbox page: live health', () => {
  const row = () => page.locator('[data-testid=services] tr[data-service=account]');

  it('shows each running service checked, with restarts, CPU and memory', async () => {
    await signIn(page, stack.url, `/sandboxes/${SANDBOX}`, 'admin', ADMIN_PASSWORD);
    await expect.poll(() => row().getByTestId('service-health').textContent(), { timeout: 20_000 }).toMatch(/^\s*healthy\s*$/);
    expect(await page.locator('[data-testid=services] tr[data-service=gateway] [data-testid=service-health]').textContent()).toMatch(/healthy/);
    expect(await row().getByTestId('service-restarts').textContent()).toBe('0');
    // the page refetches usage at the agent's sampling rate; a reload shows the samples at once
    await expect.poll(async () => {
      await page.reload();
      return row().getByTestId('service-usage').textContent();
    }, { timeout: 30_000 }).toMatch(/^[\d.]+ CPU · [\d.]+(Ki|Mi|Gi)$/);
  });

  it('turns Degraded with the container and what failed, live, when the health endpoint fails', async () => {
    await run('docker', ['exec', CONTAINER, 'rm', '/src/public/health']);
    const reason = page.getByTestId('health-reason');
    await expect.poll(() => reason.textContent(), { timeout: 10_000 }).toContain('Health Degraded');
    expect(await reason.textContent()).toMatch(/HealthCheckFailing\s+running but failing its health check: service\/account GET \/health: HTTP 404 since/);
    await expect.poll(() => row().getByTestId('service-health').textContent()).toMatch(/unhealthy/);
    expect(await row().getByTestId('probe-failure').textContent()).toMatch(/^GET \/health: HTTP 404 since /);
    await page.screenshot({ path: join(ARTIFACTS, 'health-degraded-1280.png'), fullPage: true });
  });

  it('Healthy again when it recovers', async () => {
    await run('docker', ['exec', CONTAINER, 'sh', '-c', 'echo ok > /src/public/health']);
    await expect.poll(() => page.getByTestId('health-reason').textContent(), { timeout: 10_000 }).toContain('Health Healthy');
    await expect.poll(() => row().getByTestId('service-health').textContent()).toMatch(/^\s*healthy\s*$/);
    expect(await row().getByTestId('probe-failure').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
