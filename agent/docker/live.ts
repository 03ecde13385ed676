// Docker's view of a container -> LiveContainer (pure). Read from Docker every time, never from memory.
import type Docker from 'dockerode';
import { LABELS, type ContainerKind } from '../../schema/container.ts';
import type { LiveContainer } from '../../schema/protocol.ts';

import { REDACTED } from '../../schema/names.ts';

export { REDACTED };

/**
 * `imageEnv` is the image's own Config.Env: entries the container inherits unchanged from its image
 * (PATH, ...) are left out, so the env compares with the spec's without noise from the base image.
 */
export function liveContainer(info: Docker.ContainerInspectInfo, imageEnv: string[] = []): LiveContainer {
  const labels = info.Config.Labels ?? {};
  const secret = new Set((labels[LABELS.secretKeys] ?? '').split(',').filter(Boolean));
  const inherited = new Set(imageEnv);
  const env: Record<string, string> = {};
  for (const entry of info.Config.Env ?? []) {
    if (inherited.has(entry)) continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    env[key] = secret.has(key) ? REDACTED : eq < 0 ? '' : entry.slice(eq + 1);
  }
  const live: LiveContainer = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    sandbox: labels[LABELS.sandbox] ?? '',
    service: labels[LABELS.service] ?? '',
    kind: (labels[LABELS.kind] === 'gateway' ? 'gateway' : 'service') satisfies ContainerKind,
    image: info.Config.Image,
    state: info.State.Status,
    health: info.State.Health?.Status ?? 'none',
    env,
    ports: publishedPorts(info.HostConfig.PortBindings as Record<string, Array<{ HostPort?: string }> | null> | undefined),
    resources: {},
  };
  const platform = labels[LABELS.platform];
  if (platform) live.platform = platform;
  const set = labels[LABELS.set];
  if (set) live.set = set;
  const commit = labels[LABELS.commit];
  const branch = labels[LABELS.branch];
  const specHash = labels[LABELS.specHash];
  if (commit) live.commit = commit;
  if (branch) live.branch = branch;
  if (specHash) live.specHash = specHash;
  if (info.HostConfig.NanoCpus) live.resources.cpu = info.HostConfig.NanoCpus / 1e9;
  if (info.HostConfig.Memory) live.resources.memoryBytes = info.HostConfig.Memory;
  if (info.State.Running && info.State.StartedAt) live.startedAt = info.State.StartedAt;
  live.networks = networkAttachments(info);
  return live;
}

/** Network name -> aliases there, without the short container id Docker adds by itself. */
export function networkAttachments(info: Docker.ContainerInspectInfo): Record<string, string[]> {
  const shortId = info.Id.slice(0, 12);
  const out: Record<string, string[]> = {};
  for (const [name, endpoint] of Object.entries(info.NetworkSettings.Networks ?? {})) {
    const aliases: string[] = endpoint.Aliases ?? [];
    out[name] = [...new Set(aliases.filter((a) => a !== shortId && a !== info.Id))].sort();
  }
  return out;
}

/** The configured bindings (HostConfig), so a stopped container still shows the port it holds. */
function publishedPorts(bindings: Record<string, Array<{ HostPort?: string }> | null> | undefined): LiveContainer['ports'] {
  const ports: LiveContainer['ports'] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const container = Number.parseInt(key, 10);
    for (const b of list ?? []) {
      const host = Number.parseInt(b.HostPort ?? '', 10);
      if (Number.isInteger(host) && !ports.some((p) => p.container === container && p.host === host)) ports.push({ container, host });
    }
  }
  return ports;
}

/** The container's IP on the given network (the agent reaches it there for health checks and admin APIs). */
export function containerIp(info: Docker.ContainerInspectInfo, network?: string): string | undefined {
  const nets = info.NetworkSettings.Networks ?? {};
  const ip = network ? nets[network]?.IPAddress : Object.values(nets).find((n) => n.IPAddress)?.IPAddress;
  return ip || undefined;
}
