// Reading Docker's log output. Pure: the socket and the container are agent/log-streams.ts's.
// Docker multiplexes a non-TTY container's stdout and stderr into one stream of frames, each with an
// 8-byte header (stream 1|2, 3 zero bytes, big-endian length); a TTY container's output is raw.
import { StringDecoder } from 'node:string_decoder';
import type { LogEntry } from '../../schema/protocol.ts';

/** The whole output at once (a finished exec, a failed deploy's last lines), as lines. */
export function demuxLogs(buf: Buffer): string[] {
  const chunks: string[] = [];
  let i = 0;
  const framed = buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return splitLines(buf.toString('utf8'));
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    chunks.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
    i += 8 + len;
  }
  return splitLines(chunks.join(''));
}

function splitLines(s: string): string[] {
  const lines = s.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

type StreamName = LogEntry['stream'];

/** A line as read: `cut` when it was longer than the limit and the rest of it was left out. */
export interface RawLine {
  stream: StreamName;
  text: string;
  cut: boolean;
}

/**
 * Docker's log stream, chunk by chunk, into whole lines. A frame header, a UTF-8 character or a line
 * may be split across chunks: each is kept until it is whole. A line longer than `maxChars` is cut:
 * its first `maxChars + holdChars` characters are given (so a masker sees whole any secret that starts
 * before the cut, `holdChars` being the longest secret), the rest up to its newline is skipped.
 */
export class LogDecoder {
  private header = Buffer.alloc(0);
  private frameLeft = 0;
  private frameStream: StreamName = 'stdout';
  private readonly lines = new Map<StreamName, { decoder: StringDecoder; partial: string; skipping: boolean }>();

  constructor(
    private readonly opts: { tty: boolean; maxChars: number; holdChars: number },
  ) {}

  /** The whole lines this chunk completes. */
  push(chunk: Buffer): RawLine[] {
    const out: RawLine[] = [];
    if (this.opts.tty) {
      this.text('stdout', chunk, out);
      return out;
    }
    let i = 0;
    while (i < chunk.length) {
      if (this.frameLeft === 0) {
        const need = 8 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(i, i + need)]);
        i += Math.min(need, chunk.length - i);
        if (this.header.length < 8) break;
        this.frameStream = this.header[0] === 2 ? 'stderr' : 'stdout';
        this.frameLeft = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        continue;
      }
      const take = Math.min(this.frameLeft, chunk.length - i);
      this.text(this.frameStream, chunk.subarray(i, i + take), out);
      this.frameLeft -= take;
      i += take;
    }
    return out;
  }

  /** What is left when the stream ends: each stream's last line without a newline. */
  end(): RawLine[] {
    const out: RawLine[] = [];
    for (const [stream, s] of this.lines) {
      const rest = s.partial + s.decoder.end();
      if (rest !== '' && !s.skipping) out.push({ stream, text: rest.replace(/\r$/, ''), cut: false });
      s.partial = '';
    }
    return out;
  }

  private text(stream: StreamName, bytes: Buffer, out: RawLine[]): void {
    let s = this.lines.get(stream);
    if (!s) this.lines.set(stream, (s = { decoder: new StringDecoder('utf8'), partial: '', skipping: false }));
    let text = s.partial + s.decoder.write(bytes);
    const limit = this.opts.maxChars + this.opts.holdChars;
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      if (!s.skipping) out.push({ stream, text: text.slice(0, nl).replace(/\r$/, ''), cut: false });
      s.skipping = false;
      text = text.slice(nl + 1);
    }
    if (s.skipping) text = '';
    else if (text.length > limit) {
      out.push({ stream, text: text.slice(0, limit), cut: true });
      s.skipping = true;
      text = '';
    }
    s.partial = text;
  }
}

/** Docker's `timestamps` prefix (`2026-01-02T03:04:05.123456789Z `), split from the line. */
export function splitTimestamp(line: string): { ts?: string; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/.exec(line);
  return m ? { ts: m[1] as string, text: line.slice(m[0].length) } : { text: line };
}

/** A token bucket: `rate` units a second, up to `burst` saved. Pure: the caller says what time it is. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes `n` when there are that many; false (taking none) when not. */
  take(n: number, now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}
