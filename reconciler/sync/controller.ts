// The reconcile loop: on every change (spec revision, inventory, event, branch resolution, job
// end, agent up/down, ttl) it re-evaluates every sandbox (desired vs live), persists and pushes what
// changed on /ws/ui, and starts the automatic syncs the sandbox's syncPolicy asks for:
// - automated: the bound desired state (revision + commits) differs from the last sync attempt;
//   a state whose sync failed is never re-applied automatically (cf. argo-cd#9570);
// - selfHeal: live drifted from a state that was synced successfully; retried with backoff;
// - ttl: an expired sandbox is suspended (once per desired state).
// Changes are coalesced: a burst of events costs one evaluation.
import { eq } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import type { AgentView, SandboxDetail, SandboxSummary, ServiceView, StatusView, UiMessage } from '../../schema/api.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import { groupLiveBySandbox, type LiveNodeState } from '../../core/diff/live.ts';
import { canonicalJson, type SecretDigest } from '../../core/bind/bind.ts';
import type { BranchHeads } from '../resolve/heads.ts';
import type { LiveCache } from '../live/cache.ts';
import type { Revisions } from '../source/revisions.ts';
import type { AgentHub } from '../server/agent-hub.ts';
import type { Store } from '../store/db.ts';
import { agents, sandboxStatus, type SyncTrigger } from '../store/tables/core.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { JobStore } from './job-store.ts';
import { evaluateOrphans, evaluateSandbox, type Evaluated } from '../../core/evaluate.ts';

export interface SandboxState {
  name: string;
  /** undefined for an orphan: live objects no spec asks for */
  desired?: DesiredSandbox;
  live: LiveNodeState[];
  evaluated: Evaluated;
  expired: boolean;
  summary: SandboxSummary;
}

export interface AutoSyncRequest {
  sandbox: string;
  trigger: Exclude<SyncTrigger, 'manual'>;
  prune: boolean;
}

export interface ControllerDeps {
  store: Store;
  revisions: Revisions;
  heads: BranchHeads;
  live: LiveCache;
  hub: AgentHub;
  jobs: JobStore;
  metrics: Metrics;
  log: Logger;
  secretDigest: SecretDigest;
  broadcast: (msg: UiMessage) => void;
  isSyncing: (sandbox: string) => boolean;
  autoSync: (req: AutoSyncRequest) => void;
}

const HEAL_BACKOFF_MS = { first: 5_000, max: 5 * 60_000 };

export class Controller {
  private states = new Map<string, SandboxState>();
  private pushed = new Map<string, string>();
  private pendingSince: number | null = null;
  private statusDirty = true;
  private ttlTimer: NodeJS.Timeout | undefined;
  private healTimer: NodeJS.Timeout | undefined;
  private readonly heal = new Map<string, { attempts: number; nextAt: number }>();
  private closed = false;
  private autoSyncQueued = false;
  /** something changed since the last evaluation */
  private stale = true;

  constructor(private readonly d: ControllerDeps) {}

  /** Something changed: re-evaluate soon (coalesced). `statusChanged` also pushes the full status. */
  schedule(statusChanged = false): void {
    if (statusChanged) this.statusDirty = true;
    this.stale = true;
    if (this.pendingSince !== null || this.closed) return;
    this.pendingSince = performance.now();
    setImmediate(() => this.recompute());
  }

  /** One sandbox's state as of now (for planning a sync): re-evaluated only if something changed. */
  evaluateNow(name: string): SandboxState | undefined {
    if (this.stale) this.recompute();
    return this.states.get(name);
  }

