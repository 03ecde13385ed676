// History, rollback, pins and snapshots of sandboxes: the operations behind `sdp history`,
// `sdp rollback`, `sdp pin` / `sdp unpin` and `sdp snapshot`, and the rule that lifts a pin when a
// spec revision changes (or drops) its sandbox. A rollback is a sync of a recorded state (its
// commits pinned, core/history.ts) and pins the sandbox in the same tick it starts, so no
// automatic sync can slip in between; the auto-sync policy (core/policy.ts) then leaves it alone.
import { previousSuccessful, rollbackDesired, type Pin } from '../../core/history.ts';
import type { HistoryResponse, PinView, RollbackResponse, SnapshotView } from '../../schema/api.ts';
import type { Audit } from '../audit/audit.ts';
import type { Logger } from '../log.ts';
import { pinView } from '../present/summary.ts';
import type { History, StoredState } from '../store/history.ts';
import type { Pins } from '../store/pins.ts';
import type { Changes } from './changes.ts';
import type { Controller, SandboxView } from './controller.ts';
import { UnknownSandbox, type Executor } from './executor.ts';
import type { SandboxRecords } from './sandbox-records.ts';
import type { Revisions } from '../source/revisions.ts';

/** A request that cannot be done as asked: the HTTP status and a sentence saying what to do. */
export class HistoryError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface Actor {
  user: string;
  ip?: string;
}

/** The actor recorded when a spec revision lifts a pin. */
const SPEC_CHANGE = 'sdp:spec-change';

export class Rollbacks {
  constructor(
    private readonly d: {
      controller: Controller;
      executor: Executor;
      history: History;
      pins: Pins;
      records: SandboxRecords;
      revisions: Revisions;
      audit: Audit;
      changes: Changes;
      log: Logger;
    },
  ) {
    d.controller.onEvaluated((states) => this.liftStalePins(states));
  }

  history(sandbox: string, limit?: number): HistoryResponse {
    const st = this.known(sandbox);
    const pin = this.d.pins.get(sandbox);
    return { sandbox: st.name, ...(pin ? { pinned: pinView(sandbox, pin) } : {}), entries: this.d.history.entries(sandbox, limit) };
  }

  /** Re-applies a recorded state (a job's, a snapshot's, by default the previous successful sync's) and pins the sandbox to it. */
  rollback(sandbox: string, to: { job?: string; snapshot?: string }, o: Actor & { reason?: string; prune: boolean }): RollbackResponse {
    const st = this.inSpec(sandbox, 'roll it back');
    if (to.job !== undefined && to.snapshot !== undefined) throw new HistoryError(400, 'give a job or a snapshot to roll back to, not both');
    const source = this.source(sandbox, to);
    const desired = rollbackDesired(source.state, st.desired);
    if (!desired.ok) throw new HistoryError(409, `job ${source.job} cannot be re-applied: ${desired.error}; pick another (sdp history ${sandbox})`);
    const started = this.d.executor.apply({ sandbox, prune: o.prune, user: o.user, ...(o.ip ? { ip: o.ip } : {}) }, desired.sandbox, source.revision);
    // pinned before anything else runs: the job's end (or any evaluation) finds it pinned
    const reason = o.reason?.trim() || `rollback to ${to.snapshot !== undefined ? `snapshot ${to.snapshot}` : `job ${source.job}`}`;
    const pin = this.setPin(st, { job: source.job, ...(to.snapshot !== undefined ? { snapshot: to.snapshot } : {}), by: o.user, at: new Date().toISOString(), reason }, o);
    this.d.audit.record({
      action: 'rollback',
      actor: o.user,
      target: sandbox,
      outcome: 'started',
      ...(o.ip ? { ip: o.ip } : {}),
      detail: { job: started.job.id, to: source.job, ...(to.snapshot !== undefined ? { snapshot: to.snapshot } : {}), revision: source.revision, reason, prune: o.prune },
    });
    return { job: started.job, plan: started.plan, pinned: pinView(sandbox, pin) };
  }

  /** Holds what runs now (the last successful sync) without deploying anything. */
  pin(sandbox: string, o: Actor & { reason?: string }): PinView {
    const st = this.inSpec(sandbox, 'pin it');
    const last = this.d.history.outcomes(sandbox).find((s) => s.ok && s.recorded);
    if (!last) throw new HistoryError(409, `sandbox ${sandbox} has no successful sync on record to hold; sync it first (sdp sync ${sandbox})`);
    const reason = o.reason?.trim() || `pinned at job ${last.job}`;
    return pinView(sandbox, this.setPin(st, { job: last.job, by: o.user, at: new Date().toISOString(), reason }, o));
  }

  /** Lifts the pin: auto-sync and self-heal resume at the next evaluation. */
  unpin(sandbox: string, o: Actor): PinView {
    this.known(sandbox);
    const lifted = this.d.pins.remove(sandbox);
    if (!lifted) throw new HistoryError(404, `sandbox ${sandbox} is not pinned`);
    this.d.audit.record({ action: 'unpin', actor: o.user, target: sandbox, outcome: 'success', ...(o.ip ? { ip: o.ip } : {}), detail: { job: lifted.job, pinnedBy: lifted.by, reason: lifted.reason } });
    this.d.changes.notify({ liveOnly: true });
    return pinView(sandbox, lifted);
  }

