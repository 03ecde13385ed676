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
  if (res.status < 200 || res.status > 299) throw refusal(remote, method, url, res.status, data, res.text);
  return data as ApiResponse<K>;
}

function refusal(remote: Remote, method: Method, url: URL, status: number, data: unknown, text: string): ServerError {
  const reason = (data as { error?: string } | undefined)?.error ?? (text.slice(0, 200) || 'no answer');
  const hint = status === 401 ? ` (run sdp login --server ${remote.server}, or set SDP_TOKEN to an API token)` : '';
  return new ServerError(`${method} ${url.pathname}: ${status} ${reason}${hint}`, status);
}

/**
 * Calls a streamed route (schema/routes.ts `stream: application/x-ndjson`): `onItem` gets each line's
 * value as it arrives. Resolves once the answer starts, with `done` (the stream ended) and `close()`
 * (leave early: the server cancels its side).
 */
export async function streamApi<K extends RouteKey>(
  remote: Remote,
  route: K,
  params: RouteParams<K>,
  query: Record<string, string | boolean | undefined>,
  onItem: (item: ApiResponse<K>) => void,
): Promise<{ done: Promise<void>; close(): void }> {
  const { method, path } = routeUrl(route, params, query);
  const url = new URL(path, `${remote.server}/`);
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: headers(remote, false) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown;
          try {
            data = JSON.parse(text);
          } catch {
            data = undefined;
          }
          reject(refusal(remote, method, url, status, data, text));
        });
        return;
      }
      res.setEncoding('utf8');
      let partial = '';
      res.on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line) onItem(JSON.parse(line) as ApiResponse<K>);
      });
      const done = new Promise<void>((ended) => {
        res.on('end', () => ended());
        res.on('close', () => ended());
      });
      resolve({ done, close: () => req.destroy() });
    });
    req.on('error', (err) => reject(new ServerError(`cannot reach the reconciler at ${remote.server}: ${err.message} (is it running? --server or SDP_SERVER picks another)`)));
    req.end();
  });
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
