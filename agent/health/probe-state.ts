// The agent's continuous health check as a state machine (pure): each probe's outcome in, the status
// it settles on out, with when to probe next. agent/health/monitor.ts does the probing and timing.
// It lives in agent/ (agent/ may not import core/); only its settled transitions reach the
// reconciler, where core/status.ts turns them into the sandbox's health and reason.
//
// Timing: a container is probed every interval (the spec's, at least MIN_PROBE_INTERVAL_MS; without
// a health spec DEFAULT_PROBE_INTERVAL_MS). One failed probe is confirmed by a second one soon after
// (confirmMs) before the container is reported unhealthy, so one dropped connection is not an outage,
// and a service that stops answering is unhealthy within interval + confirmMs (+ the timeouts when it
// hangs rather than refuses): inside two intervals whenever its timeout is under a third of the
// interval. One success makes it healthy again.
import type { HealthSpec } from '../../schema/container.ts';
import type { ProbeFailure, ProbeReport } from '../../schema/protocol.ts';

/** The interval without a health spec (only "does the port accept connections"). */
export const DEFAULT_PROBE_INTERVAL_MS = 10_000;
/** A spec's interval tuned for a fast deploy (200 ms) is not kept up for a container's whole life. */
export const MIN_PROBE_INTERVAL_MS = 1_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
/** No probe waits longer than this, whatever the spec says. */
export const MAX_PROBE_TIMEOUT_MS = 30_000;
/** Failed probes in a row that make a container unhealthy. */
export const UNHEALTHY_AFTER = 2;

export interface ProbeTiming {
  intervalMs: number;
  timeoutMs: number;
  /** the wait before a probe that confirms a failure */
  confirmMs: number;
}

export function probeTiming(health: HealthSpec | undefined): ProbeTiming {
  const intervalMs = health ? Math.max(MIN_PROBE_INTERVAL_MS, health.intervalMs) : DEFAULT_PROBE_INTERVAL_MS;
  const timeoutMs = Math.min(health?.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, MAX_PROBE_TIMEOUT_MS);
  return { intervalMs, timeoutMs, confirmMs: Math.min(1_000, Math.round(intervalMs / 4)) };
}

/** What is probed, as the status message names it: the health path, or the port. */
export function probeCheck(port: number, health: HealthSpec | undefined): string {
  if (!health) return `tcp ${port}`;
  return `GET ${health.path.startsWith('/') ? health.path : `/${health.path}`}`;
}

export type ProbeOutcome = { ok: true } | { ok: false; failure: ProbeFailure };

export interface ProbeState {
  /** what it settled on; undefined until the first success or UNHEALTHY_AFTER failures in a row */
  report: ProbeReport | undefined;
  /** failed probes in a row */
  failures: number;
}

export const INITIAL_PROBE_STATE: ProbeState = { report: undefined, failures: 0 };

export interface ProbeStep {
  state: ProbeState;
  /** the report changed (status or why it fails): the reconciler is told at once */
  changed: boolean;
  /** when to probe next */
  delayMs: number;
}

export function nextProbeState(state: ProbeState, outcome: ProbeOutcome, check: string, now: string, timing: ProbeTiming): ProbeStep {
  const prev = state.report;
  if (outcome.ok) {
    const report: ProbeReport = prev?.status === 'healthy' ? prev : { status: 'healthy', check, since: now };
    return { state: { report, failures: 0 }, changed: report !== prev, delayMs: timing.intervalMs };
  }
  const failures = state.failures + 1;
  if (failures < UNHEALTHY_AFTER) return { state: { report: prev, failures }, changed: false, delayMs: timing.confirmMs };
  const same = prev?.status === 'unhealthy' && prev.failure?.kind === outcome.failure.kind && prev.failure.message === outcome.failure.message;
  const report: ProbeReport = same ? prev : { status: 'unhealthy', check, failure: outcome.failure, since: prev?.status === 'unhealthy' ? prev.since : now };
  return { state: { report, failures }, changed: !same, delayMs: timing.intervalMs };
}
