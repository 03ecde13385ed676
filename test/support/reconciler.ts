// Shared helpers for integration tests of the reconciler: a real reconciler (startReconciler) and a
// real local agent (startAgent) on temp dirs, real bare git repos, a specs folder to edit, an
// authenticated API client and a /ws/ui recorder. Everything a stack creates belongs to sandboxes
// named with the suite's prefix and is removed by stop().
//
//   const stack = await startStack({ prefix: 't-rec-', port: 21000, ports: { gateway: [21100, 21149], services: [21200, 21299] } });
//   const repo = stack.repo('account');  repo.commit('develop', branchApp('develop'));
//   await stack.writeSpec('platform.yaml', stack.platformYaml({ account: repo.url }));
//   await stack.writeSpec('sb.yaml', sandboxYaml('t-rec-a', { account: 'develop' }));
//   await stack.waitSandbox('t-rec-a', (s) => s.sync === 'OutOfSync');
//   const job = await stack.syncAndWait('t-rec-a');
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { startAgent } from '../../agent/index.ts';
import { TestRepo, cleanupSandboxes } from '../../agent/testing/fixtures.ts';
import { startReconciler, type Reconciler } from '../../reconciler/index.ts';
import type { GitSpecsOptions } from '../../reconciler/source/index.ts';
import type { NotifyOptions } from '../../reconciler/notify/notifier.ts';
import type { JobView, Plan, SandboxDetail, SandboxSummary, StatusView, UiMessage } from '../../schema/api.ts';
import { checkAnswer } from './contract.ts';

export { TestRepo, branchApp, cleanupSandboxes, httpGet, writeToLog } from '../../agent/testing/fixtures.ts';

export const ADMIN_PASSWORD = 'test-admin-password-0123';

export interface StackOptions {
  /** sandbox-name prefix of the suite (t-rec-, t-e2e-, ...) */
  prefix: string;
  /** first API port to try (the suite's own range) */
  port: number;
  /** host port ranges the Platform hands out (inside the suite's range) */
  ports: { gateway: [number, number]; services: [number, number] };
  /** node name of the local agent; default local */
  node?: string;
  /** reuse a data dir (restart tests); default a fresh temp dir */
  dataDir?: string;
  specsDir?: string;
  resolveIntervalMs?: number;
  /** follow a git repository of specs instead of the specs folder */
  specsGit?: GitSpecsOptions;
  /** notification delivery timings (short backoff and debounce in tests) */
  notify?: Partial<NotifyOptions>;
  /** the local agent's CPU/memory sampling pause (default the agent's own) */
  usageIntervalMs?: number;
}

export class Stack {
  readonly root: string;
  readonly specsDir: string;
  readonly dataDir: string;
  readonly node: string;
  rec: Reconciler | undefined;
  token = '';
  private agent: { stop(): Promise<void> } | null = null;
  private readonly ui: UiMessage[] = [];
  private uiSocket: WebSocket | null = null;
  private uiListeners = new Set<(m: UiMessage) => void>();

  constructor(readonly opts: StackOptions) {
    this.root = mkdtempSync(join(tmpdir(), `${opts.prefix}stack-`));
    this.specsDir = opts.specsDir ?? join(this.root, 'specs');
    this.dataDir = opts.dataDir ?? join(this.root, 'data');
    this.node = opts.node ?? 'local';
  }

  private externalUrl: string | undefined;

  get url(): string {
    return this.externalUrl ?? this.reconciler.url;
  }

  /** Uses a reconciler running elsewhere (e.g. `sdp up` as a child process, started with SDP_ADMIN_PASSWORD=ADMIN_PASSWORD). */
  async attach(url: string): Promise<void> {
    this.externalUrl = url;
    await this.login();
    await this.watchUi();
  }

