// Who is calling: a session cookie (browser, with a CSRF header on state-changing requests) or an
// `Authorization: Bearer` token (API token `sdp_…`, or a login session `sdps_…` for the CLI; no CSRF
// since a browser never adds that header by itself). Refusals are JSON: 401 unknown, 403 not allowed.
import type { IncomingHttpHeaders } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { parse as parseCookies } from 'hono/utils/cookie';
import type { Accounts } from './accounts.ts';
import { atLeast, type Role } from './roles.ts';
import { matchesHash, TOKEN_PREFIX } from './tokens.ts';

export const SESSION_COOKIE = 'sdp_session';
/** Readable by the UI's script (not httpOnly) so it can echo it in X-SDP-CSRF after a reload. */
export const CSRF_COOKIE = 'sdp_csrf';
export const CSRF_HEADER = 'X-SDP-CSRF';

export interface Principal {
  userId: number;
  username: string;
  /** effective role: for an API token, the lower of the token's and the owner's */
  role: Role;
  source: 'local' | 'git';
  via: 'session' | 'token';
  tokenId?: string;
  sessionIdHash?: string;
}

export type AuthEnv = { Variables: { principal: Principal } };

type Identified =
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'bearer'; principal: Principal }
  | { kind: 'cookie'; principal: Principal; csrfHash: string };

type HeaderBag = Headers | IncomingHttpHeaders;

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Reads the credentials of a request. An Authorization header, when present, is the only one looked at. */
export function identify(accounts: Accounts, headers: HeaderBag): Identified {
  const authz = header(headers, 'authorization');
  if (authz !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (!m?.[1]) return { kind: 'invalid', reason: 'Authorization must be "Bearer <token>"' };
    const token = m[1];
    if (token.startsWith(TOKEN_PREFIX.api)) {
      const t = accounts.tokenFor(token);
      if (!t) return { kind: 'invalid', reason: 'invalid or revoked token' };
      return { kind: 'bearer', principal: { userId: t.user.id, username: t.user.username, role: t.role, source: t.user.source, via: 'token', tokenId: t.tokenId } };
    }
    if (token.startsWith(TOKEN_PREFIX.session)) {
      const s = accounts.sessionFor(token);
      if (!s) return { kind: 'invalid', reason: 'session expired or ended; log in again' };
      return { kind: 'bearer', principal: sessionPrincipal(s.user, s.idHash) };
    }
    return { kind: 'invalid', reason: 'invalid or revoked token' };
  }
  const cookie = header(headers, 'cookie');
  const sessionId = cookie ? parseCookies(cookie, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
  if (!sessionId) return { kind: 'none' };
  const s = accounts.sessionFor(sessionId);
  if (!s) return { kind: 'invalid', reason: 'session expired or ended; log in again' };
  return { kind: 'cookie', principal: sessionPrincipal(s.user, s.idHash), csrfHash: s.csrfHash };
}

function sessionPrincipal(user: { id: number; username: string; role: Role; source: 'local' | 'git' }, idHash: string): Principal {
  return { userId: user.id, username: user.username, role: user.role, source: user.source, via: 'session', sessionIdHash: idHash };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function unauthorized(c: Context, error = 'authentication required'): Response {
  c.header('WWW-Authenticate', 'Bearer realm="sdp"');
  return c.json({ error }, 401);
}

export function forbidden(c: Context, needed: Role): Response {
  return c.json({ error: `requires role ${needed}`, required: needed }, 403);
}

/** Sets `principal` on the context, or answers 401 (no/invalid credentials) or 403 (cookie without CSRF). */
export function authenticateWith(accounts: Accounts): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (c.get('principal')) return next();
    const who = identify(accounts, c.req.raw.headers);
    if (who.kind === 'none') return unauthorized(c);
    if (who.kind === 'invalid') return unauthorized(c, who.reason);
    if (who.kind === 'cookie' && !SAFE_METHODS.has(c.req.method)) {
      const presented = c.req.header(CSRF_HEADER);
      if (!presented || !matchesHash(presented, who.csrfHash)) {
        return c.json({ error: `missing or wrong ${CSRF_HEADER} header (the csrf value given at login)` }, 403);
      }
    }
    c.set('principal', who.principal);
    return next();
  };
}

/** After `authenticate`: 403 unless the caller's role is `role` or above. */
export function requireRole(role: Role): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const p = c.get('principal');
    if (!p) return unauthorized(c);
    if (!atLeast(p.role, role)) return forbidden(c, role);
    return next();
  };
}

export function hasRole(p: Principal | undefined, role: Role): boolean {
  return !!p && atLeast(p.role, role);
}

/** The peer address as the socket sees it (no X-Forwarded-For: sdp is not assumed behind a proxy). */
export function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
