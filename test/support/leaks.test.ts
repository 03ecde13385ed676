import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanForSecret } from './leaks.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 't-auth-leaks-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('scanForSecret', () => {
  const needle = 'hunter2-Sup3rSecret';

  it('finds the needle in nested files in utf8, utf16le and base64 at any alignment', () => {
    const root = tmp();
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'b', 'plain.log'), `line\nDB_PASSWORD=${needle}\n`);
    writeFileSync(join(root, 'wide.bin'), Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(needle, 'utf16le')]));
    for (const prefix of ['', 'x', 'xy']) {
      writeFileSync(join(root, `b64-${prefix.length}.json`), JSON.stringify({ v: Buffer.from(prefix + needle).toString('base64') }));
    }
    const hits = scanForSecret([root], needle);
    expect(hits.map((h) => [h.path.slice(root.length), h.encoding]).sort()).toEqual(
      [
        ['/a/b/plain.log', 'utf8'],
        ['/b64-0.json', 'base64'],
        ['/b64-1.json', 'base64'],
        ['/b64-2.json', 'base64'],
        ['/wide.bin', 'utf16le'],
      ].sort(),
    );
  });

  it('reports nothing when the needle is absent, and ignores missing paths', () => {
    const root = tmp();
    writeFileSync(join(root, 'x.db'), 'hunter2-Sup3rSecre (one char short) ' + Buffer.from('unrelated').toString('base64'));
    expect(scanForSecret([root, join(root, 'x.db-wal')], needle)).toEqual([]);
  });

  it('refuses needles too short to mean anything', () => {
    expect(() => scanForSecret([tmp()], 'abc')).toThrow(/at least 6/);
  });
});
