// How the CLI talks to a running reconciler (cli/context.ts says which one, with which token).
// Errors name the server and the reason, and what to do next; the token is never printed.
import type { UiMessage } from '../schema/api.ts';
import { routeUrl, type ApiResponse, type Method, type RouteKey, type RouteParams } from '../schema/routes.ts';
import type { Remote } from './context.ts';

export class ServerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function headers(remote: Remote, json: boolean): Record<string, string> {
  return { ...(remote.token ? { Authorization: `Bearer ${remote.token}` } : {}), ...(json ? { 'Content-Type': 'application/json' } : {}) };
}

/** One HTTP exchange with node:http(s): fetch would load undici, a good part of a short command's time. */
async function send(url: URL, method: Method, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Calls a route of schema/routes.ts; the answer is typed by its response type there. */
export async function api<K extends RouteKey>(
  remote: Remote,
  route: K,
  params: RouteParams<K>,
  body?: unknown,
  query?: Record<string, string | boolean | undefined>,
): Promise<ApiResponse<K>> {
  const { method, path } = routeUrl(route, params, query);
  const url = new URL(path, `${remote.server}/`);
  let res: { status: number; text: string };
  try {
    res = await send(url, method, headers(remote, body !== undefined), body !== undefined ? JSON.stringify(body) : undefined);
  } catch (err) {
    throw new ServerError(`cannot reach the reconciler at ${remote.server}: ${(err as Error).message} (is it running? --server or SDP_SERVER picks another)`);
  }
  let data: unknown;
  try {
    data = res.text ? JSON.parse(res.text) : undefined;
  } catch {
    data = undefined;
  }
  if (res.status < 200 || res.status > 299) {
    const reason = (data as { error?: string } | undefined)?.error ?? (res.text.slice(0, 200) || 'no answer');
    const hint = res.status === 401 ? ` (run sdp login --server ${remote.server}, or set SDP_TOKEN to an API token)` : '';
    throw new ServerError(`${method} ${url.pathname}: ${res.status} ${reason}${hint}`, res.status);
  }
  return data as ApiResponse<K>;
}

/** Opens /ws/ui and calls `onMessage` for every UiMessage until `close()` is called. */
export async function watchUi(remote: Remote, onMessage: (msg: UiMessage) => void): Promise<{ close(): void }> {
  const { default: WebSocket } = await import('ws');
  const url = new URL('/ws/ui', remote.server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: headers(remote, false) });
    ws.once('open', () => resolve({ close: () => ws.close() }));
    ws.once('error', (err) => reject(new ServerError(`cannot watch ${url.href}: ${err.message}`)));
    ws.on('message', (raw) => {
      try {
        onMessage(JSON.parse(raw.toString()) as UiMessage);
      } catch {
        // not a UiMessage: ignore
      }
    });
  });
}
