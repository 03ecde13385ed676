// `sdp login`, `sdp user`, `sdp token`, `sdp secret` as a user runs them (the real bin, stdin piped)
// against a real HTTP server with the auth modules mounted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../reconciler/auth/testing.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sdp.js');
let h: Harness;

function sdp(
  args: string[],
  opts: { stdin?: string; token?: string; env?: Record<string, string>; server?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SDP_TOKEN: opts.token ?? '', ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args, ...(opts.server === false ? [] : ['--server', h.url])], { env, stdio: ['pipe', 'pipe', 'pipe'] });
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
    const login = await sdp(['login', '-u', 'admin', '--print-token'], { stdin: 'admin-password-1\n' });
    expect(login.code, login.stderr).toBe(0);
    const admin = login.stdout.trim();
    expect(admin).toMatch(/^sdps_[A-Za-z0-9_-]+$/);
    expect(login.stderr).toMatch(/logged in as admin \(admin\)/);

    const wrong = await sdp(['login', '-u', 'admin', '--print-token'], { stdin: 'nope\n' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^sdp login: POST \/api\/login: 401 wrong username or password/m);

    expect((await sdp(['user', 'create', 'lead9', '--role', 'lead'], { stdin: 'lead9-password\n', token: admin })).code).toBe(0);
    expect((await sdp(['user', 'create', 'qa9', '--role', 'qa'], { stdin: 'qa9-password\n', token: admin })).code).toBe(0);
    const users = await sdp(['user', 'list'], { token: admin });
    expect(users.stdout).toMatch(/^USER +ROLE +SOURCE$/m);
    expect(users.stdout).toMatch(/^lead9 +lead +local$/m);

    const tok = await sdp(['token', 'create', 'ci', '--user', 'lead9'], { token: admin });
    expect(tok.code, tok.stderr).toBe(0);
    const lead = tok.stdout.trim();
    expect(lead).toMatch(/^sdp_/);

    const set = await sdp(['secret', 'set', 'account-dev', 'DB_PASSWORD'], { stdin: `${VALUE}\n`, token: lead });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(VALUE);
    expect(h.secrets.get('account-dev', 'DB_PASSWORD')).toBe(VALUE);

    const list = await sdp(['secret', 'list'], { token: lead });
    expect(list.stdout).toMatch(/^account-dev\/DB_PASSWORD +set +no \(not in the specs\)$/m);
    const wide = await sdp(['secret', 'list', '-o', 'wide'], { token: lead });
    expect(wide.stdout).toMatch(/^account-dev\/DB_PASSWORD +set +no \(not in the specs\) +lead9 +\S+$/m);
    const json = JSON.parse((await sdp(['secret', 'list', '-o', 'json'], { token: lead })).stdout) as unknown;
    expect(json).toEqual([expect.objectContaining({ environment: 'account-dev', key: 'DB_PASSWORD', set: true, updatedBy: 'lead9', referenced: false })]);
    const { parse } = await import('yaml');
    expect(parse((await sdp(['secret', 'list', '-o', 'yaml'], { token: lead })).stdout)).toEqual(json);
    expect(list.stdout).not.toContain(VALUE);

    const qa = (await sdp(['login', '-u', 'qa9', '--print-token'], { stdin: 'qa9-password' })).stdout.trim();
    const refused = await sdp(['secret', 'set', 'account-dev', 'DB_PASSWORD'], { stdin: 'other', token: qa });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/403 requires role lead/);
    expect(h.secrets.get('account-dev', 'DB_PASSWORD')).toBe(VALUE);

    const tokens = await sdp(['token', 'list'], { token: admin });
    const id = /^(tok_[0-9a-f]{12}) +lead9 +ci +lead +last used \S+$/m.exec(tokens.stdout)?.[1];
    expect(id, tokens.stdout).toBeDefined();
    expect(tokens.stdout).not.toContain(lead);
    expect((await sdp(['token', 'revoke', id ?? ''], { token: admin })).code).toBe(0);
    const after = await sdp(['secret', 'list'], { token: lead });
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/401 invalid or revoked token/);
  }, 400_000);

  it('refuses an empty secret value', async () => {
    const admin = (await sdp(['login', '-u', 'admin', '--print-token'], { stdin: 'admin-password-1' })).stdout.trim();
    const r = await sdp(['secret', 'set', 'dev', 'EMPTY'], { stdin: '', token: admin });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty value/);
  });

  it('login saves server and token (mode 600) for later commands; env and flags override it; logout forgets it', async () => {
    const config = mkdtempSync(join(tmpdir(), 't-auth-config-'));
    try {
      const env = { XDG_CONFIG_HOME: config };
      const login = await sdp(['login', '-u', 'admin'], { stdin: 'admin-password-1', env });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain(`logged in to ${h.url} as admin (admin)`);
      const file = join(config, 'sdp', 'config.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { current: string; logins: Record<string, { token: string }> };
      expect(saved.current).toBe(h.url);
      expect(saved.logins[h.url]?.token).toMatch(/^sdps_/);

      // no --server, no SDP_TOKEN: both come from the saved login
      const users = await sdp(['user', 'list', '-o', 'json'], { env, server: false });
      expect(users.code, users.stderr).toBe(0);
      expect(JSON.parse(users.stdout)).toContainEqual(expect.objectContaining({ username: 'admin', role: 'admin' }));
      // SDP_TOKEN wins over the saved token; --token over SDP_TOKEN
      expect((await sdp(['user', 'list'], { env: { ...env, SDP_TOKEN: 'sdp_wrong' }, server: false })).stderr).toMatch(/401/);
      expect((await sdp(['user', 'list', '--token', saved.logins[h.url]?.token ?? ''], { env: { ...env, SDP_TOKEN: 'sdp_wrong' }, server: false })).code).toBe(0);
      // SDP_SERVER wins over the saved server, and the saved token is not sent to another server
      const other = await sdp(['user', 'list'], { env: { ...env, SDP_SERVER: 'http://127.0.0.1:1' }, server: false });
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/cannot reach the reconciler at http:\/\/127\.0\.0\.1:1/);

      const version = await sdp(['version', '-o', 'json'], { env, server: false });
      expect(JSON.parse(version.stdout)).toMatchObject({ client: { version: '0.1.0' }, server: { url: h.url } });

      const logout = await sdp(['logout'], { env, server: false });
      expect(logout.code, logout.stderr).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ logins: {} });
      const after = await sdp(['user', 'list'], { env });
      expect(after.code).toBe(2);
      expect(after.stderr).toMatch(/401 .*run sdp login --server/);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });
});
