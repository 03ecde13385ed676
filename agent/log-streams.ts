// Container log streams for the reconciler (`logs-open` ... `logs-chunk`* `logs-end`): Docker's log
// stream of one sdp container, cut into lines, each masked with that container's secret env values
// before it leaves the agent, sent in chunks at a bounded rate. Not jobs: nothing is kept or re-sent;
// a dropped connection cancels every stream (the reconciler ends its side the same moment).
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABELS } from '../schema/container.ts';
import { LOG_LIMITS, type AgentMessage, type LogLimits, type LogEntry, type LogsEndReason, type LogsOpen } from '../schema/protocol.ts';
import type { DockerHost } from './docker/host.ts';
import { LogDecoder, TokenBucket, splitTimestamp, type RawLine } from './docker/logs.ts';
import { Redactor } from './redact.ts';

/** A chunk is sent once it holds this much text, well under the reconciler's frame limit. */
const CHUNK_CHARS = 128 * 1024;

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
    let ended: { reason: LogsEndReason; message: string };
    try {
      const info = await this.d.docker.inspectOwned(req.container, req.sandbox, req.platform);
      if (!info) return this.end('container-removed', `container ${req.container} does not exist`);
      const redactor = new Redactor(secretEnvValues(info));
      const decoder = new LogDecoder({ tty: info.Config.Tty === true, maxChars: this.limits.lineMaxChars, holdChars: redactor.longest });
      const take = (lines: RawLine[]) => lines.forEach((l) => this.line(l, redactor));
      const container = this.d.docker.docker.getContainer(info.Id);
      const attached = () => this.d.send({ type: 'logs-chunk', stream: req.stream, lines: [] });
      const opts = { stdout: true, stderr: true, timestamps: true, tail: req.tail, ...(req.since !== undefined ? { since: req.since } : {}) };
      if (req.follow) {
        const source = (await container.logs({ ...opts, follow: true })) as unknown as Readable;
        this.source = source;
        if (this.cancelled) source.destroy();
        attached();
        await new Promise<void>((resolve) => {
          source.on('data', (chunk: Buffer) => take(decoder.push(chunk)));
          source.once('end', resolve);
          source.once('close', resolve);
          source.once('error', resolve);
        });
      } else {
        const buf = (await container.logs({ ...opts, follow: false })) as unknown as Buffer;
        attached();
        take(decoder.push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
      }
      take(decoder.end());
      ended = this.cancelled ? { reason: 'cancelled', message: 'the client went away' } : req.follow ? await this.why(info.Id) : { reason: 'completed', message: `the last ${req.tail} lines` };
    } catch (err) {
      ended = { reason: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
    this.end(ended.reason, ended.message);
  }

  /** Docker ends a followed stream when the container stops or goes. */
  private async why(id: string): Promise<{ reason: LogsEndReason; message: string }> {
    const info = await this.d.docker.inspect(id).catch(() => undefined);
    const name = this.req.container;
    if (!info) return { reason: 'container-removed', message: `container ${name} was removed` };
    if (!info.State.Running) return { reason: 'container-stopped', message: `container ${name} stopped (exit code ${info.State.ExitCode})` };
    return { reason: 'failed', message: `Docker ended the log stream of ${name} while it runs; open it again` };
  }

  private line(raw: RawLine, redactor: Redactor): void {
    if (this.cancelled) return;
    // the rate is counted before masking, so a flood costs no masking work
    if (!this.bucket.take(raw.text.length + 40, Date.now())) {
      this.dropped++;
      return;
    }
    const { ts, text } = splitTimestamp(raw.text);
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
    if (this.pending.length === 0 && this.dropped === 0) return;
    const msg: AgentMessage = { type: 'logs-chunk', stream: this.req.stream, lines: this.pending, ...(this.dropped > 0 ? { dropped: this.dropped } : {}) };
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
