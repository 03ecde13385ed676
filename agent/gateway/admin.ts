// HTTP to a Caddy admin API. One fresh connection per request: Caddy restarts its admin server after
// every /load, which breaks a pooled keep-alive connection (fetch reuses them) under the next request.
import { request } from 'node:http';
import { sleep } from '../docker/health.ts';
import { ADMIN_PORT } from './caddy.ts';

export async function adminRequest(ip: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ip,
        port: ADMIN_PORT,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`caddy admin API at ${ip}:${ADMIN_PORT} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Waits until the admin API answers (the container has just started). */
export async function waitAdmin(ip: string, budgetMs = 15_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await adminRequest(ip, 'GET', '/config/', undefined, 2000);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`caddy admin API at ${ip}:${ADMIN_PORT} did not answer within ${budgetMs / 1000}s: ${last}`);
}
