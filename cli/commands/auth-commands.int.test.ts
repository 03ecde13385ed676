// `sdp login`, `sdp user`, `sdp token`, `sdp secret` as a user runs them (the real bin, stdin piped)
// against a real HTTP server with the auth modules mounted.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../reconciler/auth/testing.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sdp.js');
let h: Harness;

function sdp(args: string[], opts: { stdin?: string; token?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SDP_TOKEN: opts.token ?? '' };
    const child = spawn(process.execPath, [BIN, ...args, '--server', h.url], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

beforeAll(async () => {
  h = await startHarness(24400);
});
afterAll(async () => {
  await h?.close();
});

describe('auth commands', () => {
  const VALUE = 'Cli-S3cret-value-0d9e';
  it('login, create a user and a token, set and list a secret, revoke', async () => {
    const login = await sdp(['login', '-u', 'admin'], { stdin: 'admin-password-1\n' });
    expect(login.code, login.stderr).toBe(0);
    const admin = login.stdout.trim();
    expect(admin).toMatch(/^sdps_[A-Za-z0-9_-]+$/);
    expect(login.stderr).toMatch(/logged in as admin \(admin\)/);

    const wrong = await sdp(['login', '-u', 'admin'], { stdin: 'nope\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^sdp: POST \/api\/login: 401 wrong username or password/m);

    expect((await sdp(['user', 'create', 'lead9', '--role', 'lead'], { stdin: 'lead9-password\n', token: admin })).code).toBe(0);
    expect((await sdp(['user', 'create', 'qa9', '--role', 'qa'], { stdin: 'qa9-password\n', token: admin })).code).toBe(0);
    const users = await sdp(['user', 'list'], { token: admin });
    expect(users.stdout).toContain('lead9\tlead\tlocal');

    const tok = await sdp(['token', 'create', 'ci', '--user', 'lead9'], { token: admin });
    expect(tok.code, tok.stderr).toBe(0);
    const lead = tok.stdout.trim();
    expect(lead).toMatch(/^sdp_/);

    const set = await sdp(['secret', 'set', 'account-dev', 'DB_PASSWORD'], { stdin: `${VALUE}\n`, token: lead });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(VALUE);
    expect(h.secrets.get('account-dev', 'DB_PASSWORD')).toBe(VALUE);

    const list = await sdp(['secret', 'list'], { token: lead });
    expect(list.stdout).toMatch(/^account-dev\/DB_PASSWORD\tset by lead9 at \S+\t\(not referenced by the specs\)$/m);
    expect(list.stdout).not.toContain(VALUE);

    const qa = (await sdp(['login', '-u', 'qa9'], { stdin: 'qa9-password' })).stdout.trim();
    const refused = await sdp(['secret', 'set', 'account-dev', 'DB_PASSWORD'], { stdin: 'other', token: qa });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/403 requires role lead/);
    expect(h.secrets.get('account-dev', 'DB_PASSWORD')).toBe(VALUE);

    const tokens = await sdp(['token', 'list'], { token: admin });
    const id = /^(tok_[0-9a-f]{12})\tlead9\tci\tlead\tlast used \S+$/m.exec(tokens.stdout)?.[1];
    expect(id, tokens.stdout).toBeDefined();
    expect(tokens.stdout).not.toContain(lead);
    expect((await sdp(['token', 'revoke', id ?? ''], { token: admin })).code).toBe(0);
    const after = await sdp(['secret', 'list'], { token: lead });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/401 invalid or revoked token/);
  }, 400_000); // ~14 runs of the CLI, each a few seconds of tsx start on a loaded 2-core machine

  it('refuses an empty secret value', async () => {
    const admin = (await sdp(['login', '-u', 'admin'], { stdin: 'admin-password-1' })).stdout.trim();
    const r = await sdp(['secret', 'set', 'dev', 'EMPTY'], { stdin: '', token: admin });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty value/);
  });
});
