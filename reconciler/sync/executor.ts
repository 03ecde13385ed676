// Runs syncs. A sync plans the sandbox (planner) and persists the plan as a job of ordered steps;
// then it only drives core/plan/next-step.ts: ask it what to do given live as observed now, send
// those steps to the agents of their nodes, ask again when one finishes. A failed step fails the
// job: later waves are skipped, the reason and the agent's lines are kept.
// Progress and log lines go to the database and to /ws/ui as they arrive.
// One sync per sandbox at a time: a second request while one runs is rejected (409, SyncConflict),
// so requests never pile up; different sandboxes run in parallel.
// Secret values and git credentials are read from the secret store only while dispatching the
// step that needs them and travel only in the agent job; stored steps never contain them.
import { randomBytes } from 'node:crypto';
import type { JobView, LogLine, Plan, UiMessage } from '../../schema/api.ts';
import { nextStep, type Observed, type Operation, type StepOutcome } from '../../core/plan/index.ts';
import { planView } from '../present/plan.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import type { Credentials, Job } from '../../schema/protocol.ts';
import type { AgentHub } from '../server/agent-hub.ts';
import type { SyncTrigger } from '../store/tables/core.ts';
import type { Audit, SyncAuditDetail } from '../audit/audit.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { Controller, SandboxView } from './controller.ts';
import type { EventSink, SyncEvent } from './events.ts';
import type { JobStore } from './job-store.ts';
import type { Evaluated, PlannedStep } from '../../core/evaluate.ts';
import { appliedState, type AppliedState, type Pin } from '../../core/history.ts';
import type { SecretDigest } from '../../core/bind/bind.ts';
import { driftEntries } from '../present/drift.ts';
import type { History } from '../store/history.ts';

/** Syncs of an in-sync sandbox this close after a no-op job are answered by that job. */
const NOOP_BURST_MS = 10_000;

export class SyncConflict extends Error {
  constructor(
    readonly sandbox: string,
    readonly jobId: string,
  ) {
    super(`a sync of ${sandbox} is already running (job ${jobId}); try again when it has finished`);
  }
}

/** A sync (other than its ttl's) of a pinned sandbox: it would deploy the branch heads over the pinned state. */
export class SandboxPinned extends Error {
  constructor(
    readonly sandbox: string,
    readonly pin: Pin,
  ) {
    super(`sandbox ${sandbox} is pinned to ${pin.snapshot !== undefined ? `snapshot ${pin.snapshot}` : `job ${pin.job}`} by ${pin.by} (${pin.reason}): a sync would replace the pinned state with the specs' branch heads; \`sdp unpin ${sandbox}\` first (auto-sync then resumes), or \`sdp rollback ${sandbox} --to JOB\` for another recorded state`);
  }
}

export class UnknownSandbox extends Error {
  constructor(readonly sandbox: string) {
    super(`no sandbox ${sandbox}: no spec asks for it and nothing of it runs`);
  }
}

export interface SyncRequest {
  sandbox: string;
  prune: boolean;
  dryRun: boolean;
  user: string;
  trigger: SyncTrigger;
  /** the caller's address, for the audit trail */
  ip?: string;
}

export interface SyncStarted {
  /** null for a dry run */
  job: JobView | null;
  plan: Plan;
  /** resolves when the job has finished (at once for a dry run) */
  done: Promise<void>;
}

/** Secret values for a deploy, and the Platform's git credentials; throw when one is not set. */
export interface SecretSource {
  values(refs: DesiredSandbox['services'][number]['secrets']): Record<string, string>;
  gitCredentials(): Credentials | undefined;
}

export interface ExecutorDeps {
  controller: Controller;
  hub: AgentHub;
  jobs: JobStore;
  history: History;
  secretDigest: SecretDigest;
  secrets: SecretSource;
  audit: Audit;
  metrics: Metrics;
  log: Logger;
  broadcast: (msg: UiMessage) => void;
  /** told when a sync starts and ends (notifications) */
  events?: EventSink;
}

