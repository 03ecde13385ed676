import { describe, expect, it } from 'vitest';
import { logTimeKey } from './log-time.ts';

describe('logTimeKey', () => {
  it('orders Docker timestamps as text, whatever zeros Docker trimmed', () => {
    const keys = ['2026-12-01T18:57:14.12345Z', '2026-12-01T18:57:14Z', '2026-12-01T18:57:14.123456789Z', '2026-12-01T18:57:14.2Z'].map(logTimeKey);
    expect(keys).toEqual(['2026-12-01T18:57:14.123450000Z', '2026-12-01T18:57:14.000000000Z', '2026-12-01T18:57:14.123456789Z', '2026-12-01T18:57:14.200000000Z']);
    expect([...keys].sort()).toEqual([keys[1], keys[0], keys[2], keys[3]]);
  });
});
