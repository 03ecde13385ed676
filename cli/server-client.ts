// How the CLI talks to a running reconciler (cli/context.ts says which one, with which token).
// Errors name the server and the reason, and what to do next; the token is never printed.
import type { UiMessage } from '../schema/api.ts';
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

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T>(remote: Remote, method: Method, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, `${remote.server}/`);
  let res: Response;
  try {
    res = await fetch(url, { method, headers: headers(remote, body !== undefined), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new ServerError(`cannot reach the reconciler at ${remote.server}: ${cause} (is it running? --server or SDP_SERVER picks another)`);
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const reason = (data as { error?: string } | undefined)?.error ?? (text.slice(0, 200) || res.statusText);
    const hint = res.status === 401 ? ` (run sdp login --server ${remote.server}, or set SDP_TOKEN to an API token)` : '';
    throw new ServerError(`${method} ${url.pathname}: ${res.status} ${reason}${hint}`, res.status);
  }
  return data as T;
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
