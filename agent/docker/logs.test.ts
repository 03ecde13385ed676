import { describe, expect, it } from 'vitest';
import { Redactor } from '../redact.ts';
import { LogDecoder, TokenBucket, splitTimestamp } from './logs.ts';

/** One Docker frame: stream 1 stdout / 2 stderr, 3 zero bytes, big-endian length, payload. */
function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Feeds `buf` one byte at a time: every header, character and line is split across chunks. */
function bytewise(d: LogDecoder, buf: Buffer) {
  const out = [];
  for (let i = 0; i < buf.length; i++) out.push(...d.push(buf.subarray(i, i + 1)));
  return [...out, ...d.end()];
}

describe('LogDecoder', () => {
  it('joins frames, characters and lines split across chunks, keeping stdout and stderr apart', () => {
    const d = new LogDecoder({ tty: false, maxChars: 100, holdChars: 0 });
    const buf = Buffer.concat([frame(1, 'héllo wo'), frame(2, 'oops\n'), frame(1, 'rld\r\nnext'), frame(1, ' line\n'), frame(2, 'tail without newline')]);
    expect(bytewise(d, buf)).toEqual([
      { stream: 'stderr', text: 'oops', cut: false },
      { stream: 'stdout', text: 'héllo world', cut: false },
      { stream: 'stdout', text: 'next line', cut: false },
      { stream: 'stderr', text: 'tail without newline', cut: false },
    ]);
  });

  it('reads a TTY container raw', () => {
    const d = new LogDecoder({ tty: true, maxChars: 100, holdChars: 0 });
    expect([...d.push(Buffer.from('a\nb')), ...d.end()]).toEqual([
      { stream: 'stdout', text: 'a', cut: false },
      { stream: 'stdout', text: 'b', cut: false },
    ]);
  });

  it('cuts a long line, giving enough past the cut that a secret across it is masked whole, and skips its rest', () => {
    const secret = 'sekrit-value-123';
    const r = new Redactor([secret]);
    const d = new LogDecoder({ tty: false, maxChars: 10, holdChars: r.longest });
    const long = `${'x'.repeat(6)}${secret}${'y'.repeat(50)}\nshort\n`;
    const lines = bytewise(d, frame(1, long));
    expect(lines.map((l) => l.cut)).toEqual([true, false]);
    expect(r.text(lines[0]!.text)).toBe('xxxxxx***yyyy');
    expect(lines[0]!.text.length).toBe(10 + secret.length);
    expect(lines[1]!.text).toBe('short');
  });
});

describe('log line helpers', () => {
  it('splits Docker timestamps off', () => {
    expect(splitTimestamp('2026-12-01T18:57:14.123456789Z hello world')).toEqual({ ts: '2026-12-01T18:57:14.123456789Z', text: 'hello world' });
    expect(splitTimestamp('no time here')).toEqual({ text: 'no time here' });
  });

  it('lets a burst through, then the rate', () => {
    const b = new TokenBucket(100, 300, 0);
    expect(b.take(300, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.take(50, 500)).toBe(true);
    expect(b.take(50, 500)).toBe(false);
    expect(b.take(300, 60_000)).toBe(true);
  });

  it('masks a multi-line secret line by line', () => {
    const r = new Redactor(['-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----']);
    expect(r.text('AAAABBBBCCCC')).toBe('***');
  });
});
