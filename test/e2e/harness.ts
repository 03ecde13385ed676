// The end-to-end harness: a real `sdp up` (the CLI as a child process, with its local agent) on a
// temp specs dir and data dir, real bare git repos made by the demo's own scripts, real baseline
// containers, and helpers to drive it the way a person does: edit YAML, push commits, run the CLI,
// call the HTTP API, curl the sandbox gateway.
//
// Everything it makes is named for the e2e suite (sandboxes `t-e2e-*`, host ports 22000-22999) and
// removed by stop(), also what an earlier crashed run left behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SandboxDetail, SandboxSummary, StatusView } from '../../schema/api.ts';
import { ensureBaselines, removeBaselines, type BaselineSet } from '../../scripts/demo/baseline.ts';
import { DEMO_SERVICES, ensureDemoRepos } from '../../scripts/demo/repos.ts';
import { checkAnswer } from '../support/contract.ts';

const run = promisify(execFile);

export const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PREFIX = 't-e2e-';
export const ADMIN_PASSWORD = 'e2e-admin-password-0123';

/** Host ports of the suite (22000-22999), split by use. */
export const PORTS = {
  server: 22000,
  gateways: [22100, 22149] as const,
  services: [22200, 22249] as const,
  baselines: { account: 22901, payment: 22902, user: 22903, notification: 22904 } as Record<string, number>,
};

export const E2E_BASELINES: BaselineSet = { namePrefix: `${PREFIX}baseline-`, label: 'e2e-baseline', ports: PORTS.baselines };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 8 * 1024 * 1024 });
  return stdout.trim();
}

/** Removes every Docker object of an e2e sandbox (by the sdp labels and network names). */
export async function removeE2EDockerObjects(): Promise<void> {
  const rows = await docker('ps', '-a', '--filter', 'label=sdp.managed=true', '--format', '{{.ID}} {{.Label "sdp.sandbox"}}');
  const ids = rows
    .split('\n')
    .filter((r) => r.split(' ')[1]?.startsWith(PREFIX))
    .map((r) => r.split(' ')[0] as string);
  if (ids.length) await docker('rm', '-f', ...ids);
  const nets = (await docker('network', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`sandbox-${PREFIX}`));
  for (const n of nets) await docker('network', 'rm', n).catch(() => undefined);
}

/** The catalog Platform of the suite: the four demo services from `repos`, baselines on the e2e ports. */
export function platformYaml(repos: Record<string, string>, health = { timeout: '2s', retries: 3, interval: '1s' }): string {
  const services = DEMO_SERVICES.map(
    (s) => `    ${s}:
      repo: ${repos[s]}
      role: micro
      build: { type: host, command: "sh build.sh", image: sdp/busybox:local, run: ["httpd", "-f", "-p", "8080", "-h", "/src/public"] }
      port: 8080
      health: { path: /health, timeout: ${health.timeout}, retries: ${health.retries}, interval: ${health.interval} }
      baseline: http://host.docker.internal:${PORTS.baselines[s]}
`,
  ).join('');
  return `apiVersion: sdp/v1
kind: Platform
metadata: { name: t-e2e }
spec:
  nodes:
    - { name: local, roles: [micro, gateway], address: 127.0.0.1 }
  ports: { gateway: ${PORTS.gateways.join('-')}, services: ${PORTS.services.join('-')} }
  services:
${services}  gateway:
    role: gateway
    proxy: { image: caddy:2 }
`;
}

/** A Sandbox document deploying `services` (service -> branch, or 'baseline'). */
export function sandboxYaml(name: string, services: Record<string, string>): string {
  const lines = Object.entries(services).map(([s, b]) =>
    b === 'baseline' ? `    ${s}: { baseline: true }` : `    ${s}: { branch: ${b} }`,
  );
  return `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: ${name}, owner: e2e }
spec:
  services:
${lines.join('\n')}
`;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, last?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let error = '';
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${error ? ` (last error: ${error})` : ''}${last ? `\n${last()}` : ''}`);
}

export interface GatewayAnswer {
  status: number;
  body: string;
  json?: Record<string, unknown>;
}

/** GET a path on a sandbox gateway as a person with curl would. */
export async function curl(url: string): Promise<GatewayAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // not JSON: the assertion on `json` says so
  }
  return json ? { status: res.status, body, json } : { status: res.status, body };
}

/** The gateway URL as reached from this machine. */
export function localGateway(s: SandboxSummary): string {
  return `http://127.0.0.1:${new URL(s.gatewayUrl).port}`;
}

