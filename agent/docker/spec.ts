// ContainerSpec -> Docker create options and labels (pure). Everything the live side needs to read the
// container back (sandbox, service, commit, spec hash, secret keys, route adapter) goes into labels.
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type Docker from 'dockerode';
import { LABELS, type ContainerSpec, type ProbeLabel, type RouteAdapter } from '../../schema/container.ts';

/** What the build step produced: the image to run, its command, and the worktree mount. */
export interface RunPlan {
  image: string;
  cmd?: string[];
  /** Replaces the image's entrypoint and command (the proxy gateway: sdp owns what runs). */
  entrypoint?: string[];
  /** uid:gid to run as, when sdp decides it rather than the image. */
  user?: string;
  binds: string[];
}

/** What a container that took its final name runs with: it comes back after a reboot, not after a stop. */
export const RESTART_POLICY = { Name: 'unless-stopped' } as const;

/** Every container sdp runs can reach ports published on its host under this name. */
export const EXTRA_HOSTS = ['host.docker.internal:host-gateway'];

export function containerLabels(spec: ContainerSpec, adapter?: RouteAdapter): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.managed]: 'true',
    [LABELS.sandbox]: spec.sandbox,
    [LABELS.service]: spec.service,
    [LABELS.kind]: spec.kind,
    [LABELS.specHash]: spec.specHash,
    [LABELS.secretKeys]: spec.secretEnv.join(','),
  };
  if (spec.platform) labels[LABELS.platform] = spec.platform;
  if (spec.set) labels[LABELS.set] = spec.set;
  if (spec.source) labels[LABELS.commit] = spec.source.commit;
  if (spec.source?.branch) labels[LABELS.branch] = spec.source.branch;
  if (adapter) labels[LABELS.routeAdapter] = JSON.stringify(adapter);
  const probe: ProbeLabel = { network: spec.network, port: spec.port, ...(spec.health ? { health: spec.health } : {}) };
  labels[LABELS.probe] = JSON.stringify(probe);
  return labels;
}

/** A label that holds JSON (the route adapter, the probe), read back; undefined when absent or not of that schema. */
export function jsonLabel<S extends TSchema>(labels: Record<string, string> | undefined, key: string, schema: S): Static<S> | undefined {
  const raw = labels?.[key];
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Value.Check(schema, parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Spec env plus the secret values for the keys the spec names as secret; a missing value is an error. */
export function containerEnv(spec: ContainerSpec, secretValues: Record<string, string> = {}): string[] {
  const missing = spec.secretEnv.filter((k) => secretValues[k] === undefined);
  if (missing.length) throw new Error(`no value for secret env ${missing.join(', ')} of ${spec.name}`);
  const env: Record<string, string> = { ...spec.env };
  for (const k of spec.secretEnv) env[k] = secretValues[k] as string;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export function createOptions(
  spec: ContainerSpec,
  plan: RunPlan,
  env: string[],
  name: string,
  adapter?: RouteAdapter,
): Docker.ContainerCreateOptions {
  const port = `${spec.port}/tcp`;
  const hostConfig: Docker.HostConfig = {
    NetworkMode: spec.network,
    RestartPolicy: RESTART_POLICY,
    ExtraHosts: EXTRA_HOSTS,
    Binds: plan.binds,
    // commands like `httpd -f` or `sh -c` ignore SIGTERM as PID 1: an init forwards it, so a stop
    // during a deploy is graceful and quick instead of a 5 s wait and a kill
    Init: true,
  };
  if (spec.hostPort) hostConfig.PortBindings = { [port]: [{ HostIp: spec.hostIp ?? '0.0.0.0', HostPort: String(spec.hostPort) }] };
  if (spec.resources.cpu) hostConfig.NanoCpus = Math.round(spec.resources.cpu * 1e9);
  if (spec.resources.memoryBytes) hostConfig.Memory = spec.resources.memoryBytes;
  const opts: Docker.ContainerCreateOptions = {
    name,
    Image: plan.image,
    Env: env,
    Labels: containerLabels(spec, adapter),
    ExposedPorts: { [port]: {} },
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: [spec.alias] } } },
  };
  // With an entrypoint of its own, Docker does not add the image's command to it
  if (plan.entrypoint) opts.Entrypoint = plan.entrypoint;
  else if (plan.cmd) opts.Cmd = plan.cmd;
  if (plan.user) opts.User = plan.user;
  return opts;
}
