import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { usageOf } from './monitor.ts';

const stats = (total: number, system: number, memory: Partial<Docker.ContainerStats['memory_stats']>) =>
  ({ read: '2026-06-01T00:00:00Z', cpu_stats: { cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 }, memory_stats: memory }) as unknown as Docker.ContainerStats;

describe('usageOf', () => {
  it('memory without the page cache (cgroup v2 inactive_file, v1 total_inactive_file)', () => {
    expect(usageOf(stats(0, 0, { usage: 10_000, stats: { inactive_file: 4_000 } as never }), undefined).usage.memoryBytes).toBe(6_000);
    // three significant digits: noise is no change
    expect(usageOf(stats(0, 0, { usage: 12_345_678 }), undefined).usage.memoryBytes).toBe(12_300_000);
    expect(usageOf(stats(0, 0, { usage: 10_000, stats: { total_inactive_file: 1_000 } as never }), undefined).usage.memoryBytes).toBe(9_000);
  });

  it('CPU in cores from the second sample on: the container share of the host time times its CPUs', () => {
    const first = usageOf(stats(1_000, 100_000, { usage: 1 }), undefined);
    expect(first.usage.cpu).toBeUndefined();
    const second = usageOf(stats(11_000, 120_000, { usage: 1 }), first.sample);
    expect(second.usage).toEqual({ memoryBytes: 1, cpu: 1, at: '2026-06-01T00:00:00.000Z' });
  });

  it('no CPU figure when the counters went backwards (a restarted container)', () => {
    expect(usageOf(stats(10, 200, { usage: 1 }), { container: 1_000, system: 100 }).usage.cpu).toBeUndefined();
  });
});
