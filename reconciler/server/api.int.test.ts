// The server's own routes beyond syncs, against a real startReconciler: the sandbox list searched,
// filtered and paged; templates and
// environments in force (secrets by name only), a node token issued over the API (and by
// `sdp token agent`) that a real /ws/agent accepts while the rotated-out one is refused, the git
// webhook being off without a secret, and a second server on a taken port failing in one line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TOTAL_COUNT_HEADER, type AgentTokenResponse, type AgentView, type EnvironmentView, type SandboxSummary, type TemplateView } from '../../schema/api.ts';
import { PROTOCOL_VERSION } from '../../schema/protocol.ts';
import { Stack, sandboxYaml } from '../../test/support/reconciler.ts';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../auth/index.ts';
import { startReconciler } from '../index.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sdp.js');
const SECRET_VALUE = 'Api-int-S3cret-4f1a';
const NODE = 't-rec-api-node';

let stack: Stack;
let viewer = '';
let lead = '';
const scratch: string[] = [];

async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; text: string; json: unknown }> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(stack.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** A user of `role` and an API token of theirs. */
async function tokenOf(role: string): Promise<string> {
  const username = `${role}-api`;
  expect((await call('POST', '/api/users', stack.token, { username, role, password: `${role}-password-9` })).status).toBe(201);
  const login = await call('POST', '/api/login', undefined, { username, password: `${role}-password-9` });
  const tok = await call('POST', '/api/tokens', (login.json as { token: string }).token, { name: 'api-test' });
  return (tok.json as { token: string }).token;
}

/** Says hello on /ws/agent as `node` with `token`: 'accepted' (still open after the hub answered) or the close code. */
function hello(node: string, token: string): Promise<'accepted' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/ws/agent`, { headers: { authorization: `Bearer ${token}` } });
    let timer: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', node, roles: [], address: '127.0.0.1', version: 'test', protocol: PROTOCOL_VERSION }));
      // the hub checks the token on hello and closes at once when it is wrong; online in /api/agents when right
      timer = setInterval(() => {
        void call('GET', '/api/agents', stack.token).then((r) => {
          if ((r.json as AgentView[]).some((a) => a.name === node && a.online)) {
            clearInterval(timer);
            ws.close();
            resolve('accepted');
          }
        });
      }, 200);
    });
    ws.on('close', (code) => {
      clearInterval(timer);
      resolve(code);
    });
    ws.on('error', reject);
  });
}

function sdp(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SDP_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  stack = new Stack({ prefix: 't-rec-', port: 21060, ports: { gateway: [21170, 21179], services: [21350, 21359] } });
  // NODE is listed so that a token can be issued for it (an agent started apart, never connected here)
  const platform = stack.platformYaml({ web: 'file:///nonexistent/web.git', api: 'file:///nonexistent/api.git' });
  await stack.writeSpec('platform.yaml', platform.replace('  nodes:\n', `  nodes:\n    - { name: ${NODE}, roles: [micro], address: 127.0.0.1 }\n`));
  await stack.writeSpec(
    'templates.yaml',
    `apiVersion: sdp/v1
kind: SandboxTemplate
metadata: { name: qa }
spec:
  gateway: { branch: main }
  services:
    web: { branch: develop }
    api: { baseline: true }
  env: [common]
  resources: { cpu: 0.5, memory: 256Mi }
  ttl: 14d
---
apiVersion: sdp/v1
kind: SandboxTemplate
metadata: { name: bare }
spec: {}
`,
  );
  await stack.writeSpec(
    'environments.yaml',
    `apiVersion: sdp/v1
kind: Environment
metadata: { name: common }
spec:
  variables: { LOG_LEVEL: debug }
---
apiVersion: sdp/v1
kind: Environment
metadata: { name: web-dev }
spec:
  variables: { DB_PORT: 5432 }
  secrets: [DB_PASSWORD]
  files:
    - { path: /etc/web.conf, content: "a=1" }
`,
  );
  await stack.writeSpec('sb.yaml', sandboxYaml('t-rec-api-a', { web: 'main' }, { template: 'qa' }));
  await stack.writeSpec('sb-more.yaml', ['t-rec-api-b', 't-rec-api-c'].map((n) => sandboxYaml(n, { web: 'main' })).join('---\n'));
  await stack.start({ agent: false });
  for (const n of ['t-rec-api-a', 't-rec-api-b', 't-rec-api-c']) await stack.waitSandbox(n, () => true, 'compiled');
  viewer = await tokenOf('viewer');
  lead = await tokenOf('lead');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('templates and environments', () => {
  it('GET /api/templates: every template in force as written, for a viewer', async () => {
    expect((await call('GET', '/api/templates', undefined)).status).toBe(401);
    const res = await call('GET', '/api/templates', viewer);
    expect(res.status).toBe(200);
    expect(res.json as TemplateView[]).toEqual([
      { name: 'bare' },
      {
        name: 'qa',
        gateway: { branch: 'main' },
        services: { web: { branch: 'develop' }, api: { baseline: true } },
        env: ['common'],
        resources: { cpu: 0.5, memory: '256Mi' },
        ttl: '14d',
      },
    ]);
  });

  it('GET /api/environments: variables, secret names and file paths, never a secret value or file content', async () => {
    expect((await call('PUT', '/api/secrets/web-dev/DB_PASSWORD', lead, { value: SECRET_VALUE })).status).toBe(200);
    expect((await call('GET', '/api/environments', undefined)).status).toBe(401);
    const res = await call('GET', '/api/environments', viewer);
    expect(res.status).toBe(200);
    expect(res.json as EnvironmentView[]).toEqual([
      { name: 'common', variables: { LOG_LEVEL: 'debug' }, secrets: [], files: [] },
      { name: 'web-dev', variables: { DB_PORT: '5432' }, secrets: ['DB_PASSWORD'], files: [{ path: '/etc/web.conf' }] },
    ]);
    expect(res.text).not.toContain(SECRET_VALUE);
    expect(res.text).not.toContain('a=1');
    // the UI's set/unset column comes from GET /api/secrets (lead)
    const secrets = await call('GET', '/api/secrets', lead);
    expect((secrets.json as { secrets: { environment: string; key: string; set: boolean }[] }).secrets).toContainEqual(
      expect.objectContaining({ environment: 'web-dev', key: 'DB_PASSWORD', set: true }),
    );
  });
});

describe('agent tokens', () => {
  it('POST /api/agents/:node/token: admin only, shown once, audited, rotates the old token out', async () => {
    expect((await call('POST', `/api/agents/${NODE}/token`, undefined)).status).toBe(401);
    expect((await call('POST', `/api/agents/${NODE}/token`, lead)).status).toBe(403);
    expect((await call('POST', '/api/agents/Not_A_Name/token', stack.token)).status).toBe(400);
    const unlisted = await call('POST', '/api/agents/not-in-platform/token', stack.token);
    expect(unlisted.status).toBe(404);
    expect(unlisted.text).toMatch(/node not-in-platform is not in the Platform's spec\.nodes \(it lists [a-z, -]*t-rec-api-node/);

    const first = await call('POST', `/api/agents/${NODE}/token`, stack.token);
    expect(first.status).toBe(200);
    const old = (first.json as AgentTokenResponse).token;
    expect(first.json).toEqual({ node: NODE, token: expect.stringMatching(/^\S{20,}$/) });
    expect(await hello(NODE, old)).toBe('accepted');

    const second = await call('POST', `/api/agents/${NODE}/token`, stack.token);
    const now = (second.json as AgentTokenResponse).token;
    expect(now).not.toBe(old);
    expect(await hello(NODE, old)).toBe(4003);
    expect(await hello(NODE, now)).toBe('accepted');

    const audit = await call('GET', '/api/audit?limit=50', stack.token);
    const events = (audit.json as { events: { action: string; actor: string | null; target: string | null }[] }).events;
    expect(events.filter((e) => e.action === 'agent.token' && e.target === NODE)).toEqual([
      expect.objectContaining({ actor: 'admin' }),
      expect.objectContaining({ actor: 'admin' }),
    ]);
    expect(audit.text).not.toContain(old);
    expect(audit.text).not.toContain(now);
  });

  it('sdp token agent NODE prints a token the hub accepts', async () => {
    const r = await sdp(['token', 'agent', NODE, '--server', stack.url], { SDP_TOKEN: stack.token });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`token of node ${NODE} issued`);
    expect(await hello(NODE, r.stdout.trim())).toBe('accepted');

    const refused = await sdp(['token', 'agent', NODE, '--server', stack.url], { SDP_TOKEN: viewer });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/403 requires role admin/);
  }, 120_000);
});

describe('GET /api/sandboxes?q=&sync=&health=&limit=&offset=', () => {
  async function list(query: string): Promise<{ names: string[]; total: string | null; status: number; body: unknown }> {
    const res = await fetch(`${stack.url}/api/sandboxes${query}`, { headers: { authorization: `Bearer ${viewer}` } });
    const body = (await res.json()) as unknown;
    return { names: Array.isArray(body) ? (body as SandboxSummary[]).map((s) => s.name) : [], total: res.headers.get(TOTAL_COUNT_HEADER), status: res.status, body };
  }

  it('answers every sandbox by name without a query, as callers before paging read it', async () => {
    expect(await list('')).toMatchObject({ status: 200, names: ['t-rec-api-a', 't-rec-api-b', 't-rec-api-c'], total: '3' });
  });

  it('pages with limit and offset, the total counting every match', async () => {
    expect(await list('?limit=2')).toMatchObject({ names: ['t-rec-api-a', 't-rec-api-b'], total: '3' });
    expect(await list('?limit=2&offset=2')).toMatchObject({ names: ['t-rec-api-c'], total: '3' });
    expect(await list('?limit=2&offset=9')).toMatchObject({ status: 200, names: [], total: '3' });
  });

  it('searches name, owner, template and labels, and filters by sync and health', async () => {
    expect(await list('?q=API-B')).toMatchObject({ names: ['t-rec-api-b'], total: '1' });
    expect(await list('?q=qa')).toMatchObject({ names: ['t-rec-api-a'], total: '1' }); // its template
    const all = (await list('')).body as SandboxSummary[];
    const { sync, health } = all[0]!;
    const same = all.filter((s) => s.sync === sync && s.health === health).map((s) => s.name);
    expect(await list(`?sync=${sync}&health=${health}&limit=50`)).toMatchObject({ names: same, total: String(same.length) });
    const other = sync === 'Synced' ? 'OutOfSync' : 'Synced';
    expect(await list(`?sync=${other}&q=t-rec-api`)).toMatchObject({ names: all.filter((s) => s.sync === other).map((s) => s.name) });
  });

  it('says which parameter is wrong and what it takes: 400', async () => {
    const bad = await list('?sync=synced');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toBe('sync must be one of Synced, OutOfSync, Unknown; got "synced" (GET /api/sandboxes?q=&sync=&health=&limit=&offset=)');
    for (const q of ['?limit=0', '?limit=501', '?offset=-1', '?health=Fine']) expect((await list(q)).status, q).toBe(400);
  });
});

it('a wrong method is 405 with Allow, an unknown path 404', async () => {
  const wrong = await call('DELETE', '/api/sandboxes/t-rec-api-x/sync', stack.token);
  expect(wrong.status).toBe(405);
  expect((wrong.json as { error: string }).error).toBe('DELETE is not allowed on /api/sandboxes/t-rec-api-x/sync (allowed: POST)');
  const res = await fetch(`${stack.url}/api/users`, { method: 'PUT', headers: { authorization: `Bearer ${stack.token}` } });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
  const none = await call('GET', '/api/nothing-here', stack.token);
  expect(none.status).toBe(404);
});

it('POST /api/webhooks/git answers 404 while no webhook secret is configured', async () => {
  const res = await call('POST', '/api/webhooks/git', undefined, {});
  expect(res.status).toBe(404);
  expect((res.json as { error: string }).error).toMatch(/^webhook not configured/);
});

it('sdp server --webhook-secret-file: only a body signed with that secret is accepted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 't-rec-hook-'));
  scratch.push(dir);
  writeFileSync(join(dir, 'hook-secret'), 'file-webhook-secret-31\n');
  const port = 21080;
  const child = spawn(process.execPath, [BIN, 'server', '--port', String(port), '--specs', stack.specsDir, '--data', join(dir, 'data'), '--webhook-secret-file', join(dir, 'hook-secret')], {
    env: { ...process.env, SDP_LOG_LEVEL: 'silent', SDP_WEBHOOK_SECRET: '' },
    stdio: 'ignore',
  });
  try {
    const url = `http://127.0.0.1:${port}/api/webhooks/git`;
    await stack.waitFor('sdp server to answer', async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok === true, 60_000);
    const body = '{"ref":"refs/heads/main"}';
    const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({})).status).toBe(401);
    expect((await post({ [WEBHOOK_SIGNATURE_HEADER]: signWebhook('file-webhook-secret-31\n', body) })).status).toBe(401);
    expect((await post({ [WEBHOOK_SIGNATURE_HEADER]: signWebhook('file-webhook-secret-31', body) })).status).toBe(202);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}, 90_000);

describe('a taken port', () => {
  it('startReconciler rejects with one clear message and code EADDRINUSE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 't-rec-port-'));
    scratch.push(dir);
    const err = await startReconciler({ specsDir: stack.specsDir, dataDir: dir, port: stack.reconciler.port }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.message).toBe(`port ${stack.reconciler.port} is in use: is sdp already running? use --port N`);
    expect(err?.code).toBe('EADDRINUSE');
  });

  it('sdp server on it prints that one line and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 't-rec-port-'));
    scratch.push(dir);
    const r = await sdp(['server', '--port', String(stack.reconciler.port), '--specs', stack.specsDir, '--data', dir], { SDP_LOG_LEVEL: 'info' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sdp: port ${stack.reconciler.port} is in use: is sdp already running? use --port N\n`);
  }, 60_000);
});
