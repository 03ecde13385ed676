import { describe, expect, it } from 'vitest';
import { formatMemoryUsage } from './quantities.ts';

describe('formatMemoryUsage', () => {
  it('three significant digits in the largest binary unit it reaches', () => {
    expect(formatMemoryUsage(3_481_600)).toBe('3.32Mi');
    expect(formatMemoryUsage(2 ** 30)).toBe('1Gi');
    expect(formatMemoryUsage(1536)).toBe('1.5Ki');
    expect(formatMemoryUsage(512)).toBe('512B');
  });
});
