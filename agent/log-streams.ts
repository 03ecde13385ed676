// Container log streams for the reconciler (`logs-open` ... `logs-chunk`* `logs-end`): Docker's log
// stream of one sdp container, cut into lines, each masked with that container's secret env values
// before it leaves the agent, sent in chunks at a bounded rate. A followed stream goes on in the
// container a deploy puts in its container's place. Not jobs: nothing is kept or re-sent; a dropped
// connection cancels every stream (the reconciler ends its side the same moment).
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABELS } from '../schema/container.ts';
import { LOG_LIMITS, type AgentMessage, type LogLimits, type LogEntry, type LogsEndReason, type LogsOpen } from '../schema/protocol.ts';
import { logTimeKey } from '../schema/log-time.ts';
import type { DockerHost } from './docker/host.ts';
import { LogDecoder, TokenBucket, splitTimestamp, type RawLine } from './docker/logs.ts';
import { nextName } from './jobs/deploy.ts';
import { Redactor } from './redact.ts';

/** A chunk is sent once it holds this much text, well under the reconciler's frame limit. */
const CHUNK_CHARS = 128 * 1024;
/** How long a followed stream waits for a deploy under way to put a container in its container's place. */
const SUCCESSOR_WAIT_MS = 120_000;
const SUCCESSOR_POLL_MS = 300;

export interface LogStreamDeps {
  docker: DockerHost;
  /** false when the message could not be sent (not connected): the stream stops */
  send: (msg: AgentMessage) => boolean;
  log: Logger;
  limits?: Partial<LogLimits>;
}

export class LogStreams {
  private readonly open = new Map<string, LogStream>();
  private readonly limits: LogLimits;

  constructor(private readonly d: LogStreamDeps) {
    this.limits = { ...LOG_LIMITS, ...d.limits };
  }

  start(req: LogsOpen): void {
    if (this.open.has(req.stream)) return;
    if (this.open.size >= this.limits.streamsPerAgent) {
      this.d.send({ type: 'logs-end', stream: req.stream, reason: 'refused', message: `this agent serves at most ${this.limits.streamsPerAgent} log streams at once; close one and retry` });
      return;
    }
    const s = new LogStream(req, this.d, this.limits);
    this.open.set(req.stream, s);
    void s.run().finally(() => this.open.delete(req.stream));
  }

  cancel(stream: string): void {
    this.open.get(stream)?.cancel();
  }

  /** The connection dropped: nobody reads these any more. */
  cancelAll(): void {
    for (const s of this.open.values()) s.cancel();
  }

  get size(): number {
    return this.open.size;
  }
}

