// Pure crypto of the secret store: AES-256-GCM sealing with a fresh 12-byte IV per value, and
// purpose-bound subkeys derived from the one master key with HKDF, so the encryption key, the
// digest key and the key check never share a key.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;

export type KeyPurpose = 'encrypt' | 'digest' | 'check';

export function deriveKey(master: Buffer, purpose: KeyPurpose): Buffer {
  if (master.length !== MASTER_KEY_BYTES) throw new Error(`master key must be ${MASTER_KEY_BYTES} bytes`);
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `sdp secrets ${purpose} v1`, 32));
}

export interface Sealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** `aad` binds the ciphertext to its name: opened under another name it fails. */
export function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Throws when the key is wrong or anything (iv, ciphertext, tag, aad) was altered. */
export function open(key: Buffer, sealed: Sealed, aad: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}

/**
 * HMAC-SHA256 over (environment, key, value) triples in a fixed order, each field length-prefixed
 * so no two different inputs serialise the same. A missing value is marked apart from an empty one.
 */
export function macValues(key: Buffer, entries: { environment: string; key: string; value: string | undefined }[]): string {
  const sorted = [...entries].sort((a, b) =>
    a.environment === b.environment ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.environment < b.environment ? -1 : 1,
  );
  const mac = createHmac('sha256', key);
  const field = (s: string): void => {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    mac.update(len).update(bytes);
  };
  for (const e of sorted) {
    field(e.environment);
    field(e.key);
    if (e.value === undefined) mac.update(Buffer.from([0]));
    else {
      mac.update(Buffer.from([1]));
      field(e.value);
    }
  }
  return mac.digest('hex');
}
