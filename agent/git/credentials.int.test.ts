// Git credentials over real smart HTTP (git http-backend behind Basic auth on 127.0.0.1): they come
// inside the job, are used once, and appear nowhere afterwards: not in messages, logs, errors, the
// worktree's git config, nor any file of the agent's work dir. Sandbox t-agent-cred-*, ports 20020-20029.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../schema/protocol.ts';
import { startAgent, type Agent } from '../index.ts';
import { Harness } from '../testing/harness.ts';
import { serveGitHttp, type GitHttpServer } from '../testing/git-http.ts';
import { FAST_HEALTH, TestRepo, branchApp, cleanupSandboxes, httpGet, jobId, serviceSpec } from '../testing/fixtures.ts';

const PREFIX = 't-agent-cred-';
const USER = 'deploy-bot';
const TOKEN = `tok-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const SECRET = `secret-value-${Math.random().toString(36).slice(2)}`;
let root: string;
let workDir: string;
let harness: Harness;
let agent: Agent;
let server: GitHttpServer;
let commit: string;
let logText = '';

beforeAll(async () => {
  await cleanupSandboxes(PREFIX);
  root = mkdtempSync(join(tmpdir(), 'sdp-agent-cred-'));
  workDir = join(root, 'work');
  const repo = new TestRepo(join(root, 'srv'), 'app');
  commit = repo.commit('main', branchApp('main'));
  server = await serveGitHttp(join(root, 'srv'), USER, TOKEN);
  harness = await Harness.start('cred-agent-token');
  // the agent's own log goes to memory, to be searched for the token afterwards
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => ((logText += chunk.toString()), cb()) });
  agent = await startAgent({ server: harness.url, name: 'cred-node', token: 'cred-agent-token', roles: [], address: '127.0.0.1', workDir, logger: pino({ level: 'debug' }, sink) });
  await harness.waitFor((m) => m.type === 'inventory');
});

afterAll(async () => {
  await agent?.stop();
  await harness?.close();
  await server?.close();
  await cleanupSandboxes(PREFIX);
  if (root) rmSync(root, { recursive: true, force: true });
});

const run = (job: Job) => harness.runJob(job);
const plainUrl = () => `${server.url}/app.git`;
const urlWithToken = () => `${server.url.replace('http://', `http://${USER}:${TOKEN}@`)}/app.git`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });
}

describe('git credentials', () => {
  it('resolves with credentials from the job, and fails clearly without them', async () => {
    const ok = await run({ id: jobId('res'), kind: 'resolve', repo: plainUrl(), refs: ['main'], credentials: { username: USER, password: TOKEN } });
    expect(ok).toMatchObject({ ok: true, commits: { main: commit } });
    const denied = await run({ id: jobId('res'), kind: 'resolve', repo: plainUrl(), refs: ['main'] });
    expect(denied.ok).toBe(false);
    expect(denied.error).toMatch(/git ls-remote failed/);
    const wrong = await run({ id: jobId('res'), kind: 'resolve', repo: plainUrl(), refs: ['main'], credentials: { username: USER, password: `${TOKEN}-wrong` } });
    expect(wrong.ok).toBe(false);
  });

  it('resolves with the token in the URL userinfo', async () => {
    const res = await run({ id: jobId('res'), kind: 'resolve', repo: urlWithToken(), refs: ['main'] });
    expect(res).toMatchObject({ ok: true, commits: { main: commit } });
  });

  it('deploys from a URL with userinfo and from job credentials', async () => {
    const a = serviceSpec({ sandbox: `${PREFIX}a`, service: 'web', source: { repo: urlWithToken(), commit, branch: 'main' }, hostPort: 20021, health: FAST_HEALTH, secretEnv: ['API_KEY'] });
    const resA = await run({ id: jobId('dep'), kind: 'deploy', container: a, secretValues: { API_KEY: SECRET } });
    expect(resA.ok, resA.error).toBe(true);
    const b = serviceSpec({ sandbox: `${PREFIX}b`, service: 'web', source: { repo: plainUrl(), commit, branch: 'main' }, hostPort: 20022, health: FAST_HEALTH });
    const resB = await run({ id: jobId('dep'), kind: 'deploy', container: b, credentials: { username: USER, password: TOKEN } });
    expect(resB.ok, resB.error).toBe(true);
    expect((await httpGet('http://127.0.0.1:20021/')).body).toContain('branch=main');
    expect((await httpGet('http://127.0.0.1:20022/')).body).toContain('branch=main');
    expect(server.authorized).toBeGreaterThan(0);
  });

  it('leaves the token nowhere: messages, agent log, worktree git config, any file of the work dir', async () => {
    const messages = JSON.stringify(harness.messages);
    expect(messages).not.toContain(TOKEN);
    expect(messages).not.toContain(SECRET);
    expect(logText.length).toBeGreaterThan(0);
    expect(logText).not.toContain(TOKEN);
    const worktree = join(workDir, 'git', 'worktrees', `${PREFIX}a`, 'web', commit.slice(0, 12));
    const config = execFileSync('git', ['-C', worktree, 'config', '--list'], { encoding: 'utf8' });
    expect(config).toContain(`remote.origin.url=${plainUrl()}`);
    expect(config).not.toContain(TOKEN);
    const files = filesUnder(workDir);
    expect(files.length).toBeGreaterThan(20); // mirror objects, worktree files: the scan really ran
    for (const f of files) {
      const bytes = readFileSync(f);
      expect(bytes.includes(TOKEN), f).toBe(false);
      expect(bytes.includes(SECRET), f).toBe(false);
    }
  });

  it('redacts a credential that a failing git echoes back', async () => {
    // the host is down: git's error names the URL, which must not carry the token
    const res = await run({ id: jobId('res'), kind: 'resolve', repo: `http://${USER}:${TOKEN}@127.0.0.1:1/app.git`, refs: ['main'] });
    expect(res.ok).toBe(false);
    expect(res.error).toBeDefined();
    expect(JSON.stringify(harness.messages)).not.toContain(TOKEN);
  });
});
