// Authentication and authorisation for the reconciler. The server calls `createAuth` once at start
// and mounts what it returns, in this order (reconciler/auth/testing.ts mounts it the same way):
//
//   const auth = await createAuth(store, { audit, secrets, adminPassword: process.env.SDP_ADMIN_PASSWORD, ... });
//   if (auth.initialAdmin?.password) print it once
//   app.use('/api/*', bodyCap());
//   app.route('/', auth.routes);                 // /api/login is public, the rest check for themselves
//   app.get('/api/health', ...); app.get('/metrics', ...);   // public: before the blanket check
//   app.use('/api/*', auth.authenticate);        // everything after needs a session or token
//   app.get('/api/sandboxes', auth.requireRole('viewer'), ...); ...
//   server.on('upgrade'): auth.authenticateUpgrade(req) for /ws/ui, auth.verifyAgent(node, token) for /ws/agent
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MiddlewareHandler, Hono } from 'hono';
import pino from 'pino';
import type { Audit } from '../audit/audit.ts';
import type { SecretName, SecretStore } from '../secrets/store.ts';
import type { Store } from '../store/db.ts';
import { ADMIN_USERNAME, createAccounts, type Accounts } from './accounts.ts';
import { isName } from './input.ts';
import { authenticateWith, identify, requireRole, type AuthEnv, type Principal } from './middleware.ts';
import { generatePassword } from './passwords.ts';
import { FailureLimiter, ReportGate } from './rate-limit.ts';
import type { Role } from './roles.ts';
import { authRoutes, type AuthLogger, type PasswordVerifier } from './routes.ts';

export { bodyCap, errorJson, isEnvKey, isName, isUsername, readJson, safeJoin, MAX_BODY_BYTES } from './input.ts';
export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, clientIp, forbidden, hasRole, unauthorized } from './middleware.ts';
export type { AuthEnv, Principal } from './middleware.ts';
export { ROLES, atLeast, isRole, roleForSync } from './roles.ts';
export type { Role } from './roles.ts';
export type { AuthLogger, PasswordVerifier } from './routes.ts';
export { gitLoginVerifier, lsRemoteWithGit, type GitCredentials, type LsRemote } from './git-login.ts';
export { WEBHOOK_SIGNATURE_HEADER, signWebhook, webhookSignatureOk } from './webhook.ts';

export interface AuthOptions {
  audit: Audit;
  secrets: SecretStore;
  /** SDP_ADMIN_PASSWORD: the first admin's password when the store has no user yet; else one is generated */
  adminPassword?: string;
  /** login session lifetime; default 12 hours */
  sessionTtlMs?: number;
  /** set the Secure flag on cookies (when served over https) */
  secureCookies?: boolean;
  /** log in users unknown here by checking their credentials against git; they start as `role` (default viewer) */
  gitLogin?: { verify: PasswordVerifier; role?: Role };
  /** the secrets the current specs reference, so GET /api/secrets lists the unset ones too */
  referencedSecrets?: () => SecretName[];
  logger?: AuthLogger;
  /** failed logins allowed per username + IP in the window (default 5 per minute), and per IP whatever the username (default 20) */
  loginLimit?: { max: number; windowMs: number; perAddress?: number };
  now?: () => Date;
}

export type UpgradeCheck = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; error: string };

export interface Auth {
  /** Set only on the first start: the admin account made now; `password` only when generated (print it once). */
  initialAdmin: { username: string; password?: string } | null;
  /** Sets c.get('principal') or answers 401/403 JSON. Idempotent: a second run on one request passes. */
  authenticate: MiddlewareHandler<AuthEnv>;
  /** After `authenticate`: 403 JSON `{error, required}` below `role`. */
  requireRole(role: Role): MiddlewareHandler<AuthEnv>;
  /** /api/login, /api/logout, /api/me, /api/me/password, /api/users, /api/tokens, /api/secrets, /api/audit */
  routes: Hono<AuthEnv>;
  /** For a WebSocket upgrade (e.g. /ws/ui): cookie or bearer; a cookie from another Origin is refused. */
  authenticateUpgrade(req: { headers: IncomingHttpHeaders | Headers }): UpgradeCheck;
  /** Creates the node's agent token if it has none and returns it (the only time it is seen); null if it exists. */
  ensureAgentToken(node: string): string | null;
  /** Replaces the node's agent token; the old one stops working. Audited with `by` (an admin's API call). */
  rotateAgentToken(node: string, by?: { actor: string; ip?: string }): string;
  /** true when `token` is `node`'s agent token; a refusal is logged and audited (never the token). */
  verifyAgent(node: string, token: string, from?: string): boolean;
  accounts: Accounts;
}

