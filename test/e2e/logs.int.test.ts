// Container logs end to end (issue 16 item 2): a real reconciler and agent, a real container on
// Docker, its log streamed through the API (NDJSON) and `sdp logs`, tail and follow, the container's
// secret masked, the role checked, a flooding container bounded, and a followed stream that ends
// when its container stops.
// Sandboxes t-logs-*, Platform t-logs, host ports 32000-32999.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../schema/api.ts';
import { LOG_LIMITS } from '../../schema/log-limits.ts';
import { checkAnswer } from '../support/contract.ts';
import { startLogsFixture, type LogsFixture } from '../support/logs.ts';
import type { Stack } from '../support/reconciler.ts';

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const docker = new Docker();
let fx: LogsFixture;
let stack: Stack;
let SANDBOX = '';
let CONTAINER = '';
let SECRET = '';

const writeLine = (cmd: string) => fx.writeLine(cmd);

const logsPath = (q: string, service = 'account') => `/api/sandboxes/${SANDBOX}/services/${service}/logs?${q}`;

/** A streamed answer read event by event; `stop()` leaves it. */
async function openLogs(q: string, token = stack.token): Promise<{ status: number; events: LogEvent[]; text: () => string; next: (pred: (e: LogEvent) => boolean, ms?: number) => Promise<LogEvent>; done: Promise<void>; stop: () => void }> {
  const ctrl = new AbortController();
  const res = await fetch(`${stack.url}${logsPath(q)}`, { headers: { Authorization: `Bearer ${token}` }, signal: ctrl.signal });
  const events: LogEvent[] = [];
  let raw = '';
  let partial = '';
  const waiters = new Set<() => void>();
  const done = (async () => {
    if (!res.body) return;
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        const text = dec.decode(chunk as Uint8Array, { stream: true });
        raw += text;
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l) events.push(JSON.parse(l) as LogEvent);
        waiters.forEach((w) => w());
      }
    } catch {
      // aborted
    }
    waiters.forEach((w) => w());
  })();
  const next = (pred: (e: LogEvent) => boolean, ms = 15_000) =>
    new Promise<LogEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find(pred);
        if (found) {
          waiters.delete(check);
          resolve(found);
        }
      };
      waiters.add(check);
      check();
      setTimeout(() => reject(new Error(`no such log event within ${ms} ms; got ${JSON.stringify(events)}`)), ms).unref();
    });
  return { status: res.status, events, text: () => raw, next, done, stop: () => ctrl.abort() };
}

function cli(args: string[]): ChildProcess & { out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/sdp.js', ...args, '--server', stack.url], { cwd: PROJECT, env: { ...process.env, SDP_TOKEN: stack.token, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return Object.assign(child, { out: () => out, err: () => err, exited });
}

