// Child processes (git, host builds) run with the agent's environment minus its own settings, so the
// agent's token (SDP_AGENT_TOKEN) never reaches a build script or a git hook.
import { spawn } from 'node:child_process';

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SDP_')) env[k] = v;
  return { ...env, ...extra };
}

export interface RunOptions {
  cwd?: string;
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

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        out[stream] += chunk;
        if (!opts.onLine) return;
        const lines = (pending[stream] + chunk).split(/\r?\n|\r/);
        pending[stream] = lines.pop() ?? '';
        for (const line of lines) if (line) opts.onLine(line, stream);
      });
    }
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.onLine) for (const s of ['stdout', 'stderr'] as const) if (pending[s]) opts.onLine(pending[s], s);
      resolve({ code: code ?? (signal ? 128 : 1), ...out });
    });
  });
}
