// For leak tests: does a secret appear anywhere on disk? Walks files and folders recursively
// (SQLite .db, -wal and -shm files included: they are just files) and searches raw bytes for the
// needle as UTF-8, UTF-16LE (how some tools write strings) and base64 (how a careless log or
// JSON-in-DB would hide it), so "not found" means not there in any of the usual encodings.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LeakHit {
  path: string;
  encoding: 'utf8' | 'utf16le' | 'base64';
  offset: number;
}

export function scanForSecret(paths: string[], needle: string): LeakHit[] {
  if (needle.length < 6) throw new Error('scanForSecret: use a needle of at least 6 characters, shorter ones match by chance');
  const patterns: { encoding: LeakHit['encoding']; bytes: Buffer }[] = [
    { encoding: 'utf8', bytes: Buffer.from(needle, 'utf8') },
    { encoding: 'utf16le', bytes: Buffer.from(needle, 'utf16le') },
    // base64 of the needle at each of the 3 alignments; drop the edge characters that depend on neighbours
    ...[0, 1, 2].map((shift) => {
      const b64 = Buffer.from('\0'.repeat(shift) + needle, 'utf8').toString('base64');
      const start = Math.ceil((shift * 4) / 3) + 1;
      return { encoding: 'base64' as const, bytes: Buffer.from(b64.slice(start, b64.length - 4), 'utf8') };
    }),
  ];
  const hits: LeakHit[] = [];
  const visit = (path: string): void => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return; // gone (a -wal checkpointed away) or never there
    }
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
      return;
    }
    if (!st.isFile()) return;
    const data = readFileSync(path);
    for (const p of patterns) {
      if (p.bytes.length < 4) continue;
      const offset = data.indexOf(p.bytes);
      if (offset >= 0) hits.push({ path, encoding: p.encoding, offset });
    }
  };
  for (const p of paths) visit(p);
  return hits;
}
