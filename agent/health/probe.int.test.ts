// The continuous health check's single probes against real sockets on 127.0.0.1 (ports 31900-31999):
// each failure is told apart (status, timeout, refused) and every probe is bounded by its timeout,
// whatever the other side does (never answers, redirects, sends an endless body).
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe, tcpProbe } from '../docker/health.ts';

const PORT = 31900;
const CLOSED = 31901; // nothing listens here
let http: Server;
const silent = createTcpServer(() => undefined); // accepts and never answers

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === '/ok') return res.end('ok');
    if (req.url === '/fail') return void res.writeHead(500).end();
    if (req.url === '/redirect') return void res.writeHead(302, { location: `http://127.0.0.1:${CLOSED}/` }).end();
    if (req.url === '/endless') {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'.repeat(65536)), 1);
      res.on('close', () => clearInterval(t));
      return;
    }
    // /hang: headers never come
  });
  await new Promise<void>((r) => http.listen(PORT, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(PORT + 2, '127.0.0.1', r));
});

afterAll(() => {
  http.closeAllConnections();
  http.close();
  silent.close();
});

const url = (path: string) => `http://127.0.0.1:${PORT}${path}`;

describe('httpProbe', () => {
  it('2xx is ok; another status is a status failure', async () => {
    expect(await httpProbe(url('/ok'), 1000)).toEqual({ ok: true });
    expect(await httpProbe(url('/fail'), 1000)).toEqual({ ok: false, failure: { kind: 'status', message: 'HTTP 500' } });
  });

  it('a redirect is an answer, not followed elsewhere', async () => {
    expect(await httpProbe(url('/redirect'), 1000)).toEqual({ ok: true });
  });

  it('no answer within the timeout is a timeout, and the probe ends then', async () => {
    const start = Date.now();
    expect(await httpProbe(url('/hang'), 300)).toEqual({ ok: false, failure: { kind: 'timeout', message: 'timed out after 300 ms' } });
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('an endless body is not read', async () => {
    const start = Date.now();
    expect(await httpProbe(url('/endless'), 1000)).toEqual({ ok: true });
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('nothing listening is connection refused', async () => {
    expect(await httpProbe(`http://127.0.0.1:${CLOSED}/health`, 1000)).toEqual({ ok: false, failure: { kind: 'refused', message: 'connection refused' } });
  });
});

describe('tcpProbe', () => {
  it('ok when the port accepts; refused when nothing listens', async () => {
    expect(await tcpProbe('127.0.0.1', PORT + 2, 1000)).toEqual({ ok: true });
    expect(await tcpProbe('127.0.0.1', CLOSED, 1000)).toEqual({ ok: false, failure: { kind: 'refused', message: 'connection refused' } });
  });
});
