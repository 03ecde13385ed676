// The newcomer's first ten minutes, for real: `sdp up` (the CLI as a child process, with its local
// agent) on specs in a temp dir, real bare git repos, real Docker, real Caddy, real baselines. Each
// test builds on the state the one before left, as a person working through the demo would:
// sync -> push a commit -> reroute -> kill -> a broken branch -> a second sandbox -> delete it ->
// an invalid edit -> restart sdp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftEntry, Plan, SandboxDetail } from '../../schema/api.ts';
import { branchHead, commitFiles } from '../../scripts/demo/repos.ts';
import { curl, docker, E2E, localGateway, sandboxYaml, type CliResult } from './harness.ts';

const LOGIN = 't-e2e-login';
const DEV = 't-e2e-dev';
const AGAIN = 't-e2e-again';

let e: E2E;

beforeAll(async () => {
  e = await E2E.start({
    'login.yaml': sandboxYaml(LOGIN, { account: 'feature/login-error', payment: 'feature/refund' }),
  });
});

afterAll(async () => {
  await e?.stop();
});

/** Fails with everything the CLI said when it did not exit as expected. */
function expectExit(r: CliResult, code: number | 'non-zero'): void {
  const said = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  if (code === 'non-zero') expect(r.code, said).not.toBe(0);
  else expect(r.code, said).toBe(code);
}

const driftOn = (s: SandboxDetail, resource: string, field?: string): DriftEntry | undefined =>
  s.drift.find((d) => d.resource === resource && (field === undefined || d.field === field));

const synced = (s: SandboxDetail): boolean => s.sync === 'Synced' && s.health === 'Healthy';

async function containerIds(sandbox: string): Promise<string[]> {
  const out = await docker('ps', '-aq', '--no-trunc', '--filter', `label=sdp.sandbox=${sandbox}`);
  return out ? out.split('\n').sort() : [];
}

async function inspect(container: string, format: string): Promise<string> {
  return docker('inspect', '-f', format, container);
}

/** Whether anything accepts a TCP connection on the port (the gateway is gone when nothing does). */
async function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );
}

let loginGateway = '';
let loginCommit = '';

