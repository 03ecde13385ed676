// deploy: a service or gateway container, blue/green-ish. The new container is created under a
// temporary name next to the previous one; the previous one is stopped only when it holds the host
// port the new one needs. While the previous one runs, the new one is on the sandbox network without
// the service's alias (Docker's DNS would hand it traffic). The new one must pass its health check
// (gateways get their routes first), then it takes the alias, the previous one is removed and the
// new one takes the final name. On failure the new one is removed and the previous one restarted, so
// it keeps answering.
// A proxy gateway is created with its routes already in its startup config (proxy.ts), so it
// answers with them from its first request.
import { resolve } from 'node:path';
import type Docker from 'dockerode';
import { LABELS, PROXY_COMMAND, type ContainerSpec, type RouteTable } from '../../schema/container.ts';
import type { JobOf } from '../../schema/protocol.ts';
import { prepareRun } from '../build/build.ts';
import { httpHealth, portOpen, type Probe } from '../docker/health.ts';
import type { DockerHost } from '../docker/host.ts';
import type { ProxyControl } from '../gateway/proxy.ts';
import type { GitWorkspace } from '../git/workspace.ts';
import { containerIp, networkAttachments } from '../docker/live.ts';
import { RESTART_POLICY, containerEnv, createOptions, type RunPlan } from '../docker/spec.ts';
import { tarFiles } from '../docker/tar.ts';
import { JobFailure, type JobContext, type JobOutcome } from './context.ts';

/** How many of a failed container's last log lines go into the result. */
const FAILED_LOG_LINES = 50;
const STOP_TIMEOUT_S = 5;

