// Pure parts of auth: role order, password hashing, token hashing, login throttling, input checks.
import { describe, expect, it } from 'vitest';
import { isEnvKey, isName, isUsername, safeJoin } from './input.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { FailureLimiter } from './rate-limit.ts';
import { atLeast, lower, roleForSync } from './roles.ts';
import { matchesHash, newToken, sha256 } from './tokens.ts';

describe('roles', () => {
  it('orders viewer < qa < lead < admin', () => {
    expect(atLeast('admin', 'lead')).toBe(true);
    expect(atLeast('lead', 'lead')).toBe(true);
    expect(atLeast('qa', 'lead')).toBe(false);
    expect(atLeast('viewer', 'qa')).toBe(false);
    expect(lower('admin', 'qa')).toBe('qa');
    expect(lower('viewer', 'lead')).toBe('viewer');
  });
  it('a sync needs qa, a sync with prune needs lead', () => {
    expect(roleForSync({})).toBe('qa');
    expect(roleForSync({ prune: false })).toBe('qa');
    expect(roleForSync({ prune: true })).toBe('lead');
  });
});

describe('passwords', () => {
  it('hashes with a random salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false);
  });
  it('generates long distinct passwords', () => {
    const p = generatePassword();
    expect(p).toHaveLength(24);
    expect(generatePassword()).not.toBe(p);
  });
});

describe('tokens', () => {
  it('prefixes each kind and matches only its own hash', () => {
    const t = newToken('api');
    expect(t).toMatch(/^sdp_[A-Za-z0-9_-]{43}$/);
    expect(newToken('session').startsWith('sdp_')).toBe(false);
    expect(matchesHash(t, sha256(t))).toBe(true);
    expect(matchesHash(t + 'x', sha256(t))).toBe(false);
    expect(matchesHash(t, 'short')).toBe(false);
  });
});

describe('FailureLimiter', () => {
  it('refuses the 6th attempt after 5 failures in a minute, with the seconds to wait', () => {
    let t = 1_000_000;
    const lim = new FailureLimiter(5, 60_000, () => t);
    for (let i = 0; i < 5; i++) {
      expect(lim.check('u\0ip').allowed).toBe(true);
      lim.fail('u\0ip');
      t += 1000;
    }
    const refused = lim.check('u\0ip');
    expect(refused).toEqual({ allowed: false, retryAfter: 55 });
    expect(lim.check('u\0other-ip').allowed).toBe(true);
    t += 55_000;
    expect(lim.check('u\0ip').allowed).toBe(true);
  });
  it('forgets failures after a success', () => {
    const lim = new FailureLimiter(2, 60_000, () => 5);
    lim.fail('k');
    lim.fail('k');
    expect(lim.check('k').allowed).toBe(false);
    lim.succeed('k');
    expect(lim.check('k').allowed).toBe(true);
  });
});

describe('input checks', () => {
  it('names are RFC 1123 labels', () => {
    for (const ok of ['a', 'qa-login-error', 'x'.repeat(63), '0abc']) expect(isName(ok)).toBe(true);
    for (const bad of ['', 'A', '-a', 'a-', 'a_b', 'x'.repeat(64), '../etc', 'a b', 'a\nb']) expect(isName(bad)).toBe(false);
  });
  it('usernames and env keys', () => {
    expect(isUsername('jane.doe@example.com')).toBe(true);
    expect(isUsername('../x')).toBe(false);
    expect(isUsername('-rf')).toBe(false);
    expect(isEnvKey('DB_PASSWORD')).toBe(true);
    expect(isEnvKey('1X')).toBe(false);
    expect(isEnvKey('A-B')).toBe(false);
  });
  it('safeJoin keeps request paths inside the root', () => {
    expect(safeJoin('/srv/ui', 'index.html')).toBe('/srv/ui/index.html');
    expect(safeJoin('/srv/ui', 'a/../b.js')).toBe('/srv/ui/b.js');
    expect(safeJoin('/srv/ui', '')).toBe('/srv/ui');
    for (const bad of ['../etc/passwd', 'a/../../x', '/etc/passwd', 'a\0b', 'C:/x', '..']) expect(safeJoin('/srv/ui', bad)).toBeNull();
    expect(safeJoin('/srv/ui', '..ok')).toBe('/srv/ui/..ok');
  });
});
