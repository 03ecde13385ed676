import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, macValues, open, seal } from './crypto.ts';

const master = randomBytes(32);
const key = deriveKey(master, 'encrypt');

describe('seal/open', () => {
  it('round-trips, with a fresh IV each time and no plaintext in the ciphertext', () => {
    const a = seal(key, 'p@ssw0rd-value', 'dev\0DB_PASSWORD');
    const b = seal(key, 'p@ssw0rd-value', 'dev\0DB_PASSWORD');
    expect(a.iv).toHaveLength(12);
    expect(a.tag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.ciphertext.includes(Buffer.from('p@ssw0rd'))).toBe(false);
    expect(open(key, a, 'dev\0DB_PASSWORD')).toBe('p@ssw0rd-value');
  });
  it('fails with another key, another name, or any altered byte', () => {
    const s = seal(key, 'value', 'dev\0K');
    expect(() => open(deriveKey(randomBytes(32), 'encrypt'), s, 'dev\0K')).toThrow();
    expect(() => open(key, s, 'prod\0K')).toThrow();
    const flip = (b: Buffer): Buffer => {
      const c = Buffer.from(b);
      c[0] = (c[0] ?? 0) ^ 1;
      return c;
    };
    expect(() => open(key, { ...s, ciphertext: flip(s.ciphertext) }, 'dev\0K')).toThrow();
    expect(() => open(key, { ...s, tag: flip(s.tag) }, 'dev\0K')).toThrow();
    expect(() => open(key, { ...s, iv: flip(s.iv) }, 'dev\0K')).toThrow();
  });
  it('derives distinct keys per purpose and refuses a short master key', () => {
    expect(deriveKey(master, 'encrypt').equals(deriveKey(master, 'digest'))).toBe(false);
    expect(() => deriveKey(randomBytes(16), 'encrypt')).toThrow(/32 bytes/);
  });
});

describe('macValues', () => {
  const k = deriveKey(master, 'digest');
  it('is order independent, changes with any value, and tells missing from empty', () => {
    const a = macValues(k, [
      { environment: 'dev', key: 'A', value: '1' },
      { environment: 'dev', key: 'B', value: '2' },
    ]);
    const b = macValues(k, [
      { environment: 'dev', key: 'B', value: '2' },
      { environment: 'dev', key: 'A', value: '1' },
    ]);
    expect(a).toBe(b);
    expect(macValues(k, [{ environment: 'dev', key: 'A', value: '1' }, { environment: 'dev', key: 'B', value: '3' }])).not.toBe(a);
    expect(macValues(k, [{ environment: 'dev', key: 'A', value: '' }])).not.toBe(macValues(k, [{ environment: 'dev', key: 'A', value: undefined }]));
    // length prefixes: moving a character from key to value is a different input
    expect(macValues(k, [{ environment: 'dev', key: 'AB', value: 'C' }])).not.toBe(macValues(k, [{ environment: 'dev', key: 'A', value: 'BC' }]));
    expect(macValues(deriveKey(randomBytes(32), 'digest'), [{ environment: 'dev', key: 'A', value: '1' }, { environment: 'dev', key: 'B', value: '2' }])).not.toBe(a);
  });
});
