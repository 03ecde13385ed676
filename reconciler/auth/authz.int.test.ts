// The authorization matrix: every route auth defines plus the server's main routes (stand-ins with
// DESIGN.md's roles), called over real HTTP by anonymous, each role's API token and a revoked token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ROLES, atLeast, type Role } from './roles.ts';
import { startHarness, type Harness } from './testing.ts';

type Who = 'anonymous' | Role | 'revoked';
const WHO: Who[] = ['anonymous', ...ROLES, 'revoked'];

let h: Harness;
const tokens = {} as Record<Who, string | undefined>;
const passwords = {} as Record<Role, string>;
/** a token of each principal's own, for it to revoke in the matrix */
const spareToken = {} as Record<Who, string>;

async function call(method: string, path: string, opts: { token?: string; body?: unknown; cookie?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.cookie) headers['cookie'] = opts.cookie;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(h.url + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, text, json: isJson ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

beforeAll(async () => {
  h = await startHarness(24000);
  const admin = await call('POST', '/api/login', { body: { username: 'admin', password: 'admin-password-1' } });
  expect(admin.status).toBe(200);
  const adminSession = String(admin.json['token']);
  for (const role of ROLES) {
    const username = `${role}1`;
    passwords[role] = `${role}-password-1`;
    const created = await call('POST', '/api/users', { token: adminSession, body: { username, role, password: passwords[role] } });
    expect(created.status).toBe(201);
    const login = await call('POST', '/api/login', { body: { username, password: passwords[role] } });
    expect(login.status).toBe(200);
    const session = String(login.json['token']);
    const tok = await call('POST', '/api/tokens', { token: session, body: { name: 'matrix' } });
    expect(tok.status).toBe(201);
    tokens[role] = String(tok.json['token']);
    const spare = await call('POST', '/api/tokens', { token: session, body: { name: 'spare' } });
    spareToken[role] = String(spare.json['id']);
  }
  const revoked = await call('POST', '/api/tokens', { token: tokens.admin, body: { name: 'soon-revoked' } });
  tokens.revoked = String(revoked.json['token']);
  expect((await call('DELETE', `/api/tokens/${String(revoked.json['id'])}`, { token: tokens.admin })).status).toBe(200);
  spareToken.anonymous = 'tok_000000000000';
  spareToken.revoked = 'tok_000000000000';
  // targets of the admin-only user routes, one per principal so each call has its own
  for (const who of WHO) {
    for (const what of ['patch', 'delete']) {
      const r = await call('POST', '/api/users', { token: tokens.admin, body: { username: `${what}-${who}`, role: 'viewer', password: 'target-password-1' } });
      expect(r.status).toBe(201);
    }
  }
});
afterAll(async () => {
  await h?.close();
});

interface Route {
  method: string;
  path: (who: Who) => string;
  body?: (who: Who) => unknown;
  /** 'public', 'any' (any signed-in user) or the least role */
  needs: 'public' | 'any' | Role;
  ok: number;
}
const p = (s: string) => () => s;
const ROUTES: Route[] = [
  // public
  { method: 'GET', path: p('/api/health'), needs: 'public', ok: 200 },
  { method: 'GET', path: p('/metrics'), needs: 'public', ok: 200 },
  { method: 'POST', path: p('/api/login'), body: () => ({ username: 'viewer1', password: 'viewer-password-1' }), needs: 'public', ok: 200 },
  // any signed-in user
  { method: 'GET', path: p('/api/me'), needs: 'any', ok: 200 },
  { method: 'POST', path: p('/api/logout'), needs: 'any', ok: 200 },
  { method: 'GET', path: p('/api/tokens'), needs: 'any', ok: 200 },
  { method: 'POST', path: p('/api/tokens'), body: (w) => ({ name: `made-by-${w}` }), needs: 'any', ok: 201 },
  { method: 'DELETE', path: (w) => `/api/tokens/${spareToken[w]}`, needs: 'any', ok: 200 },
  { method: 'PUT', path: p('/api/me/password'), body: (w) => ({ current: passwords[w as Role], password: passwords[w as Role] }), needs: 'any', ok: 200 },
  // the server's routes (stand-ins)
  { method: 'GET', path: p('/api/sandboxes'), needs: 'viewer', ok: 200 },
  { method: 'GET', path: p('/api/sandboxes/qa-login-error'), needs: 'viewer', ok: 200 },
  { method: 'GET', path: p('/api/jobs/job-1'), needs: 'viewer', ok: 200 },
  { method: 'GET', path: p('/api/agents'), needs: 'viewer', ok: 200 },
  { method: 'POST', path: p('/api/sandboxes/qa-login-error/sync'), body: () => ({}), needs: 'qa', ok: 200 },
  { method: 'POST', path: p('/api/sandboxes/qa-login-error/sync'), body: () => ({ dryRun: true }), needs: 'qa', ok: 200 },
  { method: 'POST', path: p('/api/sandboxes/qa-login-error/sync'), body: () => ({ prune: true }), needs: 'lead', ok: 200 },
  { method: 'POST', path: p('/api/refresh'), needs: 'qa', ok: 200 },
  // secrets and audit: lead
  { method: 'GET', path: p('/api/secrets'), needs: 'lead', ok: 200 },
  { method: 'PUT', path: p('/api/secrets/account-dev/DB_PASSWORD'), body: () => ({ value: 'matrix-secret-value' }), needs: 'lead', ok: 200 },
  { method: 'DELETE', path: p('/api/secrets/account-dev/DB_PASSWORD'), needs: 'lead', ok: 204 }, // after the PUT above
  { method: 'GET', path: p('/api/audit'), needs: 'lead', ok: 200 },
  // users: admin
  { method: 'GET', path: p('/api/users'), needs: 'admin', ok: 200 },
  { method: 'POST', path: p('/api/users'), body: (w) => ({ username: `new-${w}`, role: 'viewer', password: 'new-password-1' }), needs: 'admin', ok: 201 },
  { method: 'PATCH', path: (w) => `/api/users/patch-${w}`, body: () => ({ role: 'qa' }), needs: 'admin', ok: 200 },
  { method: 'DELETE', path: (w) => `/api/users/delete-${w}`, needs: 'admin', ok: 204 },
];

function expected(route: Route, who: Who): number {
  if (route.needs === 'public') return route.ok;
  if (who === 'anonymous' || who === 'revoked') return 401;
  if (route.needs === 'any' || atLeast(who, route.needs)) return route.ok;
  return 403;
}

describe('authorization matrix', () => {
  for (const who of WHO) {
    it(`${who}: every route answers as its role demands`, async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const route of ROUTES) {
        const res = await call(route.method, route.path(who), { token: tokens[who], body: route.body?.(who) });
        const label = `${route.method} ${route.path(who)}${route.body ? ' ' + JSON.stringify(route.body(who)) : ''}`;
        got.push(`${label} -> ${res.status}`);
        want.push(`${label} -> ${expected(route, who)}`);
        if (res.status === 401 || res.status === 403) expect(res.json['error'], label).toEqual(expect.any(String));
        // a 403 names a role the caller lacks (the first check it failed: qa for a viewer's prune sync)
        if (res.status === 403) expect(ROLES.filter((r) => !atLeast(who as Role, r)), label).toContain(res.json['required']);
      }
      expect(got).toEqual(want);
    });
  }

  it('refuses /ws/ui upgrades without a valid credential and accepts every role', async () => {
    const upgrade = (token?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(h.url.replace('http', 'ws') + '/ws/ui', token ? { headers: { authorization: `Bearer ${token}` } } : {});
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('error', () => undefined);
      });
    for (const who of WHO) {
      const want = who === 'anonymous' || who === 'revoked' ? 401 : 101;
      expect(`${who} ${await upgrade(tokens[who])}`).toBe(`${who} ${want}`);
    }
  });
});
