import { describe, expect, it } from 'vitest';
import type { HealthStatus, SandboxSummary, SyncStatus } from '../../schema/api.ts';
import { MAX_SANDBOX_PAGE, parseSandboxQuery, querySandboxes } from './sandbox-query.ts';

function summary(i: number, sync: SyncStatus, health: HealthStatus): SandboxSummary {
  const name = `sb-${String(i).padStart(4, '0')}`;
  return {
    name,
    owner: i % 2 ? 'qa-ana' : 'dev-bo',
    labels: { team: i % 3 ? 'pay' : 'core' },
    template: 'tpl',
    sync,
    health,
    syncStatus: { status: sync, reason: sync === 'Synced' ? 'InSync' : 'Drift', message: '' },
    healthStatus: { status: health, reason: health === 'Healthy' ? 'AllHealthy' : 'ContainerDown', message: '' },
    conditions: [],
    drift: [],
    gatewayUrl: '',
    routes: [],
    suspended: false,
    revision: 'r1',
  };
}

const all = Array.from({ length: 1000 }, (_, i) => summary(i, i % 4 === 0 ? 'OutOfSync' : 'Synced', i % 10 === 0 ? 'Degraded' : 'Healthy'));

describe('parseSandboxQuery', () => {
  it('reads every parameter, and nothing means every sandbox', () => {
    expect(parseSandboxQuery({})).toEqual({ offset: 0 });
    expect(parseSandboxQuery({ q: ' ana ', sync: 'OutOfSync', health: 'Degraded', limit: '50', offset: '100' })).toEqual({ q: 'ana', sync: 'OutOfSync', health: 'Degraded', limit: 50, offset: 100 });
    expect(parseSandboxQuery({ q: '', sync: '', health: '' })).toEqual({ offset: 0 });
  });

  it('names the parameter and what it takes when it is wrong', () => {
    expect(parseSandboxQuery({ sync: 'synced' })).toEqual({ error: 'sync must be one of Synced, OutOfSync, Unknown; got "synced"' });
    expect(parseSandboxQuery({ health: 'Ok' })).toMatchObject({ error: expect.stringMatching(/^health must be one of Healthy, /) });
    for (const limit of ['0', '-1', 'ten', String(MAX_SANDBOX_PAGE + 1)]) expect(parseSandboxQuery({ limit })).toEqual({ error: `limit must be a whole number from 1 to ${MAX_SANDBOX_PAGE}` });
    expect(parseSandboxQuery({ offset: '1.5' })).toEqual({ error: 'offset must be a whole number, 0 or more' });
    expect(parseSandboxQuery({ q: 'x'.repeat(201) })).toEqual({ error: 'q is longer than 200 characters' });
  });
});

describe('querySandboxes', () => {
  it('filters by sync and health, pages the matches and counts them all', () => {
    const q = parseSandboxQuery({ sync: 'OutOfSync', health: 'Degraded', limit: '10', offset: '40' });
    if ('error' in q) throw new Error(q.error);
    const { page, total } = querySandboxes(all, q);
    expect(total).toBe(50); // i % 4 == 0 and i % 10 == 0: every 20th
    expect(page.map((s) => s.name)).toEqual(['sb-0800', 'sb-0820', 'sb-0840', 'sb-0860', 'sb-0880', 'sb-0900', 'sb-0920', 'sb-0940', 'sb-0960', 'sb-0980']);
  });

  it('searches name, owner and labels case-insensitively; past the end is an empty page', () => {
    expect(querySandboxes(all, { q: 'SB-099', offset: 0 }).total).toBe(10);
    expect(querySandboxes(all, { q: 'qa-ana', offset: 0 }).total).toBe(500);
    expect(querySandboxes(all, { q: 'team=core', offset: 0 }).total).toBe(334);
    expect(querySandboxes(all, { offset: 0 }).page).toHaveLength(1000);
    expect(querySandboxes(all, { limit: 50, offset: 2000 })).toEqual({ page: [], total: 1000 });
  });
});
