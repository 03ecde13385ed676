// Bounds on spec input: sizes, kept errors, UTF-8, symbolic links. Each is a placed error, never a throw.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDocuments, compileSpecsDir, readSpecFiles } from './compile.ts';
import { Errors } from './errors.ts';
import { baseFiles } from './fixtures.ts';
import { SPEC_LIMITS, invalidUtf8At, oversizedValue, positionAt } from './limits.ts';

const JUNK = '- [ unclosed: { a: b\n';

describe('limits, pure', () => {
  it('positionAt counts lines and columns', () => {
    expect(positionAt('ab\ncd\nef', 0)).toEqual({ line: 1, col: 1 });
    expect(positionAt('ab\ncd\nef', 4)).toEqual({ line: 2, col: 2 });
    expect(positionAt('ab\ncd\nef', 6)).toEqual({ line: 3, col: 1 });
  });

  it('invalidUtf8At finds the first bad byte, -1 for valid UTF-8', () => {
    expect(invalidUtf8At(Buffer.from('héllo ✓ 𝄞', 'utf8'))).toBe(-1);
    expect(invalidUtf8At(Buffer.from([0x61, 0x62, 0xff, 0x63]))).toBe(2);
    expect(invalidUtf8At(Buffer.from([0x61, 0xc3]))).toBe(1); // truncated sequence
    expect(invalidUtf8At(Buffer.from([0xc0, 0xaf]))).toBe(0); // overlong '/'
    expect(invalidUtf8At(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // a surrogate
    expect(invalidUtf8At(Buffer.from('ok ' + 'x'.repeat(10), 'latin1'))).toBe(-1);
    expect(invalidUtf8At(Buffer.from('caf\xe9', 'latin1'))).toBe(3);
  });

  it('oversizedValue finds a long value or key by its path', () => {
    const big = 'x'.repeat(101);
    expect(oversizedValue({ a: [1, 'ok', { b: big }] }, 100)).toEqual({ path: ['a', 2, 'b'], bytes: 101, key: false });
    expect(oversizedValue({ a: { [big]: 1 } }, 100)).toEqual({ path: ['a', big], bytes: 101, key: true });
    expect(oversizedValue({ a: 'é'.repeat(60) }, 100)).toMatchObject({ bytes: 120 }); // bytes, not characters
    expect(oversizedValue({ a: 'x'.repeat(100) }, 100)).toBeUndefined();
  });

  it('Errors keeps the first N by place and counts the rest in one last line', () => {
    const errors = new Errors(3, 40);
    for (let i = 1000; i > 0; i--) errors.add({ file: 'a.yaml', line: i, col: 1, message: `bad ${i}` });
    errors.add({ file: 'a.yaml', line: 1, col: 1, message: 'bad 1' }); // the same error twice is one
    errors.add({ file: 'a.yaml', line: 2, col: 1, message: 'y'.repeat(100) });
    const sorted = errors.sorted();
    expect(sorted.map((e) => e.message.slice(0, 6))).toEqual(['bad 1', 'bad 2', 'yyyyyy', expect.stringMatching(/^998 mo/)]);
    expect(sorted[2]!.message.length).toBeLessThan(80); // messages are clipped
    expect(sorted[3]!.message).toBe('998 more errors not shown: fix the ones above first (only the first 3 are kept)');
    expect(errors.size).toBe(1002);
  });
});

describe('limits in the compiler', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdp-limits-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a file of junk gives at most the kept errors, each placed', () => {
    const result = compileDocuments([{ path: 'junk.yaml', text: JUNK.repeat(5000) }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeLessThanOrEqual(SPEC_LIMITS.errors + 1);
    expect(result.errors.at(-1)!.message).toMatch(/^\d+ more (YAML )?errors? .*not shown/);
    for (const e of result.errors) expect(e).toMatchObject({ file: 'junk.yaml', line: expect.any(Number), col: expect.any(Number) });
  });

  it('a file over the size limit is an error at file:1:1 and is not parsed', () => {
    const limits = { ...SPEC_LIMITS, fileBytes: 1000 };
    const result = compileDocuments([{ path: 'big.yaml', text: JUNK.repeat(100) }], { limits });
    expect(result).toEqual({ ok: false, errors: [{ file: 'big.yaml', line: 1, col: 1, message: expect.stringMatching(/^the file is 3 KiB, more than the limit of 1 KiB per spec file/) }] });
  });

  it('files over the total limit are an error', () => {
    const limits = { ...SPEC_LIMITS, totalBytes: 1500 };
    const text = `# ${'x'.repeat(1000)}\n`;
    const result = compileDocuments([{ path: 'a.yaml', text }, { path: 'b.yaml', text }], { limits });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ file: 'b.yaml', message: expect.stringMatching(/more than the limit of 2 KiB in all/) })]);
  });

  it('a value over the limit is an error at its place, naming the field', () => {
    const text = `apiVersion: sdp/v1\nkind: Environment\nmetadata: { name: e }\nspec:\n  variables:\n    BIG: ${'x'.repeat(SPEC_LIMITS.valueBytes + 1)}\n`;
    const result = compileDocuments([{ path: 'env.yaml', text }]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]).toMatchObject({ file: 'env.yaml', line: 6, col: 10 });
      expect(result.errors[0]!.message).toMatch(/^spec\.variables\.BIG: the value is 65 KiB, more than the limit of 64 KiB/);
    }
  });

  it('a desired state over its limit is one error; the same specs compile under the default', () => {
    expect(compileDocuments(baseFiles()).ok).toBe(true);
    const result = compileDocuments(baseFiles(), { limits: { ...SPEC_LIMITS, desiredBytes: 1000 } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ line: 1, col: 1, message: expect.stringMatching(/^the compiled desired state is \d+ KiB, more than the limit of 1 KiB/) })]);
  });

  it('reads no file over the size limit, names a non-UTF-8 file by line and column, follows no symlink', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'huge.yaml'), JUNK.repeat(20_000)); // ~420 KiB
    await writeFile(join(dir, 'latin1.yaml'), Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    await writeFile(join(dir, 'sub', 'ok.yaml'), 'a: 1\n');
    await symlink('/etc', join(dir, 'etc'));
    await symlink(join(dir, 'sub', 'ok.yaml'), join(dir, 'link.yaml'));
    const { files, errors } = await readSpecFiles(dir);
    expect(files.map((f) => f.path)).toEqual(['sub/ok.yaml']);
    expect(errors).toEqual([
      { file: 'huge.yaml', line: 1, col: 1, message: expect.stringMatching(/^the file is 4\d\d KiB, more than the limit of 256 KiB per spec file/) },
      { file: 'latin1.yaml', line: 2, col: 7, message: 'not UTF-8 (byte 0xe9): save the file as UTF-8' },
    ]);
    const result = await compileSpecsDir(dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.slice(0, 2).map((e) => `${e.file}:${e.line}:${e.col}`)).toEqual(['huge.yaml:1:1', 'latin1.yaml:2:7']);
  });
});