export class Executor {
  /** sandbox -> its running sync (a no-op one answers a burst of requests for the same state) */
  private readonly running = new Map<string, { id: string; noop: boolean; fingerprint: string; done: Promise<void> }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pushPending = new Set<string>();

  constructor(private readonly d: ExecutorDeps) {}

  /** Resolves when every started job has finished (their agent jobs fail once the hub closes). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  isRunning(sandbox: string): boolean {
    return this.running.has(sandbox);
  }

  /** What a sync would do now (drift and actions), without doing it. */
  plan(sandbox: string, prune: boolean): Plan {
    return this.planNow(sandbox, prune).plan;
  }

  private planNow(sandbox: string, prune: boolean): { st: SandboxView; steps: PlannedStep[]; plan: Plan } {
    const st = this.d.controller.evaluateNow(sandbox);
    if (!st) throw new UnknownSandbox(sandbox);
    const steps = st.evaluated.plan(prune);
    return { st, steps, plan: { ...planView(sandbox, st.summary.revision, st.summary.drift, steps), sync: st.summary.syncStatus, ...(st.summary.generatedBy ? { generatedBy: st.summary.generatedBy } : {}) } };
  }

  /** Plans and (unless dry-run) starts a sync; returns as soon as the job is persisted. */
  start(req: SyncRequest): SyncStarted {
    const { controller, jobs } = this.d;
    const busy = this.running.get(req.sandbox);
    const { st, steps, plan } = this.planNow(req.sandbox, req.prune);
    // a pinned sandbox keeps its recorded state: only its ttl, or another rollback, changes it
    if (!req.dryRun && st.pin && req.trigger !== 'ttl') throw new SandboxPinned(req.sandbox, st.pin);
    if (!req.dryRun && (req.trigger === 'manual' || req.trigger === 'automated')) controller.renew(req.sandbox);
    if (req.dryRun) return { job: null, plan, done: Promise.resolve() };
    // A burst of syncs of an in-sync sandbox is one no-op job: the one running or just finished
    // for this very state (fingerprint and revision) answers them all.
    if (steps.length === 0) {
      const since = new Date(Date.now() - NOOP_BURST_MS).toISOString();
      const noop = busy?.noop && busy.fingerprint === st.evaluated.fingerprint ? busy.id : jobs.lastNoop(req.sandbox, st.evaluated.fingerprint, plan.revision, since);
      const view = noop ? jobs.view(noop) : undefined;
      if (view) {
        const detail: SyncAuditDetail = { revision: plan.revision, jobId: view.id, prune: req.prune, dryRun: false, services: auditServices(st.desired, st.evaluated) };
        this.d.audit.record({ action: 'sync', actor: req.user, target: req.sandbox, outcome: 'success', ...(req.ip ? { ip: req.ip } : {}), detail });
        this.d.metrics.syncs.inc({ sandbox: req.sandbox, trigger: req.trigger, outcome: 'noop' });
        // the caller follows the job on /ws/ui: tell it again where that job stands
        this.pushJob(view.id);
        return { job: view, plan, done: busy?.done ?? Promise.resolve() };
      }
    }
    if (busy) throw new SyncConflict(req.sandbox, busy.id);
    return this.launch(req, { platform: st.platform, gatewayUrl: st.summary.gatewayUrl, desired: st.desired, evaluated: st.evaluated, steps, plan });
  }

