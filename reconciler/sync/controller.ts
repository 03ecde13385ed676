// The reconcile loop: on every change (Changes) it gathers the inputs, runs the pure evaluation
// (core/evaluate.ts) over every sandbox, hands the result to the publisher, and tells its listeners
// (the auto-sync loop) that a new evaluation is in force. Changes are coalesced: a burst of events
// costs one evaluation. It also answers the API's read views from the last evaluation.
import { evaluateSandbox, evaluateWorld, type Evaluated, type SandboxState } from '../../core/evaluate.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import type { Pins } from '../store/pins.ts';
import { sandboxSummary } from '../present/summary.ts';
import type { SecretDigest } from '../../core/bind/bind.ts';
import type { AgentView, SandboxDetail, SandboxSummary, ServiceView, StatusView } from '../../schema/api.ts';
import type { BranchHeads } from '../resolve/heads.ts';
import type { LiveCache } from '../live/cache.ts';
import type { Revisions } from '../source/revisions.ts';
import type { AgentHub } from '../server/agent-hub.ts';
import type { Metrics } from '../metrics.ts';
import type { Change, Changes } from './changes.ts';
import type { JobStore } from './job-store.ts';
import type { StatusPublisher } from './publisher.ts';
import type { SandboxRecords } from './sandbox-records.ts';
import type { AgentRecords } from './agent-records.ts';

/** A sandbox's evaluation with its API summary (rendered once per evaluation). */
export interface SandboxView extends SandboxState {
  summary: SandboxSummary;
}

export interface ControllerDeps {
  changes: Changes;
  revisions: Revisions;
  heads: BranchHeads;
  live: LiveCache;
  hub: AgentHub;
  jobs: JobStore;
  records: SandboxRecords;
  agentRecords: AgentRecords;
  pins: Pins;
  publisher: StatusPublisher;
  metrics: Metrics;
  secretDigest: SecretDigest;
}

export type EvaluatedListener = (states: ReadonlyMap<string, SandboxView>) => void;

export class Controller {
  private states = new Map<string, SandboxView>();
  private sorted: SandboxSummary[] | null = null;
  private pendingSince: number | null = null;
  private statusDirty = true;
  private ttlTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** something changed since the last evaluation */
  private stale = true;
  /** something other than live state or the revision changed since: every sandbox is re-evaluated */
  private everything = true;
  private readonly listeners: EvaluatedListener[] = [];

  constructor(private readonly d: ControllerDeps) {
    d.changes.subscribe((c) => this.schedule(c));
  }

  /** Called after each evaluation, outside it (so a listener may start a sync, which evaluates again). */
  onEvaluated(l: EvaluatedListener): void {
    this.listeners.push(l);
  }

  /**
   * Something changed: re-evaluate soon (coalesced). Without an argument (a job ended, a timer
   * fired) the inputs that moved are sync records and clocks, which the evaluation compares itself.
   */
  schedule(c: Change = { liveOnly: true }): void {
    if (c.status) this.statusDirty = true;
    if (!c.liveOnly && !c.revision) this.everything = true;
    this.stale = true;
    if (this.pendingSince !== null || this.closed) return;
    this.pendingSince = performance.now();
    setImmediate(() => this.recompute());
  }

  /** One sandbox's state as of now (for planning a sync): re-evaluated only if something changed. */
  evaluateNow(name: string): SandboxView | undefined {
    if (this.stale) this.recompute();
    return this.states.get(name);
  }

  private recompute(): void {
    const since = this.pendingSince ?? performance.now();
    this.pendingSince = null;
    if (this.closed) return;
    this.stale = false;
    const previous = this.everything ? undefined : this.states;
    this.everything = false;
    const { revisions, live, jobs, records, pins } = this.d;
    const now = Date.now();
    const current = revisions.current;
    const world = evaluateWorld({
      revision: current ? { id: current.view.id, desired: current.desired } : undefined,
      live: live.all(),
      ctx: this.evalContext(),
      now,
      expiresAt: (s) => records.expiresAt(s, now),
      syncs: (name) => jobs.syncRecord(name),
      pins: (name) => pins.get(name),
      ...(previous ? { previous } : {}),
    });
    // a state kept from the last evaluation is the same object: so is its view (summary rendered
    // once). The views replace the states in the evaluation's own map: one map per evaluation.
    const views = world as Map<string, SandboxState | SandboxView>;
    for (const [name, st] of world) if (previous?.get(name) !== st) views.set(name, { ...st, summary: sandboxSummary(st) });
    this.states = views as Map<string, SandboxView>;
    this.sorted = null;
    const statusChanged = this.statusDirty;
    this.statusDirty = false;
    this.d.publisher.publish(this.states, () => this.status(), statusChanged);
    this.d.metrics.reconcileLatency.observe((performance.now() - since) / 1000);
    this.armTtl(now);
    const states = this.states;
    setImmediate(() => {
      if (this.closed) return;
      for (const l of this.listeners) l(states);
    });
  }

