// What a job handler gets: its dependencies, and progress/log reporting that is redacted on the way out.
import type { AgentMessage, JobKind, Result } from '../../schema/protocol.ts';
import { crashPoint } from '../fault.ts';
import type { DockerHost } from '../docker/host.ts';
import type { Gateways } from '../gateway/routes.ts';
import type { GitWorkspace } from '../git/workspace.ts';
import type { KeyedLock } from '../lock.ts';
import type { Redactor } from '../redact.ts';

export interface AgentDeps {
  docker: DockerHost;
  git: GitWorkspace;
  gateways: Gateways;
  /** Per container name: two jobs never change one container at the same time. */
  containers: KeyedLock;
}

/** What a handler returns on success; the runner adds type, jobId, kind, ok and durationMs. */
export type JobOutcome = Partial<Pick<Result, 'commits' | 'branches' | 'containerId' | 'image' | 'rolledBack' | 'lines'>>;

/** A failure that carries more than a message (a failed deploy's log lines, whether it rolled back). */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly extra: JobOutcome = {},
  ) {
    super(message);
  }
}

export class JobContext {
  private readonly took: string[] = [];

  constructor(
    readonly jobId: string,
    readonly kind: JobKind,
    readonly deps: AgentDeps,
    readonly redactor: Redactor,
    private readonly send: (msg: AgentMessage) => void,
  ) {}

  /** The steps that finished, with how long each took ("git 120 ms, create 40 ms"), for the job's log. */
  spans(): string {
    return this.took.join(', ');
  }

  log(stream: string, line: string): void {
    this.send({ type: 'log', jobId: this.jobId, stream, line: this.redactor.text(line) });
  }

  /** A logger bound to one stream, for code that takes `(line) => void`. */
  logger(stream: string): (line: string) => void {
    return (line) => this.log(stream, line);
  }

  progress(step: string, status: 'running' | 'done' | 'failed', message?: string): void {
    const msg: AgentMessage = { type: 'progress', jobId: this.jobId, step, status };
    if (message !== undefined) msg.message = this.redactor.text(message);
    this.send(msg);
  }

  /** Runs one step, reporting it as running, then done or failed; how long it took goes into spans(). */
  async step<R>(name: string, fn: () => Promise<R>, message?: string): Promise<R> {
    this.progress(name, 'running', message);
    crashPoint(`${this.kind}:${name}`);
    const started = performance.now();
    try {
      const r = await fn();
      this.took.push(`${name} ${Math.round(performance.now() - started)} ms`);
      this.progress(name, 'done');
      return r;
    } catch (err) {
      this.progress(name, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
  }
}
