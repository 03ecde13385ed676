// The small jobs: resolve, ensure-network, apply-routes, stop, start, remove.
import { LABELS } from '../../schema/container.ts';
import type { JobOf } from '../../schema/protocol.ts';
import { JobFailure, type JobContext, type JobOutcome } from './context.ts';
import { nextName } from './deploy.ts';

const STOP_TIMEOUT_S = 5;

export async function resolve(job: JobOf<'resolve'>, ctx: JobContext): Promise<JobOutcome> {
  const { commits, missing } = await ctx.step('git', () => ctx.deps.git.resolve(job.repo, job.refs, job.credentials));
  for (const [ref, commit] of Object.entries(commits)) ctx.log('git', `${ref} -> ${commit}`);
  ctx.deps.git.prefetch(job.repo, Object.values(commits), job.credentials);
  if (missing.length) throw new JobFailure(`not found in ${job.repo}: ${missing.join(', ')}`, { commits });
  return { commits };
}

export async function listBranches(job: JobOf<'list-branches'>, ctx: JobContext): Promise<JobOutcome> {
  const branches = await ctx.step('git', () => ctx.deps.git.listBranches(job.repo, job.credentials));
  ctx.log('git', `${branches.length} branch${branches.length === 1 ? '' : 'es'} in ${job.repo}`);
  return { branches };
}

export async function ensureNetwork(job: JobOf<'ensure-network'>, ctx: JobContext): Promise<JobOutcome> {
  const { created } = await ctx.step('network', () => ctx.deps.docker.ensureNetwork(job.sandbox, job.platform, job.network));
  ctx.log('network', `${job.network} ${created ? 'created' : 'already exists'}`);
  return {};
}

export async function applyRoutes(job: JobOf<'apply-routes'>, ctx: JobContext): Promise<JobOutcome> {
  const info = await ctx.deps.docker.inspectManaged(job.container, job.sandbox);
  if (!info) throw new Error(`gateway ${job.container} does not exist`);
  const live = await ctx.deps.containers.run(job.container, () =>
    ctx.step('routes', () => ctx.deps.gateways.apply(info, job.adapter, job.routes, ctx.logger('routes'))),
  );
  for (const [service, target] of Object.entries(live)) ctx.log('routes', `${service} -> ${target}`);
  return {};
}

/** Suspend: stopped containers keep their config, name and port. A missing container is already stopped. */
export async function stop(job: JobOf<'stop'>, ctx: JobContext): Promise<JobOutcome> {
  for (const name of job.containers) {
    await ctx.deps.containers.run(name, () => ctx.step('stop', async () => {
      const info = await ctx.deps.docker.inspectManaged(name, job.sandbox);
      if (!info) return ctx.log('stop', `${name} does not exist`);
      if (!info.State.Running) return ctx.log('stop', `${name} already stopped`);
      await ctx.deps.docker.docker.getContainer(info.Id).stop({ t: STOP_TIMEOUT_S });
      ctx.log('stop', `${name} stopped`);
    }, name));
  }
  return {};
}

export async function start(job: JobOf<'start'>, ctx: JobContext): Promise<JobOutcome> {
  for (const name of job.containers) {
    await ctx.deps.containers.run(name, () => ctx.step('start', async () => {
      const info = await ctx.deps.docker.inspectManaged(name, job.sandbox);
      if (!info) throw new Error(`${name} does not exist: deploy it instead`);
      if (info.State.Running) return ctx.log('start', `${name} already running`);
      await ctx.deps.docker.docker.getContainer(info.Id).start();
      ctx.log('start', `${name} started`);
    }, name));
  }
  return {};
}

/**
 * Removes containers (and their worktrees); with `all`, every container of the sandbox, its network
 * and worktrees. Only objects of the job's platform: another sdp installation's sandbox of the same
 * name on this engine is not touched.
 */
export async function remove(job: JobOf<'remove'>, ctx: JobContext): Promise<JobOutcome> {
  const { docker, git } = ctx.deps;
  const names = new Set(job.containers.flatMap((n) => [n, nextName(n)]));
  if (job.all) for (const info of await docker.sandboxContainers(job.sandbox, job.platform)) names.add(info.Name.replace(/^\//, ''));
  for (const name of names) {
    await ctx.deps.containers.run(name.replace(/\.next$/, ''), () => ctx.step('remove', async () => {
      const info = await docker.inspectOwned(name, job.sandbox, job.platform);
      if (!info) return;
      await docker.docker.getContainer(info.Id).remove({ force: true });
      await ctx.deps.gateways.proxy.release(info);
      ctx.log('remove', `${name} removed`);
      const service = info.Config.Labels?.[LABELS.service];
      if (service && !job.all) await git.removeWorktrees(job.sandbox, service);
    }, name));
  }
  if (job.all) {
    await ctx.step('network', async () => {
      for (const net of (await docker.networks()).filter((n) => n.sandbox === job.sandbox && n.platform === job.platform)) {
        if (await docker.removeNetwork(net.name, job.platform)) ctx.log('remove', `${net.name} removed`);
      }
    });
    await ctx.step('git', () => git.removeWorktrees(job.sandbox));
  }
  return {};
}
