// The demo's post-receive hook really posts a push to sdp's webhook, signed so that sdp accepts it
// (real git push into real bare repos, a real HTTP listener checking the signature as sdp does).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WEBHOOK_SIGNATURE_HEADER, webhookSignatureOk } from '../../reconciler/auth/index.ts';
import { installPushHooks } from './push-hook.ts';
import { DEMO_SERVICES, repoPath } from './repos.ts';

const PORT = 30950; // the t-set range
const SECRET = 'demo-hook-secret-for-the-test';
let root: string;
let server: Server;
const received: { ok: boolean }[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't-set-hook-'));
  for (const s of DEMO_SERVICES) execFileSync('git', ['init', '-q', '--bare', '-b', 'develop', repoPath(join(root, 'repos'), s)]);
  writeFileSync(join(root, 'secret'), `${SECRET}\n`);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const header = req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()];
      received.push({ ok: req.url === '/api/webhooks/git' && webhookSignatureOk(SECRET, body, typeof header === 'string' ? header : undefined) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
  await installPushHooks(join(root, 'repos'), `http://127.0.0.1:${PORT}`, join(root, 'secret'));
});

afterAll(() => {
  server?.close();
  rmSync(root, { recursive: true, force: true });
});

it('a push to a demo repository is a signed webhook call sdp accepts', async () => {
  const work = join(root, 'work');
  const git = (...args: string[]) => execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  execFileSync('git', ['clone', '-q', repoPath(join(root, 'repos'), 'account'), work]);
  writeFileSync(join(work, 'x'), 'x\n');
  git('add', '.');
  git('commit', '-qm', 'x');
  git('push', '-q', 'origin', 'HEAD:refs/heads/feature/new');
  for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(received).toEqual([{ ok: true }]);
});
