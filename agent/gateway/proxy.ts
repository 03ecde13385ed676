// The built-in proxy gateway's control channel. Each proxy gateway container gets its own control
// directory on the agent's host, <work dir>/gateways/<id> (mode 0700), bind-mounted into that
// container alone at PROXY_CONTROL_DIR. It holds:
//   caddy.json  the config Caddy starts from, rewritten before every route change, so a restarted
//               gateway (docker restart, host reboot) comes back with the routes last applied;
//   admin.sock  Caddy's admin API, a unix socket: only the agent's host user reaches it. Nothing of
//               the admin API is on the sandbox network, the host's ports or another host.
// Routes are applied with one POST /load (atomic in Caddy) and read back from the running Caddy,
// so a route changed by hand through the socket is drift.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import { PROXY_ADMIN_SOCKET, PROXY_CONFIG_FILE, PROXY_CONTROL_DIR, type RouteTable } from '../../schema/container.ts';
import { adminRequest, waitAdmin } from './admin.ts';
import { caddyConfig, canonicalTarget, routesFromCaddyConfig } from './caddy.ts';

const READ_TIMEOUT_MS = 2000;
const LOAD_TIMEOUT_MS = 10_000;
/** sun_path is 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

export class ProxyControl {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * A fresh control directory for a gateway about to be created, holding the config it starts with:
   * the gateway answers with its routes from its first request, no admin call needed.
   */
  async prepare(routes: RouteTable, port: number): Promise<{ dir: string; bind: string }> {
    const dir = join(this.root, randomBytes(6).toString('hex'));
    const socket = join(dir, PROXY_ADMIN_SOCKET);
    if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
      throw new Error(`the gateway control socket ${socket} is longer than ${MAX_SOCKET_PATH} bytes, the limit of a unix socket path: give the agent a shorter --work-dir`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeConfig(dir, caddyConfig(routes, port));
    return { dir, bind: `${dir}:${PROXY_CONTROL_DIR}` };
  }

  /** The control directory a gateway container has mounted; undefined when it has none of ours. */
  dirOf(info: Docker.ContainerInspectInfo): string | undefined {
    const mount = (info.Mounts ?? []).find((m) => m.Type === 'bind' && m.Destination === PROXY_CONTROL_DIR);
    if (!mount) return undefined;
    const dir = resolve(mount.Source);
    return dir.startsWith(this.root + sep) ? dir : undefined;
  }

  /** Applies the routes (config file first, then one atomic /load) and reads them back. */
  async apply(info: Docker.ContainerInspectInfo, routes: RouteTable, log: (line: string) => void): Promise<RouteTable> {
    const dir = this.need(info);
    const socket = join(dir, PROXY_ADMIN_SOCKET);
    const config = caddyConfig(routes, proxyPort(info));
    const [running] = await Promise.all([waitAdmin(socket), writeConfig(dir, config)]);
    const live = routesFromCaddyConfig(running);
    if (sameRoutes(live, routes)) {
      log(`caddy: ${Object.keys(routes).length} routes already loaded`);
      return live;
    }
    const res = await adminRequest(socket, 'POST', '/load', config, LOAD_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`caddy rejected the routes: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    log(`caddy: ${Object.keys(routes).length} routes loaded`);
    // Caddy restarts its admin server after /load: the read-back waits until it answers again
    return routesFromCaddyConfig(await waitAdmin(socket));
  }

  /** The routes as the running Caddy has them. */
  read(info: Docker.ContainerInspectInfo): Promise<RouteTable> {
    return this.readSocket(join(this.need(info), PROXY_ADMIN_SOCKET));
  }

  /** Removes a gateway's control directory once its container is gone. */
  async release(info: Docker.ContainerInspectInfo): Promise<void> {
    const dir = this.dirOf(info);
    if (dir) await this.discard(dir);
  }

  /** Removes a directory `prepare` made, whose container was never created or is gone. */
  async discard(dir: string): Promise<void> {
    if (resolve(dir).startsWith(this.root + sep)) await rm(dir, { recursive: true, force: true });
  }

  /** Removes the control directories no container mounts (left by a crash between prepare and create). */
  async sweep(containers: Docker.ContainerInspectInfo[]): Promise<string[]> {
    const used = new Set(containers.map((c) => this.dirOf(c)).filter((d): d is string => d !== undefined));
    const entries = await readdir(this.root).catch(() => [] as string[]);
    const orphans = entries.map((e) => join(this.root, e)).filter((d) => !used.has(d));
    await Promise.all(orphans.map((d) => rm(d, { recursive: true, force: true })));
    return orphans;
  }

  private need(info: Docker.ContainerInspectInfo): string {
    const dir = this.dirOf(info);
    if (!dir) {
      throw new Error(`gateway ${info.Name.replace(/^\//, '')} has no sdp control directory (it was made by an earlier sdp, whose admin API was open to the sandbox network): Sync redeploys it`);
    }
    return dir;
  }

  private async readSocket(socket: string): Promise<RouteTable> {
    const res = await adminRequest(socket, 'GET', '/config/', undefined, READ_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`caddy admin API answered HTTP ${res.status}`);
    return routesFromCaddyConfig(JSON.parse(res.text));
  }
}

/** Written whole under another name, then renamed: Caddy never starts from half a file. */
async function writeConfig(dir: string, config: unknown): Promise<void> {
  const tmp = join(dir, `.${PROXY_CONFIG_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(config), { mode: 0o600 });
  await rename(tmp, join(dir, PROXY_CONFIG_FILE));
}

function sameRoutes(live: RouteTable, desired: RouteTable): boolean {
  const keys = Object.keys(desired);
  if (Object.keys(live).length !== keys.length) return false;
  return keys.every((k) => live[k] !== undefined && live[k] === canonicalTarget(desired[k] as string));
}

/**
 * The container port the proxy listens on: the one sdp published (the image's own EXPOSE list, such
 * as the official image's 80 443 2019, says nothing about it).
 */
function proxyPort(info: Docker.ContainerInspectInfo): number {
  const published = Object.keys(info.HostConfig.PortBindings ?? {})[0];
  if (!published) throw new Error(`gateway ${info.Name.replace(/^\//, '')} publishes no port`);
  return Number.parseInt(published, 10);
}
