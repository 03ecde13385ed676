// deploy: a service or gateway container, blue/green-ish. The new container is created under a
// temporary name next to the previous one; the previous one is stopped only when it holds the host
// port the new one needs. The new one must pass its health check (gateways get their routes first),
// then the previous one is removed and the new one takes the final name. On failure the new one is
// removed and the previous one restarted, so it keeps answering.
import type Docker from 'dockerode';
import { LABELS, type ContainerSpec } from '../../schema/container.ts';
import type { JobOf } from '../../schema/protocol.ts';
import { prepareRun } from '../build/build.ts';
import { httpHealth, portOpen, type Probe } from '../docker/health.ts';
import { containerIp } from '../docker/live.ts';
import { containerEnv, createOptions, type RunPlan } from '../docker/spec.ts';
import { tarFiles } from '../docker/tar.ts';
import { JobFailure, type JobContext, type JobOutcome } from './context.ts';

/** How many of a failed container's last log lines go into the result. */
const FAILED_LOG_LINES = 50;
const STOP_TIMEOUT_S = 5;

export const nextName = (name: string) => `${name}.next`;

export function deploy(job: JobOf<'deploy'>, ctx: JobContext): Promise<JobOutcome> {
  return ctx.deps.containers.run(job.container.name, () => deployNow(job, ctx));
}

async function deployNow(job: JobOf<'deploy'>, ctx: JobContext): Promise<JobOutcome> {
  const { docker, git, gateways } = ctx.deps;
  const spec = job.container;
  const adapter = job.gateway?.adapter;
  const env = containerEnv(spec, job.secretValues);
  const log = ctx.logger('deploy');

  const old = await docker.inspectOwned(spec.name, spec.sandbox, spec.platform);
  if (old && old.State.Running && old.Config.Labels?.[LABELS.specHash] === spec.specHash) {
    log(`${spec.name} already runs this spec (${spec.specHash.slice(0, 12)}): nothing to deploy`);
    if (job.gateway) await ctx.step('routes', () => gateways.apply(old, job.gateway!.adapter, job.gateway!.routes, ctx.logger('routes')));
    return { containerId: old.Id, image: old.Config.Image };
  }

  const checkout = spec.source
    ? await ctx.step(
        'git',
        () => git.checkout(spec.source!.repo, spec.source!.commit, spec.sandbox, spec.service, job.credentials, ctx.logger('git')),
        spec.source.commit.slice(0, 12),
      )
    : undefined;
  const plan = await ctx.step('build', () =>
    prepareRun({ docker, spec, worktree: checkout?.path, commit: checkout?.commit, log: ctx.logger('build') }),
  );
  if (adapter?.adapter === 'proxy' && !plan.cmd) plan.cmd = await caddyResumeCmd(ctx, plan);

  const temp = nextName(spec.name);
  const created = await ctx.step('create', async () => {
    await docker.ensureNetwork(spec.sandbox, spec.platform, spec.network);
    await removeContainer(ctx, temp, spec.sandbox);
    const c = await docker.docker.createContainer(createOptions(spec, plan, env, temp, adapter));
    if (spec.files.length) await c.putArchive(await tarFiles(spec.files), { path: '/' });
    return c;
  });

  const stoppedOld = Boolean(old?.State.Running && holdsPort(old, spec.hostPort));
  let failure: string | undefined;
  try {
    if (stoppedOld) {
      log(`stopping ${spec.name} to free host port ${spec.hostPort}`);
      await docker.docker.getContainer(old!.Id).stop({ t: STOP_TIMEOUT_S });
    }
    await ctx.step('start', () => created.start());
    const info = await created.inspect();
    if (job.gateway) await ctx.step('routes', () => gateways.apply(info, job.gateway!.adapter, job.gateway!.routes, ctx.logger('routes')));
    const probe = await ctx.step('health', () => checkHealth(ctx, spec, info));
    if (!probe.ok) failure = probe.reason;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (failure !== undefined) {
    const lines = await docker.logs(created.id, FAILED_LOG_LINES).catch(() => []);
    const restored = await ctx
      .step('rollback', async () => {
        await created.remove({ force: true });
        if (stoppedOld) await docker.docker.getContainer(old!.Id).start();
      })
      .then(
        () => undefined,
        (err: Error) => `; rollback failed too: ${err.message}`,
      );
    const rolledBack = old !== undefined && restored === undefined;
    const outcome = restored ?? (rolledBack ? '; the previous container was kept' : '');
    throw new JobFailure(`${spec.name}: ${failure}${outcome}`, { lines, rolledBack });
  }

  await ctx.step('switch', async () => {
    if (old) await docker.docker.getContainer(old.Id).remove({ force: true });
    await created.rename({ name: spec.name });
    // the previous commit's worktree is no longer mounted anywhere
    if (checkout) await git.removeWorktrees(spec.sandbox, spec.service, checkout.commit);
  });
  log(`${spec.name} now runs ${plan.image}${checkout ? ` at ${checkout.commit.slice(0, 12)}` : ''}`);
  return { containerId: created.id, image: plan.image };
}

async function checkHealth(ctx: JobContext, spec: ContainerSpec, info: Docker.ContainerInspectInfo): Promise<Probe> {
  const ip = containerIp(info, spec.network);
  if (!ip) return { ok: false, reason: 'the new container has no IP on its network' };
  const running = async () => (await ctx.deps.docker.inspect(info.Id))?.State.Running === true;
  if (!spec.health) return portOpen(ip, spec.port, running);
  // wait for the app to listen first, within the time its checks would take, so the HTTP attempts
  // are spent on answers rather than on a process still starting
  const { retries, intervalMs, timeoutMs } = spec.health;
  const listening = await portOpen(ip, spec.port, running, (retries + 1) * (intervalMs + timeoutMs));
  if (!listening.ok) return listening;
  return httpHealth(ip, spec.port, spec.health, running, ctx.logger('health'));
}

function holdsPort(info: Docker.ContainerInspectInfo, hostPort: number | undefined): boolean {
  if (!hostPort) return false;
  const bindings = (info.HostConfig.PortBindings ?? {}) as Record<string, Array<{ HostPort?: string }> | null>;
  return Object.values(bindings).some((list) => (list ?? []).some((b) => b.HostPort === String(hostPort)));
}

/**
 * The proxy gateway's routes live in Caddy's memory; `--resume` makes a restarted gateway load the
 * config it autosaved last, so a stop/start or a Docker restart keeps its routes.
 */
async function caddyResumeCmd(ctx: JobContext, plan: RunPlan): Promise<string[] | undefined> {
  const image = await ctx.deps.docker.docker.getImage(plan.image).inspect();
  const cmd = [...(image.Config?.Entrypoint ?? []), ...(image.Config?.Cmd ?? [])];
  const isCaddyRun = cmd.some((c) => c.endsWith('caddy')) && cmd.includes('run');
  return isCaddyRun && !cmd.includes('--resume') ? [...(image.Config?.Cmd ?? []), '--resume'] : undefined;
}

/** Removes a managed container if it exists (the leftover of an interrupted deploy). */
async function removeContainer(ctx: JobContext, name: string, sandbox: string): Promise<boolean> {
  const info = await ctx.deps.docker.inspectManaged(name, sandbox);
  if (!info) return false;
  await ctx.deps.docker.docker.getContainer(info.Id).remove({ force: true });
  return true;
}
