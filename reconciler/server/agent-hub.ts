// /ws/agent: the agents' connections. Authenticates the upgrade with the node's token, validates
// every message against schema/protocol.ts, keeps the agents table, feeds inventory and events to
// the live cache and runs jobs: `run(node, job)` sends a job and resolves with the agent's result.
// A job outlives a reconnect: unanswered jobs are re-sent when the node says hello again (agents
// are idempotent by job id) and a result that arrives after a reconnect is still matched.
// Before its hello a socket is anyone's (any bearer string gets that far): it has a few seconds and
// a few KiB to say a valid hello, any other frame closes it, and an address may hold only a few such
// sockets at once. After hello, a ping at an interval; no pong by the next one closes the socket.
import { eq } from 'drizzle-orm';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION, type AgentEvent, type Hello, type Inventory, type Job, type Log, type Progress, type Result, type ServerMessage } from '../../schema/protocol.ts';
import { validateAgentMessage } from '../../schema/validate.ts';
import { refuseUpgrade } from '../auth/index.ts';
import { ReportGate } from '../auth/rate-limit.ts';
import type { Store } from '../store/db.ts';
import { agents } from '../store/tables/core.ts';
import type { Logger } from '../log.ts';
import { AGENT_SOCKET_LIMITS, PendingSockets, type AgentSocketLimits } from './agent-limits.ts';
import { LogRelay } from './log-relay.ts';

/** Whether `token` is the node's token. The one place agent tokens are checked (at the agent's hello). */
export type AgentTokenCheck = (node: string, token: string, from?: string) => boolean;

export interface JobHandlers {
  onProgress?: (p: Progress) => void;
  onLog?: (l: Log) => void;
}

export interface AgentHubEvents {
  onHello(hello: Hello): void;
  onInventory(inv: Inventory): void;
  onEvent(ev: AgentEvent): void;
  onAgentsChanged(): void;
}

interface PendingJob {
  node: string;
  job: Job;
  handlers: JobHandlers;
  resolve: (r: Result) => void;
  timer: NodeJS.Timeout;
}

export class AgentOfflineError extends Error {}

const TOUCH_EVERY_MS = 5_000;
/** How long a job may wait for its agent to (re)connect before it fails. */
const OFFLINE_GRACE_MS = 30_000;
/** Upper bounds on one job; a deploy includes git fetch, build and health checks. */
const JOB_TIMEOUT_MS: Record<Job['kind'], number> = {
  resolve: 60_000,
  // a first listing clones the repository into the agent's mirror
  'list-branches': 10 * 60_000,
  'ensure-network': 60_000,
  deploy: 20 * 60_000,
  'apply-routes': 60_000,
  stop: 120_000,
  start: 120_000,
  remove: 120_000,
};

