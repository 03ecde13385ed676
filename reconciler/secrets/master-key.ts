// Where the master key comes from: env SDP_MASTER_KEY (base64 of 32 bytes), else a key file
// `<dataDir>/master.key` (mode 0600), created with a fresh random key on first start.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MASTER_KEY_BYTES } from './crypto.ts';

export const MASTER_KEY_FILE = 'master.key';

export interface MasterKey {
  key: Buffer;
  source: 'env' | 'file' | 'created';
}

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new Error(`${where} must be the base64 of exactly ${MASTER_KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): MasterKey {
  const fromEnv = env['SDP_MASTER_KEY'];
  if (fromEnv) return { key: decode(fromEnv, 'SDP_MASTER_KEY'), source: 'env' };

  const path = join(dataDir, MASTER_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  let fd: number;
  try {
    // 'wx': create only if absent, so two processes starting at once cannot overwrite each other's key.
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) throw new Error(`${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${path}`);
    return { key: decode(readFileSync(path, 'utf8'), path), source: 'file' };
  }
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    writeSync(fd, key.toString('base64') + '\n');
  } finally {
    closeSync(fd);
  }
  return { key, source: 'created' };
}