  /**
   * Re-applies a recorded desired state (a rollback: core/history.ts rollbackDesired), planned
   * against live as it is now; the job records `revision`, the revision that state came from.
   */
  apply(req: Omit<SyncRequest, 'dryRun' | 'trigger'>, desired: DesiredSandbox, revision: string): SyncStarted & { job: JobView } {
    const busy = this.running.get(req.sandbox);
    if (busy) throw new SyncConflict(req.sandbox, busy.id);
    const st = this.d.controller.evaluateNow(req.sandbox);
    const evaluated = this.d.controller.evaluateAs(req.sandbox, desired);
    if (!st || !evaluated) throw new UnknownSandbox(req.sandbox);
    this.d.controller.renew(req.sandbox);
    const steps = evaluated.plan(req.prune);
    const plan: Plan = { ...planView(req.sandbox, revision, driftEntries(evaluated.drift), steps), sync: evaluated.status.sync };
    return this.launch({ ...req, dryRun: false, trigger: 'rollback' }, { platform: st.platform, gatewayUrl: st.summary.gatewayUrl, desired, evaluated, steps, plan });
  }

  /** Persists the job (with the record of what it applies) and drives it. */
  private launch(req: SyncRequest, a: { platform: string; gatewayUrl: SandboxView['summary']['gatewayUrl']; desired: DesiredSandbox | undefined; evaluated: Evaluated; steps: PlannedStep[]; plan: Plan }): SyncStarted & { job: JobView } {
    const { controller, jobs, history } = this.d;
    const { plan, steps, evaluated, desired } = a;
    const id = `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
    const at = new Date().toISOString();
    jobs.create({ id, sandbox: req.sandbox, user: req.user, trigger: req.trigger, revision: plan.revision, fingerprint: evaluated.fingerprint, prune: req.prune, plan, steps }, at);
    // what this sync applies (an orphan's removals apply nothing to roll back to); a deploy sets the image it ran
    const liveImages = new Map(controller.evaluateNow(req.sandbox)?.live.flatMap((n) => n.containers.map((c) => [c.name, c] as const)) ?? []);
    const applied = desired && evaluated.bound
      ? appliedState(desired, evaluated.bound, this.d.secretDigest, (name) => {
          const lc = liveImages.get(name);
          return lc && lc.specHash === evaluated.bound?.containers.find((c) => c.name === name)?.specHash ? lc.image : undefined;
        })
      : undefined;
    if (applied) history.record(id, req.sandbox, applied);
    const services = auditServices(desired, evaluated);
    const audit = (outcome: 'started' | 'success' | 'failure', error?: string) => {
      const detail: SyncAuditDetail = { revision: plan.revision, jobId: id, prune: req.prune, dryRun: false, services, ...(error ? { error } : {}) };
      this.d.audit.record({ action: 'sync', actor: req.user, target: req.sandbox, outcome, ...(req.ip ? { ip: req.ip } : {}), detail });
    };
    audit('started');
    const event = {
      sandbox: req.sandbox,
      job: { id, trigger: req.trigger, user: req.user, revision: plan.revision },
      gatewayUrl: a.gatewayUrl,
      ...(desired?.generatedBy ? { generatedBy: desired.generatedBy } : {}),
    };
    this.d.events?.sync({ ...event, phase: 'started' });
    this.d.log.info({ job: id, sandbox: req.sandbox, trigger: req.trigger, user: req.user, steps: steps.length }, 'sync started');
    const started = performance.now();
    const op: Operation = { target: evaluated.target(req.prune), prune: req.prune, platform: a.platform, steps: new Map() };
    const ran = new Set<string>();
    const images = new Map<string, string>();
    const done = this.drive(id, req.sandbox, op, steps, desired, ran, images)
      .catch((err: Error) => ({ ok: false, error: `internal error: ${err.message}` }))
      .then((outcome) => {
        const finishedAt = new Date().toISOString();
        jobs.skipPending(id, finishedAt, outcome.ok ? 'not needed: live already matched when its wave came' : undefined);
        if (applied && images.size > 0) history.record(id, req.sandbox, withImages(applied, desired, images));
        if (outcome.ok) jobs.finish(id, 'succeeded', finishedAt);
        else jobs.finish(id, 'failed', finishedAt, outcome.error);
        this.running.delete(req.sandbox);
        audit(outcome.ok ? 'success' : 'failure', outcome.error);
        const result = ran.size === 0 && outcome.ok ? 'noop' : outcome.ok ? 'succeeded' : 'failed';
        this.d.metrics.syncs.inc({ sandbox: req.sandbox, trigger: req.trigger, outcome: result });
        this.d.metrics.syncDuration.observe({ outcome: result }, (performance.now() - started) / 1000);
        this.d.log.info({ job: id, sandbox: req.sandbox, outcome: result, error: outcome.error }, 'sync finished');
        this.d.events?.sync(outcome.ok ? { ...event, phase: 'succeeded' } : { ...event, phase: 'failed', ...failure(op, outcome.error) });
        this.pushJob(id);
        // read back what now runs rather than wait for events
        for (const node of new Set([...op.steps.values()].map((s) => s.step.node))) this.d.hub.requestInventory(node);
        controller.schedule();
      });
    this.running.set(req.sandbox, { id, noop: steps.length === 0, fingerprint: evaluated.fingerprint, done });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    const view = jobs.view(id);
    if (!view) throw new Error(`job ${id} was not stored`);
    this.pushJob(id);
    return { job: view, plan, done };
  }

  /**
   * Drives one sync: asks nextStep what to do with live as observed now, dispatches what it says,
   * and asks again whenever a step finishes. Steps it adds (live changed since the plan) join the job.
   */
  private async drive(
    jobId: string,
    sandbox: string,
    op: Operation,
    planned: readonly PlannedStep[],
    desired: DesiredSandbox | undefined,
    ran: Set<string>,
    images: Map<string, string>,
  ): Promise<{ ok: boolean; error?: string }> {
    const stored = new Set(planned.map((s) => s.id));
    const steps = op.steps as Map<string, { step: PlannedStep; outcome: StepOutcome }>;
    const inFlight = new Map<string, Promise<void>>();
    for (;;) {
      const decision = nextStep(op, this.observe(sandbox));
      switch (decision.kind) {
        case 'succeeded':
          return { ok: true };
        case 'failed':
          return { ok: false, error: decision.error };
        case 'wait':
          await Promise.race(inFlight.values());
          break;
        case 'run':
          for (const step of decision.steps) {
            if (!stored.has(step.id)) {
              this.d.jobs.addStep(jobId, step);
              stored.add(step.id);
            }
            ran.add(step.id);
            steps.set(step.id, { step, outcome: { status: 'running' } });
            const p = this.runStep(jobId, step, desired, images).then((outcome) => {
              steps.set(step.id, { step, outcome });
              // no inventory request: the agent sends a fresh one before the result of a job that changed what runs
              inFlight.delete(step.id);
            });
            inFlight.set(step.id, p);
          }
          break;
      }
    }
  }

  /** This sandbox's live objects as the reconcile loop knows them now, and the connected nodes. */
  private observe(sandbox: string): Observed {
    return { live: this.d.controller.evaluateNow(sandbox)?.live ?? [], online: this.d.hub.onlineNodes().map((n) => n.node) };
  }

  /** Runs one step on its node; a deploy's image (by container name) goes into `images`. */
  private async runStep(jobId: string, step: PlannedStep, desired: DesiredSandbox | undefined, images: Map<string, string>): Promise<StepOutcome> {
    const { jobs, hub } = this.d;
    const now = () => new Date().toISOString();
    jobs.setStep(jobId, step.id, { status: 'running', startedAt: now() });
    this.pushSoon(jobId);
    let job: Job;
    try {
      job = this.dispatchable(`${jobId}.${step.id}`, step, desired);
    } catch (err) {
      jobs.setStep(jobId, step.id, { status: 'failed', message: (err as Error).message, finishedAt: now() });
      this.pushSoon(jobId);
      return { status: 'failed', error: (err as Error).message };
    }
    const addLog = (stream: string, line: string) => {
      const log: LogLine = { at: now(), step: step.id, stream, line };
      jobs.addLog(jobId, log);
      this.d.broadcast({ type: 'job-log', jobId, log });
    };
    const result = await hub.run(step.node, job, {
      onProgress: (p) => {
        jobs.setStep(jobId, step.id, { message: `${p.step}: ${p.status}${p.message ? ` — ${p.message}` : ''}` });
        this.pushSoon(jobId);
      },
      onLog: (l) => addLog(l.stream, l.line),
    });
    for (const line of result.lines ?? []) addLog('result', line);
    const rolledBack = result.rolledBack === true;
    if (result.ok && job.kind === 'deploy' && result.image && !rolledBack) images.set(job.container.name, result.image);
    if (result.ok) {
      jobs.setStep(jobId, step.id, { status: 'succeeded', message: rolledBack ? 'rolled back to the previous container' : 'done', finishedAt: now() });
      this.pushSoon(jobId);
      return { status: 'succeeded', ...(rolledBack ? { rolledBack } : {}) };
    }
    const reason = result.error ?? 'failed';
    jobs.setStep(jobId, step.id, { status: 'failed', message: reason, finishedAt: now() });
    this.pushSoon(jobId);
    return { status: 'failed', error: reason, ...(rolledBack ? { rolledBack } : {}) };
  }

  /** The agent job of a step, with secret values and credentials added only now. */
  private dispatchable(id: string, step: PlannedStep, desired: DesiredSandbox | undefined): Job {
    const job = { ...step.job, id } as Job;
    if (job.kind !== 'deploy') return job;
    const dc = desired && [...desired.services, desired.gateway].find((c) => c.name === job.container.name);
    const secretValues = dc && dc.secrets.length > 0 ? this.d.secrets.values(dc.secrets) : undefined;
    const credentials = job.container.source ? this.d.secrets.gitCredentials() : undefined;
    return { ...job, ...(secretValues ? { secretValues } : {}), ...(credentials ? { credentials } : {}) };
  }

  /** A step's progress comes in bursts (ten deploys at once): one push per job per turn of the event loop. */
  private pushSoon(jobId: string): void {
    if (this.pushPending.has(jobId)) return;
    this.pushPending.add(jobId);
    setImmediate(() => {
      this.pushPending.delete(jobId);
      this.pushJob(jobId);
    });
  }

  private pushJob(jobId: string): void {
    const s = this.d.jobs.summary(jobId);
    if (s) this.d.broadcast({ type: 'job', job: { ...s, steps: this.d.jobs.steps(jobId) } });
  }
}

/** Per service (and the gateway): the branch asked for and the commit this sync deploys. */
function auditServices(desired: DesiredSandbox | undefined, evaluated: Evaluated): SyncAuditDetail['services'] {
  if (!desired) return [];
  const bound = new Map((evaluated.bound?.containers ?? []).map((c) => [c.name, c]));
  return [...desired.services, desired.gateway].map((dc) => {
    const commit = bound.get(dc.name)?.source?.commit;
    return { service: dc.service, ...(dc.source?.branch ? { branch: dc.source.branch } : {}), ...(commit ? { commit } : {}) };
  });
}

/** The record with the images the job's deploys ran (by container name). */
function withImages(applied: AppliedState, desired: DesiredSandbox | undefined, images: ReadonlyMap<string, string>): AppliedState {
  const names = new Map([...(desired?.services ?? []), ...(desired ? [desired.gateway] : [])].map((dc) => [`${dc.kind}/${dc.service}`, dc.name]));
  return {
    ...applied,
    containers: applied.containers.map((c) => {
      const image = images.get(names.get(`${c.kind}/${c.service}`) ?? '');
      return image ? { ...c, image } : c;
    }),
  };
}

/** Why a sync failed and, when a step did, which one (the first that failed). */
function failure(op: Operation, error: string | undefined): Pick<SyncEvent, 'error' | 'step'> {
  for (const { step, outcome } of op.steps.values()) {
    if (outcome.status === 'failed') return { ...(error ? { error } : {}), step: { id: step.id, kind: step.kind, resource: step.resource, node: step.node, error: outcome.error } };
  }
  return error ? { error } : {};
}
