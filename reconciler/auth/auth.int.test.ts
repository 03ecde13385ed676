// Auth over real HTTP and a real SQLite file: cookies and CSRF, login throttling, agent tokens,
// secrets through the API (values never come back, never on disk in plain), body checks, first start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanForSecret } from '../../test/support/leaks.ts';
import { openStore } from '../store/db.ts';
import { createAudit } from '../audit/audit.ts';
import { createSecretStore } from '../secrets/store.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuth } from './index.ts';
import { sha256 } from './tokens.ts';
import { startHarness, type Harness } from './testing.ts';

let h: Harness;
let admin: string;

async function call(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; cookie?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.cookie) headers['cookie'] = opts.cookie;
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] ??= 'application/json';
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(h.url + path, { method, headers, body });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, text, json: isJson ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}
const login = (username: string, password: string) => call('POST', '/api/login', { body: { username, password } });

beforeAll(async () => {
  h = await startHarness(24100);
  const r = await login('admin', 'admin-password-1');
  admin = String(r.json['token']);
  for (const [username, role] of [['lead1', 'lead'], ['qa1', 'qa']] as const) {
    expect((await call('POST', '/api/users', { token: admin, body: { username, role, password: `${username}-password` } })).status).toBe(201);
  }
});
afterAll(async () => {
  await h?.close();
});

describe('session cookie and CSRF', () => {
  it('sets httpOnly SameSite=Strict session cookie and a readable csrf cookie', async () => {
    const r = await login('qa1', 'qa1-password');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token: expect.stringMatching(/^sdps_/), csrf: expect.stringMatching(/^sdpc_/), user: { username: 'qa1', role: 'qa' } });
    const cookies = r.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('sdp_session='));
    const csrf = cookies.find((c) => c.startsWith('sdp_csrf='));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Path=\//);
    expect(session).toMatch(/Max-Age=43200/);
    expect(csrf).not.toMatch(/HttpOnly/);
    expect(csrf).toMatch(/SameSite=Strict/);
    // the session id is stored hashed only
    const rows = h.store.sqlite.prepare('SELECT id_hash, csrf_hash FROM sessions').all() as { id_hash: string; csrf_hash: string }[];
    expect(JSON.stringify(rows)).not.toContain(String(r.json['token']));
    expect(JSON.stringify(rows)).not.toContain(String(r.json['csrf']));
  });

  it('refuses a state-changing cookie request without the X-SDP-CSRF header; reads pass; bearer is exempt', async () => {
    const r = await login('qa1', 'qa1-password');
    const cookie = `sdp_session=${String(r.json['token'])}`;
    const csrf = String(r.json['csrf']);
    expect((await call('GET', '/api/me', { cookie })).json).toMatchObject({ username: 'qa1', via: 'session' });
    const none = await call('POST', '/api/tokens', { cookie, body: { name: 'from-browser' } });
    expect(none.status).toBe(403);
    expect(none.json['error']).toMatch(/X-SDP-CSRF/);
    const wrong = await call('POST', '/api/tokens', { cookie, body: { name: 'from-browser' }, headers: { 'x-sdp-csrf': 'sdpc_wrong' } });
    expect(wrong.status).toBe(403);
    // another session's csrf value does not fit this session
    const other = await login('qa1', 'qa1-password');
    expect((await call('POST', '/api/tokens', { cookie, body: { name: 'from-browser' }, headers: { 'x-sdp-csrf': String(other.json['csrf']) } })).status).toBe(403);
    const good = await call('POST', '/api/tokens', { cookie, body: { name: 'from-browser' }, headers: { 'x-sdp-csrf': csrf } });
    expect(good.status).toBe(201);
    // the same session as a bearer token (the CLI) needs no CSRF header
    expect((await call('POST', '/api/tokens', { token: String(r.json['token']), body: { name: 'from-cli' } })).status).toBe(201);
    // logout ends the session for cookie and bearer alike
    expect((await call('POST', '/api/logout', { cookie, headers: { 'x-sdp-csrf': csrf } })).status).toBe(200);
    expect((await call('GET', '/api/me', { cookie })).status).toBe(401);
    expect((await call('GET', '/api/me', { token: String(r.json['token']) })).status).toBe(401);
  });

  it('refuses a cookie WebSocket upgrade from another origin', async () => {
    const session = String((await login('qa1', 'qa1-password')).json['token']);
    const headers = (origin: string) => ({ cookie: `sdp_session=${session}`, host: '127.0.0.1:3452', origin });
    expect(h.auth.authenticateUpgrade({ headers: headers('http://127.0.0.1:3452') })).toMatchObject({ ok: true });
    expect(h.auth.authenticateUpgrade({ headers: headers('https://evil.example') })).toMatchObject({ ok: false, status: 403 });
  });

  it('an expired session is refused', async () => {
    const r = await login('qa1', 'qa1-password');
    h.store.sqlite.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id_hash = ?").run(sha256(String(r.json['token'])));
    expect((await call('GET', '/api/me', { token: String(r.json['token']) })).status).toBe(401);
  });
});