const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export async function createAuth(store: Store, opts: AuthOptions): Promise<Auth> {
  const now = opts.now ?? (() => new Date());
  const accounts = createAccounts(store, now);
  const logger = opts.logger ?? pino({ name: 'sdp-auth' });
  const windowMs = opts.loginLimit?.windowMs ?? 60_000;
  const limiter = new FailureLimiter(opts.loginLimit?.max ?? 5, windowMs, () => now().getTime());
  const addressLimiter = new FailureLimiter(opts.loginLimit?.perAddress ?? 20, windowMs, () => now().getTime());
  const authenticate = authenticateWith(accounts);

  let initialAdmin: Auth['initialAdmin'] = null;
  if (accounts.userCount() === 0) {
    const password = opts.adminPassword || generatePassword();
    await accounts.createUser({ username: ADMIN_USERNAME, role: 'admin', password });
    opts.audit.record({ action: 'user.create', actor: null, target: ADMIN_USERNAME, outcome: 'success', detail: { role: 'admin', initial: true } });
    initialAdmin = opts.adminPassword ? { username: ADMIN_USERNAME } : { username: ADMIN_USERNAME, password };
  }

  const routes = authRoutes({
    accounts,
    audit: opts.audit,
    secrets: opts.secrets,
    limiter,
    addressLimiter,
    loginReports: new ReportGate(5, windowMs, () => now().getTime()),
    authenticate,
    logger,
    sessionTtlMs: opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    secureCookies: opts.secureCookies ?? false,
    ...(opts.gitLogin ? { gitLogin: { verify: opts.gitLogin.verify, role: opts.gitLogin.role ?? 'viewer' } } : {}),
    referencedSecrets: opts.referencedSecrets ?? (() => []),
  });

  // Refusals are reported a few per address per minute (the rest counted in the next report), and
  // name the node only when it is one sdp knows: a caller cannot fill the log or the audit trail,
  // nor choose what it says.
  const refusals = new ReportGate();
  function refuseAgent(node: string, reason: 'invalid node name' | 'unknown-node' | 'bad-token', from?: string): false {
    const gate = refusals.pass(from ?? '');
    if (!gate) return false;
    const known = reason === 'bad-token';
    const detail = { reason, ...(gate.suppressed > 0 ? { suppressed: gate.suppressed } : {}) };
    logger.warn({ ...(known ? { node } : {}), ...detail, from }, 'agent refused');
    opts.audit.record({ action: 'agent.refused', actor: null, ...(known ? { target: node } : {}), outcome: 'failure', ...(from ? { ip: from } : {}), detail });
    return false;
  }

  return {
    initialAdmin,
    authenticate,
    requireRole,
    routes,
    authenticateUpgrade(req) {
      const who = identify(accounts, req.headers);
      if (who.kind === 'none') return { ok: false, status: 401, error: 'authentication required' };
      if (who.kind === 'invalid') return { ok: false, status: 401, error: who.reason };
      if (who.kind === 'cookie') {
        // Browsers send cookies on cross-site WebSocket upgrades too; only the UI's own origin may use them.
        const h = req.headers instanceof Headers ? { origin: req.headers.get('origin'), host: req.headers.get('host') } : { origin: req.headers.origin, host: req.headers.host };
        if (h.origin && hostOf(h.origin) !== h.host) return { ok: false, status: 403, error: 'cross-origin WebSocket refused' };
      }
      return { ok: true, principal: who.principal };
    },
    ensureAgentToken(node) {
      if (!isName(node)) throw new Error(`invalid node name ${JSON.stringify(node)}`);
      const token = accounts.ensureAgentToken(node);
      if (token) opts.audit.record({ action: 'agent.token', actor: null, target: node, outcome: 'success', detail: { created: true } });
      return token;
    },
    rotateAgentToken(node, by) {
      if (!isName(node)) throw new Error(`invalid node name ${JSON.stringify(node)}`);
      const token = accounts.rotateAgentToken(node);
      opts.audit.record({ action: 'agent.token', actor: by?.actor ?? null, target: node, outcome: 'success', ...(by?.ip ? { ip: by.ip } : {}), detail: { rotated: true } });
      return token;
    },
    verifyAgent(node, token, from) {
      if (!isName(node)) return refuseAgent('', 'invalid node name', from);
      const result = accounts.checkAgent(node, token);
      return result === 'ok' ? true : refuseAgent(node, result, from);
    },
    accounts,
  };
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** Answers a refused WebSocket upgrade with a JSON HTTP response and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
