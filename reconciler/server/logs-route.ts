// GET /api/sandboxes/{name}/services/{service}/logs: a container's log as NDJSON over a chunked
// response (schema/api.ts LogEvent, one a line): `start` (once attached), then `line`s, `dropped` when lines were left
// out, and `end` with the reason. The agent masks and rate-limits; here a client that reads too slowly
// loses lines (counted) rather than growing the server's memory, and leaving cancels the agent's side.
import type { LogEvent } from '../../schema/api.ts';
import { LOG_LIMITS, type LiveContainer } from '../../schema/protocol.ts';
import { parseTtl } from '../specs/units.ts';
import type { LogRelay, LogSink } from './log-relay.ts';

/** What a response may hold unread before lines are dropped for that client. */
const CLIENT_BUFFER_BYTES = 1024 * 1024;

export interface LogsQuery {
  follow: boolean;
  tail: number;
  /** unix seconds */
  since?: number;
}

/** `?follow=true&tail=N&since=10m|<RFC 3339>`; the reason when a value is not one of those. */
export function parseLogsQuery(q: Record<string, string | undefined>, now: number): LogsQuery | { error: string } {
  const follow = q['follow'] === 'true' || q['follow'] === '1';
  let tail: number = LOG_LIMITS.tailDefault;
  if (q['tail'] !== undefined && q['tail'] !== '') {
    if (!/^[0-9]+$/.test(q['tail']) || Number(q['tail']) > LOG_LIMITS.tailMax) return { error: `tail=${q['tail']}: a whole number 0..${LOG_LIMITS.tailMax} (default ${LOG_LIMITS.tailDefault})` };
    tail = Number(q['tail']);
  }
  const raw = q['since'];
  if (raw === undefined || raw === '') return { follow, tail };
  const ago = parseTtl(raw);
  const at = ago !== undefined ? now - ago * 1000 : /^\d{4}-\d\d-\d\dT/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(at)) return { error: `since=${raw}: a duration (90s, 10m, 2h, 1d) or an RFC 3339 time (2026-01-02T15:04:05Z)` };
  return { follow, tail, since: Math.max(0, Math.floor(at / 1000)) };
}

export interface LogTarget {
  sandbox: string;
  service: string;
  node: string;
  container: LiveContainer;
  platform?: string;
}

/**
 * Opens the stream and answers with it, or with the refusal (too many streams, agent offline) as an
 * error status before any byte of the stream.
 */
export function streamLogs(relay: LogRelay, user: string, t: LogTarget, q: LogsQuery): Response | { refused: string; status: 429 | 503 } {
  const enc = new TextEncoder();
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let slowDropped = 0;
  const push = (events: LogEvent[]) => ctrl.enqueue(enc.encode(events.map((e) => `${JSON.stringify(e)}\n`).join('')));
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        ctrl = c;
      },
      cancel: () => {
        closed = true;
        if ('id' in opened) relay.cancel(opened.id);
      },
    },
    { highWaterMark: CLIENT_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
  );
  // `start` once the agent says Docker's stream is attached (its first chunk), so a client that
  // writes a line after reading it sees that line
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    push([{ type: 'start', sandbox: t.sandbox, service: t.service, container: t.container.name, node: t.node, follow: q.follow, tail: q.tail }]);
  };
  const sink: LogSink = {
    chunk(c) {
      if (closed) return;
      start();
      if ((ctrl.desiredSize ?? 0) <= 0) {
        slowDropped += c.lines.length + (c.dropped ?? 0);
        return;
      }
      const events: LogEvent[] = [];
      if (slowDropped > 0) events.push({ type: 'dropped', lines: slowDropped, message: `${slowDropped} lines left out: this client read them too slowly` });
      slowDropped = 0;
      if (c.notice) events.push({ type: 'notice', message: c.notice });
      if (c.dropped) events.push({ type: 'dropped', lines: c.dropped, message: `${c.dropped} lines left out: the container wrote more than ${LOG_LIMITS.bytesPerSecond / 1024} KiB/s` });
      for (const l of c.lines) events.push({ type: 'line', ...l });
      push(events);
    },
    end(e) {
      if (closed) return;
      closed = true;
      push([{ type: 'end', ...e }]);
      ctrl.close();
    },
  };
  const opened = relay.open(
    t.node,
    user,
    { sandbox: t.sandbox, ...(t.platform ? { platform: t.platform } : {}), container: t.container.name, tail: q.tail, ...(q.since !== undefined ? { since: q.since } : {}), follow: q.follow },
    sink,
  );
  if ('refused' in opened) return opened;
  return new Response(body, {
    status: 200,
    headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
  });
}