describe('login', () => {
  it('allows 5 failures per username and IP a minute, then answers 429 with Retry-After, even for the right password', async () => {
    expect((await call('POST', '/api/users', { token: admin, body: { username: 'target', role: 'viewer', password: 'target-password' } })).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await login('target', `guess-${i}`)).status).toBe(401);
    const limited = await login('target', 'target-password');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(55);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // another username from the same IP is not affected
    expect((await login('lead1', 'lead1-password')).status).toBe(200);
  });

  it('audits success and failure without the password', async () => {
    await login('lead1', 'Wrong-Pa55word-xyz');
    const lead = String((await login('lead1', 'lead1-password')).json['token']);
    const page = await call('GET', '/api/audit?action=login&actor=lead1&limit=2', { token: lead });
    expect(page.status).toBe(200);
    const events = page.json['events'] as { outcome: string; ip: string }[];
    expect(events.map((e) => e.outcome)).toEqual(['success', 'failure']);
    expect(events[0]?.ip).toBe('127.0.0.1');
    expect(scanForSecret([h.dataDir], 'Wrong-Pa55word-xyz')).toEqual([]);
    expect(scanForSecret([h.dataDir], 'lead1-password')).toEqual([]);
  });

  it('answers 401 alike for an unknown user and a wrong password', async () => {
    const a = await login('nobody-here', 'whatever-1');
    const b = await login('qa1', 'whatever-1');
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.json).toEqual(b.json);
  });
});

