// The secret store on a real SQLite file: nothing readable on disk, wrong key and tampering refused,
// digest changes with a value without revealing it, master key file created 0600.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanForSecret } from '../../test/support/leaks.ts';
import { openStore, type Store } from '../store/db.ts';
import { loadMasterKey } from './master-key.ts';
import { createSecretStore, SecretStoreError } from './store.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 't-auth-secrets-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
function open(dir: string): Store {
  const s = openStore(join(dir, 'sdp.db'));
  cleanup.push(() => s.close());
  return s;
}

const PLAIN = 'Pl4intext-S3cret-value-7f3a';

describe('secret store (real SQLite)', () => {
  it('keeps only ciphertext in the .db and -wal files, and gives the value back server-side', () => {
    const dir = dataDir();
    const store = open(dir);
    const { key } = loadMasterKey(dir, {});
    const secrets = createSecretStore(store, key);
    secrets.set('account-dev', 'DB_PASSWORD', PLAIN, 'lead1');
    secrets.set('account-dev', 'API_KEY', PLAIN + '-2');
    // before a checkpoint the rows live in the WAL; after one, in the .db: check both states
    expect(scanForSecret([dir], PLAIN)).toEqual([]);
    store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    expect(scanForSecret([dir], PLAIN)).toEqual([]);
    expect(secrets.get('account-dev', 'DB_PASSWORD')).toBe(PLAIN);
    expect(secrets.get('account-dev', 'NOPE')).toBeUndefined();
    // and the scan does find it where it is plain, so the assertions above can fail
    writeFileSync(join(dir, 'leak.log'), `x=${PLAIN}`);
    expect(scanForSecret([dir], PLAIN).map((h) => h.path)).toEqual([join(dir, 'leak.log')]);
  });

  it('lists names with set/unset, never values', () => {
    const dir = dataDir();
    const secrets = createSecretStore(open(dir), loadMasterKey(dir, {}).key);
    secrets.set('dev', 'A', PLAIN, 'lead1');
    const list = secrets.list([
      { environment: 'dev', key: 'A' },
      { environment: 'dev', key: 'B' },
    ]);
    expect(list).toMatchObject([
      { environment: 'dev', key: 'A', set: true, referenced: true, updatedBy: 'lead1' },
      { environment: 'dev', key: 'B', set: false, referenced: true },
    ]);
    expect(JSON.stringify(list)).not.toContain(PLAIN);
    expect(secrets.delete('dev', 'A')).toBe(true);
    expect(secrets.delete('dev', 'A')).toBe(false);
    expect(secrets.list()).toEqual([]);
  });

  it('refuses to start with another master key', () => {
    const dir = dataDir();
    const store = open(dir);
    createSecretStore(store, randomBytes(32)).set('dev', 'A', PLAIN);
    let err: unknown;
    try {
      createSecretStore(store, randomBytes(32));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretStoreError);
    expect(String(err)).toMatch(/master key does not match/);
    expect(String(err)).not.toContain(PLAIN);
  });

  it('refuses a tampered or moved row without saying its value', () => {
    const dir = dataDir();
    const store = open(dir);
    const secrets = createSecretStore(store, randomBytes(32));
    secrets.set('dev', 'A', PLAIN);
    secrets.set('dev', 'B', 'other-value');
    store.sqlite.prepare("UPDATE secrets SET ciphertext = (SELECT ciphertext FROM secrets WHERE key = 'A'), iv = (SELECT iv FROM secrets WHERE key = 'A'), tag = (SELECT tag FROM secrets WHERE key = 'A') WHERE key = 'B'").run();
    expect(() => secrets.get('dev', 'B')).toThrow(/dev\/B cannot be decrypted/);
    const row = store.sqlite.prepare("SELECT ciphertext FROM secrets WHERE key = 'A'").get() as { ciphertext: Buffer };
    row.ciphertext[0] = (row.ciphertext[0] ?? 0) ^ 0xff;
    store.sqlite.prepare("UPDATE secrets SET ciphertext = ? WHERE key = 'A'").run(row.ciphertext);
    let message = '';
    try {
      secrets.get('dev', 'A');
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/dev\/A cannot be decrypted: wrong master key or the stored value was altered/);
    expect(message).not.toContain(PLAIN);
  });

  it('digest changes when a referenced value changes and reveals nothing', () => {
    const dir = dataDir();
    const secrets = createSecretStore(open(dir), randomBytes(32));
    const refs = [{ environment: 'dev', key: 'A' }];
    expect(secrets.digest([])).toBe('');
    const unset = secrets.digest(refs);
    secrets.set('dev', 'A', PLAIN);
    const first = secrets.digest(refs);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(first).not.toBe(unset);
    expect(secrets.digest(refs)).toBe(first);
    secrets.set('dev', 'B', 'unrelated');
    expect(secrets.digest(refs)).toBe(first);
    secrets.set('dev', 'A', PLAIN + '!');
    expect(secrets.digest(refs)).not.toBe(first);
  });
});

describe('master key', () => {
  it('creates <dataDir>/master.key 0600 once, then reads the same key', () => {
    const dir = dataDir();
    const first = loadMasterKey(dir, {});
    expect(first.source).toBe('created');
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const again = loadMasterKey(dir, {});
    expect(again.source).toBe('file');
    expect(again.key.equals(first.key)).toBe(true);
  });
  it('prefers SDP_MASTER_KEY and checks its length', () => {
    const dir = dataDir();
    const key = randomBytes(32);
    const got = loadMasterKey(dir, { SDP_MASTER_KEY: key.toString('base64') });
    expect(got).toEqual({ key, source: 'env' });
    expect(() => loadMasterKey(dir, { SDP_MASTER_KEY: randomBytes(16).toString('base64') })).toThrow(/exactly 32 bytes/);
  });
  it('refuses a key file others can read', () => {
    const dir = dataDir();
    loadMasterKey(dir, {});
    chmodSync(join(dir, 'master.key'), 0o644);
    expect(() => loadMasterKey(dir, {})).toThrow(/readable by others.*chmod 600/);
  });
});
