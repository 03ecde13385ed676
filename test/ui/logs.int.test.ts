// The sandbox page's live log panel in headless Chromium against a real reconciler, agent and
// container (issue 16 item 2): opened, it follows the service's log and shows a line written after it
// started, the container's secret masked; it pauses and resumes, follows the container a sync puts in
// place of the one it followed, and opens its stream again when the connection drops; a viewer is told
// logs need qa. Sandboxes t-logs-ui-*, Platform t-logs-ui, host ports 32500-32999 (32590: a TCP relay
// whose connections the test cuts). A screenshot goes to test-artifacts/ui/logs-1280.png.
import { mkdir } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn as signInAt } from '../support/browser.ts';
import { startLogsFixture, type LogsFixture } from '../support/logs.ts';
import { ADMIN_PASSWORD } from '../support/reconciler.ts';

const ARTIFACTS = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'test-artifacts', 'ui');

let fx: LogsFixture;
let browser: Browser;

/**
 * A TCP relay in front of the reconciler, so that a test can cut the browser's connections the way a
 * network change does (the server sees them close; the page sees its stream break off).
 */
function tcpRelay(target: number): { url: Promise<string>; cut: () => void; close: () => void } {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const url = new Promise<string>((resolve) => server.listen(32590, '127.0.0.1', () => resolve('http://127.0.0.1:32590')));
  return { url, cut: () => open.forEach((s) => s.destroy()), close: () => (open.forEach((s) => s.destroy()), server.close()) };
}
let relay: ReturnType<typeof tcpRelay>;

async function signIn(user: string, password: string, base = fx.stack.url): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signInAt(page, base, `/sandboxes/${fx.sandbox}`, user, password);
  return page;
}

beforeAll(async () => {
  fx = await startLogsFixture('t-logs-ui-', 32500);
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  relay = tcpRelay(Number(new URL(fx.stack.url).port));
}, 240_000);

afterAll(async () => {
  relay?.close();
  await browser?.close();
  await fx?.stack.stop();
});

describe('log panel in a real browser', () => {
  it('follows a service log live: a line written after it opened appears, its secret masked', async () => {
    await fx.writeLine('echo "before the panel opened"');
    const page = await signIn('admin', ADMIN_PASSWORD, await relay.url);
    const panel = page.locator('[data-testid=log-panel][data-service=account]');
    await panel.locator('summary').click();
    await page.locator('[data-testid=log-panel][data-service=account][data-phase=following]').waitFor({ timeout: 15_000 });
    const lines = panel.locator('[data-testid=log-lines]');
    await expect.poll(() => lines.textContent(), { timeout: 10_000 }).toContain('before the panel opened');
    await fx.writeLine('echo "live in the browser token=$LOGS_TOKEN"');
    await expect.poll(() => lines.textContent(), { timeout: 10_000 }).toContain('live in the browser token=***');
    expect(await page.content()).not.toContain(fx.secret);
    await page.screenshot({ path: join(ARTIFACTS, 'logs-1280.png'), fullPage: true });
    // pausing leaves the stream; what comes meanwhile shows once it resumes, and nothing twice
    await panel.getByRole('button', { name: 'Pause' }).click();
    expect(await panel.getAttribute('data-phase')).not.toBe('following');
    await fx.writeLine('echo "while paused"');
    expect(await lines.textContent()).not.toContain('while paused');
    await panel.getByRole('button', { name: 'Resume' }).click();
    await page.locator('[data-testid=log-panel][data-service=account][data-phase=following]').waitFor({ timeout: 15_000 });
    await fx.writeLine('echo "after resume"');
    await expect.poll(() => lines.textContent(), { timeout: 10_000 }).toContain('after resume');
    expect((await lines.textContent())?.match(/before the panel opened/g)?.length).toBe(1);
    expect((await lines.textContent())?.match(/while paused/g)?.length).toBe(1);
    expect((await lines.textContent())?.match(/live in the browser/g)?.length).toBe(1);
    // a sync replaces the container: the panel follows the one that replaced it
    await fx.redeploy('v2');
    await expect.poll(() => lines.textContent(), { timeout: 15_000 }).toContain('was replaced (a deploy put a new container in its place); following the new one');
    await page.locator('[data-testid=log-panel][data-service=account][data-phase=following]').waitFor({ timeout: 15_000 });
    await fx.writeLine('echo "from the new container"');
    await expect.poll(() => lines.textContent(), { timeout: 10_000 }).toContain('from the new container');
    // the connection drops (the network changed): the panel opens the stream again from its last line
    relay.cut();
    await expect.poll(() => panel.locator('summary').textContent(), { timeout: 10_000 }).toContain('reconnecting');
    await fx.writeLine('echo "while it was away"');
    await page.locator('[data-testid=log-panel][data-service=account][data-phase=following]').waitFor({ timeout: 15_000 });
    await expect.poll(() => lines.textContent(), { timeout: 10_000 }).toContain('while it was away');
    expect((await lines.textContent())?.match(/from the new container/g)?.length).toBe(1);
    await page.context().close();
  });

  it('tells a viewer that logs need role qa', async () => {
    const made = await fetch(`${fx.stack.url}/api/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fx.stack.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'logs-ui-viewer', role: 'viewer', password: 'viewer-password-1' }),
    });
    expect(made.status).toBe(201);
    const page = await signIn('logs-ui-viewer', 'viewer-password-1');
    await expect.poll(() => page.textContent('[data-testid=logs-blocked]')).toContain('qa or above (yours: viewer)');
    expect(await page.locator('[data-testid=log-panel]').count()).toBe(0);
    await page.context().close();
  });
});
