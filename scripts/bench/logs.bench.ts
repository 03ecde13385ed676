// What a chatty container costs the agent's log stream (agent/log-streams.ts), per MB of Docker's
// framed output, on the pure pipeline it runs: frames -> lines (LogDecoder), the rate check (TokenBucket),
// masking with the container's secrets (Redactor). Two cases: every line passes and is masked (the
// most masking can cost), and a flood past the rate (the bucket empty: lines dropped before masking,
// as they are once a stream is over its 64 KiB/s). Budget: a flood is read at >= 50 MB/s, so a
// container writing faster than that is the only way to busy one core, and then only its own stream.
import { Redactor } from '../../agent/redact.ts';
import { LogDecoder, TokenBucket } from '../../agent/docker/logs.ts';
import { LOG_LIMITS } from '../../schema/log-limits.ts';

const MB = 1024 * 1024;
const TOTAL = 64 * MB;
const FLOOD_BUDGET_MB_S = 50;
const RUNS = 5;

/** Docker's framing of `lines` as stdout frames of about 16 KiB (as the engine sends them). */
function framed(lines: string[]): Buffer[] {
  const out: Buffer[] = [];
  let batch = '';
  for (const l of lines) {
    batch += `2026-12-01T10:00:00.123456789Z ${l}\n`;
    if (batch.length < 16 * 1024) continue;
    out.push(frame(batch));
    batch = '';
  }
  if (batch) out.push(frame(batch));
  return out;
}

function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

function pass(chunks: Buffer[], redactor: Redactor, bucket: TokenBucket | null): { ms: number; lines: number; kept: number } {
  const decoder = new LogDecoder({ tty: false, maxChars: LOG_LIMITS.lineMaxChars, holdChars: redactor.longest });
  let lines = 0;
  let kept = 0;
  const t0 = performance.now();
  for (const c of chunks) {
    for (const l of decoder.push(c)) {
      lines++;
      if (bucket && !bucket.take(l.text.length + 40, Date.now())) continue;
      if (redactor.text(l.text).length >= 0) kept++;
    }
  }
  return { ms: performance.now() - t0, lines, kept };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function run(): Promise<void> {
  const secrets = ['db-password-0f3e9a1c', 'api-token-7d2b4e8f61a0', 'https://user:s3cret@db.internal', 'x'.repeat(64), '-----BEGIN KEY-----\nAAAABBBBCCCCDDDD\n-----END KEY-----'];
  const redactor = new Redactor(secrets);
  const line = `GET /account/login 200 user=42 took=3ms trace=${'ab12'.repeat(12)} note=nothing-secret-here`;
  const lines = Array.from({ length: Math.ceil(TOTAL / (line.length + 32)) }, (_, i) => (i % 1000 === 0 ? `${line} db-password-0f3e9a1c` : line));
  const chunks = framed(lines);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const masked: number[] = [];
  const flood: number[] = [];
  let floodKept = 0;
  for (let i = 0; i < RUNS; i++) {
    masked.push(pass(chunks, redactor, null).ms);
    // the burst is used up at once; the rest of the pass is a flood over the rate
    const f = pass(chunks, redactor, new TokenBucket(LOG_LIMITS.bytesPerSecond, LOG_LIMITS.burstBytes, Date.now()));
    flood.push(f.ms);
    floodKept = f.kept;
  }
  const rate = (ms: number) => bytes / MB / (ms / 1000);
  const floodRate = rate(median(flood));
  console.log(`input: ${(bytes / MB).toFixed(0)} MB, ${lines.length} lines of ${line.length + 31} bytes, ${secrets.length} secrets; median of ${RUNS}`);
  console.log(`every line masked:      ${rate(median(masked)).toFixed(0)} MB/s (${median(masked).toFixed(0)} ms)`);
  console.log(`flood past the rate:    ${floodRate.toFixed(0)} MB/s (${median(flood).toFixed(0)} ms; ${floodKept} lines kept, the burst)`);
  console.log(`budget: a flood at >= ${FLOOD_BUDGET_MB_S} MB/s: ${floodRate >= FLOOD_BUDGET_MB_S ? 'ok' : 'MISSED'}`);
  if (floodRate < FLOOD_BUDGET_MB_S) process.exitCode = 1;
}
