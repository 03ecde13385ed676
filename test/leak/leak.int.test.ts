// Issue 6, the leak test: a secret value and a git token go in through the front door (the CLI and the
// API) and a full sync runs through the real `sdp up` (reconciler + local agent as a child process,
// real Docker, a real git smart-HTTP server requiring the token). Then every place either could
// leak to is searched: the SQLite files, the whole data dir (agent work dir, worktrees, .git
// configs), every API response, /ws/ui, job logs, all process output, the bodies a webhook target
// of the Platform received (signed with an HMAC key from the store), and `docker inspect`. The
// secret must be found exactly where it belongs (the service container's env), which proves the
// search itself can find it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes } from '../../agent/testing/fixtures.ts';
import { serveGitHttp, type GitHttpServer } from '../../agent/testing/git-http.ts';
import { ADMIN_PASSWORD, Stack, branchApp, httpGet, sandboxYaml } from '../support/reconciler.ts';
import { scanForSecret } from '../support/leaks.ts';
import type { JobView, SandboxDetail, StatusView } from '../../schema/api.ts';

const run = promisify(execFile);
const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** the auth suite's prefix, narrowed so cleanup touches only this file's sandboxes */
const PREFIX = 't-auth-leak-';
/** ports inside the auth suite's 24000-24999 that its other files do not use: API 24500-24519, gateways 24600-24649, services 24700-24799 */
const SANDBOX = `${PREFIX}1`;
const ENV = 'leak-env';
const SECRET_KEY = 'LEAK_SECRET';
const CREDS = 'leak-git';
const GIT_USER = 'leak-user';
const SECRET = `leak-secret-${randomBytes(12).toString('hex')}`;
/** the secret's second value: a changed secret is drift, shown without its value */
const SECRET2 = `leak-secret-${randomBytes(12).toString('hex')}`;
const TOKEN = `leak-token-${randomBytes(12).toString('hex')}`;
/** a wrong token set first: refused credentials must not be echoed in errors either */
const BAD_TOKEN = `leak-badtoken-${randomBytes(12).toString('hex')}`;
/** the HMAC key of the Platform's webhook target (notifications sign with it; it must never be sent) */
const HOOK = 'leak-hook';
const HMAC = `leak-hmac-${randomBytes(12).toString('hex')}`;
const NEEDLES = { secret: SECRET, secret2: SECRET2, token: TOKEN, badToken: BAD_TOKEN, hmac: HMAC };

let stack: Stack;
let gitServer: GitHttpServer;
let up: ChildProcess | null = null;
/** everything `sdp up` and the CLI commands wrote to stdout and stderr */
let output = '';
/** every HTTP response body (and header values) the test received */
const responses: { what: string; text: string }[] = [];
let repoUrl = '';
let commit = '';
let job: JobView;
let firstJob: JobView;
let firstEnv: string[] = [];
let rejected: StatusView['rejected'] = null;
/** the webhook receiver on 127.0.0.1 (the notifications suite's range) and the bodies it got */
let receiver: HttpServer | null = null;
const notified: string[] = [];

