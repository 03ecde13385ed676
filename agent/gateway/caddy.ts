// The built-in proxy gateway is a Caddy container configured through its admin API. This module is the
// pure part: route table -> full Caddy JSON config, and a config read back -> route table.
// Structure: one http server `sdp` on :<port>, one route per service with @id `sdp-route-<service>`
// matching /<service> and /<service>/*, prefix stripped before proxying, then a catch-all 404.
// The admin API listens only on a unix socket in the control directory (see proxy.ts): the proxy
// port is the one port the gateway has on any network.
import { PROXY_ADMIN_SOCKET, PROXY_CONTROL_DIR, type RouteTable } from '../../schema/container.ts';

export const SERVER_NAME = 'sdp';
export const ROUTE_ID_PREFIX = 'sdp-route-';
const URI_PLACEHOLDER = '{http.request.uri}';

interface Upstream {
  dial: string;
  tls: boolean;
  /** path of the target URL, prepended after the service prefix is stripped ('' for none) */
  path: string;
  host: string;
}

export function parseTarget(target: string): Upstream {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new Error(`route target is not a URL: ${target}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`route target must be http(s): ${target}`);
  const tls = u.protocol === 'https:';
  const port = u.port || (tls ? '443' : '80');
  return { dial: `${u.hostname}:${port}`, tls, path: u.pathname.replace(/\/+$/, ''), host: u.host };
}

/** The canonical form of a target, as it reads back from the gateway. */
export function canonicalTarget(target: string): string {
  const u = parseTarget(target);
  return formatTarget(u.dial, u.tls, u.path);
}

function formatTarget(dial: string, tls: boolean, path: string): string {
  const defaultPort = tls ? ':443' : ':80';
  const hostPort = dial.endsWith(defaultPort) ? dial.slice(0, -defaultPort.length) : dial;
  return `${tls ? 'https' : 'http'}://${hostPort}${path}`;
}

export function caddyConfig(routes: RouteTable, port: number): Record<string, unknown> {
  const services = Object.keys(routes).sort();
  return {
    // /load replaces the whole config, admin included: every config keeps the admin on the socket.
    // No autosave: the config file in the control directory is what a restarted gateway loads.
    admin: { listen: `unix/${PROXY_CONTROL_DIR}/${PROXY_ADMIN_SOCKET}`, config: { persist: false } },
    apps: {
      http: {
        servers: {
          [SERVER_NAME]: {
            listen: [`:${port}`],
            automatic_https: { disable: true },
            routes: [
              ...services.map((s) => serviceRoute(s, routes[s] as string)),
              { handle: [{ handler: 'static_response', status_code: 404, body: 'sdp gateway: no route for this path\n' }] },
            ],
          },
        },
      },
    },
  };
}

function serviceRoute(service: string, target: string): Record<string, unknown> {
  const up = parseTarget(target);
  const handle: Record<string, unknown>[] = [{ handler: 'rewrite', strip_path_prefix: `/${service}` }];
  if (up.path) handle.push({ handler: 'rewrite', uri: `${up.path}${URI_PLACEHOLDER}` });
  const proxy: Record<string, unknown> = {
    handler: 'reverse_proxy',
    upstreams: [{ dial: up.dial }],
    headers: { request: { set: { Host: [up.host] } } },
  };
  if (up.tls) proxy.transport = { protocol: 'http', tls: {} };
  handle.push(proxy);
  return {
    '@id': `${ROUTE_ID_PREFIX}${service}`,
    match: [{ path: [`/${service}`, `/${service}/*`] }],
    handle: [{ handler: 'subroute', routes: [{ handle }] }],
    terminal: true,
  };
}

/** Reads the route table back from a config as GET /config/ returns it. */
export function routesFromCaddyConfig(config: unknown): RouteTable {
  const routes: RouteTable = {};
  const server = (config as { apps?: { http?: { servers?: Record<string, { routes?: unknown[] }> } } } | null)?.apps?.http
    ?.servers?.[SERVER_NAME];
  for (const raw of server?.routes ?? []) {
    const route = raw as { '@id'?: string; handle?: Array<{ handler?: string; routes?: Array<{ handle?: unknown[] }> }> };
    const id = route['@id'];
    if (!id?.startsWith(ROUTE_ID_PREFIX)) continue;
    const inner = (route.handle ?? []).flatMap((h) => (h.handler === 'subroute' ? (h.routes ?? []).flatMap((r) => r.handle ?? []) : [h]));
    let path = '';
    let target: string | undefined;
    for (const h of inner as Array<Record<string, unknown>>) {
      if (h.handler === 'rewrite' && typeof h.uri === 'string') path = h.uri.replace(URI_PLACEHOLDER, '');
      if (h.handler === 'reverse_proxy') {
        const dial = (h.upstreams as Array<{ dial?: string }> | undefined)?.[0]?.dial;
        const tls = Boolean((h.transport as { tls?: unknown } | undefined)?.tls);
        if (dial) target = formatTarget(dial, tls, path);
      }
    }
    if (target) routes[id.slice(ROUTE_ID_PREFIX.length)] = target;
  }
  return routes;
}
