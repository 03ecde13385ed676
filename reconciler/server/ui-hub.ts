// /ws/ui: pushes UiMessages (status, sandbox, job progress, job logs) to every dashboard and CLI
// watching (authenticated by the caller, server/index.ts). A new client gets the full status first, then changes as they happen.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { UiMessage } from '../../schema/api.ts';

export class UiHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<WebSocket>();

  /** Call after the request is authenticated; `greeting` is the first message the client gets. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, greeting: () => UiMessage): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.clients.add(ws);
      ws.on('close', () => this.clients.delete(ws));
      ws.on('error', () => this.clients.delete(ws));
      ws.send(JSON.stringify(greeting()));
    });
  }

  broadcast(msg: UiMessage): void {
    if (this.clients.size === 0) return;
    const data = JSON.stringify(msg);
    for (const ws of this.clients) if (ws.readyState === ws.OPEN) ws.send(data);
  }

  close(): void {
    for (const ws of this.clients) ws.terminate();
    this.wss.close();
  }
}
