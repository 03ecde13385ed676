// The one place an evaluation leaves the process: for each sandbox whose summary changed, persist it,
// set its metrics, push it on /ws/ui and tell the event sink (notifications); push the full status
// when the set of sandboxes, the revision or the agents changed.
import { sameData } from '../../core/share.ts';
import type { SandboxSummary, StatusView, UiMessage } from '../../schema/api.ts';
import { recordSandbox, type Metrics } from '../metrics.ts';
import type { SandboxView } from './controller.ts';
import type { EventSink } from './events.ts';
import type { SandboxRecords } from './sandbox-records.ts';

export class StatusPublisher {
  /** the view each sandbox's pushed summary came from: a view the evaluation kept is not compared again */
  private readonly pushed = new Map<string, SandboxView>();

  constructor(
    private readonly d: { records: SandboxRecords; metrics: Metrics; broadcast: (msg: UiMessage) => void; events?: EventSink },
  ) {}

  publish(states: ReadonlyMap<string, SandboxView>, status: () => StatusView, statusChanged: boolean): void {
    const { records, metrics, broadcast } = this.d;
    const setChanged = states.size !== this.pushed.size || [...states.keys()].some((n) => !this.pushed.has(n));
    const at = new Date().toISOString();
    for (const name of [...this.pushed.keys()]) {
      if (states.has(name)) continue;
      const gone = this.pushed.get(name)?.summary;
      this.pushed.delete(name);
      metrics.driftEntries.remove({ sandbox: name });
      recordSandbox(metrics, gone, undefined);
      this.d.events?.sandbox(gone, undefined);
    }
    const changed: { before: SandboxSummary | undefined; summary: SandboxSummary }[] = [];
    for (const [name, st] of states) {
      const before = this.pushed.get(name);
      if (before === st) continue;
      this.pushed.set(name, st);
      if (before && sameData(before.summary, st.summary)) continue;
      changed.push({ before: before?.summary, summary: st.summary });
    }
    records.save(changed.map((c) => c.summary), at);
    for (const { before, summary } of changed) {
      metrics.driftEntries.set({ sandbox: summary.name }, summary.drift.length);
      recordSandbox(metrics, before, summary);
      broadcast({ type: 'sandbox', sandbox: summary });
      this.d.events?.sandbox(before, summary);
    }
    if (setChanged || statusChanged) broadcast({ type: 'status', status: status() });
  }
}
