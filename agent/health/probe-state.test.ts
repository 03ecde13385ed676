import { describe, expect, it } from 'vitest';
import { INITIAL_PROBE_STATE, MIN_PROBE_INTERVAL_MS, nextProbeState, probeCheck, probeTiming, UNHEALTHY_AFTER, type ProbeOutcome, type ProbeState } from './probe-state.ts';

const health = { path: 'health', timeoutMs: 500, retries: 3, intervalMs: 4000 };
const timing = probeTiming(health);
const ok: ProbeOutcome = { ok: true };
const http500: ProbeOutcome = { ok: false, failure: { kind: 'status', message: 'HTTP 500' } };
const refused: ProbeOutcome = { ok: false, failure: { kind: 'refused', message: 'connection refused' } };

/** Runs outcomes through the machine at t0, t1, ...; returns every step. */
function run(outcomes: ProbeOutcome[], from: ProbeState = INITIAL_PROBE_STATE) {
  let state = from;
  return outcomes.map((o, i) => {
    const step = nextProbeState(state, o, 'GET /health', `t${i}`, timing);
    state = step.state;
    return step;
  });
}

describe('probe timing', () => {
  it("takes the spec's interval and timeout, with a floor on the interval and a default without a spec", () => {
    expect(timing).toEqual({ intervalMs: 4000, timeoutMs: 500, confirmMs: 1000 });
    expect(probeTiming({ ...health, intervalMs: 200 }).intervalMs).toBe(MIN_PROBE_INTERVAL_MS);
    expect(probeTiming(undefined)).toEqual({ intervalMs: 10_000, timeoutMs: 2000, confirmMs: 1000 });
    expect(probeTiming({ ...health, timeoutMs: 600_000 }).timeoutMs).toBe(30_000);
  });

  it('confirms a failure before the next interval, so a stopped service is unhealthy within two intervals', () => {
    const [first, second] = run([http500, http500]);
    expect(first!.delayMs).toBeLessThan(timing.intervalMs);
    // the worst case: it stops right after a good probe; the next probe and its confirmation
    expect(timing.intervalMs + first!.delayMs + 2 * timing.timeoutMs).toBeLessThanOrEqual(2 * timing.intervalMs);
    expect(second!.state.report?.status).toBe('unhealthy');
  });

  it('names what it checks', () => {
    expect(probeCheck(8080, health)).toBe('GET /health');
    expect(probeCheck(8080, undefined)).toBe('tcp 8080');
  });
});

describe('nextProbeState', () => {
  it('the first success settles on healthy and is a change; more successes are not', () => {
    const steps = run([ok, ok]);
    expect(steps[0]).toMatchObject({ changed: true, delayMs: 4000, state: { report: { status: 'healthy', check: 'GET /health', since: 't0' }, failures: 0 } });
    expect(steps[1]!.changed).toBe(false);
    expect(steps[1]!.state.report?.since).toBe('t0');
  });

  it(`one failure is not an outage; ${UNHEALTHY_AFTER} in a row are, with what failed and since when`, () => {
    const steps = run([ok, http500, ok, http500, http500, http500]);
    expect(steps.map((s) => s.changed)).toEqual([true, false, false, false, true, false]);
    expect(steps[4]!.state.report).toEqual({ status: 'unhealthy', check: 'GET /health', failure: { kind: 'status', message: 'HTTP 500' }, since: 't4' });
    expect(steps[5]!.state.report?.since).toBe('t4');
  });

  it('a different failure is reported (the reason stays true) but keeps the time it began', () => {
    const steps = run([http500, http500, refused]);
    expect(steps[2]).toMatchObject({ changed: true, state: { report: { status: 'unhealthy', failure: { kind: 'refused' }, since: 't1' } } });
  });

  it('recovers on one success', () => {
    const steps = run([http500, http500, ok]);
    expect(steps[2]).toMatchObject({ changed: true, state: { report: { status: 'healthy', since: 't2' }, failures: 0 } });
  });

  it('says nothing before it has settled', () => {
    expect(run([refused])[0]).toMatchObject({ changed: false, state: { report: undefined, failures: 1 } });
  });
});