const NEXT_SUFFIX = '.next';
export const nextName = (name: string) => `${name}${NEXT_SUFFIX}`;

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
    if (await reattach(ctx, old, spec)) log(`${spec.name} reattached to ${spec.network} as ${spec.alias}`);
    else log(`${spec.name} already runs this spec (${spec.specHash.slice(0, 12)}): nothing to deploy`);
    if (job.gateway) await ctx.step('routes', () => gateways.apply(old, job.gateway!.adapter, job.gateway!.routes, ctx.logger('routes')));
    return { containerId: old.Id, image: old.Config.Image };
  }

  // The checkout runs alongside the image check and the create when the build is an image run:
  // the container needs only the worktree's path until it starts. A build from the worktree waits.
  const source = spec.source;
  const checkingOut = source
    ? ctx.step('git', () => git.checkout(source.repo, source.commit, spec.sandbox, spec.service, job.credentials, ctx.logger('git')), source.commit.slice(0, 12))
    : undefined;
  checkingOut?.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const early = spec.build.type === 'image';
  let checkout = early ? undefined : await checkingOut;
  const temp = nextName(spec.name);
  // Docker's DNS answers an alias with every running container that has it: while the previous
  // container keeps running (it holds no host port the new one needs), the new one joins its network
  // without the alias, and takes it at the switch, after its health check passed
  const aliasAtSwitch = Boolean(old?.State.Running && !holdsPort(old, spec.hostPort));
  let proxyDir: string | undefined;
  let built: RunPlan;
  let created: Docker.Container;
  try {
    built = await ctx.step('build', () =>
      prepareRun({
        docker,
        spec,
        worktree: checkout?.path ?? (source ? git.worktreePath(spec.sandbox, spec.service, source.commit) : undefined),
        commit: checkout?.commit,
        log: ctx.logger('build'),
      }),
    );
    created = await ctx.step('create', async () => {
      await docker.ensureNetwork(spec.sandbox, spec.platform, spec.network);
      let plan = built;
      if (adapter?.adapter === 'proxy') ({ plan, dir: proxyDir } = await proxyRun(ctx, spec, built, job.gateway!.routes));
      try {
        // No restart policy while it is temporary: after a crash mid-deploy, a Docker restart must not
        // bring it back onto the host port (the agent removes it at start), and a new container that
        // exits must read as exited to its health check, not as restarting; set at the switch
        const opts = createOptions(spec, plan, env, temp, adapter);
        opts.HostConfig = { ...opts.HostConfig, RestartPolicy: { Name: 'no' } };
        if (aliasAtSwitch) opts.NetworkingConfig = { EndpointsConfig: { [spec.network]: {} } };
        const c = await docker.createContainer(opts, { clearName: () => removeContainer(ctx, temp, spec.sandbox), log: ctx.logger('create') });
        if (spec.files.length) await c.putArchive(await tarFiles(spec.files), { path: '/' });
        return c;
      } catch (err) {
        if (proxyDir) await gateways.proxy.discard(proxyDir);
        throw err;
      }
    });
  } catch (err) {
    await checkingOut?.catch(() => undefined);
    throw err;
  }
  if (early && checkingOut) {
    try {
      checkout = await checkingOut;
    } catch (err) {
      await created.remove({ force: true });
      if (proxyDir) await gateways.proxy.discard(proxyDir);
      throw err;
    }
  }

  const stoppedOld = Boolean(old?.State.Running && holdsPort(old, spec.hostPort));
  let failure: string | undefined;
  try {
    if (stoppedOld) {
      log(`stopping ${spec.name} to free host port ${spec.hostPort}`);
      await ctx.step('stop', () => docker.docker.getContainer(old!.Id).stop({ t: STOP_TIMEOUT_S }));
    }
    // the inspect gives the address on the sandbox network the checks go to
    const info = await ctx.step('start', async () => {
      await created.start();
      return created.inspect();
    });
    const routes = () => ctx.step('routes', () => gateways.apply(info, job.gateway!.adapter, job.gateway!.routes, ctx.logger('routes')));
    const health = () => ctx.step('health', () => checkHealth(ctx, spec, info));
    let probe: Probe;
    if (job.gateway && proxyDir) {
      // A proxy gateway is sdp's Caddy, started with its routes in its startup config: its admin
      // socket answering with them is its health check (Caddy serves the admin of a config only once
      // that config's listeners are bound). Not a connect to its address: a request to its published
      // port before it ran makes docker-proxy dial that address too early, and the host asks ARP for
      // it again only a second later, so a connect can wait up to that long.
      await routes();
      probe = { ok: true };
    } else {
      // any other gateway gets its routes first (its health may be answered through them)
      if (job.gateway) await routes();
      probe = await health();
    }
    if (!probe.ok) failure = probe.reason;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (failure !== undefined) {
    const lines = await docker.logs(created.id, FAILED_LOG_LINES).catch(() => []);
    const restored = await ctx
      .step('rollback', async () => {
        await created.remove({ force: true });
        if (proxyDir) await gateways.proxy.discard(proxyDir);
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
    // the new one answers the alias before the previous one goes: no moment without it
    if (aliasAtSwitch) await joinUnderAlias(docker, created.id, spec);
    if (old) {
      await docker.docker.getContainer(old.Id).remove({ force: true });
      await gateways.proxy.release(old);
    }
    await Promise.all([created.rename({ name: spec.name }), created.update({ RestartPolicy: RESTART_POLICY })]);
    // the previous commit's worktree is no longer mounted anywhere
    if (checkout) await git.removeWorktrees(spec.sandbox, spec.service, checkout.commit);
  });
  log(`${spec.name} now runs ${built.image}${checkout ? ` at ${checkout.commit.slice(0, 12)}` : ''}`);
  return { containerId: created.id, image: built.image };
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
 * The proxy gateway runs sdp's command (the spec's `run`, PROXY_COMMAND) as its entrypoint, as the
 * agent's own user (so the control socket Caddy creates is the agent's), with its control directory
 * mounted: whatever entrypoint, user and Caddyfile the image brings, only its `caddy` is used.
 */