async function freePort(from: number, to: number): Promise<number> {
  for (let port = from; port <= to; port++) {
    const ok = await new Promise<boolean>((r) => {
      const srv = createServer();
      srv.once('error', () => r(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => r(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

/** An API call recorded in `responses` (body and header values). */
async function call(method: string, path: string, body?: unknown, token = stack.token): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  responses.push({ what: `${method} ${path} -> ${res.status}`, text: `${[...res.headers.values()].join('\n')}\n${text}` });
  return { status: res.status, text };
}

async function getJson<T>(path: string): Promise<T> {
  const { status, text } = await call('GET', path);
  if (status !== 200) throw new Error(`GET ${path}: ${status} ${text}`);
  return JSON.parse(text) as T;
}

/** `node bin/sdp.js ARGS` with the admin token; output is appended to `output`. */
async function cli(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['bin/sdp.js', ...args, '--server', stack.url], {
      cwd: PROJECT,
      env: { ...process.env, SDP_TOKEN: stack.token },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    proc.once('error', reject);
    proc.once('close', (code) => {
      output += out;
      if (code === 0) resolvePromise(out);
      else reject(new Error(`sdp ${args.join(' ')} exited ${code}: ${out}`));
    });
    proc.stdin.end(stdin ?? '');
  });
}

const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout;

/** `docker inspect` of every container on the host, parsed. */
async function inspectAll(): Promise<{ Name: string; Config: { Env: string[] | null; Labels: Record<string, string> | null } }[]> {
  const ids = (await docker('ps', '-aq', '--no-trunc')).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  // containers of other suites come and go meanwhile: inspect one by one, skipping the vanished
  const all = [];
  for (const id of ids) {
    const text = await docker('inspect', id).catch(() => '[]');
    all.push(...(JSON.parse(text) as { Name: string; Config: { Env: string[] | null; Labels: Record<string, string> | null } }[]));
  }
  return all;
}

/** Every git config file under `dir`: `.git/config` of clones and `config` of bare repos. */
function gitConfigs(dir: string): string[] {
  const found: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) visit(p);
      else if (name === 'config' && (d.endsWith('.git') || existsSync(join(d, 'HEAD')))) found.push(p);
    }
  };
  visit(dir);
  return found;
}

/** Config.Env of the sandbox's service container (docker inspect). */
async function serviceEnv(): Promise<string[]> {
  const id = (await docker('ps', '-q', '--filter', `label=sdp.sandbox=${SANDBOX}`, '--filter', 'label=sdp.service=account')).trim();
  if (!id) throw new Error('no running service container');
  return (JSON.parse(await docker('inspect', id)) as { Config: { Env: string[] } }[])[0]!.Config.Env;
}

function hitsIn(text: string): string[] {
  return Object.entries(NEEDLES)
    .filter(([, needle]) => text.includes(needle) || text.includes(Buffer.from(needle).toString('base64').slice(0, -4)))
    .map(([what]) => what);
}

describe('leak test (issue 6): secrets and git credentials stay where they belong', () => {
  beforeAll(async () => {
    await cleanupSandboxes(PREFIX); // what an earlier crashed run left behind
    stack = new Stack({ prefix: PREFIX, port: 24500, ports: { gateway: [24600, 24649], services: [24700, 24799] } });
    const repo = stack.repo('account');
    commit = repo.commit('develop', branchApp('develop'));
    gitServer = await serveGitHttp(join(stack.root, 'repos'), GIT_USER, TOKEN);
    repoUrl = `${gitServer.url}/account.git`;

    const hookPort = await freePort(34900, 34919);
    receiver = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        notified.push(`${JSON.stringify(req.headers)}\n${Buffer.concat(chunks).toString('utf8')}`);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver!.listen(hookPort, '127.0.0.1', r));
    await stack.writeSpec(
      'platform.yaml',
      stack.platformYaml({ account: repoUrl }).replace(/^spec:\n/m, `spec:\n  git: { credentials: ${CREDS} }\n`) +
        `  notifications:\n    - { name: leak, url: "http://127.0.0.1:${hookPort}/hook", secret: ${HOOK} }\n`,
    );
    await stack.writeSpec(
      'env.yaml',
      `apiVersion: sdp/v1
kind: Environment
metadata: { name: ${ENV} }
spec:
  variables: { PLAIN_VAR: plain-value }
  secrets: [${SECRET_KEY}]
`,
    );
    await stack.writeSpec('sandbox.yaml', sandboxYaml(SANDBOX, { account: 'develop' }, { env: `[${ENV}]` }));

    // the real `sdp up`, all its output captured; debug level: the most a person could ever turn on
    const port = await freePort(24500, 24519);
    up = spawn(process.execPath, ['bin/sdp.js', 'up', '--specs', stack.specsDir, '--data', stack.dataDir, '--port', String(port)], {
      cwd: PROJECT,
      env: { ...process.env, SDP_ADMIN_PASSWORD: ADMIN_PASSWORD, SDP_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    up.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    const url = `http://127.0.0.1:${port}`;
    await stack.waitFor('sdp up to answer', async () => (await httpGet(`${url}/api/health`)).status === 200, 60_000, () => output.slice(-2000));
    await stack.attach(url);
    await stack.waitFor('the local agent online', async () =>
      (await getJson<{ name: string; online: boolean }[]>('/api/agents')).some((a) => a.name === stack.node && a.online),
    );

    // the secret through the CLI (stdin), the git credentials through the API
    expect(await cli(['secret', 'set', ENV, SECRET_KEY], `${SECRET}\n`)).toContain(`set ${ENV}/${SECRET_KEY}`);
    expect((await call('PUT', `/api/secrets/${HOOK}/hmac`, { value: HMAC })).status).toBeLessThan(300);
    expect((await call('PUT', `/api/secrets/${CREDS}/username`, { value: GIT_USER })).status).toBeLessThan(300);
    expect((await call('PUT', `/api/secrets/${CREDS}/password`, { value: BAD_TOKEN })).status).toBeLessThan(300);

    // a refused token first: the failure is reported (log, sandbox detail) without the token
    const mark = output.length;
    await call('POST', '/api/refresh');
    await stack.waitFor('the refused token reported', () => output.slice(mark).includes('branch resolution failed'), 60_000, () => output.slice(mark));
    expect(gitServer.authorized).toBe(0);
    await getJson(`/api/sandboxes/${SANDBOX}`);
    await getJson('/api/status');
    expect((await call('PUT', `/api/secrets/${CREDS}/password`, { value: TOKEN })).status).toBeLessThan(300);

    // branch heads are resolved over http with the token now that it is set
    await call('POST', '/api/refresh');
    await stack.waitFor(
      'develop resolved through the authenticated git server',
      async () => (await getJson<SandboxDetail>(`/api/sandboxes/${SANDBOX}`)).services.some((s) => s.desiredCommit === commit),
      60_000,
      () => output.slice(-3000),
    );

    const { status, text } = await call('POST', `/api/sandboxes/${SANDBOX}/sync`, {});
    expect(status, text).toBe(202);
    const started = JSON.parse(text) as { job: JobView | null };
    if (!started.job) throw new Error(`sync started no job: ${text}`);
    job = await stack.waitJob(started.job.id, 150_000);
    if (job.status !== 'succeeded') throw new Error(`sync failed: ${job.error}\n${job.logs.map((l) => l.line).join('\n')}\n${output.slice(-3000)}`);
    await stack.waitSandbox(SANDBOX, (s) => s.sync === 'Synced', 'Synced', 60_000);
    firstEnv = await serviceEnv();

    // a changed secret: drift on env, then a second sync (the drift and plan are read in between)
    expect((await call('PUT', `/api/secrets/${ENV}/${SECRET_KEY}`, { value: SECRET2 })).status).toBeLessThan(300);
    const drifted = await stack.waitSandbox(SANDBOX, (s) => s.sync === 'OutOfSync', 'OutOfSync after the secret changed', 60_000);
    expect(drifted.drift.some((d) => d.resource === 'service/account' && d.field === 'env'), JSON.stringify(drifted.drift)).toBe(true);
    await getJson(`/api/sandboxes/${SANDBOX}`);
    await getJson(`/api/sandboxes/${SANDBOX}/plan`);
    await call('POST', `/api/sandboxes/${SANDBOX}/sync`, { dryRun: true });
    firstJob = job;
    const again = await call('POST', `/api/sandboxes/${SANDBOX}/sync`, {});
    expect(again.status, again.text).toBe(202);
    job = await stack.waitJob((JSON.parse(again.text) as { job: JobView }).job.id, 150_000);
    if (job.status !== 'succeeded') throw new Error(`second sync failed: ${job.error}\n${job.logs.map((l) => l.line).join('\n')}`);
    await stack.waitSandbox(SANDBOX, (s) => s.sync === 'Synced', 'Synced again', 60_000);

    // a Platform whose repo URL carries the token is refused (naming the field, not echoing the URL)
    const platformText = readFileSync(join(stack.specsDir, 'platform.yaml'), 'utf8');
    await stack.writeSpec('platform.yaml', platformText.replace(repoUrl, repoUrl.replace('//', `//${GIT_USER}:${TOKEN}@`)));
    await stack.waitFor('the revision with a password in a repo URL rejected', async () =>
      (await getJson<StatusView>('/api/status')).rejected?.errors.some((e) => e.message.includes('password in its URL')) ?? false,
    );
    rejected = (await getJson<StatusView>('/api/status')).rejected;
    await getJson('/api/revisions');
    await stack.writeSpec('platform.yaml', platformText);
    await stack.waitFor('the good Platform in force again', async () => (await getJson<StatusView>('/api/status')).rejected === null);

    // read everything a person or a tool could read
    await getJson(`/api/jobs/${firstJob.id}`);
    await getJson(`/api/jobs/${job.id}`);
    await getJson(`/api/sandboxes/${SANDBOX}`);
    await getJson(`/api/sandboxes/${SANDBOX}/plan`);
    await getJson('/api/sandboxes');
    await getJson('/api/status');
    await getJson('/api/agents');
    await getJson('/api/revisions');
    await getJson('/api/secrets');
    await getJson('/api/audit');
    await getJson('/api/me');
    await stack.waitFor('both syncs notified', () => notified.filter((n) => n.includes('"sync-succeeded"')).length >= 2, 30_000, () => notified.join('\n'));
    await getJson('/api/notifications');
    await call('GET', '/metrics');
    await call('POST', `/api/sandboxes/${SANDBOX}/sync`, { dryRun: true });
    output += await cli(['secret', 'list']);
    output += await cli(['status']).catch((err: Error) => err.message);
  }, 400_000);

  afterAll(async () => {
    if (up && up.exitCode === null) {
      up.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          up?.kill('SIGKILL');
          r(undefined);
        }, 15_000);
        up?.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    await gitServer?.close();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await stack?.stop();
  }, 120_000);

  it('the service repo URL carries no credentials, yet the agent authenticated with the token', () => {
    expect(new URL(repoUrl).username).toBe('');
    expect(new URL(repoUrl).password).toBe('');
    expect(gitServer.authorized).toBeGreaterThan(0);
    expect(job.status).toBe('succeeded');
  });

  it('a repo URL with a password in it is refused, naming file and field', () => {
    const err = rejected?.errors.find((e) => e.message.includes('password in its URL'));
    expect(err, JSON.stringify(rejected)).toBeDefined();
    expect(err!.file).toContain('platform.yaml');
    expect(err!.field).toBe('spec.services.account.repo');
    expect(hitsIn(JSON.stringify(rejected))).toEqual([]);
  });

  it('the secret is in the service container env, each value in its turn (so the search can find it where it belongs)', async () => {
    expect(firstEnv).toContain(`${SECRET_KEY}=${SECRET}`);
    const env = await serviceEnv();
    expect(env).toContain(`${SECRET_KEY}=${SECRET2}`);
    expect(env).toContain('PLAIN_VAR=plain-value');
  });

  it('neither appears in the SQLite files nor anywhere in the data dir, specs, repos (agent work dir, worktrees)', () => {
    const dbFiles = readdirSync(stack.dataDir).filter((f) => /\.db(-wal|-shm)?$/.test(f));
    expect(dbFiles).toContain('sdp.db');
    for (const needle of Object.values(NEEDLES)) {
      expect(scanForSecret(dbFiles.map((f) => join(stack.dataDir, f)), needle)).toEqual([]);
      expect(scanForSecret([stack.root], needle)).toEqual([]);
    }
  });

  it('git configs of the agent work dir hold no credentials and no userinfo in remote URLs', () => {
    const configs = gitConfigs(join(stack.dataDir, 'agent'));
    expect(configs.length).toBeGreaterThan(0);
    for (const path of configs) {
      const text = readFileSync(path, 'utf8');
      expect(hitsIn(text), path).toEqual([]);
      for (const m of text.matchAll(/^\s*url\s*=\s*(\S+)/gm)) expect(m[1], `${path}: ${m[0]}`).not.toMatch(/\/\/[^/]*@/);
      expect(text, path).not.toMatch(/helper\s*=\s*store/);
    }
  });

  it('neither appears in job logs, API responses, /ws/ui messages or process output', () => {
    expect(firstJob.logs.length).toBeGreaterThan(0);
    expect(hitsIn(JSON.stringify([firstJob, job]))).toEqual([]);
    expect(responses.length).toBeGreaterThan(10);
    for (const r of responses) expect(hitsIn(r.text), r.what).toEqual([]);
    // the webhook got signed notifications, without any secret in them
    expect(notified.length).toBeGreaterThanOrEqual(4);
    expect(notified.every((n) => n.includes('x-sdp-signature-256'))).toBe(true);
    for (const n of notified) expect(hitsIn(n), n).toEqual([]);
    const ui = stack.uiMessages();
    expect(ui.some((m) => m.type === 'job-log')).toBe(true);
    expect(hitsIn(JSON.stringify(ui))).toEqual([]);
    // the capture works: log lines of both halves of `sdp up` are here
    expect(output).toContain('"name":"sdp-reconciler"');
    expect(output).toContain('"name":"sdp-agent"');
    expect(hitsIn(output)).toEqual([]);
  });

  it('the git token is in no container (env, labels, args), and the secret in no label', async () => {
    for (const c of await inspectAll()) {
      const text = JSON.stringify(c);
      expect(text.includes(TOKEN), c.Name).toBe(false);
      expect(text.includes(Buffer.from(TOKEN).toString('base64').slice(0, -4)), c.Name).toBe(false);
      expect(hitsIn(JSON.stringify(c.Config.Labels ?? {})), c.Name).toEqual([]);
    }
  });
});
