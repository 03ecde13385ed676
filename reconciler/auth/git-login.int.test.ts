// Login against git with the real git binary: a local HTTP git server (git http-backend behind
// Basic auth) holds a repository; credentials that can ls-remote it log in, others do not.
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanForSecret } from '../../test/support/leaks.ts';
import { gitLoginVerifier, lsRemoteWithGit } from './git-login.ts';
import { startHarness, type Harness } from './testing.ts';

const GIT_USER = 'dev.one@example.com';
const GIT_PASS = 'Git-Pa55word-4e1b';
let root: string;
let git: Server;
let repoUrl: string;
const seenAuth: string[] = [];

/** git http-backend as CGI behind Basic auth: 401 unless the one known user and password. */
function startGitServer(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seenAuth.push(auth ? 'present' : 'absent');
    if (auth !== 'Basic ' + Buffer.from(`${GIT_USER}:${GIT_PASS}`).toString('base64')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'],
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: GIT_USER,
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't-auth-git-'));
  const work = join(root, 'work');
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init']);
  execFileSync('git', ['clone', '-q', '--bare', work, join(root, 'app.git')]);
  git = await startGitServer(24300);
  repoUrl = `http://127.0.0.1:${(git.address() as AddressInfo).port}/app.git`;
});
afterAll(async () => {
  await new Promise((r) => git?.close(r));
  rmSync(root, { recursive: true, force: true });
});

describe('lsRemoteWithGit', () => {
  it('reads the repo with the right credentials and is refused with wrong ones', async () => {
    expect(await lsRemoteWithGit(repoUrl, { username: GIT_USER, password: GIT_PASS })).toBe(true);
    expect(await lsRemoteWithGit(repoUrl, { username: GIT_USER, password: 'wrong-password' })).toBe(false);
    expect(await lsRemoteWithGit(repoUrl, { username: 'someone', password: GIT_PASS })).toBe(false);
    expect(seenAuth).not.toContain('absent');
  });
  it('throws, without the password, when git cannot reach the repo', async () => {
    let err: unknown;
    try {
      await lsRemoteWithGit('http://127.0.0.1:24399/none.git', { username: GIT_USER, password: GIT_PASS });
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/git ls-remote .* failed/);
    expect(String(err)).not.toContain(GIT_PASS);
  });
  it('only takes http(s) repositories', async () => {
    await expect(lsRemoteWithGit('file:///etc', { username: 'a', password: 'b' })).rejects.toThrow(/http\(s\)/);
  });
});

describe('login against git', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(24310, { gitLogin: { verify: gitLoginVerifier(repoUrl) } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const login = (username: string, password: string) =>
    fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

  it('lets a git user in as viewer, keeps no git password, refuses a wrong one', async () => {
    expect((await login(GIT_USER, 'nope-nope')).status).toBe(401);
    const ok = await login(GIT_USER, GIT_PASS);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ user: { username: GIT_USER, role: 'viewer' } });
    expect(h.auth.accounts.getUser(GIT_USER)).toMatchObject({ source: 'git', role: 'viewer' });
    // checked against git each time: a second login works, a wrong password still fails
    expect((await login(GIT_USER, GIT_PASS)).status).toBe(200);
    expect((await login(GIT_USER, 'nope-nope')).status).toBe(401);
    h.store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    expect(scanForSecret([h.dataDir], GIT_PASS)).toEqual([]);
    const logins = h.audit.list({ action: 'login', actor: GIT_USER }).events;
    expect(logins.map((e) => [e.outcome, e.detail['method'] ?? null])).toEqual([
      ['failure', null],
      ['success', 'git'],
      ['success', 'git'],
      ['failure', null],
    ].reverse());
  });

  it('never lets git credentials into a local account', async () => {
    // "admin" is local: git is not consulted for it, so git's password for a user of that name fails
    expect((await login('admin', GIT_PASS)).status).toBe(401);
    expect((await login('admin', 'admin-password-1')).status).toBe(200);
  });
});