export class AgentHub {
  private readonly wss: WebSocketServer;
  private readonly limits: AgentSocketLimits;
  private readonly pendingSockets: PendingSockets;
  private readonly reports: ReportGate;
  private readonly sockets = new Map<string, WebSocket>();
  private readonly hellos = new Map<string, Hello>();
  private readonly pending = new Map<string, PendingJob>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private closed = false;
  private readonly touched = new Map<string, number>();
  /** Container log streams, relayed from the agents to HTTP responses. */
  readonly logs = new LogRelay((node, msg) => {
    const ws = this.sockets.get(node);
    if (!ws || ws.readyState !== ws.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  });

  constructor(
    private readonly store: Store,
    private readonly checkToken: AgentTokenCheck,
    private readonly events: AgentHubEvents,
    private readonly log: Logger,
    limits: Partial<AgentSocketLimits> = {},
  ) {
    this.limits = { ...AGENT_SOCKET_LIMITS, ...limits };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxPayloadBytes });
    this.pendingSockets = new PendingSockets(this.limits);
    this.reports = new ReportGate(this.limits.reportsPerMinute);
    // Every agent is offline until it connects to this process.
    store.db.update(agents).set({ online: false }).run();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) return refuseUpgrade(socket, 503, 'reconciler stopping');
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token) return refuseUpgrade(socket, 401, 'agent token required (Authorization: Bearer <node token>)');
    const from = req.socket.remoteAddress ?? '';
    if (this.pendingSockets.count(from) >= this.limits.pendingPerAddress || this.pendingSockets.count() >= this.limits.pendingTotal) {
      this.report(from, 'too-many-pending', 'agent socket refused: too many sockets from this address waiting for their hello');
      return refuseUpgrade(socket, 429, 'too many agent connections from this address waiting for their hello; retry later');
    }
    // The node is named by its hello; the token is checked against that name then.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // taken once the handshake is done (a failed handshake never gets here, so never leaks a slot)
      if (this.pendingSockets.take(from)) return this.attach(ws, socket, token, from);
      ws.close(1013, 'too many agent connections from this address waiting for their hello; retry later');
      setTimeout(() => ws.terminate(), 1000).unref();
    });
  }

  /** A warning about what a caller did, a few per address and kind per minute; never the caller's own text. */
  private report(from: string, kind: string, message: string, fields: Record<string, unknown> = {}): void {
    const gate = this.reports.pass(`${from}\0${kind}`);
    if (gate) this.log.warn({ from, ...fields, ...(gate.suppressed > 0 ? { suppressed: gate.suppressed } : {}) }, message);
  }

  /** `raw` is the upgraded TCP socket under `ws`. */
  private attach(ws: WebSocket, raw: Duplex, token: string, from: string): void {
    let node: string | null = null;
    let pending = true;
    const settle = () => {
      if (!pending) return;
      pending = false;
      this.pendingSockets.release(from);
      clearTimeout(helloDeadline);
      raw.off('data', countBytes);
    };
    const closeSoon = (code: number, reason: string) => {
      settle();
      ws.close(code, reason);
      // a peer that does not answer the close frame is cut off
      setTimeout(() => ws.terminate(), 1000).unref();
    };
    const refuse = (code: number, reason: string, kind: string) => {
      this.report(from, kind, `agent socket closed before hello: ${reason}`);
      closeSoon(code, reason);
    };
    const helloDeadline = setTimeout(() => refuse(4008, `no valid hello within ${this.limits.helloTimeoutMs / 1000}s`, 'hello-timeout'), this.limits.helloTimeoutMs);
    // Counted on the TCP socket, so a big frame is cut off as it arrives, not parsed and then refused.
    let received = 0;
    const countBytes = (chunk: Buffer) => {
      // the chunk that carried the hello may carry the first inventory too: counted no more
      if (!pending) return;
      received += chunk.length;
      if (received <= this.limits.preHelloBytes) return;
      this.report(from, 'pre-hello-bytes', `agent socket cut off: more than ${this.limits.preHelloBytes} bytes before hello`);
      settle();
      ws.terminate();
    };
    raw.on('data', countBytes);
    let alive = true;
    let pinger: NodeJS.Timeout | undefined;
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      if (this.closed) return;
      const checked = isBinary ? ({ ok: false, error: 'binary frame' } as const) : validateAgentMessage(data.toString());
      if (pending) {
        // before hello: exactly one valid hello, or the socket is closed
        if (!checked.ok || checked.message.type !== 'hello') return refuse(4002, 'the first message must be a valid hello', 'invalid-before-hello');
        const hello = checked.message;
        if (!this.checkToken(hello.node, token, from)) return closeSoon(4003, 'invalid token for this node');
        if (hello.protocol !== PROTOCOL_VERSION) return closeSoon(4004, `protocol ${hello.protocol} not supported (want ${PROTOCOL_VERSION})`);
        settle();
        node = hello.node;
        pinger = setInterval(() => {
          if (!alive) {
            this.log.warn({ node }, 'agent did not answer a ping; closing its socket');
            return ws.terminate();
          }
          alive = false;
          ws.ping();
        }, this.limits.pingIntervalMs);
        this.connected(ws, hello);
        return;
      }
      if (!node) return;
      if (!checked.ok) return this.report(from, 'invalid', 'invalid agent message dropped', { node, error: checked.error.slice(0, 200) });
      const msg = checked.message;
      if (msg.type === 'hello') return this.report(from, 'second-hello', 'a second hello on one socket dropped', { node });
      if ('node' in msg && msg.node !== node) return this.report(from, 'other-node', 'agent message for another node dropped', { node });
      this.touch(node);
      switch (msg.type) {
        case 'inventory':
          this.events.onInventory(msg);
          break;
        case 'event':
          this.events.onEvent(msg);
          break;
        case 'progress':
          this.pending.get(msg.jobId)?.handlers.onProgress?.(msg);
          break;
        case 'log':
          this.pending.get(msg.jobId)?.handlers.onLog?.(msg);
          break;
        case 'result':
          this.finish(msg);
          this.send(ws, { type: 'ack', jobId: msg.jobId });
          break;
        case 'logs-chunk':
        case 'logs-end':
          this.logs.receive(node, msg);
          break;
        case 'disk':
          this.store.db.update(agents).set({ disk: msg.disk }).where(eq(agents.name, node)).run();
          this.events.onAgentsChanged();
          break;
      }
    });
    ws.on('close', () => {
      settle();
      clearInterval(pinger);
      if (this.closed) return;
      if (node && this.sockets.get(node) === ws) {
        this.sockets.delete(node);
        this.logs.nodeGone(node);
        this.store.db.update(agents).set({ online: false, lastSeen: new Date().toISOString() }).where(eq(agents.name, node)).run();
        this.log.info({ node }, 'agent disconnected');
        this.events.onAgentsChanged();
      }
    });
    ws.on('error', (err) => this.report(from, 'socket-error', 'agent socket error', { node, err: err.message.slice(0, 200) }));
  }

  private connected(ws: WebSocket, hello: Hello): void {
    const prev = this.sockets.get(hello.node);
    if (prev && prev !== ws) {
      prev.close(4001, 'replaced by a new connection');
      // the agent dropped the streams of the connection it replaced
      this.logs.nodeGone(hello.node);
    }
    this.sockets.set(hello.node, ws);
    this.hellos.set(hello.node, hello);
    const now = new Date().toISOString();
    const row = { name: hello.node, roles: hello.roles, address: hello.address, version: hello.version, online: true, lastSeen: now };
    this.store.db.insert(agents).values(row).onConflictDoUpdate({ target: agents.name, set: row }).run();
    this.log.info({ node: hello.node, roles: hello.roles, address: hello.address }, 'agent connected');
    this.events.onHello(hello);
    this.events.onAgentsChanged();
    // Jobs sent before a disconnect: the agent answers again (or runs them) by id.
    for (const p of this.pending.values()) if (p.node === hello.node) this.send(ws, { type: 'job', job: p.job });
    for (const wake of this.waiters.get(hello.node) ?? []) wake();
    this.waiters.delete(hello.node);
  }

  /** lastSeen, written at most every TOUCH_EVERY_MS: a build streams many log lines. */
  private touch(node: string): void {
    const now = Date.now();
    if (now - (this.touched.get(node) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(node, now);
    this.store.db.update(agents).set({ lastSeen: new Date(now).toISOString() }).where(eq(agents.name, node)).run();
  }

  private finish(result: Result): void {
    const p = this.pending.get(result.jobId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(result.jobId);
    p.resolve(result);
  }

  isOnline(node: string): boolean {
    return this.sockets.has(node);
  }

  onlineNodes(): Hello[] {
    return [...this.sockets.keys()].flatMap((n) => {
      const h = this.hellos.get(n);
      return h ? [h] : [];
    });
  }

  /** Ask a node for a fresh full inventory (after a job, so the live cache does not wait for events). */
  requestInventory(node: string): void {
    const ws = this.sockets.get(node);
    if (ws) this.send(ws, { type: 'inventory-request' });
  }

  /**
   * Runs one job on a node and resolves with its result; never rejects for agent-side failures
   * (those are `ok: false` results). Waits up to OFFLINE_GRACE_MS for an offline node.
   */
  async run(node: string, job: Job, handlers: JobHandlers = {}): Promise<Result> {
    const started = Date.now();
    if (!this.sockets.has(node)) {
      const came = await this.waitOnline(node, OFFLINE_GRACE_MS);
      if (!came) return failed(job, `agent ${node} is offline`, started);
    }
    return new Promise<Result>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(job.id);
        resolve(failed(job, `agent ${node} did not answer within ${JOB_TIMEOUT_MS[job.kind] / 1000}s`, started));
      }, JOB_TIMEOUT_MS[job.kind]);
      this.pending.set(job.id, { node, job, handlers, resolve, timer });
      const ws = this.sockets.get(node);
      if (ws) this.send(ws, { type: 'job', job });
    });
  }

  private waitOnline(node: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(node) ?? [];
        this.waiters.set(node, list.filter((w) => w !== wake));
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.set(node, [...(this.waiters.get(node) ?? []), wake]);
    });
  }

  private send(ws: WebSocket, msg: ServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(failed(p.job, 'reconciler stopping', Date.now()));
    }
    this.pending.clear();
    this.logs.close();
    for (const ws of this.sockets.values()) ws.terminate();
    this.wss.close();
  }
}

function failed(job: Job, error: string, started: number): Result {
  return { type: 'result', jobId: job.id, kind: job.kind, ok: false, error, durationMs: Date.now() - started };
}
