import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveContainer } from '../../schema/protocol.ts';
import { openStore } from '../store/db.ts';
import { liveInventory } from '../store/tables/core.ts';
import { LiveCache } from './cache.ts';

const container = (name: string, state: LiveContainer['state'] = 'running'): LiveContainer => ({
  id: name,
  name,
  sandbox: 'qa',
  platform: 'p',
  service: name,
  kind: 'service',
  image: 'sdp/busybox:local',
  specHash: 'h',
  state,
  health: 'healthy',
  env: { A: '1' },
  ports: [],
  resources: {},
});
const inventory = (containers: LiveContainer[]) => ({ type: 'inventory' as const, node: 'n1', containers, networks: [], gateways: [], at: '2026-01-01T00:00:00Z' });

afterEach(() => vi.useRealTimers());

describe('LiveCache', () => {
  it('writes an inventory at once, events at most once a second (and on flush); a restart reads what was written', () => {
    vi.useFakeTimers();
    const store = openStore(':memory:');
    const changes = vi.fn();
    const live = new LiveCache(store, changes);
    const names = () => store.db.select().from(liveInventory).all().map((r) => r.containers.map((c) => `${c.name}:${c.state}`));
    live.applyInventory(inventory([container('a'), container('b')]));
    expect(names()).toEqual([['a:running', 'b:running']]);
    live.applyEvent({ type: 'event', node: 'n1', action: 'die', name: 'a', container: container('a', 'exited'), at: '2026-01-01T00:00:01Z' });
    expect(changes).toHaveBeenCalledTimes(2);
    expect(names()).toEqual([['a:running', 'b:running']]);
    vi.advanceTimersByTime(1000);
    expect(names()).toEqual([['b:running', 'a:exited']]);
    live.applyEvent({ type: 'event', node: 'n1', action: 'destroy', name: 'b', at: '2026-01-01T00:00:02Z' });
    live.flush();
    expect(new LiveCache(store, () => {}).all().get('n1')?.containers.map((c) => c.name)).toEqual(['a']);
    store.close();
  });

  it('a full inventory keeps the objects equal to those held, so their sandboxes keep their evaluation', () => {
    const store = openStore(':memory:');
    const live = new LiveCache(store, () => {});
    live.applyInventory(inventory([container('a'), container('b')]));
    const [a, b] = live.all().get('n1')!.containers;
    live.applyInventory(inventory([container('a'), container('b', 'exited'), container('c')]));
    const after = live.all().get('n1')!.containers;
    expect(after[0]).toBe(a);
    expect(after[1]).not.toBe(b);
    expect(after.map((c) => `${c.name}:${c.state}`)).toEqual(['a:running', 'b:exited', 'c:running']);
    live.flush();
    store.close();
  });

  it('an event of a renamed container (a deploy switching <name>.next to <name>) leaves no entry under the old name', () => {
    const store = openStore(':memory:');
    const live = new LiveCache(store, () => {});
    const next = { ...container('web.next'), id: 'c1' };
    live.applyInventory(inventory([{ ...container('web'), id: 'c0' }, next]));
    // the old container is gone, the new one now answers to the name
    live.applyEvent({ type: 'event', node: 'n1', action: 'destroy', name: 'web', at: '2026-01-01T00:00:01Z' });
    live.applyEvent({ type: 'event', node: 'n1', action: 'rename', name: 'web', container: { ...next, name: 'web' }, at: '2026-01-01T00:00:02Z' });
    expect(live.all().get('n1')?.containers.map((c) => `${c.name}:${c.id}`)).toEqual(['web:c1']);
    live.flush();
    store.close();
  });
});
