import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HealthStatus, SandboxSummary } from '../../schema/api.ts';
import { driftBody, isDrifted, statusEvents, syncBody } from './events.ts';
import { displayUrl, redactSecrets, renderPayload, retryDelayMs, signature } from './payload.ts';

const AT = '2026-01-01T00:00:00.000Z';

function summary(health: HealthStatus, o: Partial<SandboxSummary> = {}): SandboxSummary {
  return {
    name: 'feat-a',
    labels: {},
    sync: 'Synced',
    health,
    syncStatus: { status: 'Synced', reason: 'InSync', message: 'live matches the spec' },
    healthStatus: { status: health, reason: health === 'Degraded' ? 'ContainerDown' : 'AllHealthy', message: health === 'Degraded' ? 'not serving: account (exited)' : 'all 2 containers healthy' },
    conditions: [],
    drift: [],
    gatewayUrl: 'http://127.0.0.1:8080',
    routes: [],
    suspended: false,
    revision: '3',
    ...o,
  };
}

describe('status events', () => {
  it('Degraded opens an episode, Healthy closes it (through Progressing too), Expired is an event; a first sight is none', () => {
    const events = (prev: SandboxSummary | undefined, next: SandboxSummary, degraded = false) => statusEvents(prev, next, AT, degraded).events.map((e) => e.event);
    expect(statusEvents(undefined, summary('Degraded'), AT, false)).toEqual({ events: [], degraded: true });
    expect(events(summary('Healthy'), summary('Healthy'))).toEqual([]);
    const opened = statusEvents(summary('Healthy'), summary('Degraded'), AT, false);
    expect(opened.degraded).toBe(true);
    expect(opened.events[0]).toMatchObject({ event: 'health-degraded', sandbox: 'feat-a', message: 'feat-a is Degraded: not serving: account (exited)', health: { status: 'Degraded', reason: 'ContainerDown' } });
    // flapping within one episode is not news again
    expect(events(summary('Progressing'), summary('Degraded'), true)).toEqual([]);
    expect(events(summary('Progressing'), summary('Healthy'), true)).toEqual(['health-recovered']);
    expect(statusEvents(summary('Degraded'), summary('Healthy'), AT, true).degraded).toBe(false);
    // Healthy after Progressing outside an episode (a deploy) is no recovery
    expect(events(summary('Progressing'), summary('Healthy'))).toEqual([]);
    expect(events(summary('Healthy'), summary('Expired'))).toEqual(['sandbox-expired']);
    expect(events(summary('Expired'), summary('Expired', { revision: '4' }))).toEqual([]);
  });

  it('drift is OutOfSync by Drift only; its body names resources and fields, never values', () => {
    const drifted = summary('Healthy', {
      sync: 'OutOfSync',
      syncStatus: { status: 'OutOfSync', reason: 'Drift', message: '1 difference' },
      drift: [{ resource: 'service/account', change: 'changed', field: 'env', desired: 'API_KEY=(redacted)', live: 'API_KEY=old-value' }],
    });
    expect(isDrifted(drifted)).toBe(true);
    expect(isDrifted({ ...drifted, syncStatus: { ...drifted.syncStatus, reason: 'AgentOffline' } })).toBe(false);
    const body = driftBody(drifted, AT);
    expect(body.drift).toEqual([{ resource: 'service/account', change: 'changed', field: 'env' }]);
    expect(body.message).toBe('feat-a drifted from its spec: service/account env changed');
    expect(JSON.stringify(body)).not.toContain('old-value');
    // a SandboxSet's sandbox says which set and branch made it
    expect(driftBody({ ...drifted, generatedBy: { set: 'features', branch: 'feature/a' } }, AT).generatedBy).toEqual({ set: 'features', branch: 'feature/a' });
  });
});

describe('sync events', () => {
  const job = { id: 'j1', trigger: 'manual', user: 'alice', revision: '3' };
  it('a failure names the failing step', () => {
    const body = syncBody({ sandbox: 'feat-a', phase: 'failed', job, error: 'deploy failed', step: { id: 's2', kind: 'deploy', resource: 'service/account', node: 'n1', error: 'health check failed' } }, AT);
    expect(body).toMatchObject({ event: 'sync-failed', step: { kind: 'deploy', resource: 'service/account' } });
    expect(body.message).toBe('sync of feat-a failed at deploy service/account on n1: deploy failed (job j1, manual by alice, revision 3)');
    expect(syncBody({ sandbox: 'feat-a', phase: 'succeeded', job, gatewayUrl: 'http://gw' }, AT).message).toBe('sync of feat-a succeeded (job j1, manual by alice, revision 3): http://gw');
  });
});

describe('payloads', () => {
  const body = syncBody({ sandbox: 'feat-a', phase: 'started', job: { id: 'j1', trigger: 'automated', user: 'sdp:automated', revision: '3' } }, AT);

  it('json carries the body with delivery and platform; slack is { text }', () => {
    expect(JSON.parse(renderPayload('json', body, { delivery: 'd1', platform: 'prod' }))).toEqual({ delivery: 'd1', platform: 'prod', ...body });
    expect(JSON.parse(renderPayload('slack', body, { delivery: 'd1', platform: 'prod' }))).toEqual({ text: `[sdp prod] ${body.message}` });
    // what sandbox code can put in a message does not become a mention or a link in Slack
    const hostile = { ...body, message: 'failed: <!channel> <http://evil|click> & more' };
    expect(JSON.parse(renderPayload('slack', hostile, { delivery: 'd1', platform: 'prod' })).text).toBe('[sdp prod] failed: &lt;!channel&gt; &lt;http://evil|click&gt; &amp; more');
  });

  it('signs the raw body with HMAC-SHA256', () => {
    const raw = renderPayload('json', body, { delivery: 'd1', platform: 'prod' });
    expect(signature('k3y!', raw)).toBe(`sha256=${createHmac('sha256', 'k3y!').update(raw).digest('hex')}`);
  });

  it('redacts known secret values anywhere in the body, longest first; short values are left', () => {
    const leaky = { ...body, message: 'build said: token=s3cr3t-value and s3cr3t', step: { id: 'a', kind: 'deploy', resource: 'x', node: 'n', error: 'pw hunter2' } };
    const clean = redactSecrets(leaky, ['s3cr3t', 's3cr3t-value', 'hunter2', 'ab']);
    expect(clean.message).toBe('build said: token=(redacted) and (redacted)');
    expect(clean.step.error).toBe('pw (redacted)');
    expect(redactSecrets({ m: 'ab cd' }, ['ab']).m).toBe('ab cd');
  });

  it('shows a target URL without user info, path or query', () => {
    expect(displayUrl('https://bot@hooks.slack.com/services/T0/B0/XYZ?token=1')).toBe('https://hooks.slack.com/…');
    expect(displayUrl('http://127.0.0.1:34500/')).toBe('http://127.0.0.1:34500/');
  });

  it('backs off exponentially up to the cap, with ±20% jitter', () => {
    const o = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, o, 0.5))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(retryDelayMs(1, o, 0)).toBe(800);
    expect(retryDelayMs(1, o, 0.999)).toBeLessThanOrEqual(1200);
  });
});
