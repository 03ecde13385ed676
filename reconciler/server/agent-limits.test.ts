// The bookkeeping behind /ws/agent's limits: pending sockets per address, rate-limited reports.
import { expect, it } from 'vitest';
import { ReportGate } from '../auth/rate-limit.ts';
import { PendingSockets } from './agent-limits.ts';

it('PendingSockets caps sockets waiting for hello per address and in all', () => {
  const p = new PendingSockets({ pendingPerAddress: 2, pendingTotal: 3 });
  expect([p.take('a'), p.take('a'), p.take('a')]).toEqual([true, true, false]);
  expect(p.take('b')).toBe(true);
  expect(p.take('c')).toBe(false); // the total cap
  p.release('a');
  expect(p.count('a')).toBe(1);
  expect(p.take('c')).toBe(true);
  p.release('zz'); // an address with nothing taken: no-op
  expect(p.count()).toBe(3);
});

it('ReportGate lets a few reports per key through per window and counts the rest', () => {
  let now = 0;
  const gate = new ReportGate(2, 1000, () => now);
  expect(gate.pass('x')).toEqual({ suppressed: 0 });
  expect(gate.pass('x')).toEqual({ suppressed: 0 });
  for (let i = 0; i < 20_000; i++) expect(gate.pass('x')).toBeNull();
  expect(gate.pass('y')).toEqual({ suppressed: 0 }); // keys are apart
  now = 1001;
  expect(gate.pass('x')).toEqual({ suppressed: 20_000 });
  expect(gate.pass('x')).toEqual({ suppressed: 0 });
});