export class E2E {
  readonly server = `http://127.0.0.1:${PORTS.server}`;
  token = '';
  repos: Record<string, string> = {};
  /** split mode: the agent `sdp agent` process */
  agent: ChildProcess | undefined;
  private procs: ChildProcess[] = [];
  private output = '';

  private constructor(
    readonly split: boolean,
    readonly root: string,
    readonly specsDir: string,
    readonly dataDir: string,
    readonly reposDir: string,
  ) {}

  /**
   * Repos, baselines and specs in a temp dir, then `sdp up` on them (with `split`: `sdp server` and
   * `sdp agent` apart); answers once the agent is online.
   */
  static async start(sandboxes: Record<string, string> = {}, opts: { split?: boolean } = {}): Promise<E2E> {
    await removeE2EDockerObjects();
    const root = await mkdtemp(join(tmpdir(), 'sdp-e2e-'));
    const e = new E2E(opts.split ?? false, root, join(root, 'specs'), join(root, 'data'), join(root, 'repos'));
    try {
      await mkdir(e.specsDir, { recursive: true });
      e.repos = await ensureDemoRepos(e.reposDir);
      await ensureBaselines(E2E_BASELINES);
      await e.writeSpec('platform.yaml', platformYaml(e.repos));
      for (const [file, text] of Object.entries(sandboxes)) await e.writeSpec(file, text);
      await e.up();
    } catch (err) {
      await e.stop();
      throw err;
    }
    return e;
  }

  /** `sdp up`, or in split mode `sdp server` plus `sdp agent` with a node token, as on two machines. */
  private async up(env: Record<string, string> = {}): Promise<void> {
    if (this.split) {
      this.spawnSdp('server', ['server', '--specs', this.specsDir, '--data', this.dataDir, '--port', String(PORTS.server)]);
      await this.ready();
      this.agent = this.startAgent(await this.issueNodeToken('local'));
    } else {
      this.spawnSdp('up', ['up', '--specs', this.specsDir, '--data', this.dataDir, '--port', String(PORTS.server)], env);
      await this.ready();
    }
    await this.waitForAgent('local', true);
  }

