// The auth-owned part of the HTTP API: login/logout/me, users (admin), tokens (own, or any for an
// admin), secrets (lead; names and set/unset only — values go in, never out) and the audit trail
// (lead). Each route states its own authentication, so the sub-app can be mounted before the
// server's blanket `authenticate` (login must stay public).
import { Type as T } from '@sinclair/typebox';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Audit } from '../audit/audit.ts';
import type { SecretName, SecretStore } from '../secrets/store.ts';
import { AccountError, type Accounts, type User } from './accounts.ts';
import { ENV_KEY_PATTERN, errorJson, isEnvKey, isName, isUsername, NAME_PATTERN, readJson, USERNAME_PATTERN } from './input.ts';
import { clientIp, CSRF_COOKIE, hasRole, requireRole, SESSION_COOKIE, type AuthEnv, type Principal } from './middleware.ts';
import type { FailureLimiter, ReportGate } from './rate-limit.ts';
import { ROLES, type Role } from './roles.ts';

/** `(username, password) => Promise<boolean>`: e.g. a git ls-remote with those credentials. */
export type PasswordVerifier = (username: string, password: string) => Promise<boolean>;

export interface AuthLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface RouteDeps {
  accounts: Accounts;
  audit: Audit;
  secrets: SecretStore;
  /** failed logins per username + address */
  limiter: FailureLimiter;
  /** failed logins per address, whatever the username (trying many usernames from one place) */
  addressLimiter: FailureLimiter;
  /** audit rows for refused (rate-limited) logins, per address */
  loginReports: ReportGate;
  authenticate: MiddlewareHandler<AuthEnv>;
  logger: AuthLogger;
  sessionTtlMs: number;
  secureCookies: boolean;
  gitLogin?: { verify: PasswordVerifier; role: Role };
  referencedSecrets: () => SecretName[];
}

const RoleSchema = T.Union(ROLES.map((r) => T.Literal(r)));
const Password = T.String({ minLength: 8, maxLength: 1024 });
const LoginBody = T.Object(
  { username: T.String({ pattern: USERNAME_PATTERN }), password: T.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const CreateUserBody = T.Object(
  { username: T.String({ pattern: USERNAME_PATTERN }), role: RoleSchema, password: Password },
  { additionalProperties: false },
);
const UpdateUserBody = T.Object(
  { role: T.Optional(RoleSchema), password: T.Optional(Password) },
  { additionalProperties: false, minProperties: 1 },
);
const ChangePasswordBody = T.Object({ current: T.String({ maxLength: 1024 }), password: Password }, { additionalProperties: false });
const CreateTokenBody = T.Object(
  { name: T.String({ pattern: NAME_PATTERN }), role: T.Optional(RoleSchema), user: T.Optional(T.String({ pattern: USERNAME_PATTERN })) },
  { additionalProperties: false },
);
const SetSecretBody = T.Object({ value: T.String({ maxLength: 32 * 1024 }) }, { additionalProperties: false });

const TOKEN_ID = /^tok_[0-9a-f]{12}$/;

/** Turns an AccountError into its JSON refusal; anything else propagates to the server's handler. */
async function guard(c: Context, fn: () => Promise<Response> | Response): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AccountError) return errorJson(c, err.status, err.message);
    throw err;
  }
}

