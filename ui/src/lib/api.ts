// The one place the UI talks HTTP to the reconciler: the routes of schema/routes.ts, typed by the
// shapes of schema/api.ts, the same table the CLI's client and the OpenAPI document come from.
import { TOTAL_COUNT_HEADER, type AuditView, type LogEvent, type MeView, type SandboxSummary, type SecretListing } from '../../../schema/api.ts';
import { routeUrl, type ApiResponse, type RouteKey, type RouteParams } from '../../../schema/routes.ts';

export type { Role, TemplateView, EnvironmentView, LogEvent } from '../../../schema/api.ts';
export type Me = MeView;
/** one event of GET /api/audit, newest first */
export type AuditEntry = AuditView;
export type { AuditPage } from '../../../schema/api.ts';
/** which secret names have a value in the store; never the value */
export type SecretStatus = SecretListing;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** The session cookie is httpOnly; its CSRF twin is readable so the header survives a reload. */
const CSRF_COOKIE = 'sdp_csrf';
let onUnauthorized: () => void = () => {};

/** The layout registers how to leave for the login page; api.ts knows nothing of routing. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

function csrf(): string | null {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<{ data: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = csrf();
  if (method !== 'GET' && token) headers['X-SDP-CSRF'] = token;
  const init: RequestInit = { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) };
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    // a dropped connection (a phone changing networks): a GET is safe to ask again, once, and so is
    // signing in (either answer is a fresh session)
    if (method !== 'GET' && path !== '/api/login') throw err;
    await new Promise((r) => setTimeout(r, 400));
    res = await fetch(path, init);
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (res.status === 401 && path !== '/api/login') {
    onUnauthorized();
  }
  if (!res.ok) {
    const msg =
      data && typeof data === 'object' && 'error' in data ? String((data as { error: unknown }).error) : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg, data);
  }
  return { data: data as T, headers: res.headers };
}

/** A route of schema/routes.ts; the answer is typed by its response type there. */
async function call<K extends RouteKey>(key: K, params: RouteParams<K>, body?: unknown, query?: Record<string, string | number | undefined>): Promise<ApiResponse<K>> {
  return (await callWithHeaders(key, params, body, query)).data;
}

function callWithHeaders<K extends RouteKey>(key: K, params: RouteParams<K>, body?: unknown, query?: Record<string, string | number | undefined>): Promise<{ data: ApiResponse<K>; headers: Headers }> {
  const { method, path } = routeUrl(key, params, query);
  return request<ApiResponse<K>>(method, path, body);
}

/** What the overview asks for: one page of the matches; empty strings mean no filter. */
export interface SandboxFilter {
  q: string;
  sync: string;
  health: string;
  limit: number;
  offset: number;
}

export interface SandboxPage {
  sandboxes: SandboxSummary[];
  /** how many match in all (the X-Total-Count header) */
  total: number;
}

async function sandboxPage(f: SandboxFilter): Promise<SandboxPage> {
  const query = { q: f.q || undefined, sync: f.sync || undefined, health: f.health || undefined, limit: f.limit, offset: f.offset };
  const { data, headers } = await callWithHeaders('GET /api/sandboxes', {}, undefined, query);
  return { sandboxes: data, total: Number(headers.get(TOTAL_COUNT_HEADER) ?? data.length) };
}

export const api = {
  login: (username: string, password: string) => call('POST /api/login', {}, { username, password }),
  logout: () => call('POST /api/logout', {}),
  me: () => call('GET /api/me', {}),
  status: () => call('GET /api/status', {}),
  sandboxes: sandboxPage,
  sandbox: (name: string) => call('GET /api/sandboxes/{name}', { name }),
  sync: (name: string, opts: { prune: boolean; dryRun: boolean }) => call('POST /api/sandboxes/{name}/sync', { name }, opts),
  job: (id: string) => call('GET /api/jobs/{id}', { id }),
  history: (name: string) => call('GET /api/sandboxes/{name}/history', { name }),
  rollback: (name: string, to: { job?: string; snapshot?: string }, reason: string) => call('POST /api/sandboxes/{name}/rollback', { name }, { ...to, ...(reason ? { reason } : {}) }),
  pin: (name: string, reason: string) => call('POST /api/sandboxes/{name}/pin', { name }, reason ? { reason } : {}),
  unpin: (name: string) => call('DELETE /api/sandboxes/{name}/pin', { name }),
  snapshots: async (name: string) => (await call('GET /api/sandboxes/{name}/snapshots', { name })).snapshots,
  snapshot: (name: string, snapshot: string, job: string, reason: string) => call('POST /api/sandboxes/{name}/snapshots', { name }, { name: snapshot, job, ...(reason ? { reason } : {}) }),
  agents: () => call('GET /api/agents', {}),
  audit: (before?: number) => call('GET /api/audit', {}, undefined, { limit: 100, before: before || undefined }),
  revisions: () => call('GET /api/revisions', {}),
  templates: () => call('GET /api/templates', {}),
  environments: () => call('GET /api/environments', {}),
  secrets: async () => (await call('GET /api/secrets', {})).secrets,
};

/**
 * A service's container log (GET .../logs, NDJSON): `onEvent` gets each LogEvent as it arrives; resolves
 * when the stream ends. Aborting `signal` leaves it (the server cancels the agent's side).
 */
export async function streamLogs(
  sandbox: string,
  service: string,
  query: { follow: boolean; tail: number; since?: string },
  onEvent: (e: LogEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const { path } = routeUrl('GET /api/sandboxes/{name}/services/{service}/logs', { name: sandbox, service }, { follow: query.follow, tail: query.tail, since: query.since });
  const res = await fetch(path, { headers: { accept: 'application/x-ndjson' }, credentials: 'same-origin', signal });
  if (!res.ok || !res.body) {
    if (res.status === 401) onUnauthorized();
    const data = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new ApiError(res.status, data?.error ?? `${res.status} ${res.statusText}`, data);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let partial = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const lines = (partial + value).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) onEvent(JSON.parse(line) as LogEvent);
  }
}

/** GET that answers null when the server has no such endpoint (404), for optional pages. */
export async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}
