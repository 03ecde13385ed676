// Notifications and metrics end to end, on a real agent, real Docker, git and SQLite, with real HTTP
// receivers on 127.0.0.1: signed deliveries for a sync that succeeds and one that fails (with the
// failing step), health degraded and recovered, drift, expiry; a receiver that is down or hangs
// delays no sync, is tried again (attempts in GET /api/notifications) and, once up, gets what was
// pending, across a restart too. Then `promtool check metrics` on the live /metrics.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationsView } from '../../schema/api.ts';
import type { NotificationPayload } from '../../schema/notifications.ts';
import { branchApp, sandboxYaml, startStack, type Stack, type TestRepo } from '../../test/support/reconciler.ts';

const PREFIX = 't-ntf-';
const HMAC_KEY = 'ntf-hmac-key-4f1c9a';
const RECEIVER = 34501;
const DOWN = 34502;
const HANGING = 34503;
let stack: Stack;
let account: TestRepo;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

/** An HTTP receiver on 127.0.0.1 that answers 200 and keeps what it got. */
async function receiver(port: number): Promise<{ got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { got, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let hooks: Awaited<ReturnType<typeof receiver>>;
let hanging: TcpServer;
const held: Socket[] = [];

const payloads = (path: string): NotificationPayload[] => hooks.got.filter((r) => r.path === path).map((r) => JSON.parse(r.raw) as NotificationPayload);

function signedOk(r: Received): boolean {
  const want = Buffer.from(`sha256=${createHmac('sha256', HMAC_KEY).update(r.raw).digest('hex')}`);
  const got = Buffer.from(String(r.headers['x-sdp-signature-256'] ?? ''));
  return got.length === want.length && timingSafeEqual(got, want);
}

const NOTIFICATIONS = `  notifications:
    - { name: hooks, url: "http://127.0.0.1:${RECEIVER}/sdp", secret: hooks }
    - { name: chat, url: "http://127.0.0.1:${RECEIVER}/chat", format: slack, events: [sync-failed] }
    - { name: down, url: "http://127.0.0.1:${DOWN}/", events: [sync-started, sync-succeeded] }
    - { name: slow, url: "http://127.0.0.1:${HANGING}/", events: [sync-started] }
`;

async function notifications(query = ''): Promise<NotificationsView> {
  return stack.api<NotificationsView>('GET', `/api/notifications${query}`);
}

async function jobSeconds(name: string): Promise<number> {
  const job = await stack.syncAndWait(name);
  return (Date.parse(job.finishedAt ?? '') - Date.parse(job.createdAt)) / 1000;
}

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  hooks = await receiver(RECEIVER);
  // accepts connections and never answers
  hanging = createTcpServer((s) => held.push(s));
  await new Promise<void>((resolve) => hanging.listen(HANGING, '127.0.0.1', resolve));
  stack = await startStack({
    prefix: PREFIX,
    port: 34000,
    ports: { gateway: [34100, 34149], services: [34200, 34299] },
    notify: { retryBaseMs: 300, retryMaxMs: 1000, maxAttempts: 100, timeoutMs: 5000, driftDebounceMs: 500 },
  });
  account = stack.repo('account');
  account.commit('main', branchApp('main'));
  account.commit('broken', { 'build.sh': 'echo building the broken branch\nexit 3\n' });
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }));
});

afterAll(async () => {
  await stack?.stop();
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => (hanging ? hanging.close(() => resolve()) : resolve()));
  await hooks?.close();
});

