import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, backoffMs } from './client.ts';
import { parseDockerEvent } from './events.ts';

describe('reconnect backoff', () => {
  it('doubles from 250 ms and is capped at 5 s', () => {
    const top = (n: number) => backoffMs(n, () => 1);
    expect([0, 1, 2, 3, 4, 5, 30].map(top)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffMs(0, () => 0)).toBeGreaterThanOrEqual(BACKOFF_MIN_MS * 0.8);
    expect(backoffMs(50, () => 0.5)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
  });
});

describe('docker events', () => {
  it("keeps sdp containers' lifecycle actions and drops noise and other containers", () => {
    const ev = (action: string, managed = 'true') =>
      JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'c1', Attributes: { name: 'sandbox-a-x', 'sdp.managed': managed } } });
    expect(parseDockerEvent(ev('die'))).toEqual({ action: 'die', id: 'c1', name: 'sandbox-a-x' });
    expect(parseDockerEvent(ev('health_status: unhealthy'))?.action).toBe('health_status');
    expect(parseDockerEvent(ev('exec_start: sh'))).toBeUndefined();
    expect(parseDockerEvent(ev('die', 'false'))).toBeUndefined();
    expect(parseDockerEvent('not json')).toBeUndefined();
  });

  it('reports network connect and disconnect as a change of the container', () => {
    const ev = (action: string) => JSON.stringify({ Type: 'network', Action: action, Actor: { ID: 'n1', Attributes: { name: 'sandbox-a', container: 'c1' } } });
    expect(parseDockerEvent(ev('disconnect'))).toEqual({ action: 'network-disconnect', id: 'c1', name: 'c1' });
    expect(parseDockerEvent(ev('connect'))?.action).toBe('network-connect');
    expect(parseDockerEvent(ev('create'))).toBeUndefined();
  });
});

describe('startAgent options', () => {
  it('refuses a node name that is not an RFC 1123 label and a server that is not ws://', async () => {
    const { startAgent } = await import('./index.ts');
    const base = { server: 'ws://127.0.0.1:1/ws/agent', name: 'ok-name', token: 't', roles: [], address: '127.0.0.1', workDir: '/nonexistent' };
    await expect(startAgent({ ...base, name: 'Bad_Name' })).rejects.toThrow(/RFC 1123/);
    await expect(startAgent({ ...base, server: 'http://x/ws/agent' })).rejects.toThrow(/ws:\/\//);
  });
});
