// Prometheus metrics of one reconciler instance (its own registry, so several can run in one
// process, as tests do). Served at GET /metrics. Node's default metrics keep their standard names
// (process_*, nodejs_*) so stock dashboards find them; sdp's own are sdp_*. `promtool check
// metrics` passes on the output (a test runs it).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SandboxSummary } from '../schema/api.ts';

export interface Metrics {
  registry: Registry;
  syncs: Counter<'sandbox' | 'trigger' | 'outcome'>;
  syncDuration: Histogram<'outcome'>;
  driftEntries: Gauge<'sandbox'>;
  /** 1 per sandbox with its sync and health as labels (like argocd_app_info) */
  sandboxInfo: Gauge<'sandbox' | 'sync' | 'health'>;
  generatedSandboxes: Gauge<'sandbox' | 'set'>;
  agentsConnected: Gauge;
  /** 1 while the node's agent is connected, 0 for a known node whose agent is not */
  agentUp: Gauge<'node'>;
  reconcileLatency: Histogram;
  compileDuration: Histogram<'outcome'>;
  rejectedRevisions: Counter;
  /** delivery attempts by target and outcome (delivered | retried | failed | dropped) */
  notificationDeliveries: Counter<'target' | 'outcome'>;
}

const UNCOUNTED_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's three totals are gauges named *_total, which promtool (rightly) rejects; each is
  // the sum of the per-type series it keeps (sum(nodejs_active_handles) and so on)
  for (const name of UNCOUNTED_TOTALS) registry.removeSingleMetric(name);
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
    sandboxInfo: new Gauge({
      name: 'sdp_sandbox_info',
      help: 'Always 1: one series per sandbox, its sync status (Synced | OutOfSync | Unknown) and health status as labels',
      labelNames: ['sandbox', 'sync', 'health'],
      registers: [registry],
    }),
    generatedSandboxes: new Gauge({
      name: 'sdp_sandbox_generated_info',
      help: 'Always 1: the SandboxSet that made the sandbox (join on sandbox to group any sandbox metric by set)',
      labelNames: ['sandbox', 'set'],
      registers: [registry],
    }),
    agentsConnected: new Gauge({ name: 'sdp_agents_connected', help: 'Agents connected now', registers: [registry] }),
    agentUp: new Gauge({ name: 'sdp_agent_up', help: "1 while the node's agent is connected, 0 when it is not", labelNames: ['node'], registers: [registry] }),
    reconcileLatency: new Histogram({
      name: 'sdp_reconcile_latency_seconds',
      help: 'Time from a change (spec revision, inventory, event, resolution) to the recomputed status',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: [registry],
    }),
    compileDuration: new Histogram({
      name: 'sdp_spec_compile_duration_seconds',
      help: 'Time to read and compile the specs folder, by outcome (ok | rejected)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    rejectedRevisions: new Counter({ name: 'sdp_spec_revisions_rejected_total', help: 'Spec revisions rejected for errors (the last good one stays in force)', registers: [registry] }),
    notificationDeliveries: new Counter({
      name: 'sdp_notification_deliveries_total',
      help: 'Notification delivery attempts by target and outcome (delivered | retried | failed: out of attempts | dropped: target gone)',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    }),
  };
}

/** The sandbox's info series: the one of its previous summary removed, the new one set. */
export function recordSandbox(metrics: Metrics, prev: SandboxSummary | undefined, next: SandboxSummary | undefined): void {
  if (prev && (!next || prev.sync !== next.sync || prev.health !== next.health)) metrics.sandboxInfo.remove({ sandbox: prev.name, sync: prev.sync, health: prev.health });
  if (next) metrics.sandboxInfo.set({ sandbox: next.name, sync: next.sync, health: next.health }, 1);
  const [was, is] = [prev?.generatedBy?.set, next?.generatedBy?.set];
  if (prev && was !== undefined && (was !== is || prev.name !== next?.name)) metrics.generatedSandboxes.remove({ sandbox: prev.name, set: was });
  if (next && is !== undefined) metrics.generatedSandboxes.set({ sandbox: next.name, set: is }, 1);
}
