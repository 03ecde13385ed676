// How the CLI talks to a running reconciler: `--server URL` (default http://127.0.0.1:3452) and the
// bearer token from env SDP_TOKEN. Errors name the server and the reason; the token is never printed.
import { Option, type Command } from 'commander';
import WebSocket from 'ws';
import type { UiMessage } from '../schema/api.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:3452';

export interface ServerOptions {
  server: string;
}

export function serverOption(cmd: Command): Command {
  return cmd.addOption(new Option('--server <url>', 'reconciler URL (token from env SDP_TOKEN)').default(DEFAULT_SERVER));
}

export class ServerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function headers(json: boolean): Record<string, string> {
  const token = process.env['SDP_TOKEN'];
  return { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(json ? { 'Content-Type': 'application/json' } : {}) };
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T>(server: string, method: Method, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, server.endsWith('/') ? server : `${server}/`);
  let res: Response;
  try {
    res = await fetch(url, { method, headers: headers(body !== undefined), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new ServerError(`cannot reach the reconciler at ${server}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
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
    const hint = res.status === 401 ? ' (set SDP_TOKEN to an API token or a session token from POST /api/login)' : '';
    throw new ServerError(`${method} ${url.pathname}: ${res.status} ${reason}${hint}`, res.status);
  }
  return data as T;
}

/** Opens /ws/ui and calls `onMessage` for every UiMessage until `close()` is called. */
export function watchUi(server: string, onMessage: (msg: UiMessage) => void): Promise<{ close(): void }> {
  const url = new URL('/ws/ui', server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: headers(false) });
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
