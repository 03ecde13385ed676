// The reconciler end to end on a real agent, real Docker, real git and SQLite: spec edit -> drift
// -> sync -> Synced, a moved branch, a killed container (and self-heal), prune of a deleted sandbox,
// an invalid edit that keeps the last good state.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, UiMessage } from '../../schema/api.ts';
import { branchApp, httpGet, sandboxYaml, startStack, type Stack, type TestRepo } from '../../test/support/reconciler.ts';

const PREFIX = 't-rec-';
const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let stack: Stack;
let account: TestRepo;
let payment: TestRepo;

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  stack = await startStack({ prefix: PREFIX, port: 21000, ports: { gateway: [21100, 21149], services: [21200, 21299] } });
  account = stack.repo('account');
  account.commit('main', branchApp('main'));
  account.commit('feature/a', branchApp('feature/a'));
  payment = stack.repo('payment');
  payment.commit('main', branchApp('main'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url, payment: payment.url }));
});

afterAll(async () => {
  await stack?.stop();
});

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/** Runs the real `sdp` CLI against the stack's server (async: the server runs in this process). */
function sdp(...args: Array<string | { token: string }>): Promise<{ code: number; stdout: string; stderr: string }> {
  const opts = args.find((a): a is { token: string } => typeof a !== 'string');
  const argv = args.filter((a): a is string => typeof a === 'string');
  return new Promise((resolve) => {
    execFile('node', ['bin/sdp.js', ...argv, '--server', stack.url], { env: { ...process.env, SDP_TOKEN: opts ? opts.token : stack.token } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('reconciler with a real agent', () => {
  it('spec edit -> drift -> sync -> Synced, and the gateway serves the branch', async () => {
    await stack.writeSpec('sb-one.yaml', sandboxYaml('t-rec-one', { account: 'feature/a' }));
    const out = await stack.waitSandbox('t-rec-one', (s) => s.drift.some((d) => d.resource === 'service/account'), 'service drift');
    expect(out.sync).toBe('OutOfSync');
    expect(out.drift.map((d) => d.resource)).toContain('service/account');

    const dry = await stack.sync('t-rec-one', { dryRun: true });
    expect(dry.job).toBeNull();
    expect(dry.plan.noop).toBe(false);
    expect(dry.plan.actions.map((a) => a.kind)).toContain('deploy');

    const job = await stack.syncAndWait('t-rec-one');
    expect(job.steps.length).toBeGreaterThan(0);
    expect(job.steps.every((s) => s.status === 'succeeded')).toBe(true);
    const synced = await stack.waitSandbox('t-rec-one', (s) => s.sync === 'Synced' && s.health === 'Healthy', 'Synced+Healthy');
    expect(synced.drift).toEqual([]);
    const res = await httpGet(`${synced.gatewayUrl}/account/`);
    expect(res.body).toContain('branch=feature/a');

    // a second sync has nothing to do
    const again = await stack.sync('t-rec-one');
    expect(again.plan.noop).toBe(true);
    expect((await stack.waitJob(again.job!.id)).status).toBe('succeeded');
  });

  it('the CLI: plan exits 1 on drift, sync --wait follows the job, then plan exits 0; status', async () => {
    await stack.writeSpec('sb-cli.yaml', sandboxYaml('t-rec-cli', { payment: 'main' }));
    await stack.waitSandbox('t-rec-cli', (s) => s.drift.some((d) => d.resource === 'service/payment'), 'service drift');
    const before = await sdp('plan', 't-rec-cli');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('service/payment');
    const md = await sdp('plan', 't-rec-cli', '--format', 'markdown');
    expect(md.code).toBe(1);
    const synced = await sdp('sync', 't-rec-cli', '--wait');
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(synced.stdout).toMatch(/\[succeeded\] deploy service\/payment on local/);
    expect(synced.stdout).toContain('sync of t-rec-cli succeeded');
    await stack.waitSandbox('t-rec-cli', (s) => s.sync === 'Synced', 'Synced');
    expect((await sdp('plan', 't-rec-cli')).code).toBe(0);
    const status = JSON.parse((await sdp('status', '--format', 'json')).stdout) as { sandboxes: { name: string; sync: string }[] };
    expect(status.sandboxes.find((s) => s.name === 't-rec-cli')?.sync).toBe('Synced');
    expect((await sdp('status')).stdout).toMatch(/t-rec-cli\s+Synced\s+Healthy/);
    // no token: refused, exit 2
    expect((await sdp('plan', 't-rec-cli', { token: '' })).code).toBe(2);
  });

  it('a branch that moves shows commit drift; sync deploys the new head', async () => {
    const before = await stack.detail('t-rec-one');
    const oldCommit = before.services.find((s) => s.service === 'account')?.liveCommit;
    const moved = account.commit('feature/a', branchApp('feature/a', { marker: 'v2' }));
    await stack.api('POST', '/api/refresh');
    const drifted = await stack.waitSandbox('t-rec-one', (s) => s.drift.some((d) => d.field === 'commit'), 'commit drift');
    const entry = drifted.drift.find((d) => d.field === 'commit');
    expect(entry?.desired).toBe(moved);
    expect(entry?.live).toBe(oldCommit);
    await stack.syncAndWait('t-rec-one');
    const synced = await stack.waitSandbox('t-rec-one', (s) => s.sync === 'Synced', 'Synced');
    expect((await httpGet(`${synced.gatewayUrl}/account/`)).body).toContain('v2');
  });

  it('a killed container is drift within a second, pushed on /ws/ui', async () => {
    const seen = stack.nextUi((m: UiMessage) => m.type === 'sandbox' && m.sandbox.name === 't-rec-one' && m.sandbox.sync === 'OutOfSync');
    const killedAt = Date.now();
    docker('kill', 'sandbox-t-rec-one-account');
    const msg = await seen;
    const latency = Date.now() - killedAt;
    expect(msg.type === 'sandbox' && msg.sandbox.drift.some((d) => d.resource === 'service/account' && d.field === 'state')).toBe(true);
    expect(latency).toBeLessThan(5000);
    await stack.syncAndWait('t-rec-one');
    await stack.waitSandbox('t-rec-one', (s) => s.sync === 'Synced' && s.health === 'Healthy', 'healed by sync');
  });

  it('selfHeal brings a removed container back without a manual sync', async () => {
    await stack.writeSpec('sb-heal.yaml', sandboxYaml('t-rec-heal', { payment: 'main' }, { syncPolicy: '{ automated: true, selfHeal: true }' }));
    // automated: the new sandbox syncs by itself
    await stack.waitSandbox('t-rec-heal', (s) => s.sync === 'Synced' && s.health === 'Healthy', 'auto-synced', 90_000);
    // removed, not killed: Docker's restart policy would bring a killed one back by itself.
    // Self-heal may repair it before a poll sees the drift: watch /ws/ui for it instead.
    const drifted = stack.nextUi(
      (m: UiMessage) => m.type === 'sandbox' && m.sandbox.name === 't-rec-heal' && m.sandbox.drift.some((d) => d.resource === 'service/payment' && d.change === 'missing'),
      10_000,
    );
    docker('rm', '-f', 'sandbox-t-rec-heal-payment');
    await drifted;
    await stack.waitFor('a self-heal sync', async () => (await stack.detail('t-rec-heal')).history.some((j) => j.user === 'sdp:self-heal' && j.status === 'succeeded'), 60_000);
    await stack.waitSandbox('t-rec-heal', (s) => s.sync === 'Synced' && s.health === 'Healthy', 'self-healed', 60_000);
    expect(docker('inspect', '-f', '{{.State.Running}}', 'sandbox-t-rec-heal-payment')).toBe('true');
  });

  it('a network disconnect is network drift, and self-heal reattaches the service and the gateway in place', async () => {
    const s = await stack.waitSandbox('t-rec-heal', (x) => x.sync === 'Synced', 'Synced');
    expect((await httpGet(`${s.gatewayUrl}/payment/`)).body).toContain('branch=main');
    const started = docker('inspect', '-f', '{{.State.StartedAt}}', 'sandbox-t-rec-heal-payment');
    for (const [container, resource] of [['sandbox-t-rec-heal-payment', 'service/payment'], ['sandbox-t-rec-heal-gateway', 'gateway']] as const) {
      const drifted = stack.nextUi(
        (m: UiMessage) => m.type === 'sandbox' && m.sandbox.name === 't-rec-heal' && m.sandbox.drift.some((d) => d.resource === resource && d.field === 'network'),
        10_000,
      );
      docker('network', 'disconnect', 'sandbox-t-rec-heal', container);
      await drifted;
      await stack.waitFor(`${container} back on its network`, () => docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', container).includes('sandbox-t-rec-heal'), 60_000);
    }
    const healed = await stack.waitSandbox('t-rec-heal', (x) => x.sync === 'Synced' && x.drift.length === 0, 'reattached', 60_000);
    expect(docker('inspect', '-f', '{{.State.StartedAt}}', 'sandbox-t-rec-heal-payment')).toBe(started);
    await stack.waitFor('the gateway answers again', async () => (await httpGet(`${healed.gatewayUrl}/payment/`)).body.includes('branch=main'), 10_000);
  });

  it('suspended: true stops the containers on sync and keeps their ports', async () => {
    const before = await stack.detail('t-rec-cli');
    await stack.writeSpec('sb-cli.yaml', sandboxYaml('t-rec-cli', { payment: 'main' }, { suspended: 'true' }));
    await stack.waitSandbox('t-rec-cli', (s) => s.suspended && s.sync === 'OutOfSync', 'suspended, OutOfSync');
    const job = await stack.syncAndWait('t-rec-cli');
    expect(job.steps.map((s) => s.kind)).toContain('stop');
    const after = await stack.waitSandbox('t-rec-cli', (s) => s.sync === 'Synced' && s.health === 'Suspended', 'Synced + Suspended');
    expect(after.gatewayUrl).toBe(before.gatewayUrl);
    expect(docker('inspect', '-f', '{{.State.Running}}', 'sandbox-t-rec-cli-payment')).toBe('false');
  });

  it('a ttl that runs out marks the sandbox Expired and suspends it', async () => {
    await stack.writeSpec('sb-cli.yaml', sandboxYaml('t-rec-cli', { payment: 'main' }, { ttl: '12s' }));
    // resumed by a manual sync (which also restarts the ttl) ...
    await stack.waitSandbox('t-rec-cli', (s) => !s.suspended && s.expiresAt !== undefined, 'not suspended, with expiry');
    await stack.syncAndWait('t-rec-cli');
    await stack.waitSandbox('t-rec-cli', (s) => s.health === 'Healthy', 'running again');
    // ... then expires: Expired, and the ttl sync stops it
    const expired = await stack.waitSandbox('t-rec-cli', (s) => s.health === 'Expired' && s.sync === 'Synced', 'Expired and stopped', 60_000);
    expect(expired.suspended).toBe(true);
    expect(docker('inspect', '-f', '{{.State.Running}}', 'sandbox-t-rec-cli-payment')).toBe('false');
    expect((await stack.detail('t-rec-cli')).history.some((j) => j.user === 'sdp:ttl')).toBe(true);
    await stack.removeSpec('sb-cli.yaml');
  });

  it('an invalid edit is rejected with its errors; the last good state stays in force', async () => {
    const before = await stack.api<{ current: { id: string } }>('GET', '/api/status');
    await stack.writeSpec('sb-one.yaml', sandboxYaml('t-rec-one', { account: 'feature/a' }, { bogusField: 'true' }));
    await stack.waitFor('rejected revision', async () => {
      const st = await stack.api<{ rejected: { errors: unknown[] } | null }>('GET', '/api/status');
      return (st.rejected?.errors.length ?? 0) > 0;
    });
    const st = await stack.api<{ current: { id: string }; rejected: { errors: { file: string; line: number }[] } }>('GET', '/api/status');
    expect(st.current.id).toBe(before.current.id);
    expect(st.rejected.errors[0]?.file).toContain('sb-one.yaml');
    expect(st.rejected.errors[0]?.line).toBeGreaterThan(0);
    const one = await stack.sandbox('t-rec-one');
    expect(one?.sync).toBe('Synced');
    // fixing the file makes a new good revision
    await stack.writeSpec('sb-one.yaml', sandboxYaml('t-rec-one', { account: 'feature/a' }));
    await stack.waitFor('good revision', async () => (await stack.api<{ rejected: unknown }>('GET', '/api/status')).rejected === null);
  });

  it("a deleted sandbox is an orphan; sync with prune removes it and releases its ports; another Platform's objects are left alone", async () => {
    // another sdp installation on this engine (Platform `other`): a sandbox of its own, and a
    // container of a sandbox named like ours. The agent reports them; this reconciler must ignore them.
    const other = ['--label', 'sdp.managed=true', '--label', 'sdp.platform=other'];
    const run = ['-d', ...other, '--label', 'sdp.service=account', '--label', 'sdp.kind=service'];
    docker('network', 'create', ...other, '--label', 'sdp.sandbox=t-rec-foreign', 'sandbox-t-rec-foreign');
    docker('run', ...run, '--label', 'sdp.sandbox=t-rec-foreign', '--name', 'sandbox-t-rec-foreign-account', 'sdp/busybox:local', 'sleep', '600');
    docker('run', ...run, '--label', 'sdp.sandbox=t-rec-heal', '--name', 't-rec-foreign-twin', 'sdp/busybox:local', 'sleep', '600');
    const foreignNames = () => docker('ps', '-a', '--filter', 'label=sdp.platform=other', '--format', '{{.Names}}').split('\n').filter(Boolean).sort();
    try {
      // the reconciler has them in its live inventory (real SQLite), so ignoring them is a real check
      await stack.waitFor('foreign containers reported', async () => {
        const db = new Database(join(stack.dataDir, 'sdp.db'), { readonly: true });
        try {
          const rows = db.prepare('SELECT containers FROM live_inventory').all() as { containers: string }[];
          const names = rows.flatMap((r) => (JSON.parse(r.containers) as { name: string; platform?: string }[]).filter((c) => c.platform === 'other').map((c) => c.name));
          return names.includes('t-rec-foreign-twin') && names.includes('sandbox-t-rec-foreign-account');
        } finally {
          db.close();
        }
      });
      const detail = await stack.detail('t-rec-heal');
      const port = detail.desired.gatewayPort;
      await stack.removeSpec('sb-heal.yaml');
      const orphan = await stack.waitSandbox('t-rec-heal', (s) => s.drift.length > 0 && s.drift.every((d) => d.change === 'extra'), 'orphan');
      expect(orphan.sync).toBe('OutOfSync');
      // t-rec-heal runs payment; the twin would show as an extra service/account running sdp/busybox:local
      expect(orphan.drift.map((d) => d.resource)).not.toContain('service/account');
      expect(orphan.drift.map((d) => d.live)).not.toContain('sdp/busybox:local');
      expect(await stack.sandbox('t-rec-foreign')).toBeUndefined();
      expect((await stack.request('POST', '/api/sandboxes/t-rec-foreign/sync', { prune: true })).status).toBe(404);
      const noPrune = await stack.sync('t-rec-heal');
      expect(noPrune.plan.noop).toBe(true);
      await stack.syncAndWait('t-rec-heal', { prune: true });
      await stack.waitFor('orphan gone', async () => (await stack.sandbox('t-rec-heal')) === undefined);
      expect(docker('ps', '-a', '--filter', 'label=sdp.sandbox=t-rec-heal', '--filter', 'label=sdp.platform=t-rec', '--format', '{{.Names}}')).toBe('');
      expect(foreignNames()).toEqual(['sandbox-t-rec-foreign-account', 't-rec-foreign-twin']);
      expect(docker('network', 'ls', '--filter', 'label=sdp.platform=other', '--format', '{{.Name}}')).toBe('sandbox-t-rec-foreign');
      // the freed gateway port is handed out again (lowest free first, so with two new sandboxes
      // one of them gets it whatever else was freed before)
      await stack.writeSpec('sb-two.yaml', sandboxYaml('t-rec-two', { payment: 'main' }));
      await stack.writeSpec('sb-three.yaml', sandboxYaml('t-rec-three', { payment: 'main' }));
      await stack.waitSandbox('t-rec-three', () => true, 'exists');
      const given = [(await stack.detail('t-rec-two')).desired.gatewayPort, (await stack.detail('t-rec-three')).desired.gatewayPort];
      expect(given).toContain(port);
      await stack.removeSpec('sb-two.yaml');
      await stack.removeSpec('sb-three.yaml');
    } finally {
      for (const name of foreignNames()) docker('rm', '-f', name);
      docker('network', 'rm', 'sandbox-t-rec-foreign');
    }
  });

  it('automated sync does not re-apply a revision + commit set whose sync failed', async () => {
    const broken = stack.repo('broken');
    broken.commit('main', branchApp('main', { healthy: false }));
    await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url, payment: payment.url, broken: broken.url }));
    await stack.writeSpec('sb-auto.yaml', sandboxYaml('t-rec-auto', { broken: 'main' }, { syncPolicy: '{ automated: true }' }));
    await stack.waitFor('the automated sync to fail', async () => {
      const s = await stack.sandbox('t-rec-auto');
      return s?.lastSync?.status === 'failed';
    }, 90_000);
    const failed = (await stack.detail('t-rec-auto')).history;
    expect(failed).toHaveLength(1);
    expect(failed[0]?.user).toBe('sdp:automated');
    const job = await stack.api<JobView>('GET', `/api/jobs/${failed[0]!.id}`);
    expect(job.error).toContain('service/broken');
    expect(job.steps.find((s) => s.resource === 'service/broken')?.status).toBe('failed');
    expect(job.steps.filter((s) => s.wave > (job.steps.find((x) => x.status === 'failed')?.wave ?? 0)).every((s) => s.status === 'skipped')).toBe(true);
    // still OutOfSync, but no retry loop: the same state is not applied again by itself
    await new Promise((r) => setTimeout(r, 6000));
    expect((await stack.detail('t-rec-auto')).history).toHaveLength(1);
    // a new commit is a new state: automated sync tries again
    broken.commit('main', branchApp('main', { marker: 'fixed' }));
    await stack.api('POST', '/api/refresh');
    await stack.waitSandbox('t-rec-auto', (s) => s.sync === 'Synced' && s.lastSync?.status === 'succeeded', 'synced after the fix', 90_000);
    expect((await stack.detail('t-rec-auto')).history).toHaveLength(2);
  });

  it('serves /metrics (public), the agents list, and the UI with an SPA fallback', async () => {
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/^sdp_agents_connected 1$/m);
    expect(metrics).toMatch(/^sdp_syncs_total\{sandbox="t-rec-one",trigger="manual",outcome="succeeded"\} [1-9]/m);
    expect(metrics).toMatch(/^sdp_reconcile_latency_seconds_count [1-9]/m);
    expect(metrics).toContain('sdp_drift_entries{sandbox="t-rec-one"}');
    const agents = await stack.api<{ name: string; online: boolean; containers: number }[]>('GET', '/api/agents');
    expect(agents.find((a) => a.name === 'local')).toMatchObject({ online: true });
    // everything but health, login and metrics needs a token (the git webhook, its HMAC signature)
    expect((await fetch(`${stack.url}/api/sandboxes`)).status).toBe(401);
    expect((await fetch(`${stack.url}/api/health`)).status).toBe(200);
    if (existsSync(join(PROJECT, 'ui', 'build', 'index.html'))) {
      const page = await fetch(`${stack.url}/sandboxes/t-rec-one`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
    }
  });
});