class LogStream {
  private cancelled = false;
  private source: Readable | undefined;
  private pending: LogEntry[] = [];
  private pendingChars = 0;
  private dropped = 0;
  /** sent with the next chunk */
  private notice: string | undefined;
  private started = false;
  private readonly openedAt = Date.now();
  /** the last line's Docker time; lines at or before `after` are not sent again (after a successor's `since`) */
  private lastTs: string | undefined;
  private after: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly req: LogsOpen,
    private readonly d: LogStreamDeps,
    private readonly limits: LogLimits,
  ) {
    this.bucket = new TokenBucket(limits.bytesPerSecond, limits.burstBytes, Date.now());
  }

  cancel(): void {
    this.cancelled = true;
    this.source?.destroy();
  }

  async run(): Promise<void> {
    const { req } = this;
    try {
      let info = await this.d.docker.inspectOwned(req.container, req.sandbox, req.platform);
      if (!info) return this.end('container-removed', `container ${req.container} does not exist`);
      let read: { tail: number; since?: number } = { tail: req.tail, ...(req.since !== undefined ? { since: req.since } : {}) };
      for (;;) {
        await this.read(info, read);
        if (this.cancelled) return this.end('cancelled', 'the client went away');
        if (!req.follow) return this.end('completed', `the last ${req.tail} lines`);
        const next = await this.successor(info);
        if (!('info' in next)) return this.end(next.reason, next.message);
        // the successor's lines from the last one shown on (Docker's `since` is in seconds: the rest of
        // that second is skipped by time, so a container started again repeats nothing)
        this.notice = `container ${req.container} was replaced (${next.why}); following the new one`;
        this.flush();
        this.after = this.lastTs ? logTimeKey(this.lastTs) : undefined;
        // no line shown yet: what the successor wrote since this stream was opened
        read = { tail: this.limits.tailMax, since: Math.floor((this.lastTs ? Date.parse(this.lastTs) : this.openedAt) / 1000) };
        info = next.info;
      }
    } catch (err) {
      this.end('failed', err instanceof Error ? err.message : String(err));
    }
  }

  /** One container's log: what `read` asks for, then with `follow` until Docker ends it. */
  private async read(info: Docker.ContainerInspectInfo, read: { tail: number; since?: number }): Promise<void> {
    const redactor = new Redactor(secretEnvValues(info));
    const decoder = new LogDecoder({ tty: info.Config.Tty === true, maxChars: this.limits.lineMaxChars, holdChars: redactor.longest });
    const take = (lines: RawLine[]) => lines.forEach((l) => this.line(l, redactor));
    const container = this.d.docker.docker.getContainer(info.Id);
    const opts = { stdout: true, stderr: true, timestamps: true, ...read };
    if (this.req.follow) {
      const source = (await container.logs({ ...opts, follow: true })) as unknown as Readable;
      this.source = source;
      if (this.cancelled) source.destroy();
      this.attached();
      await new Promise<void>((resolve) => {
        source.on('data', (chunk: Buffer) => take(decoder.push(chunk)));
        source.once('end', resolve);
        source.once('close', resolve);
        source.once('error', resolve);
      });
    } else {
      const buf = (await container.logs({ ...opts, follow: false })) as unknown as Buffer;
      this.attached();
      take(decoder.push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
    }
    take(decoder.end());
  }

  /** The first chunk, empty, says Docker's stream is attached (the reconciler's `start` waits for it). */
  private attached(): void {
    if (this.started) return;
    this.started = true;
    this.d.send({ type: 'logs-chunk', stream: this.req.stream, lines: [] });
  }

  /**
   * Docker ended a followed stream: the container stopped or went. A deploy replaces it under the same
   * name (the new one runs as `<name>.next` until the switch); while one is under way this waits for
   * what then holds the name: a new container, or the same one started again after a rollback.
   */
  private async successor(old: Docker.ContainerInspectInfo): Promise<{ info: Docker.ContainerInspectInfo; why: string } | { reason: LogsEndReason; message: string }> {
    const name = this.req.container;
    const deadline = Date.now() + SUCCESSOR_WAIT_MS;
    for (;;) {
      if (this.cancelled) return { reason: 'cancelled', message: 'the client went away' };
      const now = await this.d.docker.inspectOwned(name, this.req.sandbox, this.req.platform).catch(() => undefined);
      if (now?.State.Running && (now.Id !== old.Id || now.State.StartedAt !== old.State.StartedAt)) {
        return { info: now, why: now.Id !== old.Id ? 'a deploy put a new container in its place' : 'it was started again' };
      }
      const deploying = (await this.d.docker.inspect(nextName(name)).catch(() => undefined)) !== undefined;
      if (!deploying || Date.now() > deadline) {
        if (!now) return { reason: 'container-removed', message: `container ${name} was removed` };
        return { reason: 'container-stopped', message: `container ${name} stopped (exit code ${now.State.ExitCode})` };
      }
      await new Promise((r) => setTimeout(r, SUCCESSOR_POLL_MS));
    }
  }

  private line(raw: RawLine, redactor: Redactor): void {
    if (this.cancelled) return;
    const { ts, text } = splitTimestamp(raw.text);
    if (this.after !== undefined && ts !== undefined && logTimeKey(ts) <= this.after) return;
    // the rate is counted before masking, so a flood costs no masking work
    if (!this.bucket.take(raw.text.length + 40, Date.now())) {
      this.dropped++;
      return;
    }
    if (ts) this.lastTs = ts;
    let masked = redactor.text(text);
    // a line up to the longest secret past the limit is read whole (see LogDecoder), then cut here
    if (raw.cut || masked.length > this.limits.lineMaxChars) masked = `${masked.slice(0, this.limits.lineMaxChars)} … (line cut at ${this.limits.lineMaxChars} characters)`;
    this.pending.push({ ...(ts ? { ts } : {}), stream: raw.stream, text: masked });
    this.pendingChars += masked.length;
    if (this.pending.length >= this.limits.chunkLines || this.pendingChars >= CHUNK_CHARS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.limits.chunkMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 && this.dropped === 0 && this.notice === undefined) return;
    const msg: AgentMessage = {
      type: 'logs-chunk',
      stream: this.req.stream,
      lines: this.pending,
      ...(this.dropped > 0 ? { dropped: this.dropped } : {}),
      ...(this.notice !== undefined ? { notice: this.notice } : {}),
    };
    this.notice = undefined;
    this.pending = [];
    this.pendingChars = 0;
    this.dropped = 0;
    if (!this.d.send(msg)) this.cancel();
  }

  private end(reason: LogsEndReason, message: string): void {
    this.flush();
    this.d.send({ type: 'logs-end', stream: this.req.stream, reason, message });
  }
}

/** The values of the container's secret env keys (the sdp.secret-keys label names them). */
export function secretEnvValues(info: Docker.ContainerInspectInfo): string[] {
  const keys = new Set((info.Config.Labels?.[LABELS.secretKeys] ?? '').split(',').filter(Boolean));
  return (info.Config.Env ?? []).flatMap((e) => {
    const eq = e.indexOf('=');
    return eq > 0 && keys.has(e.slice(0, eq)) ? [e.slice(eq + 1)] : [];
  });
}
