// One port for everything: the hono app on a node http server, and the two WebSocket hubs on its
// upgrade event (/ws/agent for agents, /ws/ui for dashboards and `sdp sync --wait`).
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { createServer, type AddressInfo } from 'node:net';
import type { AuthEnv } from '../auth/index.ts';
import { refuseUpgrade, type Auth } from '../auth/index.ts';
import type { AgentHub } from './agent-hub.ts';
import type { UiHub } from './ui-hub.ts';
import type { UiMessage } from '../../schema/api.ts';

/** The port is taken (often by another sdp); `code` stays EADDRINUSE for callers that try the next port. */
export class PortInUse extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly port: number) {
    super(`port ${port} is in use: is sdp already running? use --port N`);
  }
}

/**
 * Fails fast with PortInUse before anything else starts (no store opened, no log lines), so a second
 * `sdp up` says one thing. `listen` still maps the error, for the port taken in between.
 */
export async function checkPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUse(port) : err));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function listen(opts: { app: Hono<AuthEnv>; auth: Auth; agentHub: AgentHub; uiHub: UiHub; uiGreeting: () => UiMessage; port: number; host: string }): Promise<HttpServer> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: opts.app.fetch, port: opts.port, hostname: opts.host });
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUse(opts.port) : err));
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/ws/agent') return opts.agentHub.handleUpgrade(req, socket, head);
    if (path === '/ws/ui') {
      const check = opts.auth.authenticateUpgrade(req);
      if (!check.ok) return refuseUpgrade(socket, check.status, check.error);
      return opts.uiHub.handleUpgrade(req, socket, head, opts.uiGreeting);
    }
    refuseUpgrade(socket, 404, `no WebSocket at ${path}`);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
