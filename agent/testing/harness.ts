// Test harness that plays the reconciler's side of /ws/agent: accepts the agent (bearer token checked),
// validates and records every message, sends jobs and awaits their results. It can drop every
// connection and come back on the same port, to test reconnects and jobs in flight.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentMessage, Job, LogEntry, LogsEnd, LogsOpen, Result, ServerMessage } from '../../schema/protocol.ts';
import { validateAgentMessage } from '../../schema/validate.ts';

type Waiter = { pred: (m: AgentMessage) => boolean; resolve: (m: AgentMessage) => void };

export class Harness {
  /** Every valid message received, in order, with the time it arrived. */
  readonly messages: Array<{ at: number; msg: AgentMessage }> = [];
  /** Messages that failed validation (a test asserts this stays empty). */
  readonly invalid: string[] = [];
  /** Upgrade requests refused for a wrong token. */
  refused = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<WebSocket>();
  private waiters: Waiter[] = [];
  private port = 0;

  private constructor(private readonly token: string) {}

  static async start(token: string): Promise<Harness> {
    const h = new Harness(token);
    await h.listen();
    return h;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws/agent`;
  }

  get connected(): boolean {
    return this.sockets.size > 0;
  }

  /** Messages of one type (optionally only those after index `since`). */
  of<T extends AgentMessage['type']>(type: T, since = 0): Array<Extract<AgentMessage, { type: T }>> {
    return this.messages.slice(since).map((m) => m.msg).filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
  }

  /** The first message from index `since` on that matches, waiting for it if needed. */
  waitFor<M extends AgentMessage = AgentMessage>(pred: (m: AgentMessage) => boolean, timeoutMs = 10_000, since = 0): Promise<M> {
    const found = this.messages.slice(since).find((m) => pred(m.msg));
    if (found) return Promise.resolve(found.msg as M);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pred, resolve: (m) => resolve(m as M) };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`harness: no matching message within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  send(msg: ServerMessage): void {
    for (const ws of this.sockets) ws.send(JSON.stringify(msg));
  }

  /** Sends a job, waits for its result, acks it. */
  async runJob(job: Job, timeoutMs = 60_000): Promise<Result> {
    const since = this.messages.length;
    this.send({ type: 'job', job });
    const result = await this.waitFor<Result>((m) => m.type === 'result' && m.jobId === job.id, timeoutMs, since);
    this.send({ type: 'ack', jobId: job.id });
    return result;
  }

  /** Opens a log stream; `end` resolves with its lines (as they came so far: `lines`) and its logs-end. */
  logs(req: Omit<LogsOpen, 'type'>): { lines: () => LogEntry[]; end: Promise<LogsEnd> } {
    const since = this.messages.length;
    this.send({ type: 'logs-open', ...req });
    const lines = () => this.of('logs-chunk', since).filter((c) => c.stream === req.stream).flatMap((c) => c.lines);
    return { lines, end: this.waitFor<LogsEnd>((m) => m.type === 'logs-end' && m.stream === req.stream, 30_000, since) };
  }

  /** Fresh inventory: asks for one and waits for it. */
  async inventory(timeoutMs = 10_000): Promise<Extract<AgentMessage, { type: 'inventory' }>> {
    const since = this.messages.length;
    this.send({ type: 'inventory-request' });
    return this.waitFor((m) => m.type === 'inventory', timeoutMs, since);
  }

  /** Kills every connection and stops listening (the agent sees the server vanish). */
  async drop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.wss?.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private async listen(port = 0): Promise<void> {
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/ws/agent' || req.headers.authorization !== `Bearer ${this.token}`) {
        this.refused++;
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      const checked = validateAgentMessage(data.toString());
      if (!checked.ok) {
        this.invalid.push(checked.error);
        return;
      }
      this.messages.push({ at: Date.now(), msg: checked.message });
      for (const w of [...this.waiters]) {
        if (w.pred(checked.message)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(checked.message);
        }
      }
    });
  }
}
