// The agent's WebSocket to the reconciler: bearer token on the upgrade, every received message
// validated, reconnect with capped exponential backoff, heartbeat to notice a dead peer.
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { AgentMessage, ServerMessage } from '../schema/protocol.ts';
import { validateAgentMessage, validateServerMessage } from '../schema/validate.ts';

export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 5000;
const HEARTBEAT_MS = 15_000;

/** Delay before reconnect attempt `n` (0-based): 250 ms doubling up to 5 s, with a little jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.2 * random()));
}

export interface ConnectionOptions {
  url: string;
  token: string;
  log: Logger;
  /** Called on every (re)connect, before anything else is sent. */
  onOpen: () => void;
  onMessage: (msg: ServerMessage) => void;
  /** Called when an open connection closes (before any reconnect). */
  onClose?: () => void;
}

export class AgentConnection {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ConnectionOptions) {}

  start(): void {
    this.connect();
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends when connected; returns false when the message was dropped (results are re-sent by the runner). */
  send(msg: AgentMessage): boolean {
    const checked = validateAgentMessage(msg);
    if (!checked.ok) {
      this.opts.log.error({ type: msg.type, error: checked.error }, 'refusing to send an invalid message');
      return false;
    }
    if (!this.connected) return false;
    this.ws!.send(JSON.stringify(msg));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'agent stopping');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.opts.url, { headers: { Authorization: `Bearer ${this.opts.token}` }, handshakeTimeout: 10_000 });
    this.ws = ws;
    let alive = true;
    ws.on('open', () => {
      this.attempt = 0;
      this.opts.log.info({ url: this.opts.url }, 'connected');
      this.heartbeat = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, HEARTBEAT_MS);
      this.opts.onOpen();
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (data) => {
      const checked = validateServerMessage(data.toString());
      if (!checked.ok) return this.opts.log.warn({ error: checked.error }, 'ignoring an invalid message from the server');
      this.opts.onMessage(checked.message);
    });
    ws.on('unexpected-response', (_req, res) => {
      this.opts.log.warn({ status: res.statusCode }, 'server refused the connection');
      ws.terminate();
    });
    ws.on('error', (err) => this.opts.log.debug({ err: err.message }, 'websocket error'));
    ws.on('close', () => {
      clearInterval(this.heartbeat);
      this.opts.onClose?.();
      if (this.stopped || this.ws !== ws) return;
      const delay = backoffMs(this.attempt++);
      this.opts.log.info({ delayMs: delay }, 'disconnected; reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }
}
