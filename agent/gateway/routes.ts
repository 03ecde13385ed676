// Applies a gateway's route table and reads it back from the gateway itself, per route adapter:
// proxy (Caddy admin API on its control socket, proxy.ts), file (a file in the gateway's worktree +
// reload command), env (container env).
import { readFile, writeFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import { LABELS, RouteAdapter, type RouteTable } from '../../schema/container.ts';
import type { LiveRoutes } from '../../schema/protocol.ts';
import type { DockerHost } from '../docker/host.ts';
import { jsonLabel } from '../docker/spec.ts';
import { keyMatcher, parseRoutesFile, renderRoutesFile, routeKey } from './file-format.ts';
import type { ProxyControl } from './proxy.ts';

const DEFAULT_ENV_KEY = '{SERVICE}_URL';

export class Gateways {
  constructor(
    private readonly docker: DockerHost,
    /** bind mounts from under here are worktrees; the file adapter's file lives in one */
    private readonly worktreesRoot: string,
    readonly proxy: ProxyControl,
  ) {}

  /** The adapter recorded on the container at deploy. */
  adapterOf(info: Docker.ContainerInspectInfo): RouteAdapter | undefined {
    return jsonLabel(info.Config.Labels, LABELS.routeAdapter, RouteAdapter);
  }

  /** Applies the routes and returns them as read back from the gateway. */
  async apply(info: Docker.ContainerInspectInfo, adapter: RouteAdapter, routes: RouteTable, log: (line: string) => void): Promise<RouteTable> {
    switch (adapter.adapter) {
      case 'proxy':
        return this.proxy.apply(info, routes, log);
      case 'file': {
        const path = this.routesFile(info, adapter.file);
        const existing = await readFile(path, 'utf8').catch(() => undefined);
        await writeFile(path, renderRoutesFile(existing, adapter.format, adapter.key, routes));
        log(`wrote ${Object.keys(routes).length} routes to ${adapter.file} (${adapter.format})`);
        if (adapter.reload?.length) {
          const name = info.Name.replace(/^\//, '');
          const res = await this.docker.exec(name, adapter.reload);
          for (const line of res.lines) log(line);
          if (res.code !== 0) throw new Error(`reload command ${adapter.reload.join(' ')} exited with ${res.code}`);
        }
        break;
      }
      case 'env': {
        // routes are part of the container's env, set when it was created: a change needs a redeploy
        const live = envRoutes(info, adapter.key ?? DEFAULT_ENV_KEY);
        const wrong = Object.keys(routes).filter((s) => live[s] !== routes[s]);
        if (wrong.length) throw new Error(`env adapter: ${wrong.map((s) => routeKey(adapter.key ?? DEFAULT_ENV_KEY, s)).join(', ')} differ from the desired routes; redeploy the gateway to change them`);
        log('env adapter: container env already carries these routes');
        break;
      }
    }
    return this.readWith(info, adapter);
  }

  async read(info: Docker.ContainerInspectInfo): Promise<LiveRoutes> {
    const base = { sandbox: info.Config.Labels?.[LABELS.sandbox] ?? '', container: info.Name.replace(/^\//, '') };
    const adapter = this.adapterOf(info);
    if (!adapter) return { ...base, routes: {}, error: 'gateway has no route adapter label' };
    if (!info.State.Running && adapter.adapter !== 'env') return { ...base, routes: {}, error: `gateway is ${info.State.Status}` };
    try {
      return { ...base, routes: await this.readWith(info, adapter) };
    } catch (err) {
      return { ...base, routes: {}, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async readWith(info: Docker.ContainerInspectInfo, adapter: RouteAdapter): Promise<RouteTable> {
    switch (adapter.adapter) {
      case 'proxy':
        return this.proxy.read(info);
      case 'file': {
        const text = await readFile(this.routesFile(info, adapter.file), 'utf8').catch(() => {
          throw new Error(`routes file ${adapter.file} is missing`);
        });
        return parseRoutesFile(text, adapter.format, adapter.key);
      }
      case 'env':
        return envRoutes(info, adapter.key ?? DEFAULT_ENV_KEY);
    }
  }

  /** The routes file inside the worktree the gateway has mounted; never outside it. */
  private routesFile(info: Docker.ContainerInspectInfo, file: string): string {
    const root = resolve(this.worktreesRoot) + sep;
    const mount = (info.Mounts ?? []).find((m) => m.Type === 'bind' && resolve(m.Source).startsWith(root));
    if (!mount) throw new Error('file adapter: the gateway has no worktree mounted');
    const path = resolve(mount.Source, file);
    if (!path.startsWith(resolve(mount.Source) + sep)) throw new Error(`file adapter: ${file} is outside the worktree`);
    return path;
  }
}

function envRoutes(info: Docker.ContainerInspectInfo, template: string): RouteTable {
  const match = keyMatcher(template);
  const routes: RouteTable = {};
  for (const entry of info.Config.Env ?? []) {
    const eq = entry.indexOf('=');
    const service = eq > 0 ? match(entry.slice(0, eq)) : undefined;
    if (service) routes[service] = entry.slice(eq + 1);
  }
  return routes;
}
