// Bounds on spec input. Whatever is in the specs folder, a compile costs bounded time and memory and
// ends in a revision (good or rejected with a bounded list of errors); the reconciler keeps serving
// the last good desired state. The YAML parser needs ~0.5 s and ~150 MB per 256 KiB of text, so the
// per-file bound is what keeps one compile step short, and the total bound what keeps a whole compile
// short; real spec files are a few KiB.
import { isUtf8 } from 'node:buffer';
import type { SourceRef } from '../../schema/desired.ts';

export interface SpecLimits {
  /** bytes per spec file */
  fileBytes: number;
  /** bytes of all spec files together */
  totalBytes: number;
  /** number of spec files */
  files: number;
  /** errors kept per revision: the first N (by file, line, column), then one line counting the rest */
  errors: number;
  /** bytes of any one string (key or value) in a spec */
  valueBytes: number;
  /** characters of one error message (messages quote keys and values) */
  messageChars: number;
  /** bytes of the compiled desired state (templates expand into every sandbox that uses them) */
  desiredBytes: number;
}

export const SPEC_LIMITS: SpecLimits = {
  fileBytes: 256 * 1024,
  totalBytes: 4 * 1024 * 1024,
  files: 1000,
  errors: 100,
  valueBytes: 64 * 1024,
  messageChars: 500,
  desiredBytes: 16 * 1024 * 1024,
};

export const kib = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

/** Line and column (1-based, columns in UTF-16 units as the YAML parser counts) of `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** Byte offset of the first byte that is not valid UTF-8, or -1 when all of `buf` is. */
export function invalidUtf8At(buf: Uint8Array): number {
  if (isUtf8(buf)) return -1;
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > buf.length) return i;
    for (let k = 1; k < len; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    // overlong forms, surrogates and code points past U+10FFFF
    const b1 = buf[i + 1] ?? 0;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += len;
  }
  return i;
}

/** The spec error for bytes that are not UTF-8: where the first bad byte is, and what to do. */
export function utf8Error(file: string, buf: Buffer, at: number): SourceRef & { message: string } {
  // the valid prefix decodes exactly, so its lines and columns are the file's
  const { line, col } = positionAt(buf.subarray(0, at).toString('utf8'), at);
  const byte = buf[at]?.toString(16).padStart(2, '0') ?? '??';
  return { file, line, col, message: `not UTF-8 (byte 0x${byte}): save the file as UTF-8` };
}

/** A string (key or value) longer than `max` bytes, by its path in the document; the first one found. */
export function oversizedValue(value: unknown, max: number): { path: (string | number)[]; bytes: number; key: boolean } | undefined {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      // a string of more than max/3 UTF-16 units may exceed max bytes; count exactly only then
      if (v.length > max / 3 && Buffer.byteLength(v) > max) return { path, bytes: Buffer.byteLength(v), key: false };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      for (const [k] of entries) if (k.length > max / 3 && Buffer.byteLength(k) > max) return { path: [...path, k], bytes: Buffer.byteLength(k), key: true };
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i]![1], path: [...path, entries[i]![0]] });
    }
  }
  return undefined;
}

/** The spec errors for input over the bounds, each with what to do. */
export const tooMany = (n: number, limits: SpecLimits): SourceRef & { message: string } => ({
  file: '.',
  line: 1,
  col: 1,
  message: `${n} spec files, more than the limit of ${limits.files}: keep only specs in the specs folder`,
});
export const tooLarge = (file: string, bytes: number, limits: SpecLimits): SourceRef & { message: string } => ({
  file,
  line: 1,
  col: 1,
  message: `the file is ${kib(bytes)}, more than the limit of ${kib(limits.fileBytes)} per spec file: split it into several files`,
});
export const tooMuch = (file: string, limits: SpecLimits): SourceRef & { message: string } => ({
  file,
  line: 1,
  col: 1,
  message: `the spec files up to this one are more than the limit of ${kib(limits.totalBytes)} in all: keep only specs in the specs folder`,
});

export function clip(message: string, max: number): string {
  return message.length <= max ? message : `${message.slice(0, max)}… (${message.length - max} more characters)`;
}