describe('notifications', () => {
  let baseline = 0;
  let withTargets = 0;

  it('a sync without webhook targets (the baseline time)', async () => {
    await stack.writeSpec('sb-base.yaml', sandboxYaml('t-ntf-base', { account: 'main' }));
    await stack.waitSandbox('t-ntf-base', (s) => s.sync === 'OutOfSync', 'drift');
    baseline = await jobSeconds('t-ntf-base');
  });

  it('a sync that succeeds: signed sync-started and sync-succeeded; the down and hanging receivers delay nothing', async () => {
    await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }) + NOTIFICATIONS);
    await stack.waitFor('targets in force', async () => (await notifications()).targets.length === 4);
    const set = await fetch(`${stack.url}/api/secrets/hooks/hmac`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${stack.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ value: HMAC_KEY }),
    });
    expect(set.status).toBe(200);
    // the HMAC secret is one the specs reference (sdp secret list shows it, set or not)
    const secrets = await stack.api<{ secrets: { environment: string; key: string; set: boolean; referenced: boolean }[] }>('GET', '/api/secrets');
    expect(secrets.secrets).toContainEqual(expect.objectContaining({ environment: 'hooks', key: 'hmac', set: true, referenced: true }));
    const view = await notifications();
    expect(view.targets.find((t) => t.name === 'hooks')).toEqual({
      name: 'hooks',
      url: `http://127.0.0.1:${RECEIVER}/…`,
      format: 'json',
      events: ['sync-started', 'sync-succeeded', 'sync-failed', 'health-degraded', 'health-recovered', 'sandbox-expired', 'drift-detected'],
      secret: { name: 'hooks', set: true },
    });

    await stack.writeSpec('sb-ok.yaml', sandboxYaml('t-ntf-ok', { account: 'main' }));
    await stack.waitSandbox('t-ntf-ok', (s) => s.sync === 'OutOfSync', 'drift');
    const { job } = await stack.sync('t-ntf-ok');
    const done = await stack.waitJob(job!.id);
    expect(done.status).toBe('succeeded');
    withTargets = (Date.parse(done.finishedAt ?? '') - Date.parse(done.createdAt)) / 1000;
    console.info(`sync time: ${baseline.toFixed(2)} s without targets, ${withTargets.toFixed(2)} s with a down and a hanging one`);
    // the hanging receiver's attempts each take the 5 s timeout: a sync that waited would show it
    expect(withTargets).toBeLessThan(baseline + 3);

    await stack.waitFor('sync-succeeded delivered', () => payloads('/sdp').some((p) => p.event === 'sync-succeeded' && p.job?.id === job!.id));
    const mine = hooks.got.filter((r) => r.path === '/sdp' && (JSON.parse(r.raw) as NotificationPayload).job?.id === job!.id);
    expect(mine.map((r) => (JSON.parse(r.raw) as NotificationPayload).event)).toEqual(['sync-started', 'sync-succeeded']);
    for (const r of mine) {
      expect(signedOk(r), `signature of ${r.raw}`).toBe(true);
      expect(r.headers['x-sdp-event']).toBe((JSON.parse(r.raw) as NotificationPayload).event);
      expect(r.raw).not.toContain(HMAC_KEY);
    }
    const succeeded = JSON.parse(mine[1]!.raw) as NotificationPayload;
    expect(succeeded).toMatchObject({ platform: 't-ntf', sandbox: 't-ntf-ok', job: { trigger: 'manual', user: 'admin' } });
    expect(succeeded.delivery).toBe(mine[1]!.headers['x-sdp-delivery']);
  });

  it('the down and the hanging receiver are tried again, with attempts and the reason in the API', async () => {
    let view: NotificationsView | undefined;
    await stack.waitFor(
      'retries of the down target',
      async () => {
        view = await notifications('?sandbox=t-ntf-ok&status=pending');
        return view.deliveries.some((d) => d.target === 'down' && d.attempts >= 3) && view.deliveries.some((d) => d.target === 'slow' && d.attempts >= 1);
      },
      30_000,
      () => JSON.stringify(view),
    );
    const down = view!.deliveries.find((d) => d.target === 'down')!;
    expect(down).toMatchObject({ status: 'pending', event: expect.stringMatching(/^sync-(started|succeeded)$/) });
    expect(down.lastError).toMatch(/ECONNREFUSED/);
    expect(down.nextAttemptAt).toBeDefined();
    expect(view!.deliveries.find((d) => d.target === 'slow')?.lastError).toBe('no answer within 5000 ms');
    expect(JSON.stringify(await notifications())).not.toContain(HMAC_KEY);
    const bad = await stack.request('GET', '/api/notifications?status=lost');
    expect(bad.status).toBe(400);
  });

  it('a sync that fails: sync-failed names the failing step; the slack target gets { text }', async () => {
    await stack.writeSpec('sb-bad.yaml', sandboxYaml('t-ntf-bad', { account: 'broken' }));
    await stack.waitSandbox('t-ntf-bad', (s) => s.sync === 'OutOfSync', 'drift');
    const { job } = await stack.sync('t-ntf-bad');
    expect((await stack.waitJob(job!.id)).status).toBe('failed');
    await stack.waitFor('sync-failed delivered', () => payloads('/sdp').some((p) => p.event === 'sync-failed' && p.job?.id === job!.id));
    const failed = hooks.got.find((r) => r.path === '/sdp' && (JSON.parse(r.raw) as NotificationPayload).event === 'sync-failed')!;
    expect(signedOk(failed)).toBe(true);
    const body = JSON.parse(failed.raw) as NotificationPayload;
    expect(body.step).toMatchObject({ kind: 'deploy', resource: 'service/account', node: 'local' });
    expect(body.message).toMatch(/^sync of t-ntf-bad failed at deploy service\/account on local: /);
    await stack.waitFor('slack delivery', () => hooks.got.some((r) => r.path === '/chat'));
    const chat = JSON.parse(hooks.got.find((r) => r.path === '/chat')!.raw) as { text: string };
    expect(Object.keys(chat)).toEqual(['text']);
    expect(chat.text).toMatch(/^\[sdp t-ntf\] sync of t-ntf-bad failed at deploy service\/account/);
    // the slack target asked for sync-failed only
    expect(hooks.got.filter((r) => r.path === '/chat')).toHaveLength(1);
  });

  it('a killed container: health-degraded and (debounced) drift-detected; a sync: health-recovered', async () => {
    execFileSync('docker', ['kill', 'sandbox-t-ntf-ok-account']);
    await stack.waitFor('health-degraded', () => payloads('/sdp').some((p) => p.event === 'health-degraded' && p.sandbox === 't-ntf-ok'));
    const degraded = payloads('/sdp').find((p) => p.event === 'health-degraded')!;
    expect(degraded.health).toMatchObject({ status: 'Degraded', reason: 'ContainerDown' });
    expect(degraded.message).toMatch(/^t-ntf-ok is Degraded: /);
    await stack.waitFor('drift-detected', () => payloads('/sdp').some((p) => p.event === 'drift-detected' && p.sandbox === 't-ntf-ok'));
    const drift = payloads('/sdp').filter((p) => p.event === 'drift-detected' && p.sandbox === 't-ntf-ok');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.drift).toContainEqual({ resource: 'service/account', change: 'changed', field: 'state' });
    await stack.syncAndWait('t-ntf-ok');
    await stack.waitFor('health-recovered', () => payloads('/sdp').some((p) => p.event === 'health-recovered' && p.sandbox === 't-ntf-ok'));
    // reported once for the one episode
    expect(payloads('/sdp').filter((p) => p.event === 'drift-detected' && p.sandbox === 't-ntf-ok')).toHaveLength(1);
  });

  it('a sandbox whose ttl runs out: sandbox-expired', async () => {
    await stack.writeSpec('sb-ttl.yaml', sandboxYaml('t-ntf-ttl', { account: 'main' }, { ttl: '3s' }));
    await stack.waitFor('sandbox-expired', () => payloads('/sdp').some((p) => p.event === 'sandbox-expired' && p.sandbox === 't-ntf-ttl'), 30_000);
    expect(payloads('/sdp').find((p) => p.event === 'sandbox-expired')!.health).toMatchObject({ status: 'Expired', reason: 'TtlExpired' });
  });

  it('a SandboxSet\'s sandbox is notified too, saying which set and branch made it', async () => {
    account.commit('preview/one', branchApp('preview/one'));
    await stack.writeSpec(
      'set.yaml',
      `apiVersion: sdp/v1
kind: SandboxSet
metadata: { name: t-ntf-set }
spec:
  generator: { service: account, branches: "preview/*" }
  name: "t-ntf-p-{{slug}}"
  gateway: {}
  services: { account: { branch: "{{branch}}" } }
  syncPolicy: { automated: true }
`,
    );
    await stack.waitFor('the generated sandbox synced and notified', () => payloads('/sdp').some((p) => p.event === 'sync-succeeded' && p.sandbox === 't-ntf-p-preview-one'), 60_000);
    const synced = payloads('/sdp').find((p) => p.event === 'sync-succeeded' && p.sandbox === 't-ntf-p-preview-one')!;
    expect(synced).toMatchObject({ generatedBy: { set: 't-ntf-set', branch: 'preview/one' }, job: { trigger: 'automated' } });
  });

  it('pending deliveries survive a restart and go out once the receiver is up', async () => {
    const before = (await notifications('?status=pending')).deliveries.filter((d) => d.target === 'down');
    expect(before.length).toBeGreaterThanOrEqual(2);
    await stack.stopProcesses();
    await stack.start();
    const late = await receiver(DOWN);
    try {
      await stack.waitFor('pending deliveries delivered', () => late.got.length >= before.length, 30_000);
      const view = await notifications();
      for (const b of before) {
        const d = view.deliveries.find((x) => x.id === b.id);
        expect(d).toMatchObject({ status: 'delivered', responseStatus: 200 });
        expect(d!.attempts).toBeGreaterThan(b.attempts);
      }
      // the unsigned target gets no signature header
      expect(late.got[0]!.headers['x-sdp-signature-256']).toBeUndefined();
    } finally {
      await late.close();
    }
  });
});

