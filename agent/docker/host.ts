// The Docker engine as the agent uses it. Only objects labelled sdp.managed=true are ever touched.
import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { LABELS } from '../../schema/container.ts';
import type { LiveContainer, LiveNetwork } from '../../schema/protocol.ts';
import { KeyedLock } from '../lock.ts';
import { liveContainer } from './live.ts';
import { demuxLogs } from './logs.ts';

const MANAGED = `${LABELS.managed}=true`;

export class DockerHost {
  readonly docker: Docker;
  /** image id -> its Config.Env; images are immutable, so this cache never goes stale */
  private readonly imageEnv = new Map<string, string[]>();
  private readonly networkLocks = new KeyedLock();
  /** network name + sandbox + platform -> the ensureNetwork in flight */
  private readonly ensuring = new Map<string, Promise<{ created: boolean }>>();

  /** `agentId`: put on every container this host creates (LABELS.agent) */
  constructor(socketPath?: string, readonly agentId?: string) {
    this.docker = new Docker(socketPath ? { socketPath } : {});
  }

  async inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Inspect a container sdp manages (of `sandbox`, when given); undefined when it does not exist. */
  async inspectManaged(name: string, sandbox?: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const info = await this.inspect(name);
    if (!info) return undefined;
    const labels = info.Config.Labels ?? {};
    if (labels[LABELS.managed] !== 'true') throw new Error(`container ${name} is not managed by sdp`);
    if (sandbox && labels[LABELS.sandbox] !== sandbox) throw new Error(`container ${name} does not belong to sandbox ${sandbox}`);
    return info;
  }

  /**
   * inspectManaged, and the container must belong to `platform` too (undefined: carry no platform
   * label). For the jobs that carry the platform (deploy, remove): one sdp installation never
   * replaces or removes another's container that happens to share its name.
   */
  async inspectOwned(name: string, sandbox: string, platform: string | undefined): Promise<Docker.ContainerInspectInfo | undefined> {
    const info = await this.inspectManaged(name, sandbox);
    if (info && !ofPlatform(info.Config.Labels, platform)) {
      throw new Error(`container ${name} belongs to ${platformText(info.Config.Labels?.[LABELS.platform])}, not ${platformText(platform)}`);
    }
    return info;
  }

