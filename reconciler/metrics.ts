// Prometheus metrics of one reconciler instance (its own registry, so several can run in one
// process, as tests do). Served at GET /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  syncs: Counter<'sandbox' | 'trigger' | 'outcome'>;
  syncDuration: Histogram<'outcome'>;
  driftEntries: Gauge<'sandbox'>;
  generatedSandboxes: Gauge<'sandbox' | 'set'>;
  agentsConnected: Gauge;
  reconcileLatency: Histogram;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sdp_' });
  return {
    registry,
    syncs: new Counter({
      name: 'sdp_syncs_total',
      help: 'Syncs finished, by sandbox, trigger and outcome (succeeded | failed | noop)',
      labelNames: ['sandbox', 'trigger', 'outcome'],
      registers: [registry],
    }),
    syncDuration: new Histogram({
      name: 'sdp_sync_duration_seconds',
      help: 'Duration of syncs from start to outcome',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    driftEntries: new Gauge({
      name: 'sdp_drift_entries',
      help: 'Drift entries per sandbox',
      labelNames: ['sandbox'],
      registers: [registry],
    }),
    generatedSandboxes: new Gauge({
      name: 'sdp_sandbox_generated_info',
      help: 'Always 1: the SandboxSet that made the sandbox (join on sandbox to group any sandbox metric by set)',
      labelNames: ['sandbox', 'set'],
      registers: [registry],
    }),
    agentsConnected: new Gauge({ name: 'sdp_agents_connected', help: 'Agents connected now', registers: [registry] }),
    reconcileLatency: new Histogram({
      name: 'sdp_reconcile_latency_seconds',
      help: 'Time from a change (spec revision, inventory, event, resolution) to the recomputed status',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: [registry],
    }),
  };
}
