// The one place an evaluation leaves the process: for each sandbox whose summary changed, persist it,
// set its metrics, push it on /ws/ui and tell the event sink (notifications); push the full status
// when the set of sandboxes, the revision or the agents changed.
import type { StatusView, UiMessage } from '../../schema/api.ts';
import { recordSandbox, type Metrics } from '../metrics.ts';
import type { SandboxView } from './controller.ts';
import type { EventSink } from './events.ts';
import type { SandboxRecords } from './sandbox-records.ts';

export class StatusPublisher {
  private readonly pushed = new Map<string, string>();
  /** the view each pushed text came from: a view the evaluation kept is not serialised again */
  private readonly pushedFrom = new Map<string, SandboxView>();

  constructor(
    private readonly d: { records: SandboxRecords; metrics: Metrics; broadcast: (msg: UiMessage) => void; events?: EventSink },
  ) {}

  publish(states: ReadonlyMap<string, SandboxView>, status: () => StatusView, statusChanged: boolean): void {
    const { records, metrics, broadcast } = this.d;
    const setChanged = states.size !== this.pushed.size || [...states.keys()].some((n) => !this.pushed.has(n));
    const at = new Date().toISOString();
    for (const name of [...this.pushed.keys()]) {
      if (states.has(name)) continue;
      const gone = this.pushedFrom.get(name)?.summary;
      this.pushed.delete(name);
      this.pushedFrom.delete(name);
      metrics.driftEntries.remove({ sandbox: name });
      recordSandbox(metrics, gone, undefined);
      this.d.events?.sandbox(gone, undefined);
    }
    for (const [name, st] of states) {
      const prev = this.pushedFrom.get(name);
      if (prev === st) continue;
      this.pushedFrom.set(name, st);
      const text = JSON.stringify(st.summary);
      if (this.pushed.get(name) === text) continue;
      this.pushed.set(name, text);
      records.save(st.summary, at);
      metrics.driftEntries.set({ sandbox: name }, st.summary.drift.length);
      recordSandbox(metrics, prev?.summary, st.summary);
      broadcast({ type: 'sandbox', sandbox: st.summary });
      this.d.events?.sandbox(prev?.summary, st.summary);
    }
    if (setChanged || statusChanged) broadcast({ type: 'status', status: status() });
  }
}
