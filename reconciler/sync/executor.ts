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
import type { PlannedStep } from '../../core/evaluate.ts';

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
    return { st, steps, plan: { ...planView(sandbox, st.summary.revision, st.summary.drift, steps), sync: st.summary.syncStatus } };
  }

  /** Plans and (unless dry-run) starts a sync; returns as soon as the job is persisted. */
  start(req: SyncRequest): SyncStarted {
    const { controller, jobs } = this.d;
    const busy = this.running.get(req.sandbox);
    if (!req.dryRun && (req.trigger === 'manual' || req.trigger === 'automated')) controller.renew(req.sandbox);
    const { st, steps, plan } = this.planNow(req.sandbox, req.prune);
    if (req.dryRun) return { job: null, plan, done: Promise.resolve() };
    // A burst of syncs of an in-sync sandbox is one no-op job: the one running or just finished
    // for this very state (fingerprint and revision) answers them all.
    if (steps.length === 0) {
      const since = new Date(Date.now() - NOOP_BURST_MS).toISOString();
      const noop = busy?.noop && busy.fingerprint === st.evaluated.fingerprint ? busy.id : jobs.lastNoop(req.sandbox, st.evaluated.fingerprint, plan.revision, since);
      const view = noop ? jobs.view(noop) : undefined;
      if (view) {
        const detail: SyncAuditDetail = { revision: plan.revision, jobId: view.id, prune: req.prune, dryRun: false, services: auditServices(st) };
        this.d.audit.record({ action: 'sync', actor: req.user, target: req.sandbox, outcome: 'success', ...(req.ip ? { ip: req.ip } : {}), detail });
        this.d.metrics.syncs.inc({ sandbox: req.sandbox, trigger: req.trigger, outcome: 'noop' });
        // the caller follows the job on /ws/ui: tell it again where that job stands
        this.pushJob(view.id);
        return { job: view, plan, done: busy?.done ?? Promise.resolve() };
      }
    }
    if (busy) throw new SyncConflict(req.sandbox, busy.id);

    const id = `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
    const at = new Date().toISOString();
    jobs.create(
      {
        id,
        sandbox: req.sandbox,
        user: req.user,
        trigger: req.trigger,
        revision: plan.revision,
        fingerprint: st.evaluated.fingerprint,
        prune: req.prune,
        plan,
        steps,
      },
      at,
    );
    const audit = (outcome: 'started' | 'success' | 'failure', error?: string) => {
      const detail: SyncAuditDetail = { revision: plan.revision, jobId: id, prune: req.prune, dryRun: false, services: auditServices(st), ...(error ? { error } : {}) };
      this.d.audit.record({ action: 'sync', actor: req.user, target: req.sandbox, outcome, ...(req.ip ? { ip: req.ip } : {}), detail });
    };
    audit('started');
    const event = { sandbox: req.sandbox, job: { id, trigger: req.trigger, user: req.user, revision: plan.revision }, gatewayUrl: st.summary.gatewayUrl };
    this.d.events?.sync({ ...event, phase: 'started' });
    this.d.log.info({ job: id, sandbox: req.sandbox, trigger: req.trigger, user: req.user, steps: steps.length }, 'sync started');
    const started = performance.now();
    const op: Operation = { target: st.evaluated.target(req.prune), prune: req.prune, platform: st.platform, steps: new Map() };
    const ran = new Set<string>();
    const done = this.drive(id, req.sandbox, op, steps, st.desired, ran)
      .catch((err: Error) => ({ ok: false, error: `internal error: ${err.message}` }))
      .then((outcome) => {
        const finishedAt = new Date().toISOString();
        jobs.skipPending(id, finishedAt, outcome.ok ? 'not needed: live already matched when its wave came' : undefined);
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
    this.running.set(req.sandbox, { id, noop: steps.length === 0, fingerprint: st.evaluated.fingerprint, done });
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
  private async drive(jobId: string, sandbox: string, op: Operation, planned: readonly PlannedStep[], desired: DesiredSandbox | undefined, ran: Set<string>): Promise<{ ok: boolean; error?: string }> {
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
            const p = this.runStep(jobId, step, desired).then((outcome) => {
              steps.set(step.id, { step, outcome });
              inFlight.delete(step.id);
              // the step changed what runs: read it back before the next decision leans on it
              this.d.hub.requestInventory(step.node);
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

  private async runStep(jobId: string, step: PlannedStep, desired: DesiredSandbox | undefined): Promise<StepOutcome> {
    const { jobs, hub } = this.d;
    const now = () => new Date().toISOString();
    jobs.setStep(jobId, step.id, { status: 'running', startedAt: now() });
    this.pushJob(jobId);
    let job: Job;
    try {
      job = this.dispatchable(`${jobId}.${step.id}`, step, desired);
    } catch (err) {
      jobs.setStep(jobId, step.id, { status: 'failed', message: (err as Error).message, finishedAt: now() });
      this.pushJob(jobId);
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
        this.pushJob(jobId);
      },
      onLog: (l) => addLog(l.stream, l.line),
    });
    for (const line of result.lines ?? []) addLog('result', line);
    const rolledBack = result.rolledBack === true;
    if (result.ok) {
      jobs.setStep(jobId, step.id, { status: 'succeeded', message: rolledBack ? 'rolled back to the previous container' : 'done', finishedAt: now() });
      this.pushJob(jobId);
      return { status: 'succeeded', ...(rolledBack ? { rolledBack } : {}) };
    }
    const reason = result.error ?? 'failed';
    jobs.setStep(jobId, step.id, { status: 'failed', message: reason, finishedAt: now() });
    this.pushJob(jobId);
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

  private pushJob(jobId: string): void {
    const s = this.d.jobs.summary(jobId);
    if (s) this.d.broadcast({ type: 'job', job: { ...s, steps: this.d.jobs.steps(jobId) } });
  }
}

/** Per service (and the gateway): the branch asked for and the commit this sync deploys. */
function auditServices(st: SandboxView): SyncAuditDetail['services'] {
  if (!st.desired) return [];
  const bound = new Map((st.evaluated.bound?.containers ?? []).map((c) => [c.name, c]));
  return [...st.desired.services, st.desired.gateway].map((dc) => {
    const commit = bound.get(dc.name)?.source?.commit;
    return { service: dc.service, ...(dc.source?.branch ? { branch: dc.source.branch } : {}), ...(commit ? { commit } : {}) };
  });
}

/** Why a sync failed and, when a step did, which one (the first that failed). */
function failure(op: Operation, error: string | undefined): Pick<SyncEvent, 'error' | 'step'> {
  for (const { step, outcome } of op.steps.values()) {
    if (outcome.status === 'failed') return { ...(error ? { error } : {}), step: { id: step.id, kind: step.kind, resource: step.resource, node: step.node, error: outcome.error } };
  }
  return error ? { error } : {};
}