  /**
   * Creates a container, sorting out the two things that can stand in its way, without a look-up
   * first (both are rare): its name taken (409: `clearName` frees it, an interrupted deploy's
   * leftover) and its image missing (404: pulled). Then the create is tried again.
   */
  async createContainer(opts: Docker.ContainerCreateOptions, o: { clearName: () => Promise<unknown>; log: (line: string) => void }): Promise<Docker.Container> {
    if (this.agentId) opts = { ...opts, Labels: { ...opts.Labels, [LABELS.agent]: this.agentId } };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.docker.createContainer(opts);
      } catch (err) {
        if (attempt > 2) throw err;
        const status = statusOf(err);
        if (status === 409) await o.clearName();
        else if (status === 404 && opts.Image && !(await this.hasImage(opts.Image))) await this.ensureImage(opts.Image, o.log);
        else throw err;
      }
    }
  }

  async live(info: Docker.ContainerInspectInfo): Promise<LiveContainer> {
    return liveContainer(info, await this.envOfImage(info.Image));
  }

  async managedContainers(): Promise<Docker.ContainerInspectInfo[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [MANAGED] } });
    const infos = await Promise.all(list.map((c) => this.inspect(c.Id)));
    return infos.filter((i): i is Docker.ContainerInspectInfo => i !== undefined);
  }

  /** The containers of one sandbox of one platform (undefined: those without a platform label). */
  async sandboxContainers(sandbox: string, platform: string | undefined): Promise<Docker.ContainerInspectInfo[]> {
    return (await this.managedContainers()).filter((i) => i.Config.Labels?.[LABELS.sandbox] === sandbox && ofPlatform(i.Config.Labels, platform));
  }

  /** Every managed network, of every platform: the reconciler keeps its own. */
  async networks(): Promise<LiveNetwork[]> {
    const list = await this.docker.listNetworks({ filters: { label: [MANAGED] } });
    return list.map((n) => {
      const platform = n.Labels?.[LABELS.platform];
      return { id: n.Id, name: n.Name, sandbox: n.Labels?.[LABELS.sandbox] ?? '', ...(platform ? { platform } : {}) };
    });
  }

  /**
   * Creates the sandbox network unless it exists; refuses one that sdp did not create. Serialised per
   * name: Docker accepts two networks with one name, so concurrent jobs must not both create it.
   */
  ensureNetwork(sandbox: string, platform: string | undefined, name: string): Promise<{ created: boolean }> {
    // the deploys of one sandbox all ensure its network at once: they share the check in flight
    // rather than queue one check each behind it
    const key = JSON.stringify([name, sandbox, platform ?? null]);
    const shared = this.ensuring.get(key);
    if (shared) return shared.then(() => ({ created: false }));
    const p = this.ensureNetworkNow(sandbox, platform, name).finally(() => {
      if (this.ensuring.get(key) === p) this.ensuring.delete(key);
    });
    this.ensuring.set(key, p);
    return p;
  }

  private ensureNetworkNow(sandbox: string, platform: string | undefined, name: string): Promise<{ created: boolean }> {
    return this.networkLocks.run(name, async () => {
      const existing = await this.network(name);
      if (existing) {
        if (existing.Labels?.[LABELS.managed] !== 'true') throw new Error(`network ${name} exists and is not managed by sdp`);
        if (!ofPlatform(existing.Labels, platform)) {
          throw new Error(`network ${name} belongs to ${platformText(existing.Labels?.[LABELS.platform])}, not ${platformText(platform)}`);
        }
        return { created: false };
      }
      const labels = { [LABELS.managed]: 'true', [LABELS.sandbox]: sandbox, ...(platform ? { [LABELS.platform]: platform } : {}) };
      await this.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels });
      return { created: true };
    });
  }

  /** Removes every managed network of this name and platform (duplicates left by older agents included). */
  async removeNetwork(name: string, platform: string | undefined): Promise<boolean> {
    const found = (await this.networksNamed(name)).filter((n) => ofPlatform(n.Labels, platform));
    if (found.some((n) => n.Labels?.[LABELS.managed] !== 'true')) throw new Error(`network ${name} is not managed by sdp`);
    for (const n of found) await this.docker.getNetwork(n.Id).remove();
    return found.length > 0;
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async ensureImage(image: string, log: (line: string) => void): Promise<void> {
    if (await this.hasImage(image)) return;
    log(`pulling ${image}`);
    const stream = (await this.docker.pull(image)) as Readable;
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(new Error(`pull ${image} failed: ${err.message}`)) : resolve())),
    );
  }

  /** The last `tail` lines of a container's stdout+stderr. */
  async logs(name: string, tail: number): Promise<string[]> {
    const buf = (await this.docker.getContainer(name).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
  }

  /** Runs a command in a running container; resolves with its exit code and output lines. */
  async exec(name: string, cmd: string[]): Promise<{ code: number; lines: string[] }> {
    const exec = await this.docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return { code: info.ExitCode ?? 0, lines: demuxLogs(Buffer.concat(chunks)) };
  }

  private async network(name: string): Promise<Docker.NetworkInspectInfo | undefined> {
    return (await this.networksNamed(name))[0];
  }

  /** Exact name match (Docker's name filter matches substrings, and names need not be unique). */
  private async networksNamed(name: string): Promise<Docker.NetworkInspectInfo[]> {
    const list = await this.docker.listNetworks({ filters: { name: [name] } });
    return list.filter((n) => n.Name === name);
  }

  private async envOfImage(imageId: string): Promise<string[]> {
    let env = this.imageEnv.get(imageId);
    if (!env) {
      env = await this.docker
        .getImage(imageId)
        .inspect()
        .then((i) => i.Config?.Env ?? [])
        .catch(() => []);
      this.imageEnv.set(imageId, env);
    }
    return env;
  }
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}

/** Labels carry `platform` (undefined: carry no platform label, as objects made before it existed). */
function ofPlatform(labels: Record<string, string> | undefined, platform: string | undefined): boolean {
  return labels?.[LABELS.platform] === platform;
}

function platformText(platform: string | undefined): string {
  return platform ? `platform ${platform}` : 'no platform';
}
