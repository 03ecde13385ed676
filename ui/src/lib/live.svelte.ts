// The live store: one WebSocket to /ws/ui feeds every page. The server pushes a full `status` on
// connect and then `sandbox`, `job` and `job-log` messages as things change; pages read from here and
// fetch details over HTTP (api.ts) only for what the feed does not carry.
import type { JobSummary, LogLine, SandboxSummary, StatusView, StepView, UiMessage } from '../../../schema/api.ts';
import { api } from './api.ts';

export type LiveJob = JobSummary & { steps: StepView[] };
export type Connection = 'connecting' | 'open' | 'closed';

/** Keep the tail only: a long build log must not grow the page's memory without bound. */
const LOG_TAIL = 500;

class Live {
  status = $state<StatusView | null>(null);
  connection = $state<Connection>('closed');
  jobs = $state<Record<string, LiveJob>>({});
  logs = $state<Record<string, LogLine[]>>({});
  /** bumped on every sandbox message, so a detail page knows to refetch what the summary lacks */
  sandboxTick = $state<Record<string, number>>({});

  #ws: WebSocket | null = null;
  #retry = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = true;

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    // The HTTP status answers at once; the socket's first message replaces it.
    api.status().then(
      (s) => {
        if (!this.status) this.status = s;
      },
      () => {},
    );
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#ws?.close();
    this.#ws = null;
    this.status = null;
    this.jobs = {};
    this.logs = {};
  }

  sandbox(name: string): SandboxSummary | undefined {
    return this.status?.sandboxes.find((s) => s.name === name);
  }

  /** Seed a job from HTTP (GET /api/jobs/:id) so later WS messages extend it. */
  seedJob(job: LiveJob, logs: LogLine[]): void {
    const known = this.jobs[job.id];
    // a WS message may already be newer than the HTTP answer; keep whichever finished further
    if (!known || rank(job.status) >= rank(known.status)) this.jobs[job.id] = job;
    const have = this.logs[job.id] ?? [];
    if (logs.length >= have.length) this.logs[job.id] = logs.slice(-LOG_TAIL);
  }

  #connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws/ui`);
    this.#ws = ws;
    this.connection = 'connecting';
    ws.onopen = () => {
      this.connection = 'open';
      this.#retry = 0;
    };
    ws.onmessage = (ev) => {
      try {
        this.#apply(JSON.parse(String(ev.data)) as UiMessage);
      } catch {
        // a malformed message is the server's bug; the next full status repairs the view
      }
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.connection = 'closed';
      if (this.#stopped) return;
      // backoff 0.5s .. 10s; a reconnect gets a fresh full status
      const delay = Math.min(10_000, 500 * 2 ** this.#retry++);
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
  }

  #apply(m: UiMessage): void {
    switch (m.type) {
      case 'status':
        this.status = m.status;
        break;
      case 'sandbox': {
        const s = this.status;
        if (s) {
          const i = s.sandboxes.findIndex((x) => x.name === m.sandbox.name);
          if (i >= 0) s.sandboxes[i] = m.sandbox;
          else s.sandboxes.push(m.sandbox);
        }
        this.sandboxTick[m.sandbox.name] = (this.sandboxTick[m.sandbox.name] ?? 0) + 1;
        break;
      }
      case 'job':
        this.jobs[m.job.id] = m.job;
        break;
      case 'job-log': {
        const list = (this.logs[m.jobId] ??= []);
        list.push(m.log);
        if (list.length > LOG_TAIL) list.splice(0, list.length - LOG_TAIL);
        break;
      }
    }
  }
}

function rank(s: JobSummary['status']): number {
  return { pending: 0, running: 1, succeeded: 2, failed: 2 }[s];
}

export const live = new Live();
