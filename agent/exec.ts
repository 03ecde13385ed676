// Child processes (git, host builds) run with the agent's environment minus its own settings, so the
// agent's token (SDP_AGENT_TOKEN) never reaches a build script or a git hook.
//
// They are started by a small helper process, not by the agent itself: on Linux a process is
// started by forking its parent, which takes time in proportion to the parent's memory (about 50 ms
// at 450 MB, with the event loop blocked) — ten worktrees checked out at once queued behind ten
// forks of the agent. The helper is a bare `node -e` of a few tens of MB, started on first use and
// gone after a while with nothing to run; it ends its children when the agent goes away.
import { spawn, type ChildProcess } from 'node:child_process';

/** The agent's environment without its own SDP_ settings, read once (reading process.env is slow): the helper's, and a direct spawn's (tar). */
let inherited: Record<string, string> | undefined;

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  if (!inherited) {
    inherited = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SDP_')) inherited[k] = v;
  }
  return { ...inherited, ...extra };
}

export interface RunOptions {
  cwd?: string;
  /** set on top of the environment the helper inherited (the agent's, without SDP_ settings) */
  env?: Record<string, string>;
  /** Called with each line of stdout and stderr as it comes. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The helper's whole program (plain JS: it runs as `node -e`, whatever loaders the agent has). */
const HELPER = `
const { spawn } = require('node:child_process');
const kids = new Map();
const send = (m) => process.connected && process.send(m);
process.on('message', (m) => {
  if (m.kill) return void kids.get(m.id)?.kill('SIGKILL');
  let child;
  try {
    child = spawn(m.cmd, m.args, { cwd: m.cwd, env: m.env ? { ...process.env, ...m.env } : process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return send({ id: m.id, error: String(err && err.message) });
  }
  kids.set(m.id, child);
  for (const stream of ['stdout', 'stderr']) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk) => send({ id: m.id, stream, chunk }));
  }
  child.on('error', (err) => send({ id: m.id, error: err.message }));
  child.on('close', (code, signal) => { kids.delete(m.id); send({ id: m.id, code: code ?? (signal ? 128 : 1) }); });
});
process.on('disconnect', () => { for (const k of kids.values()) k.kill('SIGKILL'); process.exit(0); });
`;

/** With nothing to run for this long, the helper exits (an idle agent keeps no second process). */
const HELPER_IDLE_MS = 30_000;

type HelperMessage = { id: number } & ({ stream: 'stdout' | 'stderr'; chunk: string } | { code: number } | { error: string });

interface Pending {
  helper: ChildProcess;
  cmd: string;
  onChunk: (stream: 'stdout' | 'stderr', chunk: string) => void;
  done: (code: number) => void;
  failed: (err: Error) => void;
}

class Spawner {
  private helper: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> }, p: Omit<Pending, 'helper' | 'cmd'>): () => void {
    const helper = this.ensure();
    const id = ++this.seq;
    this.pending.set(id, { ...p, helper, cmd });
    clearTimeout(this.idleTimer);
    helper.channel?.ref();
    helper.send({ id, cmd, args, cwd: opts.cwd, env: opts.env });
    return () => helper.connected && helper.send({ id, kill: true });
  }

  private ensure(): ChildProcess {
    if (this.helper?.connected) return this.helper;
    // what the helper runs inherits this env (plus each run's own variables); NODE_OPTIONS emptied so
    // the helper and its children never load the agent's loaders
    const helper = spawn(process.execPath, ['-e', HELPER], { env: { ...childEnv(), NODE_OPTIONS: '' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    helper.unref();
    helper.on('message', (m: HelperMessage) => this.receive(m));
    helper.on('exit', (code, signal) => {
      if (this.helper === helper) this.helper = undefined;
      for (const [id, p] of this.pending) {
        if (p.helper !== helper) continue;
        this.pending.delete(id);
        p.failed(new Error(`the agent's process runner exited (${signal ?? code}) before ${p.cmd} ended`));
      }
    });
    this.helper = helper;
    return helper;
  }

  private receive(m: HelperMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('chunk' in m) return p.onChunk(m.stream, m.chunk);
    this.pending.delete(m.id);
    if ('error' in m) p.failed(new Error(m.error));
    else p.done(m.code);
    if (this.pending.size === 0) this.idle();
  }

  private idle(): void {
    const helper = this.helper;
    helper?.channel?.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0 && this.helper === helper) helper?.disconnect();
    }, HELPER_IDLE_MS);
    this.idleTimer.unref();
  }
}

const spawner = new Spawner();

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    let timer: NodeJS.Timeout | undefined;
    const kill = spawner.run(cmd, args, { ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) }, {
      onChunk: (stream, chunk) => {
        out[stream] += chunk;
        if (!opts.onLine) return;
        const lines = (pending[stream] + chunk).split(/\r?\n|\r/);
        pending[stream] = lines.pop() ?? '';
        for (const line of lines) if (line) opts.onLine(line, stream);
      },
      done: (code) => {
        clearTimeout(timer);
        if (opts.onLine) for (const s of ['stdout', 'stderr'] as const) if (pending[s]) opts.onLine(pending[s], s);
        resolve({ code, ...out });
      },
      failed: (err) => {
        clearTimeout(timer);
        reject(err);
      },
    });
    if (opts.timeoutMs) timer = setTimeout(kill, opts.timeoutMs);
  });
}