export function authRoutes(d: RouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { accounts, audit } = d;
  const admin = [d.authenticate, requireRole('admin')] as const;
  const lead = [d.authenticate, requireRole('lead')] as const;
  const me = (c: Context<AuthEnv>): Principal => c.get('principal');

  async function verifyLogin(username: string, password: string, ip: string): Promise<{ user: User; method: 'password' | 'git' } | null> {
    const known = accounts.getUser(username);
    // Local accounts never fall back to git, so a git login cannot take over a local name like admin.
    if (known?.source !== 'git' && (known || !d.gitLogin)) {
      const user = await accounts.checkPassword(username, password);
      return user && { user, method: 'password' };
    }
    if (!d.gitLogin) return null;
    let ok = false;
    try {
      ok = await d.gitLogin.verify(username, password);
    } catch (err) {
      // The verifier's message may quote a URL or command; log only that it failed.
      d.logger.warn({ username, ip, error: err instanceof Error ? err.name : 'error' }, 'git login verifier failed');
    }
    if (!ok) return null;
    const user = known ?? (await accounts.createUser({ username, role: d.gitLogin.role, source: 'git' }));
    if (!known) audit.record({ action: 'user.create', actor: username, target: username, outcome: 'success', ip, detail: { role: user.role, source: 'git' } });
    return { user, method: 'git' };
  }

  app.post('/api/login', async (c) => {
    const parsed = await readJson(c, LoginBody);
    if (!parsed.ok) return parsed.response;
    const { username, password } = parsed.body;
    const ip = clientIp(c);
    const key = `${username.toLowerCase()}\0${ip}`;
    const byUser = d.limiter.check(key);
    const byAddress = d.addressLimiter.check(ip);
    const gate = !byUser.allowed ? byUser : byAddress;
    if (!gate.allowed) {
      // refused before any password check; audited a few times per address per window, not per request
      const report = d.loginReports.pass(ip);
      const why = byUser.allowed ? 'rate-limited (address)' : 'rate-limited';
      if (report) audit.record({ action: 'login', actor: username, outcome: 'failure', ip, detail: { reason: why, ...(report.suppressed ? { suppressed: report.suppressed } : {}) } });
      c.header('Retry-After', String(gate.retryAfter));
      return c.json({ error: `too many failed logins; retry in ${gate.retryAfter}s`, retryAfter: gate.retryAfter }, 429);
    }
    const ok = await verifyLogin(username, password, ip);
    if (!ok) {
      d.limiter.fail(key);
      d.addressLimiter.fail(ip);
      audit.record({ action: 'login', actor: username, outcome: 'failure', ip, detail: { reason: 'wrong username or password' } });
      return errorJson(c, 401, 'wrong username or password');
    }
    d.limiter.succeed(key);
    const grant = accounts.createSession(ok.user.id, d.sessionTtlMs);
    const cookie = { path: '/', sameSite: 'Strict', secure: d.secureCookies, maxAge: Math.floor(d.sessionTtlMs / 1000) } as const;
    setCookie(c, SESSION_COOKIE, grant.token, { ...cookie, httpOnly: true });
    setCookie(c, CSRF_COOKIE, grant.csrf, { ...cookie, httpOnly: false });
    audit.record({ action: 'login', actor: ok.user.username, outcome: 'success', ip, detail: { method: ok.method } });
    return c.json({ token: grant.token, csrf: grant.csrf, expiresAt: grant.expiresAt, user: { username: ok.user.username, role: ok.user.role } });
  });

  app.post('/api/logout', d.authenticate, (c) => {
    const p = me(c);
    if (p.sessionIdHash) accounts.endSession(p.sessionIdHash);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    deleteCookie(c, CSRF_COOKIE, { path: '/' });
    audit.record({ action: 'logout', actor: p.username, outcome: 'success', ip: clientIp(c) });
    return c.json({ ok: true });
  });

  app.get('/api/me', d.authenticate, (c) => {
    const p = me(c);
    return c.json({ username: p.username, role: p.role, source: p.source, via: p.via });
  });

  app.put('/api/me/password', d.authenticate, (c) =>
    guard(c, async () => {
      const parsed = await readJson(c, ChangePasswordBody);
      if (!parsed.ok) return parsed.response;
      const p = me(c);
      if (p.source === 'git') return errorJson(c, 400, `${p.username} logs in with git; change the password there`);
      if (!(await accounts.checkPassword(p.username, parsed.body.current))) return errorJson(c, 403, 'current password is wrong');
      await accounts.updateUser(p.username, { password: parsed.body.password });
      audit.record({ action: 'user.update', actor: p.username, target: p.username, outcome: 'success', ip: clientIp(c), detail: { password: 'changed' } });
      return c.json({ ok: true });
    }),
  );

  // ---- users (admin)
  app.get('/api/users', ...admin, (c) => c.json({ users: accounts.listUsers() }));

  app.post('/api/users', ...admin, (c) =>
    guard(c, async () => {
      const parsed = await readJson(c, CreateUserBody);
      if (!parsed.ok) return parsed.response;
      const { username, role, password } = parsed.body;
      const user = await accounts.createUser({ username, role, password });
      audit.record({ action: 'user.create', actor: me(c).username, target: username, outcome: 'success', ip: clientIp(c), detail: { role } });
      return c.json({ user: { username: user.username, role: user.role, source: user.source } }, 201);
    }),
  );

  app.patch('/api/users/:username', ...admin, (c) =>
    guard(c, async () => {
      const username = c.req.param('username');
      if (!isUsername(username)) return errorJson(c, 400, 'invalid username');
      const parsed = await readJson(c, UpdateUserBody);
      if (!parsed.ok) return parsed.response;
      const user = await accounts.updateUser(username, parsed.body);
      const detail: Record<string, string> = {};
      if (parsed.body.role) detail['role'] = parsed.body.role;
      if (parsed.body.password) detail['password'] = 'changed';
      audit.record({ action: 'user.update', actor: me(c).username, target: username, outcome: 'success', ip: clientIp(c), detail });
      return c.json({ user: { username: user.username, role: user.role, source: user.source } });
    }),
  );

  app.delete('/api/users/:username', ...admin, (c) =>
    guard(c, () => {
      const username = c.req.param('username');
      if (!isUsername(username)) return errorJson(c, 400, 'invalid username');
      accounts.deleteUser(username);
      audit.record({ action: 'user.delete', actor: me(c).username, target: username, outcome: 'success', ip: clientIp(c) });
      return c.body(null, 204);
    }),
  );

  // ---- API tokens (own; an admin sees and manages everyone's)
  app.get('/api/tokens', d.authenticate, (c) => {
    const p = me(c);
    return c.json({ tokens: accounts.listApiTokens(hasRole(p, 'admin') ? undefined : p.userId) });
  });

  app.post('/api/tokens', d.authenticate, (c) =>
    guard(c, async () => {
      const parsed = await readJson(c, CreateTokenBody);
      if (!parsed.ok) return parsed.response;
      const p = me(c);
      const ownerName = parsed.body.user ?? p.username;
      if (ownerName !== p.username && !hasRole(p, 'admin')) return errorJson(c, 403, 'requires role admin to create a token for another user', { required: 'admin' });
      const owner = accounts.getUser(ownerName);
      if (!owner) return errorJson(c, 404, `no user ${ownerName}`);
      // A token made with a weaker token may not exceed that token's role.
      const cap = ownerName === p.username ? { ...owner, role: p.role } : owner;
      const { token, view } = accounts.createApiToken(cap, parsed.body.name, parsed.body.role);
      audit.record({ action: 'token.create', actor: p.username, target: view.id, outcome: 'success', ip: clientIp(c), detail: { name: view.name, user: view.user, role: view.role } });
      return c.json({ token, ...view }, 201);
    }),
  );

  app.delete('/api/tokens/:id', d.authenticate, (c) =>
    guard(c, () => {
      const id = c.req.param('id');
      if (!TOKEN_ID.test(id)) return errorJson(c, 400, 'invalid token id');
      const p = me(c);
      const view = accounts.revokeApiToken(id, hasRole(p, 'admin') ? undefined : p.userId);
      audit.record({ action: 'token.revoke', actor: p.username, target: id, outcome: 'success', ip: clientIp(c), detail: { name: view.name, user: view.user } });
      return c.json({ token: view });
    }),
  );

  // ---- secrets (lead): values go in, names and set/unset come out
  app.get('/api/secrets', ...lead, (c) => c.json({ secrets: d.secrets.list(d.referencedSecrets()) }));

  const secretName = (c: Context): { environment: string; key: string } | Response => {
    const environment = c.req.param('env') ?? '';
    const key = c.req.param('key') ?? '';
    if (!isName(environment)) return errorJson(c, 400, `environment must match ${NAME_PATTERN}`);
    if (!isEnvKey(key)) return errorJson(c, 400, `key must match ${ENV_KEY_PATTERN}`);
    return { environment, key };
  };

  app.put('/api/secrets/:env/:key', ...lead, async (c) => {
    const name = secretName(c);
    if (name instanceof Response) return name;
    const parsed = await readJson(c, SetSecretBody);
    if (!parsed.ok) return parsed.response;
    const p = me(c);
    d.secrets.set(name.environment, name.key, parsed.body.value, p.username);
    audit.record({ action: 'secret.set', actor: p.username, target: `${name.environment}/${name.key}`, outcome: 'success', ip: clientIp(c) });
    return c.json({ environment: name.environment, key: name.key, set: true });
  });

  app.delete('/api/secrets/:env/:key', ...lead, (c) => {
    const name = secretName(c);
    if (name instanceof Response) return name;
    if (!d.secrets.delete(name.environment, name.key)) return errorJson(c, 404, `secret ${name.environment}/${name.key} is not set`);
    audit.record({ action: 'secret.delete', actor: me(c).username, target: `${name.environment}/${name.key}`, outcome: 'success', ip: clientIp(c) });
    return c.body(null, 204);
  });

  // ---- audit trail (lead)
  app.get('/api/audit', ...lead, (c) => {
    const q = c.req.query();
    const int = (v: string | undefined): number | undefined | null => (v === undefined ? undefined : /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : null);
    const before = int(q['before']);
    const limit = int(q['limit']);
    if (before === null || limit === null) return errorJson(c, 400, 'before and limit must be positive integers');
    if (q['action'] !== undefined && !/^[a-z.]{1,32}$/.test(q['action'])) return errorJson(c, 400, 'invalid action');
    if (q['actor'] !== undefined && !isUsername(q['actor'])) return errorJson(c, 400, 'invalid actor');
    return c.json(audit.list({ before, limit, action: q['action'], actor: q['actor'] }));
  });

  return app;
}
