// Health checks run from the agent to the container's IP on its sandbox network, so they test the
// container itself, not a port mapping or a route.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { ProbeOutcome } from '../health/probe-state.ts';
import type { HealthSpec } from '../../schema/container.ts';
import type { ProbeFailure } from '../../schema/protocol.ts';

export type Probe = { ok: true } | { ok: false; reason: string };

/** Without a health spec the port must accept a connection within this long. */
const PORT_BUDGET_MS = 15_000;
const PORT_INTERVAL_MS = 25;

/** The first polls come this fast, doubling up to the spec's interval: an app up in 30 ms is seen in 30 ms. */
const FIRST_POLL_MS = 10;
/** While polling fast, whether the container still runs is asked this often, not after every attempt. */
const LIVENESS_MS = 500;

/**
 * Whether the container has been seen exited, answered at once: `stillRunning` (a Docker inspect) is
 * asked in the background at most every LIVENESS_MS. During a burst of deploys Docker answers an
 * inspect only after the starts it is busy with, and a poll that waited on it would see the app up
 * that much later.
 */
function exitWatch(stillRunning: () => Promise<boolean>): () => boolean {
  let exited = false;
  let asking = false;
  // the first failed attempt asks at once: an app that dies at start is seen then
  let last = 0;
  return () => {
    if (!exited && !asking && Date.now() - last >= LIVENESS_MS) {
      asking = true;
      void stillRunning()
        .then((running) => (exited ||= !running), () => undefined)
        .finally(() => {
          asking = false;
          last = Date.now();
        });
    }
    return exited;
  };
}

/**
 * GET http://<ip>:<port><path> until a 2xx/3xx answer: `retries + 1` attempts, `intervalMs` apart,
 * after quick polls (10 ms doubling up to `intervalMs`) that do not count as failures.
 * Stops early when `stillRunning` says the container exited.
 */
export async function httpHealth(
  ip: string,
  port: number,
  health: HealthSpec,
  stillRunning: () => Promise<boolean>,
  onAttempt?: (line: string) => void,
): Promise<Probe> {
  const url = `http://${ip}:${port}${health.path.startsWith('/') ? health.path : `/${health.path}`}`;
  let last = 'no attempt';
  // asked only after a failed attempt (an answer says it runs), and while polling fast only now and
  // then (exitWatch)
  const exited = async () => !(await stillRunning());
  const seenExited = exitWatch(stillRunning);
  for (let delay = FIRST_POLL_MS; delay < health.intervalMs; delay *= 2) {
    const quick = await probe(url, health.timeoutMs);
    if (quick === undefined) return { ok: true };
    if (seenExited()) return { ok: false, reason: 'container exited during its health check' };
    last = quick;
    await sleep(delay);
  }
  for (let attempt = 1; attempt <= health.retries + 1; attempt++) {
    if (attempt > 1) await sleep(health.intervalMs);
    const failed = await probe(url, health.timeoutMs);
    if (failed === undefined) return { ok: true };
    if (await exited()) return { ok: false, reason: 'container exited during its health check' };
    last = failed;
    onAttempt?.(`health ${health.path} attempt ${attempt}/${health.retries + 1}: ${last}`);
  }
  return { ok: false, reason: `health check GET ${health.path} failed after ${health.retries + 1} attempts: ${last}` };
}

/** One GET: undefined when it answered 2xx/3xx, else why not. */
async function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  const outcome = await httpProbe(url, timeoutMs);
  return outcome.ok ? undefined : outcome.failure.message;
}

/**
 * One GET, bounded by `timeoutMs`: ok on a 2xx/3xx answer. Redirects are not followed and the body
 * is not read, so what a container answers decides only its own status code. node:http on a fresh
 * connection, not fetch: a deploy polls every new container every few milliseconds while it comes up,
 * and fetch costs several times the CPU per request, taken from the Docker engine starting them.
 */
export function httpProbe(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      const status = res.statusCode ?? 0;
      finish(status >= 200 && status < 400 ? { ok: true } : { ok: false, failure: { kind: 'status', message: `HTTP ${status}` } });
    });
    timer = setTimeout(() => finish({ ok: false, failure: { kind: 'timeout', message: `timed out after ${timeoutMs} ms` } }), timeoutMs);
    // after finish() destroyed it, a late error is nobody's business (resolve runs once)
    req.on('error', (err) => finish({ ok: false, failure: socketFailure(err, timeoutMs) }));
    req.end();
  });
}

/** One TCP connect within `timeoutMs`: ok when the port accepts it. */
export async function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  try {
    await tcpConnect(ip, port, timeoutMs);
    return { ok: true };
  } catch (err) {
    return { ok: false, failure: socketFailure(err, timeoutMs) };
  }
}

/** Polls until the port accepts a TCP connection (the app is listening), within `budgetMs`. */
export async function portOpen(ip: string, port: number, stillRunning: () => Promise<boolean>, budgetMs = PORT_BUDGET_MS): Promise<Probe> {
  const deadline = Date.now() + budgetMs;
  let last = 'no attempt';
  let delay = FIRST_POLL_MS;
  const seenExited = exitWatch(stillRunning);
  while (Date.now() < deadline) {
    try {
      await tcpConnect(ip, port, 1000);
      return { ok: true };
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (seenExited()) return { ok: false, reason: 'container exited before its port opened' };
    await sleep(delay);
    delay = Math.min(delay * 2, PORT_INTERVAL_MS);
  }
  return { ok: false, reason: `port ${port} did not accept connections within ${budgetMs / 1000}s: ${last}` };
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const done = (err?: Error) => {
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    sock.setTimeout(timeoutMs, () => done(new Error('timeout')));
    sock.once('connect', () => done());
    sock.once('error', done);
  });
}

function socketFailure(err: unknown, timeoutMs: number): ProbeFailure {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: 'connection refused' };
  if (code === 'ETIMEDOUT' || e?.message === 'timeout') return { kind: 'timeout', message: `timed out after ${timeoutMs} ms` };
  const text = code ?? (typeof e?.message === 'string' ? e.message : String(err));
  return { kind: 'error', message: text.slice(0, 200) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
