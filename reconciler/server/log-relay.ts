// The reconciler's end of the agents' container log streams (schema/protocol.ts `logs-*`): opens a
// stream on a node, hands its chunks to the one HTTP response that asked, and cancels it on the agent
// when that response goes away. Bounded: streams at once in all and per user; an agent that
// disconnects ends its streams. Chunks come already masked and rate-limited by the agent.
import { randomUUID } from 'node:crypto';
import { LOG_LIMITS, type LogLimits, type LogsChunk, type LogsEnd, type LogsOpen, type ServerMessage } from '../../schema/protocol.ts';
import type { LogEndEvent } from '../../schema/api.ts';

export interface LogSink {
  chunk(c: LogsChunk): void;
  end(e: Omit<LogEndEvent, 'type'>): void;
}

interface Open {
  node: string;
  user: string;
  sink: LogSink;
  /** until the agent's first message: an agent that never answers (one older than this protocol) ends it */
  answer?: NodeJS.Timeout;
}

/** How long an agent may take to attach a stream (inspect the container, open Docker's log). */
const ANSWER_TIMEOUT_MS = 10_000;

export type LogStreamRequest = Omit<LogsOpen, 'type' | 'stream'>;

export class LogRelay {
  private readonly streams = new Map<string, Open>();
  private readonly limits: LogLimits;

  constructor(
    /** false when the node is not connected */
    private readonly send: (node: string, msg: ServerMessage) => boolean,
    limits: Partial<LogLimits> = {},
    private readonly answerTimeoutMs = ANSWER_TIMEOUT_MS,
  ) {
    this.limits = { ...LOG_LIMITS, ...limits };
  }

  /** Opens a stream on `node` for `user`; its id, or why not (too many streams, agent offline). */
  open(node: string, user: string, req: LogStreamRequest, sink: LogSink): { id: string } | { refused: string; status: 429 | 503 } {
    if (this.streams.size >= this.limits.streamsTotal) {
      return { refused: `the server relays at most ${this.limits.streamsTotal} log streams at once; retry later`, status: 503 };
    }
    const mine = [...this.streams.values()].filter((s) => s.user === user).length;
    if (mine >= this.limits.streamsPerUser) {
      return { refused: `at most ${this.limits.streamsPerUser} log streams per user at once; close one (a browser tab, an sdp logs -f) and retry`, status: 429 };
    }
    const id = randomUUID();
    const open: Open = { node, user, sink };
    this.streams.set(id, open);
    if (!this.send(node, { type: 'logs-open', stream: id, ...req })) {
      this.streams.delete(id);
      return { refused: `agent ${node} is offline; its containers' logs come back with it`, status: 503 };
    }
    open.answer = setTimeout(() => {
      this.cancel(id);
      sink.end({ reason: 'failed', message: `agent ${node} did not answer the log request within ${this.answerTimeoutMs / 1000} s (is it older than this server? upgrade it)` });
    }, this.answerTimeoutMs);
    return { id };
  }

  /** The reader went away: stop the agent's side. */
  cancel(id: string): void {
    const s = this.streams.get(id);
    if (!s) return;
    clearTimeout(s.answer);
    this.streams.delete(id);
    this.send(s.node, { type: 'logs-cancel', stream: id });
  }

  /** A chunk or the end of a stream, from `node` (a stream another node opened is not its to feed). */
  receive(node: string, msg: LogsChunk | LogsEnd): void {
    const s = this.streams.get(msg.stream);
    if (!s || s.node !== node) return;
    clearTimeout(s.answer);
    if (msg.type === 'logs-chunk') return s.sink.chunk(msg);
    this.streams.delete(msg.stream);
    s.sink.end({ reason: msg.reason, message: msg.message });
  }

  /** The node's connection is gone, and with it every stream it served. */
  nodeGone(node: string): void {
    for (const [id, s] of this.streams) {
      if (s.node !== node) continue;
      clearTimeout(s.answer);
      this.streams.delete(id);
      s.sink.end({ reason: 'agent-offline', message: `agent ${node} disconnected` });
    }
  }

  close(): void {
    for (const [id, s] of this.streams) {
      clearTimeout(s.answer);
      this.streams.delete(id);
      s.sink.end({ reason: 'failed', message: 'the server is stopping' });
    }
  }

  get size(): number {
    return this.streams.size;
  }
}
