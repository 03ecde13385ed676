// A crash at any step of a deploy leaves nothing that blocks the next Sync. `sdp up` (reconciler and
// local agent in one process) runs with SDP_FAULT_KILL_AT=deploy:<step> and kills itself with
// SIGKILL when a deploy of account reaches that step (agent/fault.ts); then sdp starts again and the
// next Sync must converge: Synced and Healthy, the expected branch answering behind the gateway, no
// temporary `.next` container, one worktree, one gateway control directory. Every other round the
// spec is reverted while sdp is down (the old container may be stopped by then, its port taken by the
// half-made new one: the case that used to wedge a sandbox with `port is already allocated`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, Plan, SandboxDetail } from '../../schema/api.ts';
import { curl, docker, E2E, localGateway, platformYaml, sandboxYaml } from './harness.ts';

const SB = 't-e2e-crash';
const BRANCHES = ['develop', 'feature/login-error'] as const;
/**
 * A service deploy's steps. A service of a sandbox on one node has no host port, so its new container
 * starts next to the old one; the gateway holds the sandbox's port, so its deploy stops the old one
 * first, and has a routes step (a proxy gateway's health check: its admin answering with them) in
 * place of a health step: those are tried with a new proxy image below.
 */
const STEPS = ['git', 'build', 'create', 'start', 'health', 'switch'];
const GATEWAY_STEPS = ['stop', 'start', 'routes', 'switch'];
const GATEWAY_IMAGES = ['caddy:2', 'sdp-test/caddy-crash:t-e2e'] as const;

let e: E2E;

beforeAll(async () => {
  e = await E2E.start({ 'crash.yaml': sandboxYaml(SB, { account: BRANCHES[0] }) });
});

afterAll(async () => {
  await e?.stop();
  await docker('rmi', GATEWAY_IMAGES[1]).catch(() => undefined);
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

/** Starts sdp so that it kills itself at `point`, makes a change, syncs, and waits for the crash. */
async function crashAt(point: string, change: () => Promise<void>, drifted: (s: SandboxDetail) => boolean): Promise<void> {
  await e.restart(undefined, { SDP_FAULT_KILL_AT: point });
  let timer: NodeJS.Timeout | undefined;
  const died = Promise.race([e.exited(), new Promise<string>((r) => (timer = setTimeout(() => r('still running after 60 s'), 60_000)))]);
  await change();
  await e.waitForSandbox(SB, 'the drift of the change', drifted, 60_000);
  await e.api('POST', `/api/sandboxes/${SB}/sync`, {});
  expect(await died).toBe('SIGKILL');
  clearTimeout(timer);
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
      await crashAt(
        `deploy:${step}`,
        () => e.writeSpec('crash.yaml', sandboxYaml(SB, { account: target })),
        (s) => s.drift.some((d) => d.resource === 'service/account' && d.field === 'commit'),
      );

      if (revert) await e.writeSpec('crash.yaml', sandboxYaml(SB, { account: current }));
      else current = target;
      await e.restart();
      const s = await syncToHealthy();
      expect((await curl(`${localGateway(s)}/account/`)).json?.branch).toBe(current);
      expect(await leftovers()).toEqual({ next: [], worktrees: [expect.any(String)], controlDirs: [expect.any(String)] });
      expect(await docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', `sandbox-${SB}-account`)).toBe('unless-stopped');
    });
  });

  let image: string = GATEWAY_IMAGES[0];
  GATEWAY_STEPS.forEach((step, round) => {
    const revert = round % 2 === 1;
    it(`gateway deploy:${step} (a new proxy image): killed there, then the next Sync converges${revert ? ' on the reverted spec' : ''} with nothing orphaned`, async () => {
      execFileSync('docker', ['tag', GATEWAY_IMAGES[0], GATEWAY_IMAGES[1]]);
      const target = image === GATEWAY_IMAGES[0] ? GATEWAY_IMAGES[1] : GATEWAY_IMAGES[0];
      const platformWith = (img: string) => platformYaml(e.repos).replace('image: caddy:2', `image: ${img}`);
      await crashAt(
        `deploy:${step}`,
        () => e.writeSpec('platform.yaml', platformWith(target)),
        (s) => s.drift.some((d) => d.resource === 'gateway' && d.field === 'image'),
      );

      if (revert) await e.writeSpec('platform.yaml', platformWith(image));
      else image = target;
      await e.restart();
      const s = await syncToHealthy();
      expect(await docker('inspect', '-f', '{{.Config.Image}}', `sandbox-${SB}-gateway`)).toBe(image);
      expect((await curl(`${localGateway(s)}/account/`)).json?.branch).toBe(current);
      expect(await leftovers()).toEqual({ next: [], worktrees: [expect.any(String)], controlDirs: [expect.any(String)] });
    });
  });
});
