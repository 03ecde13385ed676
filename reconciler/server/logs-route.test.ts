import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../schema/api.ts';
import type { LiveContainer, ServerMessage } from '../../schema/protocol.ts';
import { LogRelay } from './log-relay.ts';
import { parseLogsQuery, streamLogs } from './logs-route.ts';

const now = Date.parse('2026-12-01T12:00:00Z');
const container = { name: 'sandbox-s-web', service: 'web' } as LiveContainer;

describe('parseLogsQuery', () => {
  it('defaults, bounds and since as a duration or a time', () => {
    expect(parseLogsQuery({}, now)).toEqual({ follow: false, tail: 100 });
    expect(parseLogsQuery({ follow: 'true', tail: '0', since: '10m' }, now)).toEqual({ follow: true, tail: 0, since: now / 1000 - 600 });
    expect(parseLogsQuery({ since: '2026-12-01T11:00:00Z' }, now)).toEqual({ follow: false, tail: 100, since: now / 1000 - 3600 });
    expect(parseLogsQuery({ tail: '5001' }, now)).toEqual({ error: expect.stringContaining('0..5000') });
    expect(parseLogsQuery({ tail: '-1' }, now)).toHaveProperty('error');
    expect(parseLogsQuery({ since: 'yesterday' }, now)).toEqual({ error: expect.stringContaining('RFC 3339') });
  });
});

async function read(res: Response, until: (e: LogEvent[]) => boolean): Promise<LogEvent[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const events = () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEvent);
  while (!until(events())) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  reader.releaseLock();
  return events();
}

describe('LogRelay + streamLogs', () => {
  const setup = (limits = {}) => {
    const sent: Array<{ node: string; msg: ServerMessage }> = [];
    const relay = new LogRelay((node, msg) => (sent.push({ node, msg }), node !== 'offline'), limits);
    return { sent, relay };
  };
  const target = { sandbox: 's', service: 'web', node: 'n1', container, platform: 'p' };

  it('opens on the node, relays chunks from that node only, ends, and cancels when the reader goes', async () => {
    const { sent, relay } = setup();
    const res = streamLogs(relay, 'qa1', target, { follow: true, tail: 10 }) as Response;
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const open = sent[0]!.msg as Extract<ServerMessage, { type: 'logs-open' }>;
    expect(open).toMatchObject({ type: 'logs-open', sandbox: 's', platform: 'p', container: 'sandbox-s-web', tail: 10, follow: true });
    relay.receive('n2', { type: 'logs-chunk', stream: open.stream, lines: [{ stream: 'stdout', text: 'from another node' }] });
    relay.receive('n1', { type: 'logs-chunk', stream: open.stream, lines: [] });
    relay.receive('n1', { type: 'logs-chunk', stream: open.stream, lines: [{ stream: 'stdout', text: 'a' }], dropped: 3 });
    const first = await read(res, (e) => e.length >= 3);
    expect(first).toEqual([
      expect.objectContaining({ type: 'start', container: 'sandbox-s-web', node: 'n1' }),
      expect.objectContaining({ type: 'dropped', lines: 3 }),
      { type: 'line', stream: 'stdout', text: 'a' },
    ]);
    await res.body!.cancel();
    expect(sent.at(-1)!.msg).toEqual({ type: 'logs-cancel', stream: open.stream });
    expect(relay.size).toBe(0);
  });

  it('ends the streams of an agent that disconnects', async () => {
    const { relay } = setup();
    const res = streamLogs(relay, 'qa1', target, { follow: true, tail: 0 }) as Response;
    relay.nodeGone('n1');
    const events = await read(res, () => false);
    expect(events.at(-1)).toEqual({ type: 'end', reason: 'agent-offline', message: 'agent n1 disconnected' });
  });

  it('refuses past the per-user and total bounds, and for an offline agent', () => {
    const { relay } = setup({ streamsPerUser: 1, streamsTotal: 2 });
    expect(streamLogs(relay, 'a', target, { follow: true, tail: 0 })).toBeInstanceOf(Response);
    expect(streamLogs(relay, 'a', target, { follow: true, tail: 0 })).toMatchObject({ status: 429 });
    expect(streamLogs(relay, 'b', { ...target, node: 'offline' }, { follow: true, tail: 0 })).toMatchObject({ status: 503, refused: expect.stringContaining('offline') });
    expect(streamLogs(relay, 'b', target, { follow: true, tail: 0 })).toBeInstanceOf(Response);
    expect(streamLogs(relay, 'c', target, { follow: true, tail: 0 })).toMatchObject({ status: 503 });
  });

  it('ends a stream the agent never answers (an agent older than the protocol), cancelling it', async () => {
    const sent: ServerMessage[] = [];
    const relay = new LogRelay((_node, msg) => (sent.push(msg), true), {}, 50);
    const res = streamLogs(relay, 'qa1', target, { follow: true, tail: 0 }) as Response;
    const events = await read(res, () => false);
    expect(events).toEqual([{ type: 'end', reason: 'failed', message: expect.stringContaining('did not answer the log request') }]);
    expect(sent.map((m) => m.type)).toEqual(['logs-open', 'logs-cancel']);
    expect(relay.size).toBe(0);
  });

  it('drops for a client that does not read, counting what it missed', async () => {
    const { sent, relay } = setup();
    const res = streamLogs(relay, 'qa1', target, { follow: true, tail: 0 }) as Response;
    const id = (sent[0]!.msg as { stream: string }).stream;
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 40; i++) relay.receive('n1', { type: 'logs-chunk', stream: id, lines: [{ stream: 'stdout', text: big }] });
    relay.receive('n1', { type: 'logs-end', stream: id, reason: 'container-stopped', message: 'stopped' });
    const events = await read(res, () => false);
    const lines = events.filter((e) => e.type === 'line').length;
    expect(lines).toBeLessThan(40);
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'container-stopped' });
  });
});
