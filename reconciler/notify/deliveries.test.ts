// The deliveries table on a real (in-memory) SQLite with the real migrations.
import { describe, expect, it } from 'vitest';
import type { NotificationBody } from '../../schema/notifications.ts';
import { openStore } from '../store/db.ts';
import { Deliveries, KEEP_DELIVERIES } from './deliveries.ts';

const body = (sandbox: string): NotificationBody => ({ event: 'sync-started', at: '2026-01-01T00:00:00.000Z', sandbox, message: `sync of ${sandbox} started` });

describe('deliveries', () => {
  it('pending until delivered or out of attempts, with attempts, the error and the next attempt', () => {
    const store = openStore(':memory:');
    const d = new Deliveries(store);
    d.add({ id: 'a', target: 'ops', body: body('s1'), at: '2026-01-01T00:00:01.000Z' });
    d.add({ id: 'b', target: 'ops', body: body('s2'), at: '2026-01-01T00:00:02.000Z' });
    expect(d.pending().map((p) => p.id)).toEqual(['a', 'b']);
    d.attempted('a', { at: '2026-01-01T00:00:03.000Z', delivered: false, retryAt: '2026-01-01T00:00:05.000Z', error: 'ECONNREFUSED' });
    expect(d.pending().map((p) => [p.id, p.attempts])).toEqual([['b', 0], ['a', 1]]);
    d.attempted('a', { at: '2026-01-01T00:00:05.000Z', delivered: true, responseStatus: 204 });
    d.attempted('b', { at: '2026-01-01T00:00:05.000Z', delivered: false, error: 'HTTP 500', responseStatus: 500 });
    expect(d.pending()).toEqual([]);
    expect(d.list({ limit: 10 })).toEqual([
      { id: 'b', target: 'ops', event: 'sync-started', sandbox: 's2', status: 'failed', attempts: 1, createdAt: '2026-01-01T00:00:02.000Z', lastAttemptAt: '2026-01-01T00:00:05.000Z', lastError: 'HTTP 500', responseStatus: 500 },
      { id: 'a', target: 'ops', event: 'sync-started', sandbox: 's1', status: 'delivered', attempts: 2, createdAt: '2026-01-01T00:00:01.000Z', lastAttemptAt: '2026-01-01T00:00:05.000Z', deliveredAt: '2026-01-01T00:00:05.000Z', responseStatus: 204 },
    ]);
    expect(d.list({ limit: 10, status: 'delivered', sandbox: 's1' }).map((x) => x.id)).toEqual(['a']);
    store.close();
  });

  it(`keeps the newest ${KEEP_DELIVERIES} finished deliveries and every pending one`, () => {
    const store = openStore(':memory:');
    const d = new Deliveries(store);
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    d.add({ id: 'pending-old', target: 'ops', body: body('p'), at: at(0) });
    for (let i = 1; i <= KEEP_DELIVERIES + 5; i++) {
      d.add({ id: `d${i}`, target: 'ops', body: body('s'), at: at(i) });
      d.attempted(`d${i}`, { at: at(i), delivered: true });
    }
    const all = d.list({ limit: 500 * 3 });
    expect(all.filter((x) => x.status === 'delivered')).toHaveLength(KEEP_DELIVERIES);
    expect(all.some((x) => x.id === 'd5')).toBe(false);
    expect(all.some((x) => x.id === 'd6')).toBe(true);
    expect(d.pending().map((p) => p.id)).toEqual(['pending-old']);
    store.close();
  });
});