beforeAll(async () => {
  fx = await startLogsFixture('t-logs-', 32000);
  ({ stack, sandbox: SANDBOX, container: CONTAINER, secret: SECRET } = fx);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('container logs (issue 16 item 2)', () => {
  it('answers the tail through the API as NDJSON, the container secret masked', async () => {
    await writeLine('echo "first token=$LOGS_TOKEN"');
    await writeLine('echo second');
    const logs = await openLogs('tail=2');
    expect(logs.status).toBe(200);
    await logs.done;
    checkAnswer('GET', logsPath('tail=2'), 200, logs.text());
    expect(logs.events[0]).toMatchObject({ type: 'start', sandbox: SANDBOX, service: 'account', container: CONTAINER, node: 'local', follow: false, tail: 2 });
    const lines = logs.events.filter((e) => e.type === 'line');
    expect(lines.map((l) => l.text)).toEqual(['first token=***', 'second']);
    expect(lines[0]).toMatchObject({ stream: 'stdout', ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(logs.events.at(-1)).toMatchObject({ type: 'end', reason: 'completed' });
    expect(logs.text()).not.toContain(SECRET);
  });

  it('follows: a line written after the stream started comes through, masked; leaving ends it', async () => {
    const logs = await openLogs('follow=true&tail=0');
    await logs.next((e) => e.type === 'start');
    await writeLine('echo "live line $LOGS_TOKEN"');
    expect(await logs.next((e) => e.type === 'line')).toMatchObject({ type: 'line', text: 'live line ***' });
    logs.stop();
    await logs.done;
    // the relay let go of it: a user may open streams again (the per-user bound would refuse otherwise)
    for (let i = 0; i < 9; i++) {
      const again = await openLogs('tail=1');
      await again.done;
      expect(again.events.at(-1)).toMatchObject({ type: 'end', reason: 'completed' });
    }
  });

  it('refuses a viewer, an unknown service and bad bounds, with what to do', async () => {
    const made = await fetch(`${stack.url}/api/users`, { method: 'POST', headers: { Authorization: `Bearer ${stack.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'logs-viewer', role: 'viewer', password: 'viewer-password-1' }) });
    expect(made.status).toBe(201);
    const login = await fetch(`${stack.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'logs-viewer', password: 'viewer-password-1' }) });
    const viewer = ((await login.json()) as { token: string }).token;
    const refused = await fetch(`${stack.url}${logsPath('tail=1')}`, { headers: { Authorization: `Bearer ${viewer}` } });
    expect(refused.status).toBe(403);
    const unknown = await stack.request('GET', logsPath('tail=1', 'nope'));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('containers of: account, gateway');
    const bad = await stack.request('GET', logsPath('tail=99999'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('0..5000');
  });

  it('sdp logs prints the tail (masked) and, with -f, a line written after it started', async () => {
    const tail = cli(['logs', SANDBOX, 'account', '--tail', '3']);
    expect(await tail.exited, tail.err()).toBe(0);
    expect(tail.out()).toContain('first token=***');
    expect(tail.out()).not.toContain(SECRET);

    const follow = cli(['logs', SANDBOX, 'account', '-f', '--tail', '0', '-o', 'json']);
    await stack.waitFor('sdp logs -f started', () => follow.out().includes('"type":"start"'), 15_000, () => follow.err());
    await writeLine('echo "cli live $LOGS_TOKEN"');
    await stack.waitFor('the new line in sdp logs -f', () => follow.out().includes('"text":"cli live ***"'), 15_000, () => follow.out() + follow.err());
    follow.kill('SIGINT');
    expect(await follow.exited).toBe(0);
    expect(follow.out()).not.toContain(SECRET);

    const usage = cli(['logs', SANDBOX, 'account', '--tail', 'lots']);
    expect(await usage.exited).toBe(2);
    expect(usage.err()).toContain('--tail lots: a whole number');
  });

  it('bounds a chatty container: past the burst, lines over the rate are left out and counted; the stream stays live', async () => {
    const FLOOD = 100_000;
    const logs = await openLogs('follow=true&tail=0');
    await logs.next((e) => e.type === 'start');
    const t0 = Date.now();
    await writeLine(`yes "flood $(printf '%0100d' 0)" | head -n ${FLOOD}`);
    // every flood line is either sent or counted as dropped, so the count is exact
    const seen = () => logs.events.reduce((n, e) => n + (e.type === 'line' && e.text.startsWith('flood ') ? 1 : e.type === 'dropped' ? e.lines : 0), 0);
    await stack.waitFor('every flood line sent or counted', () => seen() === FLOOD, 60_000, () => `${seen()} of ${FLOOD}`);
    const elapsed = (Date.now() - t0) / 1000;
    const sent = logs.events.filter((e) => e.type === 'line' && e.text.startsWith('flood '));
    const sentBytes = sent.reduce((n, e) => n + (e.type === 'line' ? e.text.length : 0), 0);
    const dropped = logs.events.filter((e) => e.type === 'dropped');
    console.log(`flood: ${FLOOD} lines of ${sent[0]?.type === 'line' ? sent[0].text.length : 0} chars in ${elapsed.toFixed(1)} s: ${sent.length} sent (${(sentBytes / 1024).toFixed(0)} KiB), ${FLOOD - sent.length} dropped in ${dropped.length} notices`);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped[0]).toMatchObject({ message: expect.stringContaining('more than 64 KiB/s') });
    expect(sentBytes).toBeLessThan(LOG_LIMITS.burstBytes + LOG_LIMITS.bytesPerSecond * (elapsed + 1));
    // once the flood is over the rate refills: a line a second later comes through
    await new Promise((r) => setTimeout(r, 1000));
    await writeLine('echo after-the-flood');
    await logs.next((e) => e.type === 'line' && e.text === 'after-the-flood');
    logs.stop();
    await logs.done;
  });

  it('ends a followed stream cleanly when its container stops, and sdp logs -f exits 0 saying so', async () => {
    const api = await openLogs('follow=true&tail=0');
    await api.next((e) => e.type === 'start');
    // started before or after the stop, it ends the same way: Docker ends a followed stopped container's stream
    const follow = cli(['logs', SANDBOX, 'account', '-f', '--tail', '0']);
    await docker.getContainer(CONTAINER).stop({ t: 1 });
    expect(await api.next((e) => e.type === 'end')).toMatchObject({ type: 'end', reason: 'container-stopped', message: expect.stringContaining(CONTAINER) });
    await api.done;
    expect(await follow.exited, follow.err()).toBe(0);
    expect(follow.err()).toContain(`container ${CONTAINER} stopped`);
  });
});