  snapshot(sandbox: string, name: string, o: Actor & { job?: string; reason?: string }): SnapshotView {
    this.known(sandbox);
    const source = o.job !== undefined ? this.jobState(sandbox, o.job) : this.lastSuccessful(sandbox);
    const made = this.d.history.createSnapshot(name, source, o.user, new Date().toISOString(), o.reason?.trim() || undefined);
    if (made === 'exists') throw new HistoryError(409, `sandbox ${sandbox} already has a snapshot ${name}; pick another name (sdp snapshot ${sandbox} lists them)`);
    this.d.audit.record({
      action: 'snapshot',
      actor: o.user,
      target: sandbox,
      outcome: 'success',
      ...(o.ip ? { ip: o.ip } : {}),
      detail: { name, job: source.job, revision: source.revision, ...(o.reason ? { reason: o.reason } : {}) },
    });
    return made;
  }

  snapshots(sandbox: string): SnapshotView[] {
    this.known(sandbox);
    return this.d.history.snapshots(sandbox);
  }

  deleteSnapshot(sandbox: string, name: string, o: Actor): void {
    if (!this.d.history.deleteSnapshot(sandbox, name)) throw new HistoryError(404, `sandbox ${sandbox} has no snapshot ${name}`);
    this.d.audit.record({ action: 'snapshot.delete', actor: o.user, target: sandbox, outcome: 'success', ...(o.ip ? { ip: o.ip } : {}), detail: { name } });
  }

  private setPin(st: SandboxView, pin: Pin, o: Actor): Pin {
    if (!st.desired) throw new UnknownSandbox(st.name);
    this.d.pins.set(st.name, pin, this.d.records.specDigest(st.desired));
    this.d.audit.record({
      action: 'pin',
      actor: o.user,
      target: st.name,
      outcome: 'success',
      ...(o.ip ? { ip: o.ip } : {}),
      detail: { job: pin.job, ...(pin.snapshot !== undefined ? { snapshot: pin.snapshot } : {}), reason: pin.reason },
    });
    this.d.changes.notify({ liveOnly: true });
    return pin;
  }

  private source(sandbox: string, to: { job?: string; snapshot?: string }): StoredState {
    if (to.snapshot !== undefined) {
      const snap = this.d.history.snapshot(sandbox, to.snapshot);
      if (!snap) throw new HistoryError(404, `sandbox ${sandbox} has no snapshot ${to.snapshot} (sdp snapshot ${sandbox} lists them)`);
      return snap;
    }
    if (to.job !== undefined) return this.jobState(sandbox, to.job);
    const previous = previousSuccessful(this.d.history.outcomes(sandbox));
    if (!previous) throw new HistoryError(409, `sandbox ${sandbox} has no earlier successful sync that applied something else; name one with --to JOB (sdp history ${sandbox})`);
    return this.jobState(sandbox, previous);
  }

  private jobState(sandbox: string, job: string): StoredState {
    const s = this.d.history.state(job);
    if (!s || s.sandbox !== sandbox) throw new HistoryError(404, `sandbox ${sandbox} has no recorded sync ${job} (sdp history ${sandbox} lists them; older ones are pruned, snapshots are kept)`);
    if (s.status !== 'succeeded') throw new HistoryError(409, `job ${job} did not succeed (${s.status}): roll back to a sync that did (sdp history ${sandbox})`);
    return s;
  }

  private lastSuccessful(sandbox: string): StoredState {
    const last = this.d.history.outcomes(sandbox).find((s) => s.ok && s.recorded);
    if (!last) throw new HistoryError(409, `sandbox ${sandbox} has no successful sync on record; sync it first, or name a job with --job`);
    return this.jobState(sandbox, last.job);
  }

  /** A sandbox the reconciler knows (in the specs, or an orphan with live objects). */
  private known(sandbox: string): SandboxView {
    const st = this.d.controller.evaluateNow(sandbox);
    if (!st) throw new UnknownSandbox(sandbox);
    return st;
  }

  private inSpec(sandbox: string, what: string): SandboxView {
    const st = this.known(sandbox);
    if (!st.desired) throw new HistoryError(409, `sandbox ${sandbox} is in no spec: add it back to the specs to ${what} (its snapshots are kept)`);
    return st;
  }

  /** A pin lasts until a spec revision changes its sandbox's spec or drops the sandbox. */
  private liftStalePins(states: ReadonlyMap<string, SandboxView>): void {
    const { pins, records, revisions } = this.d;
    // before the first good revision nothing is known to have changed
    if (pins.all().size === 0 || !revisions.current) return;
    let lifted = false;
    for (const [sandbox, stored] of [...pins.all()]) {
      const st = states.get(sandbox);
      const why = !st?.desired ? 'its sandbox left the specs' : records.specDigest(st.desired) !== stored.specDigest ? 'a spec revision changed its spec' : undefined;
      if (!why) continue;
      pins.remove(sandbox);
      lifted = true;
      this.d.audit.record({ action: 'unpin', actor: SPEC_CHANGE, target: sandbox, outcome: 'success', detail: { job: stored.pin.job, pinnedBy: stored.pin.by, reason: why } });
      this.d.log.info({ sandbox, job: stored.pin.job, why }, 'pin lifted');
    }
    if (lifted) this.d.changes.notify({ liveOnly: true });
  }
}