describe('a newcomer works through the demo', () => {
  it('syncs a sandbox: feature services answer from their branches, the others from baseline', async () => {
    const before = await e.waitForSandbox(LOGIN, 'listed as OutOfSync with its services missing', (s) =>
      s.sync === 'OutOfSync' && driftOn(s, 'service/account') !== undefined,
    );
    expect(driftOn(before, 'service/account')?.change).toBe('missing');
    expectExit(await e.cli('plan', LOGIN), 1);

    expectExit(await e.cli('sync', LOGIN, '--wait'), 0);
    const s = await e.waitForSandbox(LOGIN, 'Synced and Healthy', synced);
    loginGateway = localGateway(s);
    loginCommit = (await branchHead(e.repos.account as string, 'feature/login-error')) as string;

    expect((await curl(`${loginGateway}/account/`)).json).toEqual({
      service: 'account',
      branch: 'feature/login-error',
      commit: loginCommit,
    });
    expect((await curl(`${loginGateway}/payment/rest`)).json).toEqual({
      service: 'payment',
      branch: 'feature/refund',
      commit: await branchHead(e.repos.payment as string, 'feature/refund'),
    });
    expect((await curl(`${loginGateway}/user/`)).json).toEqual({ service: 'user', env: 'baseline' });
    expect((await curl(`${loginGateway}/notification/rest`)).json).toEqual({ service: 'notification', env: 'baseline' });

    const route = (service: string) => s.routes.find((r) => r.service === service);
    expect(route('account')).toMatchObject({ mode: 'sandbox' });
    expect(route('user')).toMatchObject({ mode: 'baseline', target: 'http://host.docker.internal:22903' });
    expect(route('user')?.live).toBe(route('user')?.target);

    // nothing to do now: plan says so, and a sync changes nothing
    expectExit(await e.cli('plan', LOGIN), 0);
    const ids = await containerIds(LOGIN);
    const again = await e.api<{ plan: Plan }>('POST', `/api/sandboxes/${LOGIN}/sync`, {});
    expect(again.plan.noop).toBe(true);
    expect(await containerIds(LOGIN)).toEqual(ids);
  });

  it('a commit pushed to the branch is commit drift, and sync deploys it', async () => {
    const pushed = await commitFiles(e.repos.account as string, 'feature/login-error', { 'CHANGELOG.md': 'fix the login error\n' }, 'fix login error');
    await e.api('POST', '/api/refresh', {});
    const s = await e.waitForSandbox(LOGIN, 'commit drift on service/account', (x) => driftOn(x, 'service/account', 'commit') !== undefined);
    const entry = driftOn(s, 'service/account', 'commit');
    expect(String(entry?.desired)).toContain(pushed.slice(0, 7));
    expect(String(entry?.live)).toContain(loginCommit.slice(0, 7));
    expect(s.sync).toBe('OutOfSync');

    expectExit(await e.cli('sync', LOGIN, '--wait'), 0);
    await e.waitForSandbox(LOGIN, 'Synced after the commit', synced);
    expect((await curl(`${loginGateway}/account/`)).json).toMatchObject({ branch: 'feature/login-error', commit: pushed });
    loginCommit = pushed;
  });

  it('routing a service to baseline in YAML is route drift, and sync sends it there', async () => {
    await e.writeSpec('login.yaml', sandboxYaml(LOGIN, { account: 'feature/login-error', payment: 'baseline' }));
    const s = await e.waitForSandbox(LOGIN, 'route drift on route/payment', (x) => driftOn(x, 'route/payment') !== undefined);
    expect(driftOn(s, 'route/payment')).toMatchObject({ change: 'changed', field: 'target', desired: 'http://host.docker.internal:22902' });

    expectExit(await e.cli('sync', LOGIN, '--prune', '--wait'), 0);
    await e.waitForSandbox(LOGIN, 'Synced after the reroute', synced);
    expect((await curl(`${loginGateway}/payment/rest`)).json).toEqual({ service: 'payment', env: 'baseline' });
    expect((await curl(`${loginGateway}/account/`)).json).toMatchObject({ branch: 'feature/login-error', commit: loginCommit });
    expect(await docker('ps', '-aq', '--filter', `name=^/sandbox-${LOGIN}-payment$`)).toBe('');
  });

  it('a killed service container is drift, and sync heals it', async () => {
    await docker('kill', `sandbox-${LOGIN}-account`);
    const s = await e.waitForSandbox(LOGIN, 'drift on the killed service/account', (x) => driftOn(x, 'service/account') !== undefined);
    expect(s.sync).toBe('OutOfSync');

    expectExit(await e.cli('sync', LOGIN, '--wait'), 0);
    await e.waitForSandbox(LOGIN, 'Synced and Healthy after healing', synced);
    expect(await inspect(`sandbox-${LOGIN}-account`, '{{.State.Running}}')).toBe('true');
    expect((await curl(`${loginGateway}/account/`)).json).toMatchObject({ branch: 'feature/login-error', commit: loginCommit });
  });

  it('a branch whose health check fails is rolled back: the old container keeps answering', async () => {
    await e.writeSpec('login.yaml', sandboxYaml(LOGIN, { account: 'feature/broken-health', payment: 'baseline' }));
    await e.waitForSandbox(LOGIN, 'commit drift to feature/broken-health', (x) => driftOn(x, 'service/account', 'commit') !== undefined);

    const r = await e.cli('sync', LOGIN, '--wait');
    expectExit(r, 'non-zero');
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/health/i);

    const s = await e.sandbox(LOGIN);
    expect(s.lastSync?.status ?? s.history[0]?.status).toBe('failed');
    expect(s.sync).toBe('OutOfSync');
    expect(await inspect(`sandbox-${LOGIN}-account`, '{{.State.Running}} {{index .Config.Labels "sdp.commit"}}')).toBe(`true ${loginCommit}`);
    expect((await curl(`${loginGateway}/account/`)).json).toEqual({ service: 'account', branch: 'feature/login-error', commit: loginCommit });

    await e.writeSpec('login.yaml', sandboxYaml(LOGIN, { account: 'feature/login-error', payment: 'baseline' }));
    await e.waitForSandbox(LOGIN, 'Synced again once the spec is back on feature/login-error', synced);
  });

  let devPort = '';

  it('two sandboxes run two branches of one repo at once', async () => {
    await e.writeSpec('dev.yaml', sandboxYaml(DEV, { account: 'develop' }));
    await e.waitForSandbox(DEV, 'listed', () => true);
    expectExit(await e.cli('sync', DEV, '--wait'), 0);
    const dev = await e.waitForSandbox(DEV, 'Synced and Healthy', synced);
    const devGateway = localGateway(dev);
    devPort = new URL(devGateway).port;
    expect(devGateway).not.toBe(loginGateway);

    const [a, b] = await Promise.all([curl(`${loginGateway}/account/`), curl(`${devGateway}/account/`)]);
    expect(a.json).toEqual({ service: 'account', branch: 'feature/login-error', commit: loginCommit });
    expect(b.json).toEqual({ service: 'account', branch: 'develop', commit: await branchHead(e.repos.account as string, 'develop') });
    expect(await e.worktreesOf(LOGIN)).toHaveLength(1);
    expect(await e.worktreesOf(DEV)).toHaveLength(1);
  });

  it("deleting a sandbox's YAML, then sync --prune removes its containers, network and worktrees and releases its port", async () => {
    expect(devPort).not.toBe('');
    await e.removeSpec('dev.yaml');
    await e.wait('the reconciler to drop t-e2e-dev from its desired state', async () => {
      const list = await e.sandboxes();
      const dev = list.find((s) => s.name === DEV);
      return !dev || dev.drift.every((d) => d.change === 'extra') ? true : undefined;
    });

    expectExit(await e.cli('sync', DEV, '--prune', '--wait'), 0);
    expect(await containerIds(DEV)).toEqual([]);
    expect(await docker('network', 'ls', '-q', '--filter', `name=^sandbox-${DEV}$`)).toBe('');
    expect(await e.worktreesOf(DEV)).toEqual([]);
    expect(await answers(`http://127.0.0.1:${devPort}/`)).toBe(false);
    // the sandbox next door is untouched
    expect((await curl(`${loginGateway}/account/`)).json).toMatchObject({ commit: loginCommit });

    // released: the next new sandbox gets the lowest free port, the one t-e2e-dev had
    await e.writeSpec('again.yaml', sandboxYaml(AGAIN, { user: 'develop' }));
    const again = await e.waitForSandbox(AGAIN, 'listed', () => true);
    expect(new URL(again.gatewayUrl).port).toBe(devPort);
    await e.removeSpec('again.yaml');
    await e.wait('t-e2e-again to go', async () => ((await e.sandboxes()).some((s) => s.name === AGAIN) ? undefined : true));
  });

  it('an invalid edit is rejected with file:line, and nothing is applied', async () => {
    const ids = await containerIds(LOGIN);
    const revision = (await e.sandbox(LOGIN)).revision;
    // line 7 holds the unknown key
    await e.writeSpec(
      'login.yaml',
      [
        'apiVersion: sdp/v1',
        'kind: Sandbox',
        `metadata: { name: ${LOGIN}, owner: e2e }`,
        'spec:',
        '  services:',
        '    account: { branch: feature/login-error }',
        '    payment: { baseline: true, colour: red }',
        '',
      ].join('\n'),
    );

    const v = await e.cli('validate', '--specs', e.specsDir);
    expectExit(v, 2);
    expect(`${v.stdout}${v.stderr}`).toMatch(/login\.yaml:7:\d+/);
    expect(`${v.stdout}${v.stderr}`).toMatch(/colour/);

    const status = await e.wait('the rejected revision', async () => ((await e.status()).rejected ? await e.status() : undefined));
    const err = status.rejected?.errors.find((x) => x.file.endsWith('login.yaml'));
    expect(err).toMatchObject({ line: 7 });

    const s = await e.sandbox(LOGIN);
    expect(s.revision).toBe(revision);
    expect(s.sync).toBe('Synced');
    expectExit(await e.cli('plan', LOGIN), 0);
    expect(await containerIds(LOGIN)).toEqual(ids);

    await e.writeSpec('login.yaml', sandboxYaml(LOGIN, { account: 'feature/login-error', payment: 'baseline' }));
    await e.wait('the rejection to clear', async () => ((await e.status()).rejected ? undefined : true));
  });

  it('stopping sdp leaves sandboxes running; started again it finds them in sync', async () => {
    const ids = await containerIds(LOGIN);
    await e.restart(async () => {
      // sdp is down: the sandbox still answers
      expect((await curl(`${loginGateway}/account/`)).json).toMatchObject({ commit: loginCommit });
    });
    const s = await e.waitForSandbox(LOGIN, 'Synced after the restart, without a sync', synced);
    expect(localGateway(s)).toBe(loginGateway);
    expect(await containerIds(LOGIN)).toEqual(ids);
  });
});