  private recompute(): void {
    const since = this.pendingSince ?? performance.now();
    this.pendingSince = null;
    if (this.closed) return;
    this.stale = false;
    const { revisions, live, hub, heads, jobs, metrics, broadcast } = this.d;
    const current = revisions.current;
    const revision = current?.view.id ?? '';
    // before the first spec revision the Platform's name is unknown: no live object is known to be ours
    const platform = current?.desired.platform.name ?? '';
    const liveBySandbox = current ? groupLiveBySandbox(live.all(), platform) : new Map<string, LiveNodeState[]>();
    const online = hub.onlineNodes().map((h) => h.node);
    const ctx = { commits: (repo: string, ref: string) => heads.commit(repo, ref), secretDigest: this.d.secretDigest, online, platform };
    const now = Date.now();
    const next = new Map<string, SandboxState>();

    for (const s of current?.desired.sandboxes ?? []) {
      const timing = this.timing(s, now);
      const expired = timing.expiresAt !== undefined && timing.expiresAt <= now;
      const liveNodes = liveBySandbox.get(s.name) ?? [];
      const evaluated = evaluateSandbox(s, liveNodes, ctx, expired);
      const last = jobs.lastJob(s.name);
      const summary: SandboxSummary = {
        name: s.name,
        ...(s.owner ? { owner: s.owner } : {}),
        labels: s.labels,
        ...(s.template ? { template: s.template } : {}),
        sync: evaluated.sync,
        health: evaluated.health,
        drift: evaluated.drift,
        gatewayUrl: s.gatewayUrl,
        routes: evaluated.routes,
        suspended: s.suspended || expired,
        ...(timing.expiresAt !== undefined ? { expiresAt: new Date(timing.expiresAt).toISOString() } : {}),
        revision,
        ...(last ? { lastSync: { jobId: last.id, status: last.status, at: last.finishedAt ?? last.createdAt } } : {}),
      };
      next.set(s.name, { name: s.name, desired: s, live: liveNodes, evaluated, expired, summary });
    }
    for (const [name, evaluated] of evaluateOrphans(liveBySandbox, next.keys(), ctx)) {
      const liveNodes = liveBySandbox.get(name) ?? [];
      const last = jobs.lastJob(name);
      const summary: SandboxSummary = {
        name,
        labels: {},
        sync: evaluated.sync,
        health: evaluated.health,
        drift: evaluated.drift,
        gatewayUrl: '',
        routes: [],
        suspended: false,
        revision,
        ...(last ? { lastSync: { jobId: last.id, status: last.status, at: last.finishedAt ?? last.createdAt } } : {}),
      };
      next.set(name, { name, live: liveNodes, evaluated, expired: false, summary });
    }

    const setChanged = next.size !== this.states.size || [...next.keys()].some((n) => !this.states.has(n));
    this.states = next;
    for (const [name, st] of next) {
      const text = JSON.stringify(st.summary);
      if (this.pushed.get(name) === text) continue;
      this.pushed.set(name, text);
      this.persist(st);
      metrics.driftEntries.set({ sandbox: name }, st.summary.drift.length);
      broadcast({ type: 'sandbox', sandbox: st.summary });
    }
    for (const name of [...this.pushed.keys()]) {
      if (next.has(name)) continue;
      this.pushed.delete(name);
      metrics.driftEntries.remove({ sandbox: name });
    }
    if (setChanged || this.statusDirty) {
      this.statusDirty = false;
      broadcast({ type: 'status', status: this.status() });
    }
    metrics.reconcileLatency.observe((performance.now() - since) / 1000);
    this.armTtl(now);
    // after this evaluation, never inside it: a sync started here evaluates again (evaluateNow)
    if (!this.autoSyncQueued) {
      this.autoSyncQueued = true;
      setImmediate(() => {
        this.autoSyncQueued = false;
        if (!this.closed) this.autoSync(Date.now());
      });
    }
  }

  /** spec-change and last-sync times of a sandbox (persisted), and when its ttl runs out. */
  private timing(s: DesiredSandbox, now: number): { expiresAt?: number } {
    const digest = createHash('sha256').update(canonicalJson(s)).digest('hex');
    const row = this.d.store.db.select().from(sandboxStatus).where(eq(sandboxStatus.name, s.name)).get();
    let specChangedAt = row?.specChangedAt ?? null;
    if (!row || row.specDigest !== digest) {
      specChangedAt = new Date(now).toISOString();
      const base = { specDigest: digest, specChangedAt, updatedAt: specChangedAt };
      this.d.store.db
        .insert(sandboxStatus)
        .values({ name: s.name, sync: 'Unknown', health: 'Unknown', drift: [], revision: '', ...base })
        .onConflictDoUpdate({ target: sandboxStatus.name, set: base })
        .run();
    }
    if (s.ttlSeconds === undefined) return {};
    const from = Math.max(Date.parse(specChangedAt ?? ''), row?.lastSyncedAt ? Date.parse(row.lastSyncedAt) : 0);
    return { expiresAt: from + s.ttlSeconds * 1000 };
  }