  private async login(): Promise<void> {
    const res = await fetch(`${this.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { token: string }).token;
  }

  get reconciler(): Reconciler {
    if (!this.rec) throw new Error('the stack runs no reconciler in this process');
    return this.rec;
  }

  /** Starts the reconciler (first free port from opts.port) and, unless `agent: false`, the local agent. */
  async start(o: { agent?: boolean } = {}): Promise<void> {
    await mkdir(this.specsDir, { recursive: true });
    let lastErr: unknown;
    for (let port = this.opts.port; port < this.opts.port + 20; port++) {
      try {
        this.rec = await startReconciler({
          specsDir: this.specsDir,
          dataDir: this.dataDir,
          port,
          adminPassword: ADMIN_PASSWORD,
          ...(this.opts.resolveIntervalMs ? { resolveIntervalMs: this.opts.resolveIntervalMs } : {}),
          ...(this.opts.specsGit ? { specsGit: this.opts.specsGit } : {}),
          ...(this.opts.notify ? { notify: this.opts.notify } : {}),
        });
        lastErr = undefined;
        break;
      } catch (err) {
        lastErr = err;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    if (lastErr) throw lastErr;
    await this.login();
    if (o.agent !== false) await this.startAgent();
    await this.watchUi();
  }

  async startAgent(): Promise<void> {
    this.agent = await startAgent({
      server: `${this.url.replace(/^http/, 'ws')}/ws/agent`,
      name: this.node,
      token: this.reconciler.addLocalAgentToken(this.node),
      roles: ['micro', 'gateway'],
      address: '127.0.0.1',
      workDir: join(this.dataDir, 'agent'),
      ...(this.opts.usageIntervalMs ? { usageIntervalMs: this.opts.usageIntervalMs } : {}),
    });
    await this.waitFor('agent online', async () => (await this.api<StatusView>('GET', '/api/status')).agents.some((a) => a.name === this.node && a.online));
  }

  async stopAgent(): Promise<void> {
    await this.agent?.stop();
    this.agent = null;
  }

  /** Stops reconciler and agent, keeping the data dir and Docker objects (for restart tests). */
  async stopProcesses(): Promise<void> {
    this.uiSocket?.terminate();
    this.uiSocket = null;
    await this.stopAgent();
    await this.rec?.stop();
    this.rec = undefined;
  }

  /** Stops everything and removes the suite's sandboxes and the temp dirs. */
  async stop(): Promise<void> {
    await this.stopProcesses().catch(() => undefined);
    await cleanupSandboxes(this.opts.prefix);
    rmSync(this.root, { recursive: true, force: true });
  }

  repo(name: string): TestRepo {
    return new TestRepo(join(this.root, 'repos'), name);
  }

  async writeSpec(file: string, text: string): Promise<void> {
    const path = join(this.specsDir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }

  async removeSpec(file: string): Promise<void> {
    await rm(join(this.specsDir, file), { force: true });
  }

  /** A Platform with one node (the local agent, every role), the given services and the proxy gateway. */
  platformYaml(services: Record<string, string>, o: { health?: string; gatewayImage?: string } = {}): string {
    const { gateway, services: svc } = this.opts.ports;
    const health = o.health ?? '{ path: /health, timeout: 1s, retries: 10, interval: 200ms }';
    const catalog = Object.entries(services)
      .map(
        ([name, repo]) => `    ${name}:
      repo: ${repo}
      role: micro
      build: { type: host, command: "sh build.sh", image: sdp/busybox:local, run: ["httpd", "-f", "-p", "8080", "-h", "/src/public"] }
      port: 8080
      health: ${health}
      baseline: http://host.docker.internal:9
`,
      )
      .join('');
    // the suite's own Platform: the reconciler sees only its objects, not another suite's on the engine
    return `apiVersion: sdp/v1
kind: Platform
metadata: { name: ${this.opts.prefix.replace(/-+$/, '')} }
spec:
  nodes:
    - { name: ${this.node}, roles: [micro, gateway], address: 127.0.0.1 }
  ports: { gateway: ${gateway[0]}-${gateway[1]}, services: ${svc[0]}-${svc[1]} }
  services:
${catalog}  gateway:
    role: gateway
    proxy: { image: ${o.gatewayImage ?? 'caddy:2'} }
`;
  }

  async api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Every answer is checked against the OpenAPI document (test/support/contract.ts). */
  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    checkAnswer(method, path, res.status, await res.clone().text());
    return res;
  }

  async sandbox(name: string): Promise<SandboxSummary | undefined> {
    return (await this.api<SandboxSummary[]>('GET', '/api/sandboxes')).find((s) => s.name === name);
  }

  detail(name: string): Promise<SandboxDetail> {
    return this.api<SandboxDetail>('GET', `/api/sandboxes/${name}`);
  }

  /** Waits until the sandbox exists and `pred` holds; returns it. */
  async waitSandbox(name: string, pred: (s: SandboxSummary) => boolean, what = 'condition', timeoutMs = 60_000): Promise<SandboxSummary> {
    let last: SandboxSummary | undefined;
    await this.waitFor(
      `sandbox ${name}: ${what}`,
      async () => {
        last = await this.sandbox(name);
        return !!last && pred(last);
      },
      timeoutMs,
      () => JSON.stringify(last),
    );
    return last as SandboxSummary;
  }

  async sync(name: string, body: { prune?: boolean; dryRun?: boolean } = {}): Promise<{ job: JobView | null; plan: Plan }> {
    return this.api('POST', `/api/sandboxes/${name}/sync`, body);
  }

  async waitJob(id: string, timeoutMs = 120_000): Promise<JobView> {
    let job: JobView | undefined;
    await this.waitFor(`job ${id} to finish`, async () => {
      job = await this.api<JobView>('GET', `/api/jobs/${id}`);
      return job.status === 'succeeded' || job.status === 'failed';
    }, timeoutMs, () => JSON.stringify(job));
    return job as JobView;
  }

  /** Syncs and waits for the job; throws with the job's steps and logs when it failed. */
  async syncAndWait(name: string, body: { prune?: boolean } = {}): Promise<JobView> {
    const { job } = await this.sync(name, body);
    if (!job) throw new Error('sync returned no job');
    const done = await this.waitJob(job.id);
    if (done.status !== 'succeeded') throw new Error(`sync of ${name} failed: ${done.error}\n${JSON.stringify(done.steps, null, 1)}\n${done.logs.map((l) => l.line).join('\n')}`);
    return done;
  }

  /** Every UiMessage received on /ws/ui since start. */
  uiMessages(): readonly UiMessage[] {
    return this.ui;
  }

  /** Resolves with the first UiMessage (from now on) that matches. */
  nextUi(pred: (m: UiMessage) => boolean, timeoutMs = 10_000): Promise<UiMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.uiListeners.delete(listener);
        reject(new Error('no matching /ws/ui message'));
      }, timeoutMs);
      const listener = (m: UiMessage) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        this.uiListeners.delete(listener);
        resolve(m);
      };
      this.uiListeners.add(listener);
    });
  }

  private async watchUi(): Promise<void> {
    const ws = new WebSocket(`${this.url.replace(/^http/, 'ws')}/ws/ui`, { headers: { Authorization: `Bearer ${this.token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as UiMessage;
      this.ui.push(m);
      for (const l of [...this.uiListeners]) l(m);
    });
    this.uiSocket = ws;
  }

  async waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, describe?: () => string): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${describe ? `: ${describe()}` : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A Sandbox spec: services by branch (or `{ commit }`), with optional extra spec lines (YAML flow values). */
export function sandboxYaml(name: string, services: Record<string, string>, extra: Record<string, string> = {}): string {
  const svc = Object.entries(services)
    .map(([s, branch]) => `    ${s}: { branch: ${branch} }`)
    .join('\n');
  const more = Object.entries(extra)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n');
  return `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: ${name} }
spec:
  gateway: {}
  services:
${svc}
${more}
`;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const s = new Stack(opts);
  await s.start();
  return s;
}
