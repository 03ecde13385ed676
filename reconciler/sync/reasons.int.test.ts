// Every cause of a sandbox's Unknown is named, through the API, `sdp status` and the UI: a branch
// that does not resolve, gateway routes that cannot be read, an agent that is offline. Real agent,
// Docker, git, Caddy and Chromium.
import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from '../../test/support/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_ADMIN_SOCKET } from '../../schema/container.ts';
import type { SandboxSummary, StatusReason } from '../../schema/api.ts';
import { ADMIN_PASSWORD, branchApp, sandboxYaml, startStack, type Stack } from '../../test/support/reconciler.ts';

const PREFIX = 't-core-';
let stack: Stack;
let browser: Browser | undefined;

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  stack = await startStack({ prefix: PREFIX, port: 26000, ports: { gateway: [26100, 26149], services: [26200, 26299] } });
  const account = stack.repo('account');
  account.commit('main', branchApp('main'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stack?.stop();
});

function sdp(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/sdp.js', ...argv, '--server', stack.url], { env: { ...process.env, SDP_TOKEN: stack.token } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The sandbox page in a real browser, signed in: the sync reason line as a person reads it. */
async function uiReason(name: string): Promise<string> {
  if (!browser) throw new Error('no browser');
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, stack.url, `/sandboxes/${name}`, 'admin', ADMIN_PASSWORD);
    const reason = page.locator('[data-testid=sync-reason]');
    await reason.waitFor({ timeout: 30_000 });
    return (await reason.textContent()) ?? '';
  } finally {
    await ctx.close();
  }
}

async function expectNamed(name: string, reason: StatusReason, says: RegExp): Promise<SandboxSummary> {
  const s = await stack.waitSandbox(name, (x) => x.syncStatus?.reason === reason, `sync Unknown because ${reason}`);
  expect(s.sync).toBe('Unknown');
  expect(s.syncStatus.message).toMatch(says);
  const cli = await sdp('status');
  expect(cli.code, cli.stderr).toBe(0);
  const line = cli.stdout.split('\n').find((l) => l.includes(`sync Unknown (${reason})`));
  expect(line, cli.stdout).toBeDefined();
  expect(line).toMatch(says);
  const ui = await uiReason(name);
  expect(ui).toContain(reason);
  expect(ui).toMatch(says);
  return s;
}

describe('Unknown says why', () => {
  it('a branch that does not resolve: names the service, the branch and what git said', async () => {
    await stack.writeSpec('sb-one.yaml', sandboxYaml('t-core-one', { account: 'main' }));
    await stack.waitSandbox('t-core-one', (s) => s.sync === 'OutOfSync', 'drift');
    const job = await stack.syncAndWait('t-core-one');
    expect(job.status, job.error).toBe('succeeded');
    await stack.waitSandbox('t-core-one', (s) => s.sync === 'Synced', 'Synced');
    // the branch is gone from the spec's point of view: nothing else drifts, so sync is Unknown
    await stack.writeSpec('sb-one.yaml', sandboxYaml('t-core-one', { account: 'feature/does-not-exist' }));
    const s = await expectNamed('t-core-one', 'BranchUnresolved', /service\/account: branch feature\/does-not-exist of \S+ could not be resolved: .+/);
    expect(s.conditions.find((c) => c.type === 'BranchesResolved')).toMatchObject({ status: 'False', reason: 'BranchUnresolved' });
    expect(s.lastApplied?.jobId).toBe(job.id);
    await stack.writeSpec('sb-one.yaml', sandboxYaml('t-core-one', { account: 'main' }));
    await stack.waitSandbox('t-core-one', (x) => x.sync === 'Synced', 'Synced again on a branch that resolves');
  });

  it("gateway routes that cannot be read: carries the agent's error", async () => {
    // the gateway keeps serving, but its admin socket is gone: the agent can no longer read its routes
    const controlRoot = join(stack.dataDir, 'agent');
    const sockets = findFiles(controlRoot, PROXY_ADMIN_SOCKET);
    expect(sockets.length, `admin sockets under ${controlRoot}`).toBeGreaterThan(0);
    for (const s of sockets) rmSync(s);
    await stack.api('POST', '/api/refresh');
    const s = await expectNamed('t-core-one', 'RoutesUnreadable', /the gateway's routes could not be read: .+/);
    expect(s.conditions.find((c) => c.type === 'RoutesRead')).toMatchObject({ status: 'False' });
  });

  it('an agent that is offline: names the node', async () => {
    await stack.stopAgent();
    const s = await expectNamed('t-core-one', 'AgentOffline', /the agent of node local is offline/);
    expect(s.healthStatus.reason).toBe('AgentOffline');
    expect(s.conditions.find((c) => c.type === 'AgentsConnected')).toMatchObject({ status: 'False' });
  });
});

function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.name === name) out.push(join(e.parentPath, e.name));
  return out;
}
