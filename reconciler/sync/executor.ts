// Runs syncs. A sync plans the sandbox (planner), persists the plan as a job of ordered steps, and
// runs the steps wave by wave on the agents of their nodes (steps of one wave in parallel). A failed
// step fails the job: later waves are skipped, the reason and the agent's lines are kept.
// Progress and log lines go to the database and to /ws/ui as they arrive.
// One sync per sandbox at a time: a second request while one runs is rejected (409, SyncConflict),
// so requests never pile up; different sandboxes run in parallel.
// Secret values and git credentials are read from the secret store only while dispatching the
// step that needs them and travel only in the agent job; stored steps never contain them.
import { randomBytes } from 'node:crypto';
import type { JobView, LogLine, Plan, UiMessage } from '../../schema/api.ts';
import { planView } from '../../core/plan/index.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import type { Credentials, Job } from '../../schema/protocol.ts';
import type { AgentHub } from '../server/agent-hub.ts';
import type { SyncTrigger } from '../store/tables/core.ts';
import type { Audit, SyncAuditDetail } from '../audit/audit.ts';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import type { Controller, SandboxState } from './controller.ts';
import type { JobStore } from './job-store.ts';
import type { PlannedStep } from '../../core/evaluate.ts';

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
}

export class Executor {
  private readonly running = new Map<string, string>();
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

  private planNow(sandbox: string, prune: boolean): { st: SandboxState; steps: PlannedStep[]; plan: Plan } {
    const st = this.d.controller.evaluateNow(sandbox);
    if (!st) throw new UnknownSandbox(sandbox);
    const steps = st.evaluated.plan(prune);
    return { st, steps, plan: planView(sandbox, st.summary.revision, st.summary.drift, steps) };
  }

  /** Plans and (unless dry-run) starts a sync; returns as soon as the job is persisted. */
  start(req: SyncRequest): SyncStarted {
    const busy = this.running.get(req.sandbox);
    if (busy && !req.dryRun) throw new SyncConflict(req.sandbox, busy);
    const { controller, jobs } = this.d;
    if (!req.dryRun && (req.trigger === 'manual' || req.trigger === 'automated')) controller.renew(req.sandbox);
    const { st, steps, plan } = this.planNow(req.sandbox, req.prune);
    if (req.dryRun) return { job: null, plan, done: Promise.resolve() };

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
    this.running.set(req.sandbox, id);
    const audit = (outcome: 'started' | 'success' | 'failure', error?: string) => {
      const detail: SyncAuditDetail = { revision: plan.revision, jobId: id, prune: req.prune, dryRun: false, services: auditServices(st), ...(error ? { error } : {}) };
      this.d.audit.record({ action: 'sync', actor: req.user, target: req.sandbox, outcome, ...(req.ip ? { ip: req.ip } : {}), detail });
    };
    audit('started');
    this.d.log.info({ job: id, sandbox: req.sandbox, trigger: req.trigger, user: req.user, steps: steps.length }, 'sync started');
    const started = performance.now();
    const done = this.execute(id, req, steps, st.desired)
      .catch((err: Error) => ({ ok: false, error: `internal error: ${err.message}` }))
      .then((outcome) => {
        const finishedAt = new Date().toISOString();
        if (outcome.ok) jobs.finish(id, 'succeeded', finishedAt);
        else {
          jobs.skipPending(id, finishedAt);
          jobs.finish(id, 'failed', finishedAt, outcome.error);
        }
        this.running.delete(req.sandbox);
        audit(outcome.ok ? 'success' : 'failure', outcome.error);
        const result = steps.length === 0 ? 'noop' : outcome.ok ? 'succeeded' : 'failed';
        this.d.metrics.syncs.inc({ sandbox: req.sandbox, trigger: req.trigger, outcome: result });
        this.d.metrics.syncDuration.observe({ outcome: result }, (performance.now() - started) / 1000);
        this.d.log.info({ job: id, sandbox: req.sandbox, outcome: result, error: outcome.error }, 'sync finished');
        this.pushJob(id);
        // read back what now runs rather than wait for events
        for (const node of new Set(steps.map((s) => s.node))) this.d.hub.requestInventory(node);
        controller.schedule();
      });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    const view = jobs.view(id);
    if (!view) throw new Error(`job ${id} was not stored`);
    this.pushJob(id);
    return { job: view, plan, done };
  }

  private async execute(jobId: string, req: SyncRequest, steps: PlannedStep[], desired: DesiredSandbox | undefined): Promise<{ ok: boolean; error?: string }> {
    const waves = [...new Set(steps.map((s) => s.wave))].sort((a, b) => a - b);
    for (const wave of waves) {
      const results = await Promise.all(steps.filter((s) => s.wave === wave).map((s) => this.runStep(jobId, s, desired)));
      const failed = results.find((r) => !r.ok);
      if (failed) return failed;
    }
    return { ok: true };
  }

  private async runStep(jobId: string, step: PlannedStep, desired: DesiredSandbox | undefined): Promise<{ ok: boolean; error?: string }> {
    const { jobs, hub } = this.d;
    const now = () => new Date().toISOString();
    jobs.setStep(jobId, step.id, { status: 'running', startedAt: now() });
    this.pushJob(jobId);
    let job: Job;
    try {
      job = this.dispatchable(`${jobId}.${step.id}`, step, desired);
    } catch (err) {
      const error = `${step.resource}: ${(err as Error).message}`;
      jobs.setStep(jobId, step.id, { status: 'failed', message: (err as Error).message, finishedAt: now() });
      this.pushJob(jobId);
      return { ok: false, error };
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
    if (result.ok) {
      const message = result.rolledBack ? 'rolled back to the previous container' : 'done';
      jobs.setStep(jobId, step.id, { status: 'succeeded', message, finishedAt: now() });
      this.pushJob(jobId);
      return { ok: true };
    }
    const reason = result.error ?? 'failed';
    jobs.setStep(jobId, step.id, { status: 'failed', message: reason, finishedAt: now() });
    this.pushJob(jobId);
    return { ok: false, error: `${step.resource} on ${step.node}: ${reason}${result.rolledBack ? ' (rolled back to the previous container)' : ''}` };
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
function auditServices(st: SandboxState): SyncAuditDetail['services'] {
  if (!st.desired) return [];
  const bound = new Map((st.evaluated.bound?.containers ?? []).map((c) => [c.name, c]));
  return [...st.desired.services, st.desired.gateway].map((dc) => {
    const commit = bound.get(dc.name)?.source?.commit;
    return { service: dc.service, ...(dc.source?.branch ? { branch: dc.source.branch } : {}), ...(commit ? { commit } : {}) };
  });
}