  private evalContext() {
    const { heads, hub } = this.d;
    return {
      commits: (repo: string, ref: string) => heads.commit(repo, ref),
      branchError: (repo: string, ref: string) => heads.error(repo, ref),
      secretDigest: this.d.secretDigest,
      online: hub.onlineNodes().map((h) => h.node),
    };
  }

  /**
   * A desired state other than the spec's (a rollback's recorded one) evaluated against the
   * sandbox's live objects as they are now; undefined when the sandbox is not evaluated.
   */
  evaluateAs(name: string, desired: DesiredSandbox): Evaluated | undefined {
    const st = this.evaluateNow(name);
    return st ? evaluateSandbox(desired, st.live, { ...this.evalContext(), platform: st.platform }, false) : undefined;
  }

  /** A manual or automated sync renews the ttl. */
  renew(sandbox: string): void {
    this.d.records.renew(sandbox, new Date().toISOString());
    this.stale = true;
  }

  private armTtl(now: number): void {
    clearTimeout(this.ttlTimer);
    let nearest = Infinity;
    for (const st of this.states.values()) {
      const at = st.summary.expiresAt ? Date.parse(st.summary.expiresAt) : Infinity;
      if (at > now && at < nearest) nearest = at;
    }
    // setTimeout holds at most ~24.8 days; re-arm from there
    if (nearest !== Infinity) this.ttlTimer = setTimeout(() => this.schedule(), Math.min(nearest - now + 10, 2 ** 31 - 1));
  }

  /** Every summary by name, sorted once per evaluation (every API list and status push reads it; not to be changed). */
  summaries(): SandboxSummary[] {
    this.sorted ??= [...this.states.values()].map((s) => s.summary).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.sorted;
  }

  state(name: string): SandboxView | undefined {
    return this.states.get(name);
  }

  detail(name: string): SandboxDetail | undefined {
    const st = this.states.get(name);
    if (!st?.desired) return undefined;
    const live = {
      containers: st.live.flatMap((n) => [...n.containers]),
      networks: st.live.flatMap((n) => [...n.networks]),
      gateways: st.live.flatMap((n) => [...n.gateways]),
    };
    const bound = new Map((st.evaluated.bound?.containers ?? []).map((c) => [c.name, c]));
    const services: ServiceView[] = [...st.desired.services, st.desired.gateway].map((dc) => {
      const lc = live.containers.find((c) => c.name === dc.name);
      const spec = bound.get(dc.name);
      const hostPort = dc.hostPort ?? lc?.ports[0]?.host;
      return {
        service: dc.service,
        node: dc.node,
        ...(dc.source?.branch ? { branch: dc.source.branch } : {}),
        ...(spec?.source?.commit ? { desiredCommit: spec.source.commit } : {}),
        ...(lc?.commit ? { liveCommit: lc.commit } : {}),
        ...(lc?.image ? { image: lc.image } : {}),
        ...(lc ? { state: lc.state, health: lc.health } : {}),
        ...(lc?.probe ? { probe: lc.probe } : {}),
        ...(lc?.restarts !== undefined ? { restarts: lc.restarts } : {}),
        ...(lc?.usage?.cpu !== undefined ? { cpu: lc.usage.cpu } : {}),
        ...(lc?.usage ? { memoryBytes: lc.usage.memoryBytes } : {}),
        ...(hostPort !== undefined ? { hostPort } : {}),
      };
    });
    return { ...st.summary, desired: st.desired, live, services, history: this.d.jobs.history(name) };
  }

  agents(): AgentView[] {
    const { hub, live, agentRecords } = this.d;
    // only this Platform's containers (another sdp installation may share the engine)
    const platform = this.d.revisions.current?.desired.platform.name;
    const ours = (node: string) => (platform === undefined ? [] : (live.all().get(node)?.containers ?? []).filter((c) => c.platform === platform));
    return agentRecords.all().map((a) => ({
      name: a.name,
      roles: a.roles,
      address: a.address,
      ...(a.version ? { version: a.version } : {}),
      online: hub.isOnline(a.name),
      ...(a.lastSeen ? { lastSeen: a.lastSeen } : {}),
      containers: ours(a.name).length,
      ...(a.disk ? { disk: a.disk } : {}),
    }));
  }

  status(): StatusView {
    return {
      current: this.d.revisions.current?.view ?? null,
      rejected: this.d.revisions.rejected,
      sandboxes: this.summaries(),
      agents: this.agents(),
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.ttlTimer);
  }
}