  /** Runs `node bin/sdp.js ARGS` in the background; its output goes to log(). */
  private spawnSdp(label: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    const proc = spawn(process.execPath, ['bin/sdp.js', ...args], {
      cwd: PROJECT,
      env: { ...process.env, SDP_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString().replace(/^(?=.)/gm, `[${label}] `)).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.procs.push(proc);
    return proc;
  }

  /** Waits for /api/health, then logs in as admin. */
  private async ready(): Promise<void> {
    const exited = new Promise<never>((_, reject) =>
      this.procs[0]?.once('exit', (code) => reject(new Error(`sdp exited with ${code}:\n${this.output}`))),
    );
    exited.catch(() => undefined);
    const healthy = until('sdp to answer /api/health', 60_000, async () =>
      (await fetch(`${this.server}/api/health`, { signal: AbortSignal.timeout(1000) })).ok ? true : undefined,
    );
    await Promise.race([healthy, exited]);
    const login = await fetch(`${this.server}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    if (!login.ok) throw new Error(`POST /api/login: HTTP ${login.status} ${await login.text()}`);
    this.token = ((await login.json()) as { token: string }).token;
  }

  /** A node token from `sdp token agent NODE` (as admin), the documented way to issue one for `sdp agent`. */
  async issueNodeToken(node: string): Promise<string> {
    const { stdout } = await run(process.execPath, ['bin/sdp.js', 'token', 'agent', node, '--server', this.server], {
      cwd: PROJECT,
      env: { ...process.env, SDP_TOKEN: this.token },
    });
    return stdout.trim();
  }

  /** `sdp agent` for `name` with `token` (from SDP_AGENT_TOKEN, as the docs say), every demo role. */
  startAgent(token: string, name = 'local'): ChildProcess {
    return this.spawnSdp(`agent ${name}`, [
      'agent', '--server', `ws://127.0.0.1:${PORTS.server}/ws/agent`, '--name', name,
      '--roles', 'micro,gateway', '--address', '127.0.0.1', '--work-dir', join(this.dataDir, 'agent'),
    ], { SDP_AGENT_TOKEN: token });
  }

  async waitForAgent(name: string, online: boolean): Promise<void> {
    await until(`agent ${name} to be ${online ? 'online' : 'offline'}`, 60_000, async () => {
      const agents = await this.api<{ name: string; online: boolean }[]>('GET', '/api/agents');
      return agents.some((a) => a.name === name && a.online) === online ? true : undefined;
    }, () => this.log());
  }

  /** The last lines the sdp processes printed, for failure messages. */
  log(): string {
    return `--- sdp output (tail) ---\n${this.output.slice(-4000)}`;
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.server}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    checkAnswer(method, path, res.status, text);
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Runs the real CLI (`node bin/sdp.js ...`) against this server, with the admin token. */
  async cli(...args: string[]): Promise<CliResult> {
    const talksToServer = !['validate'].includes(args[0] ?? '');
    const full = ['bin/sdp.js', ...args, ...(talksToServer ? ['--server', this.server] : [])];
    return new Promise((resolvePromise) => {
      execFile(
        process.execPath,
        full,
        { cwd: PROJECT, env: { ...process.env, SDP_TOKEN: this.token }, timeout: 180_000, maxBuffer: 8 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolvePromise({ code, stdout, stderr });
        },
      );
    });
  }

  async writeSpec(file: string, text: string): Promise<void> {
    await writeFile(join(this.specsDir, file), text);
  }

  async removeSpec(file: string): Promise<void> {
    await unlink(join(this.specsDir, file));
  }

  async sandboxes(): Promise<SandboxSummary[]> {
    return this.api<SandboxSummary[]>('GET', '/api/sandboxes');
  }

  async sandbox(name: string): Promise<SandboxDetail> {
    return this.api<SandboxDetail>('GET', `/api/sandboxes/${encodeURIComponent(name)}`);
  }

  async status(): Promise<StatusView> {
    return this.api<StatusView>('GET', '/api/status');
  }

  /** Waits until the sandbox satisfies `ok`; the failure names `what` and shows the last state seen. */
  async waitForSandbox(name: string, what: string, ok: (s: SandboxDetail) => boolean, timeoutMs = 60_000): Promise<SandboxDetail> {
    let last: SandboxDetail | undefined;
    return until(`${name}: ${what}`, timeoutMs, async () => {
      last = await this.sandbox(name);
      return ok(last) ? last : undefined;
    }, () => `last seen: ${JSON.stringify(last && { sync: last.sync, health: last.health, drift: last.drift, routes: last.routes })}`);
  }

  /** Waits until `probe` answers something; for conditions outside the API (docker, files, ports). */
  wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    return until(what, timeoutMs, probe);
  }

  /** The worktree dirs the agent keeps for a sandbox, wherever under the data dir it keeps them. */
  async worktreesOf(sandbox: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 6 || !existsSync(dir)) return;
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = join(dir, entry.name);
        if (entry.name === sandbox && dir.endsWith('worktrees')) found.push(path);
        else if (entry.name !== 'mirrors') await walk(path, depth + 1);
      }
    };
    await walk(this.dataDir, 0);
    return found;
  }

  /**
   * Stops `sdp up` as Ctrl-C does (unless it is gone already), runs `whileDown`, and starts it again
   * on the same data dir, with `env` added to its environment.
   */
  async restart(whileDown: () => Promise<void> = async () => undefined, env: Record<string, string> = {}): Promise<void> {
    await this.interrupt();
    await whileDown();
    await this.up(env);
  }

  /** Resolves when `sdp up` (not split) exits by itself, with its exit code or signal. */
  exited(): Promise<string> {
    const proc = this.procs[0];
    if (!proc) return Promise.resolve('not running');
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(String(proc.signalCode ?? proc.exitCode));
    return new Promise((r) => proc.once('exit', (code, signal) => r(String(signal ?? code))));
  }

  /** Stops one process as Ctrl-C does (SIGINT; SIGKILL after 10 s). */
  async stopProcess(proc: ChildProcess): Promise<void> {
    this.procs = this.procs.filter((p) => p !== proc);
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }

  /** Stops every sdp process, agents first. */
  private async interrupt(): Promise<void> {
    for (const proc of [...this.procs].reverse()) await this.stopProcess(proc);
  }

  async stop(): Promise<void> {
    await this.interrupt();
    await removeE2EDockerObjects();
    await removeBaselines(E2E_BASELINES);
    await rm(this.root, { recursive: true, force: true });
  }
}
