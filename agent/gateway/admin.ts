// HTTP to a Caddy admin API on its unix socket. One fresh connection per request: Caddy restarts its
// admin server after every /load, which breaks a kept-alive connection under the next request.
import { request } from 'node:http';
import { sleep } from '../docker/health.ts';

export async function adminRequest(socket: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        // Caddy accepts only an empty Host on a unix socket (a DNS-rebinding guard); newer releases
        // also take 127.0.0.1, older ones (Debian's 2.6) only the empty one
        setHost: false,
        headers: { host: '', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`caddy admin API on ${socket} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Waits until the admin API answers (the container has just started, or just took a /load);
 * resolves with the running config as GET /config/ returned it.
 */
export async function waitAdmin(socket: string, budgetMs = 15_000): Promise<unknown> {
  const deadline = Date.now() + budgetMs;
  let last = '';
  // fast at first: Caddy usually answers within a few ms of binding
  for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 25)) {
    try {
      const res = await adminRequest(socket, 'GET', '/config/', undefined, 2000);
      if (res.status === 200) return JSON.parse(res.text) as unknown;
      last = `HTTP ${res.status} ${res.text.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(delay);
  }
  throw new Error(`caddy admin API on ${socket} did not answer within ${budgetMs / 1000}s: ${last}`);
}
