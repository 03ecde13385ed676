// A crash at any step of a deploy leaves nothing that blocks the next Sync. `sdp up` (reconciler and
// local agent in one process) runs with SDP_FAULT_KILL_AT=deploy:<step> and kills itself with
// SIGKILL when a deploy of account reaches that step (agent/fault.ts); then sdp starts again and the
// next Sync must converge: Synced and Healthy, the expected branch answering behind the gateway, no
// temporary `.next` container, one worktree, one gateway control directory. Every other round the
// spec is reverted while sdp is down (the old container may be stopped by then, its port taken by the
// half-made new one: the case that used to wedge a sandbox with `port is already allocated`).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, Plan, SandboxDetail } from '../../schema/api.ts';
import { curl, docker, E2E, localGateway, platformYaml, sandboxYaml } from './harness.ts';

const SB = 't-e2e-crash';
const BRANCHES = ['develop', 'feature/login-error'] as const;
/** A service deploy's steps (a gateway's add `routes`, tried on its own below). */
const STEPS = ['git', 'build', 'create', 'stop', 'start', 'health', 'switch'];
const GATEWAY_IMAGE = 'sdp-test/caddy-crash:t-e2e';

let e: E2E;

beforeAll(async () => {
  e = await E2E.start({ 'crash.yaml': sandboxYaml(SB, { account: BRANCHES[0] }) });
});

afterAll(async () => {
  await e?.stop();
  await docker('rmi', GATEWAY_IMAGE).catch(() => undefined);
});

const healthy = (s: SandboxDetail) => s.sync === 'Synced' && s.health === 'Healthy';

/** Syncs until the sandbox is Synced and Healthy (a sync with nothing to do is fine too). */
async function syncToHealthy(): Promise<SandboxDetail> {
  await e.waitForSandbox(SB, 'drift known (branches resolved)', (s) => s.sync !== 'Unknown', 60_000);
  const { job, plan } = await e.api<{ job: JobView | null; plan: Plan }>('POST', `/api/sandboxes/${SB}/sync`, {});
  if (job) {
    const done = await e.wait(`job ${job.id}`, async () => {
      const j = await e.api<JobView>('GET', `/api/jobs/${job.id}`);
      return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
    }, 120_000);
    expect(done.status, `${done.error}\n${done.logs.map((l) => l.line).join('\n')}`).toBe('succeeded');
  } else {
    expect(plan.noop).toBe(true);
  }
  return e.waitForSandbox(SB, 'Synced and Healthy', healthy, 60_000);
}

async function leftovers(): Promise<{ next: string[]; worktrees: string[]; controlDirs: string[] }> {
  const names = (await docker('ps', '-a', '--format', '{{.Names}}', '--filter', `label=sdp.sandbox=${SB}`)).split('\n').filter(Boolean);
  const worktreeDir = join(e.dataDir, 'agent', 'git', 'worktrees', SB, 'account');
  const controlDir = join(e.dataDir, 'agent', 'gateways');
  return {
    next: names.filter((n) => n.endsWith('.next')),
    worktrees: existsSync(worktreeDir) ? await readdir(worktreeDir) : [],
    controlDirs: existsSync(controlDir) ? await readdir(controlDir) : [],
  };
}

describe('a crash at each step of a deploy', () => {
  let current: string = BRANCHES[0];

  it('starts from a synced sandbox', async () => {
    const s = await syncToHealthy();
    expect((await curl(`${localGateway(s)}/account/`)).json?.branch).toBe(current);
  });

  STEPS.forEach((step, round) => {
    const revert = round % 2 === 1;
    it(`deploy:${step}: killed there, then the next Sync converges${revert ? ' on the reverted spec' : ''} with nothing orphaned`, async () => {
      const target = current === BRANCHES[0] ? BRANCHES[1] : BRANCHES[0];
      await e.restart(undefined, { SDP_FAULT_KILL_AT: `deploy:${step}` });
      const died = Promise.race([e.exited(), new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
      await e.writeSpec('crash.yaml', sandboxYaml(SB, { account: target }));
      await e.waitForSandbox(SB, `commit drift to ${target}`, (s) => s.drift.some((d) => d.resource === 'service/account' && d.field === 'commit'), 60_000);
      await e.api('POST', `/api/sandboxes/${SB}/sync`, {});
      expect(await died).toBe('SIGKILL');

      if (revert) await e.writeSpec('crash.yaml', sandboxYaml(SB, { account: current }));
      else current = target;
      await e.restart();
      const s = await syncToHealthy();
      expect((await curl(`${localGateway(s)}/account/`)).json?.branch).toBe(current);
      expect(await leftovers()).toEqual({ next: [], worktrees: [expect.any(String)], controlDirs: [expect.any(String)] });
      expect(await docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', `sandbox-${SB}-account`)).toBe('unless-stopped');
    });
  });

  it('deploy:routes of the gateway (a new proxy image): killed there, then the next Sync converges with nothing orphaned', async () => {
    await docker('tag', 'caddy:2', GATEWAY_IMAGE);
    await e.restart(undefined, { SDP_FAULT_KILL_AT: 'deploy:routes' });
    const died = Promise.race([e.exited(), new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
    await e.writeSpec('platform.yaml', platformYaml(e.repos).replace('image: caddy:2', `image: ${GATEWAY_IMAGE}`));
    await e.waitForSandbox(SB, 'gateway image drift', (s) => s.drift.some((d) => d.resource === 'gateway' && d.field === 'image'), 60_000);
    await e.api('POST', `/api/sandboxes/${SB}/sync`, {});
    expect(await died).toBe('SIGKILL');

    await e.restart();
    const s = await syncToHealthy();
    expect(await docker('inspect', '-f', '{{.Config.Image}}', `sandbox-${SB}-gateway`)).toBe(GATEWAY_IMAGE);
    expect((await curl(`${localGateway(s)}/account/`)).json?.branch).toBe(current);
    expect(await leftovers()).toEqual({ next: [], worktrees: [expect.any(String)], controlDirs: [expect.any(String)] });
  });
});
