// /ws/agent: the agents' connections. Authenticates the upgrade with the node's token, validates
// every message against schema/protocol.ts, keeps the agents table, feeds inventory and events to
// the live cache and runs jobs: `run(node, job)` sends a job and resolves with the agent's result.
// A job outlives a reconnect: unanswered jobs are re-sent when the node says hello again (agents
// are idempotent by job id) and a result that arrives after a reconnect is still matched.
import { eq } from 'drizzle-orm';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION, type AgentEvent, type Hello, type Inventory, type Job, type Log, type Progress, type Result, type ServerMessage } from '../../schema/protocol.ts';
import { validateAgentMessage } from '../../schema/validate.ts';
import { refuseUpgrade } from '../auth/index.ts';
import type { Store } from '../store/db.ts';
import { agents } from '../store/tables/core.ts';
import type { Logger } from '../log.ts';

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
  'ensure-network': 60_000,
  deploy: 20 * 60_000,
  'apply-routes': 60_000,
  stop: 120_000,
  start: 120_000,
  remove: 120_000,
  logs: 60_000,
};

export class AgentHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly hellos = new Map<string, Hello>();
  private readonly pending = new Map<string, PendingJob>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private closed = false;
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly checkToken: AgentTokenCheck,
    private readonly events: AgentHubEvents,
    private readonly log: Logger,
  ) {
    // Every agent is offline until it connects to this process.
    store.db.update(agents).set({ online: false }).run();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) return refuseUpgrade(socket, 503, 'reconciler stopping');
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token) return refuseUpgrade(socket, 401, 'agent token required (Authorization: Bearer <node token>)');
    // The node is named by its hello; the token is checked against that name then.
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, token, req.socket.remoteAddress));
  }

  private attach(ws: WebSocket, token: string, from: string | undefined): void {
    let node: string | null = null;
    ws.on('message', (raw) => {
      if (this.closed) return;
      const checked = validateAgentMessage(raw.toString());
      if (!checked.ok) {
        this.log.warn({ node, error: checked.error }, 'invalid agent message dropped');
        return;
      }
      const msg = checked.message;
      if (msg.type === 'hello') {
        if (!this.checkToken(msg.node, token, from)) {
          this.log.warn({ node: msg.node }, 'agent rejected: bad token for this node');
          ws.close(4003, 'invalid token for this node');
          return;
        }
        if (msg.protocol !== PROTOCOL_VERSION) {
          ws.close(4004, `protocol ${msg.protocol} not supported (want ${PROTOCOL_VERSION})`);
          return;
        }
        node = msg.node;
        this.connected(ws, msg);
        return;
      }
      if (!node) {
        this.log.warn({ type: msg.type }, 'agent message before hello dropped');
        return;
      }
      if ('node' in msg && msg.node !== node) {
        this.log.warn({ node, claimed: msg.node }, 'agent message for another node dropped');
        return;
      }
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
      }
    });
    ws.on('close', () => {
      if (this.closed) return;
      if (node && this.sockets.get(node) === ws) {
        this.sockets.delete(node);
        this.store.db.update(agents).set({ online: false, lastSeen: new Date().toISOString() }).where(eq(agents.name, node)).run();
        this.log.info({ node }, 'agent disconnected');
        this.events.onAgentsChanged();
      }
    });
    ws.on('error', (err) => this.log.warn({ node, err: err.message }, 'agent socket error'));
  }

  private connected(ws: WebSocket, hello: Hello): void {
    const prev = this.sockets.get(hello.node);
    if (prev && prev !== ws) prev.close(4001, 'replaced by a new connection');
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
    for (const ws of this.sockets.values()) ws.terminate();
    this.wss.close();
  }
}

function failed(job: Job, error: string, started: number): Result {
  return { type: 'result', jobId: job.id, kind: job.kind, ok: false, error, durationMs: Date.now() - started };
}
