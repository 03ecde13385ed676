// The one place the UI talks HTTP to the reconciler. Every shape comes from schema/api.ts, the
// definitions the server and the CLI use too.
import type {
  AgentView,
  AuditView,
  EnvironmentView,
  TemplateView,
  JobView,
  LoginResponse,
  MeView,
  RevisionView,
  SandboxDetail,
  SandboxSummary,
  SecretListing,
  StatusView,
  SyncResponse,
} from '../../../schema/api.ts';

export type { Role, TemplateView, EnvironmentView } from '../../../schema/api.ts';
export type Me = MeView;
/** one event of GET /api/audit, newest first */
export type AuditEntry = AuditView;
export interface AuditPage {
  events: AuditEntry[];
  /** pass as `before` for the next (older) page; null on the last */
  next: number | null;
}
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

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = csrf();
  if (method !== 'GET' && token) headers['X-SDP-CSRF'] = token;
  const init: RequestInit = { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) };
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    // a dropped connection (a phone changing networks): a GET is safe to ask again, once
    if (method !== 'GET') throw err;
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
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) => request<LoginResponse>('POST', '/api/login', { username, password }),
  logout: () => request<{ ok: boolean }>('POST', '/api/logout'),
  me: () => request<Me>('GET', '/api/me'),
  status: () => request<StatusView>('GET', '/api/status'),
  sandboxes: () => request<SandboxSummary[]>('GET', '/api/sandboxes'),
  sandbox: (name: string) => request<SandboxDetail>('GET', `/api/sandboxes/${enc(name)}`),
  sync: (name: string, opts: { prune: boolean; dryRun: boolean }) =>
    request<SyncResponse>('POST', `/api/sandboxes/${enc(name)}/sync`, opts),
  job: (id: string) => request<JobView>('GET', `/api/jobs/${enc(id)}`),
  agents: () => request<AgentView[]>('GET', '/api/agents'),
  audit: (before?: number) => request<AuditPage>('GET', `/api/audit?limit=100${before ? `&before=${before}` : ''}`),
  revisions: () => request<RevisionView[]>('GET', '/api/revisions'),
  templates: () => request<TemplateView[]>('GET', '/api/templates'),
  environments: () => request<EnvironmentView[]>('GET', '/api/environments'),
  secrets: async () => (await request<{ secrets: SecretStatus[] }>('GET', '/api/secrets')).secrets,
};

/** GET that answers null when the server has no such endpoint (404), for optional pages. */
export async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}
