// The auto-sync loop: after each evaluation, asks the pure policy (core/policy.ts) which sandboxes
// to sync without being asked, starts those syncs, and wakes up again when a self-heal backoff ends.
import { decideAutoSyncs, type HealBackoff } from '../../core/policy.ts';
import { orphanPolicy } from '../../core/sets.ts';
import type { DesiredSet } from '../../schema/desired.ts';
import type { SandboxState, SyncRecord } from '../../core/evaluate.ts';
import type { Logger } from '../log.ts';
import type { Controller } from './controller.ts';
import type { Executor } from './executor.ts';
import type { JobStore } from './job-store.ts';

/**
 * The last attempt as the job store has it now, not as the evaluation saw it: a sync that finished
 * after that evaluation must count (cached in the store, dropped when a job finishes).
 */
function lastAttempt(r: SyncRecord): { fingerprint: string; ok: boolean } | undefined {
  return r.attempted && r.attemptedFingerprint !== undefined ? { fingerprint: r.attemptedFingerprint, ok: r.attempted.ok } : undefined;
}

export class AutoSync {
  private heal = new Map<string, HealBackoff>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly d: { controller: Controller; executor: Executor; jobs: JobStore; log: Logger; /** the SandboxSets in force */ sets: () => readonly DesiredSet[] }) {
    d.controller.onEvaluated((states) => this.run(states));
  }

  private run(states: ReadonlyMap<string, SandboxState>): void {
    if (this.closed) return;
    const { executor, controller, jobs, log } = this.d;
    const now = Date.now();
    const sets = this.d.sets();
    const decision = decideAutoSyncs(
      [...states.values()].map((st) => ({
        name: st.name,
        syncPolicy: st.desired ? st.desired.syncPolicy : orphanPolicy(st.live, sets),
        sync: st.evaluated.sync,
        unresolved: (st.evaluated.bound?.unresolved.length ?? 0) > 0,
        expired: st.expired,
        pinned: st.pin !== undefined,
        syncing: executor.isRunning(st.name),
        fingerprint: st.evaluated.fingerprint,
        lastAttempt: lastAttempt(jobs.syncRecord(st.name)),
      })),
      this.heal,
      now,
    );
    this.heal = decision.heal;
    for (const req of decision.start) {
      try {
        executor.start({ sandbox: req.sandbox, prune: req.prune, dryRun: false, user: `sdp:${req.trigger}`, trigger: req.trigger });
      } catch (err) {
        log.warn({ sandbox: req.sandbox, trigger: req.trigger, err: (err as Error).message }, 'automatic sync not started');
      }
    }
    clearTimeout(this.timer);
    if (decision.wakeAt !== undefined) this.timer = setTimeout(() => controller.schedule(), decision.wakeAt - now + 10);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