  /** A manual or automated sync renews the ttl. */
  renew(sandbox: string): void {
    const at = new Date().toISOString();
    this.d.store.db.update(sandboxStatus).set({ lastSyncedAt: at }).where(eq(sandboxStatus.name, sandbox)).run();
    this.stale = true;
  }

  private persist(st: SandboxState): void {
    const { sync, health, drift, revision } = st.summary;
    const at = new Date().toISOString();
    this.d.store.db
      .insert(sandboxStatus)
      .values({ name: st.name, sync, health, drift, revision, updatedAt: at })
      .onConflictDoUpdate({ target: sandboxStatus.name, set: { sync, health, drift, revision, updatedAt: at } })
      .run();
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

  private autoSync(now: number): void {
    const { jobs, isSyncing, autoSync } = this.d;
    let nextHeal = Infinity;
    for (const st of this.states.values()) {
      const s = st.desired;
      if (!s) continue;
      const ev = st.evaluated;
      if (ev.sync === 'Synced') this.heal.delete(st.name);
      if (ev.sync !== 'OutOfSync' || (ev.bound?.unresolved.length ?? 0) > 0 || isSyncing(st.name)) continue;
      const last = jobs.lastAttempt(st.name);
      const sameAsLast = last?.fingerprint === ev.fingerprint;
      if (st.expired) {
        if (!sameAsLast) autoSync({ sandbox: st.name, trigger: 'ttl', prune: false });
        continue;
      }
      if (s.syncPolicy.automated && !sameAsLast) {
        autoSync({ sandbox: st.name, trigger: 'automated', prune: s.syncPolicy.prune });
        continue;
      }
      if (s.syncPolicy.selfHeal && sameAsLast && last?.ok) {
        const h = this.heal.get(st.name) ?? { attempts: 0, nextAt: 0 };
        if (now >= h.nextAt) {
          const delay = Math.min(HEAL_BACKOFF_MS.first * 2 ** h.attempts, HEAL_BACKOFF_MS.max);
          this.heal.set(st.name, { attempts: h.attempts + 1, nextAt: now + delay });
          autoSync({ sandbox: st.name, trigger: 'self-heal', prune: s.syncPolicy.prune });
        } else {
          nextHeal = Math.min(nextHeal, h.nextAt);
        }
      }
    }
    clearTimeout(this.healTimer);
    if (nextHeal !== Infinity) this.healTimer = setTimeout(() => this.schedule(), nextHeal - now + 10);
  }

  summaries(): SandboxSummary[] {
    return [...this.states.values()].map((s) => s.summary).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  state(name: string): SandboxState | undefined {
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
        ...(hostPort !== undefined ? { hostPort } : {}),
      };
    });
    return { ...st.summary, desired: st.desired, live, services, history: this.d.jobs.history(name) };
  }

  agents(): AgentView[] {
    const { store, hub, live } = this.d;
    // only this Platform's containers (another sdp installation may share the engine)
    const platform = this.d.revisions.current?.desired.platform.name;
    const ours = (node: string) => (platform === undefined ? [] : (live.all().get(node)?.containers ?? []).filter((c) => c.platform === platform));
    return store.db
      .select()
      .from(agents)
      .all()
      .map((a) => ({
        name: a.name,
        roles: a.roles,
        address: a.address,
        ...(a.version ? { version: a.version } : {}),
        online: hub.isOnline(a.name),
        ...(a.lastSeen ? { lastSeen: a.lastSeen } : {}),
        containers: ours(a.name).length,
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
    clearTimeout(this.healTimer);
  }
}