describe('the CLI', () => {
  it('`sdp get notifications SANDBOX` lists the targets and the deliveries with status and attempts', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile('node', ['bin/sdp.js', 'get', 'notifications', 't-ntf-ok', '--server', stack.url], { env: { ...process.env, SDP_TOKEN: stack.token, NO_COLOR: '1' } }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(out).toMatch(/hooks\s+http:\/\/127\.0\.0\.1:34501\/…\s+json\s+hooks\s+all/);
    expect(out).toMatch(/down\s+sync-succeeded\s+t-ntf-ok\s+delivered\s+\d+/);
    expect(out).not.toContain(HMAC_KEY);
  });
});

describe('metrics', () => {
  const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
  if (!hasPromtool) console.warn('promtool not found: skipping `promtool check metrics` (scripts/setup.sh installs it from Debian\'s prometheus package)');

  it('sdp_sandbox_info, agent up, compile duration, rejected revisions, deliveries; Node defaults unprefixed', async () => {
    await stack.writeSpec('broken.yaml', 'apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: t-ntf-x }\nspec: { services: { nope: {} } }\n');
    await stack.waitFor('rejected revision', async () => (await stack.api<{ rejected: unknown }>('GET', '/api/status')).rejected !== null);
    await stack.removeSpec('broken.yaml');
    await stack.waitFor('good again', async () => (await stack.api<{ rejected: unknown }>('GET', '/api/status')).rejected === null);
    await stack.waitSandbox('t-ntf-ok', (s) => s.sync === 'Synced' && s.health === 'Healthy', 'Synced');
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(text).toMatch(/^sdp_sandbox_info\{sandbox="t-ntf-ok",sync="Synced",health="Healthy"\} 1$/m);
    expect(text.match(/^sdp_sandbox_info\{sandbox="t-ntf-ok",/gm)).toHaveLength(1);
    expect(text).toMatch(/^sdp_agent_up\{node="local"\} 1$/m);
    expect(text).toMatch(/^sdp_spec_compile_duration_seconds_count\{outcome="rejected"\} [1-9]/m);
    expect(text).toMatch(/^sdp_spec_revisions_rejected_total [1-9]/m);
    expect(text).toMatch(/^sdp_notification_deliveries_total\{target="down",outcome="delivered"\} [1-9]/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(text).not.toMatch(/^sdp_(process|nodejs)_/m);
  });

  it.skipIf(!hasPromtool)('`promtool check metrics` passes on the live /metrics', async () => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
