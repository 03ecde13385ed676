// Runs jobs by id, at most once: a job id seen again while it runs is ignored (its result will come),
// and once done its result is sent again. Results stay until the server acks them and are re-sent
// after a reconnect, so a job survives a dropped connection.
import type { AgentMessage, Job, JobKind, JobOf, Result } from '../../schema/protocol.ts';
import { credentialSecrets } from '../git/credentials.ts';
import { Redactor } from '../redact.ts';
import { JobContext, JobFailure, type AgentDeps, type JobOutcome } from './context.ts';
import { deploy } from './deploy.ts';
import { applyRoutes, ensureNetwork, listBranches, remove, resolve, start, stop } from './simple.ts';

type Handler<K extends JobKind> = (job: JobOf<K>, ctx: JobContext) => Promise<JobOutcome>;
const handlers: { [K in JobKind]: Handler<K> } = {
  resolve,
  'list-branches': listBranches,
  'ensure-network': ensureNetwork,
  deploy,
  'apply-routes': applyRoutes,
  stop,
  start,
  remove,
};

/** Acked results kept to answer a repeated job id without running it again. */
const DONE_KEPT = 500;
/** Unacked results kept for re-sending; a server that never acks must not grow this forever. */
const UNACKED_KEPT = 1000;

export interface RunnerHooks {
  send: (msg: AgentMessage) => void;
  /** Tells the server what a job changed (containers, networks, routes), before its result. */
  report: (job: Job) => Promise<void>;
  /** Awaited before a job runs (retention's removals finish first). */
  before?: () => Promise<void>;
  /** After a job that succeeded (e.g. to record a deploy's image and schedule retention). */
  succeeded?: (job: Job, result: Result) => void;
}

export class JobRunner {
  private readonly running = new Set<string>();
  private readonly unacked = new Map<string, Result>();
  private readonly done = new Map<string, Result>();

  constructor(
    private readonly deps: AgentDeps,
    private readonly hooks: RunnerHooks,
  ) {}

  receive(job: Job): void {
    if (this.running.has(job.id)) return;
    const known = this.unacked.get(job.id) ?? this.done.get(job.id);
    if (known) return this.hooks.send(known);
    void this.run(job);
  }

  ack(jobId: string): void {
    const result = this.unacked.get(jobId);
    if (!result) return;
    this.unacked.delete(jobId);
    this.done.set(jobId, result);
    if (this.done.size > DONE_KEPT) this.done.delete(this.done.keys().next().value as string);
  }

  /** Results the server has not acked yet, to send again after a reconnect. */
  pendingResults(): Result[] {
    return [...this.unacked.values()];
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no job is running (used on stop). */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  private async run(job: Job): Promise<void> {
    this.running.add(job.id);
    const started = Date.now();
    const redactor = new Redactor(jobSecrets(job));
    const ctx = new JobContext(job.id, job.kind, this.deps, redactor, this.hooks.send);
    let result: Result;
    try {
      await this.hooks.before?.();
      const outcome = await (handlers[job.kind] as Handler<JobKind>)(job, ctx);
      result = { type: 'result', jobId: job.id, kind: job.kind, ok: true, ...outcome, durationMs: 0 };
    } catch (err) {
      const extra = err instanceof JobFailure ? err.extra : {};
      result = { type: 'result', jobId: job.id, kind: job.kind, ok: false, error: errorText(err), ...extra, durationMs: 0 };
    }
    const spans = ctx.spans();
    if (spans) ctx.log('timing', spans);
    await this.hooks.report(job).catch(() => undefined);
    result = redactor.value({ ...result, durationMs: Date.now() - started });
    this.unacked.set(job.id, result);
    if (this.unacked.size > UNACKED_KEPT) this.unacked.delete(this.unacked.keys().next().value as string);
    this.running.delete(job.id);
    this.hooks.send(result);
    if (result.ok) this.hooks.succeeded?.(job, result);
  }

}

/** Everything a job carries that must never leave the agent: git credentials and secret env values. */
function jobSecrets(job: Job): string[] {
  if (job.kind === 'resolve') return credentialSecrets(job.repo, job.credentials);
  if (job.kind !== 'deploy') return [];
  const git = job.container.source ? credentialSecrets(job.container.source.repo, job.credentials) : [];
  return [...git, ...Object.values(job.secretValues ?? {})];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