describe('request bodies', () => {
  it('validates with ajv, naming the field; 415 for non-JSON; 413 over 64 KiB', async () => {
    const extra = await call('POST', '/api/users', { token: admin, body: { username: 'x1', role: 'viewer', password: 'longenough', admin: true } });
    expect(extra.status).toBe(400);
    expect(extra.json['error']).toMatch(/additional properties \(admin\)/);
    const badRole = await call('POST', '/api/users', { token: admin, body: { username: 'x1', role: 'root', password: 'longenough' } });
    expect(badRole.status).toBe(400);
    expect(badRole.json['field']).toBe('/role');
    expect((await call('POST', '/api/users', { token: admin, body: { username: '../x', role: 'viewer', password: 'longenough' } })).json['field']).toBe('/username');
    expect((await call('POST', '/api/users', { token: admin, raw: '{"username":' })).status).toBe(400);
    expect((await call('POST', '/api/users', { token: admin, raw: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    const big = await call('POST', '/api/users', { token: admin, raw: JSON.stringify({ username: 'x'.repeat(70 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.json['error']).toMatch(/65536 bytes/);
  });

  it('caps a chunked body (no Content-Length) too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ < 8) ctrl.enqueue(chunk);
        else ctrl.close();
      },
    });
    const res = await fetch(`${h.url}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(res.status).toBe(413);
  });

  it('checks names in paths', async () => {
    expect((await call('PUT', '/api/secrets/Bad_Env/KEY', { token: admin, body: { value: 'v' } })).status).toBe(400);
    expect((await call('PUT', '/api/secrets/dev/BAD-KEY', { token: admin, body: { value: 'v' } })).status).toBe(400);
    expect((await call('PUT', '/api/secrets/..%2F..%2Fetc/KEY', { token: admin, body: { value: 'v' } })).status).toBe(400);
    expect((await call('DELETE', '/api/tokens/not-a-token-id', { token: admin })).status).toBe(400);
  });
});

describe('users and tokens', () => {
  it('keeps the last admin', async () => {
    // admin is the only admin in this harness
    const r = await call('PATCH', '/api/users/admin', { token: admin, body: { role: 'lead' } });
    expect(r.status).toBe(409);
    expect((await call('DELETE', '/api/users/admin', { token: admin })).status).toBe(409);
  });

  it('a token cannot exceed its maker, an API token role caps its owner, a role change applies at once', async () => {
    const qa = String((await login('qa1', 'qa1-password')).json['token']);
    expect((await call('POST', '/api/tokens', { token: qa, body: { name: 'escalate', role: 'admin' } })).status).toBe(403);
    expect((await call('POST', '/api/tokens', { token: qa, body: { name: 'other-user', user: 'lead1' } })).status).toBe(403);
    const leadTok = await call('POST', '/api/tokens', { token: admin, body: { name: 'ci', user: 'lead1', role: 'qa' } });
    expect(leadTok.status).toBe(201);
    expect(leadTok.json).toMatchObject({ user: 'lead1', role: 'qa', name: 'ci' });
    const ci = String(leadTok.json['token']);
    expect((await call('GET', '/api/me', { token: ci })).json['role']).toBe('qa');
    expect((await call('GET', '/api/secrets', { token: ci })).status).toBe(403);
    // the token made with the qa token is at most qa
    expect((await call('POST', '/api/tokens', { token: ci, body: { name: 'ci-child', role: 'lead' } })).status).toBe(403);
    // demoting the owner lowers the token too
    expect((await call('PATCH', '/api/users/lead1', { token: admin, body: { role: 'viewer' } })).status).toBe(200);
    expect((await call('GET', '/api/me', { token: ci })).json['role']).toBe('viewer');
    expect((await call('PATCH', '/api/users/lead1', { token: admin, body: { role: 'lead' } })).status).toBe(200);
    // tokens are stored as sha256, listed without the token, with last use
    const list = await call('GET', '/api/tokens', { token: admin });
    expect(list.text).not.toContain(ci);
    expect((list.json['tokens'] as { name: string; lastUsedAt: string | null }[]).find((t) => t.name === 'ci')?.lastUsedAt).toEqual(expect.any(String));
    expect(scanForSecret([h.dataDir], ci)).toEqual([]);
    // a user sees only their own tokens
    const own = await call('GET', '/api/tokens', { token: qa });
    expect(new Set((own.json['tokens'] as { user: string }[]).map((t) => t.user))).toEqual(new Set(['qa1']));
    // and cannot revoke someone else's
    const id = String(leadTok.json['id']);
    expect((await call('DELETE', `/api/tokens/${id}`, { token: qa })).status).toBe(404);
    expect((await call('DELETE', `/api/tokens/${id}`, { token: admin })).status).toBe(200);
    expect((await call('GET', '/api/me', { token: ci })).status).toBe(401);
  });

  it('a password change by an admin ends that user\'s sessions', async () => {
    const qa = String((await login('qa1', 'qa1-password')).json['token']);
    expect((await call('PATCH', '/api/users/qa1', { token: admin, body: { password: 'qa1-password-2' } })).status).toBe(200);
    expect((await call('GET', '/api/me', { token: qa })).status).toBe(401);
    expect((await login('qa1', 'qa1-password-2')).status).toBe(200);
    expect((await call('PATCH', '/api/users/qa1', { token: admin, body: { password: 'qa1-password' } })).status).toBe(200);
  });
});

describe('secrets through the API', () => {
  const VALUE = 'S3cret-through-API-91c2e';
  it('stores the value encrypted, lists names only, audits env/key without the value', async () => {
    const lead = String((await login('lead1', 'lead1-password')).json['token']);
    const put = await call('PUT', '/api/secrets/account-dev/DB_PASSWORD', { token: lead, body: { value: VALUE } });
    expect(put.status).toBe(200);
    expect(put.text).not.toContain(VALUE);
    const list = await call('GET', '/api/secrets', { token: lead });
    expect(list.json['secrets']).toEqual([expect.objectContaining({ environment: 'account-dev', key: 'DB_PASSWORD', set: true, updatedBy: 'lead1' })]);
    expect(list.text).not.toContain(VALUE);
    const audit = await call('GET', '/api/audit?action=secret.set', { token: lead });
    expect(audit.json['events']).toEqual([expect.objectContaining({ actor: 'lead1', target: 'account-dev/DB_PASSWORD', outcome: 'success' })]);
    expect(audit.text).not.toContain(VALUE);
    expect(h.secrets.get('account-dev', 'DB_PASSWORD')).toBe(VALUE);
    expect(scanForSecret([h.dataDir], VALUE)).toEqual([]);
    h.store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    expect(scanForSecret([h.dataDir], VALUE)).toEqual([]);
    expect(JSON.stringify(h.logs)).not.toContain(VALUE);
  });
});

describe('agent tokens', () => {
  it('ensure gives the token once; verify is exact; rotate replaces it; refusals are logged and audited without the token', () => {
    const token = h.auth.ensureAgentToken('micro-1');
    expect(token).toMatch(/^sdpa_/);
    expect(h.auth.ensureAgentToken('micro-1')).toBeNull();
    expect(h.auth.verifyAgent('micro-1', token ?? '')).toBe(true);
    expect(h.auth.verifyAgent('micro-1', (token ?? '') + 'x', '10.0.0.9')).toBe(false);
    expect(h.auth.verifyAgent('gateway-9', token ?? '')).toBe(false);
    expect(h.auth.verifyAgent('../etc', token ?? '')).toBe(false);
    const rotated = h.auth.rotateAgentToken('micro-1');
    expect(rotated).not.toBe(token);
    expect(h.auth.verifyAgent('micro-1', token ?? '')).toBe(false);
    expect(h.auth.verifyAgent('micro-1', rotated)).toBe(true);
    const refusals = h.logs.filter((l) => l.msg === 'agent refused');
    expect(refusals.map((l) => l.obj['reason'])).toEqual(['bad-token', 'unknown-node', 'invalid node name', 'bad-token']);
    expect(refusals[0]?.obj['from']).toBe('10.0.0.9');
    expect(JSON.stringify(h.logs)).not.toContain(token);
    expect(JSON.stringify(h.logs)).not.toContain(rotated);
    const audited = h.audit.list({ action: 'agent.refused' }).events;
    // a node sdp knows is named; a name the caller made up is not written anywhere
    expect(audited.map((e) => e.target)).toEqual(['micro-1', null, null, 'micro-1']);
    expect(JSON.stringify([audited, refusals])).not.toMatch(/gateway-9|\.\.\/etc/);
    expect(JSON.stringify(audited)).not.toContain(token);
    expect(scanForSecret([h.dataDir], rotated)).toEqual([]);
  });
});

describe('first start', () => {
  it('generates an admin password once when SDP_ADMIN_PASSWORD is not given, and never stores it plain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 't-auth-first-'));
    try {
      const store = openStore(join(dir, 'sdp.db'));
      const deps = { audit: createAudit(store), secrets: createSecretStore(store, randomBytes(32)), logger: { warn: () => undefined } };
      const first = await createAuth(store, deps);
      expect(first.initialAdmin).toEqual({ username: 'admin', password: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) });
      const password = first.initialAdmin?.password ?? '';
      expect(await first.accounts.checkPassword('admin', password)).toMatchObject({ username: 'admin', role: 'admin' });
      expect((await createAuth(store, deps)).initialAdmin).toBeNull();
      store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      expect(scanForSecret([dir], password)).toEqual([]);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses SDP_ADMIN_PASSWORD and does not hand it back', async () => {
    const store = openStore(':memory:');
    const auth = await createAuth(store, { audit: createAudit(store), secrets: createSecretStore(store, randomBytes(32)), adminPassword: 'from-env-password', logger: { warn: () => undefined } });
    expect(auth.initialAdmin).toEqual({ username: 'admin' });
    expect(await auth.accounts.checkPassword('admin', 'from-env-password')).not.toBeNull();
    store.close();
  });
});