async function proxyRun(ctx: JobContext, spec: ContainerSpec, plan: RunPlan, routes: RouteTable): Promise<{ plan: RunPlan; dir: string }> {
  const control = await ctx.deps.gateways.proxy.prepare(routes, spec.port);
  const user = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
  const { cmd, ...rest } = plan;
  return { dir: control.dir, plan: { ...rest, binds: [...plan.binds, control.bind], entrypoint: cmd ?? [...PROXY_COMMAND], user } };
}

/**
 * At agent start, before any job: what deploys a crash interrupted left behind. Their temporary
 * containers (with their gateway control directories), the worktrees no container mounts (a new
 * commit checked out for a container that never took over), and a renamed one still without its
 * restart policy. The container each deploy was to
 * replace stays as the crash left it (maybe stopped); the reconciler sees that, and the next Sync
 * deploys or starts it again.
 */
export async function recoverInterruptedDeploys(deps: { docker: DockerHost; proxy: ProxyControl; git: GitWorkspace }): Promise<string[]> {
  const all = await deps.docker.managedContainers();
  // another agent on this engine may be deploying right now: its `.next` containers are not leftovers
  // (a container from before agents labelled theirs counts as ours)
  const ours = (c: Docker.ContainerInspectInfo) => [undefined, deps.docker.agentId].includes(c.Config.Labels?.[LABELS.agent]);
  const leftovers = all.filter((c) => c.Name.endsWith(NEXT_SUFFIX) && ours(c));
  for (const info of leftovers) {
    await deps.docker.docker.getContainer(info.Id).remove({ force: true });
    await deps.proxy.release(info);
  }
  const kept = all.filter((c) => !leftovers.includes(c));
  // a crash between the switch's rename and its restart policy update
  for (const info of kept.filter((c) => ours(c) && c.HostConfig.RestartPolicy?.Name === 'no')) {
    await deps.docker.docker.getContainer(info.Id).update({ RestartPolicy: RESTART_POLICY });
  }
  const mounted = new Set(kept.flatMap((c) => (c.Mounts ?? []).filter((m) => m.Type === 'bind').map((m) => resolve(m.Source))));
  const worktrees = await deps.git.removeUnmounted(mounted);
  const orphans = await deps.proxy.sweep(kept);
  return [...leftovers.map((c) => c.Name.replace(/^\//, '')), ...worktrees, ...orphans];
}

/**
 * Puts a running container back on its sandbox network under its alias when it left it (a `docker
 * network disconnect` is network drift): a reconnect in place, no restart. False when it was in place.
 */
async function reattach(ctx: JobContext, info: Docker.ContainerInspectInfo, spec: ContainerSpec): Promise<boolean> {
  const aliases = networkAttachments(info)[spec.network];
  if (aliases?.includes(spec.alias)) return false;
  await ctx.step('network', async () => {
    await ctx.deps.docker.ensureNetwork(spec.sandbox, spec.platform, spec.network);
    await joinUnderAlias(ctx.deps.docker, info.Id, spec, aliases !== undefined);
  });
  return true;
}

/** Connects the container to its sandbox network under its alias (Docker adds an alias only with a connect: off the network first). */
async function joinUnderAlias(docker: DockerHost, id: string, spec: ContainerSpec, attached = true): Promise<void> {
  const network = docker.docker.getNetwork(spec.network);
  if (attached) await network.disconnect({ Container: id, Force: true });
  await network.connect({ Container: id, EndpointConfig: { Aliases: [spec.alias] } });
}

/** Removes a managed container if it exists (the leftover of an interrupted deploy). */
async function removeContainer(ctx: JobContext, name: string, sandbox: string): Promise<boolean> {
  const info = await ctx.deps.docker.inspectManaged(name, sandbox);
  if (!info) return false;
  await ctx.deps.docker.docker.getContainer(info.Id).remove({ force: true });
  await ctx.deps.gateways.proxy.release(info);
  return true;
}
