// Scale: 1,000 sandboxes x 10 services spread over 10 simulated agents that speak the real protocol
// over /ws/agent (hello, inventory, events, resolve results; every message validated by the hub).
// Each agent reports its sandboxes in sync (the containers carry the spec hash core/bind computes).
// Measured: one container event -> that sandbox's new drift on /ws/ui (p95 <= 50 ms),
// GET /api/sandboxes (<= 100 ms), the reconciler's RSS (<= 300 MB), one spec file edit -> the new
// revision in force, as /ws/ui pushes it to the dashboards (<= 1 s).
// The reconciler is what users run: `sdp server` (bin/sdp.js, the compiled CLI) in a process of its
// own, so its RSS is the reconciler's alone (the simulated agents and the bench's own copy of the
// specs stay in this one). SDP_BENCH_NODE_FLAGS (e.g. "--max-semi-space-size=8") passes V8 flags to
// it to try them. No Docker: no host port is bound but the API on 26620 (the Platform names
// 26000-26999 for gateways and 30000-39999 for services on paper).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { bindSandbox } from '../../core/bind/bind.ts';
import { compileSpecsDir } from '../../reconciler/specs/compile.ts';
import { build, isFresh } from '../build-cli.js';
import { TOTAL_COUNT_HEADER, type AgentTokenResponse, type SandboxSummary, type StatusView, type UiMessage } from '../../schema/api.ts';
import type { ContainerSpec } from '../../schema/container.ts';
import { PROTOCOL_VERSION, type AgentMessage, type LiveContainer, type ServerMessage } from '../../schema/protocol.ts';

const SANDBOXES = 1000;
const NODES = 10;
const SERVICES = Array.from({ length: 10 }, (_, i) => `s${i + 1}`);
const COMMIT = 'c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffe';
const PLATFORM = 't-core-scale';
const ROUNDS = 40;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADMIN_PASSWORD = 'scale-admin-password-1';
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const name = (i: number) => `t-core-scale-${String(i).padStart(4, '0')}`;

function platformYaml(): string {
  const nodes = Array.from({ length: NODES }, (_, i) => `    - { name: sim-${i + 1}, roles: [micro, gateway], address: 127.0.0.${i + 2} }`).join('\n');
  const catalog = SERVICES.map(
    (s) => `    ${s}:\n      repo: https://git.example.com/app/${s}.git\n      role: micro\n      build: { type: image, image: sdp/busybox:local, run: ["httpd", "-f", "-p", "8080"] }\n      port: 8080\n      baseline: https://${s}-dev.example.com\n`,
  ).join('');
  return `apiVersion: sdp/v1\nkind: Platform\nmetadata: { name: ${PLATFORM} }\nspec:\n  nodes:\n${nodes}\n  ports: { gateway: 26000-26999, services: 30000-39999 }\n  services:\n${catalog}  gateway:\n    role: gateway\n    proxy: { image: caddy:2 }\n`;
}

function sandboxesYaml(from: number, to: number, label = 'a'): string {
  const docs: string[] = [];
  for (let i = from; i < to; i++) {
    docs.push(`apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: ${name(i)}, labels: { mark: ${label} } }\nspec:\n  gateway: {}\n  services:\n${SERVICES.map((s) => `    ${s}: { branch: main }`).join('\n')}\n`);
  }
  return docs.join('---\n');
}

function liveOf(spec: ContainerSpec): LiveContainer {
  return {
    id: spec.name,
    name: spec.name,
    sandbox: spec.sandbox,
    platform: PLATFORM,
    service: spec.service,
    kind: spec.kind,
    image: 'image' in spec.build ? spec.build.image : 'built',
    ...(spec.source ? { commit: spec.source.commit, ...(spec.source.branch ? { branch: spec.source.branch } : {}) } : {}),
    specHash: spec.specHash,
    state: 'running',
    health: 'healthy',
    env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, String(v)])),
    ports: spec.hostPort !== undefined ? [{ container: spec.port, host: spec.hostPort }] : [],
    resources: {},
  };
}

/** A simulated agent: real WebSocket, real messages; answers resolve jobs and inventory requests. */
class SimAgent {
  private ws!: WebSocket;
  constructor(
    readonly node: string,
    private readonly inventory: () => AgentMessage,
  ) {}

  connect(url: string, token: string): Promise<void> {
    this.ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    this.ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as ServerMessage;
      if (msg.type === 'inventory-request') this.send(this.inventory());
      if (msg.type === 'job' && msg.job.kind === 'resolve') {
        const commits = Object.fromEntries(msg.job.refs.map((r) => [r, COMMIT]));
        this.send({ type: 'result', jobId: msg.job.id, kind: 'resolve', ok: true, commits, durationMs: 1 });
      }
    });
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        this.send({ type: 'hello', node: this.node, roles: ['micro', 'gateway'], address: '127.0.0.1', version: 'sim', protocol: PROTOCOL_VERSION });
        this.send(this.inventory());
        resolve();
      });
      this.ws.once('error', reject);
    });
  }

  send(m: AgentMessage): void {
    this.ws.send(JSON.stringify(m));
  }

  close(): void {
    this.ws.close();
  }
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 't-core-scale-'));
  const specs = join(root, 'specs');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(specs);
  writeFileSync(join(specs, 'platform.yaml'), platformYaml());
  for (let f = 0; f < 10; f++) writeFileSync(join(specs, `sandboxes-${f}.yaml`), sandboxesYaml(f * 100, f * 100 + 100));

  // what each node runs: the bound specs, as the real agent would report them
  const compiled = await compileSpecsDir(specs);
  if (!compiled.ok) throw new Error(`specs: ${compiled.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
  const byNode = new Map<string, { containers: LiveContainer[]; networks: { id: string; name: string; sandbox: string; platform: string }[]; gateways: { sandbox: string; container: string; routes: Record<string, string> }[] }>();
  for (let i = 1; i <= NODES; i++) byNode.set(`sim-${i}`, { containers: [], networks: [], gateways: [] });
  for (const s of compiled.desired.sandboxes) {
    const bound = bindSandbox(s, () => COMMIT, () => '', PLATFORM);
    const inv = byNode.get(s.gateway.node)!;
    for (const c of bound.containers) inv.containers.push(liveOf(c));
    inv.networks.push({ id: s.network, name: s.network, sandbox: s.name, platform: PLATFORM });
    inv.gateways.push({ sandbox: s.name, container: s.gateway.name, routes: Object.fromEntries(s.routes.map((r) => [r.service, r.target])) });
  }

  // bin/sdp.js builds a stale CLI first, which would load esbuild into the process being measured
  if (!isFresh()) await build();
  const child = spawn(process.execPath, [...(process.env['SDP_BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? []), join(ROOT, 'bin', 'sdp.js'), 'server', '--specs', specs, '--data', join(root, 'data'), '--port', '26620'], {
    env: { ...process.env, SDP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sdp server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^sdp reconciler on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  const agents = [...byNode].map(([node, inv]) => new SimAgent(node, () => ({ type: 'inventory', node, ...inv, at: new Date().toISOString() })));
  try {
    const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const authorization = `Bearer ${token}`;
    const get = async <T>(path: string) => (await (await fetch(`${url}${path}`, { headers: { authorization } })).json()) as T;
    for (const a of agents) {
      const issued = (await (await fetch(`${url}/api/agents/${a.node}/token`, { method: 'POST', headers: { authorization } })).json()) as AgentTokenResponse;
      await a.connect(`${url.replace(/^http/, 'ws')}/ws/agent`, issued.token);
    }

    const t0 = performance.now();
    for (;;) {
      const all = await get<SandboxSummary[]>('/api/sandboxes');
      if (all.length === SANDBOXES && all.every((s) => s.sync === 'Synced')) break;
      if (performance.now() - t0 > 120_000) throw new Error(`not all Synced: ${all.filter((s) => s.sync !== 'Synced').length} of ${all.length} not (e.g. ${JSON.stringify(all.find((s) => s.sync !== 'Synced')?.syncStatus)})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const settled = performance.now() - t0;
    const rssSettled = rssMb(child.pid ?? 0);

    const list: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await get<SandboxSummary[]>('/api/sandboxes');
      list.push(performance.now() - t);
    }
    // what the overview asks: one page of 50, searched and filtered on the server
    const paged: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const res = await fetch(`${url}/api/sandboxes?q=scale-0${i % 10}&sync=Synced&limit=50&offset=${i % 2 ? 50 : 0}`, { headers: { authorization } });
      const page = (await res.json()) as SandboxSummary[];
      paged.push(performance.now() - t);
      if (page.length !== 50 || res.headers.get(TOTAL_COUNT_HEADER) !== '100') throw new Error(`paged answer: ${page.length} rows, total ${res.headers.get(TOTAL_COUNT_HEADER)}`);
    }

    // /ws/ui: one container event -> that sandbox's drift
    const ui = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/ui`, { headers: { authorization } });
    const listeners = new Set<(m: UiMessage) => void>();
    ui.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as UiMessage;
      for (const l of listeners) l(m);
    });
    await new Promise((r) => ui.once('open', r));
    const next = (pred: (m: UiMessage) => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no /ws/ui message within 5 s')), 5000);
        const l = (m: UiMessage) => {
          if (!pred(m)) return;
          clearTimeout(timer);
          listeners.delete(l);
          resolve();
        };
        listeners.add(l);
      });
    const events: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const sb = compiled.desired.sandboxes[(i * 37) % SANDBOXES]!;
      const node = sb.gateway.node;
      const agent = agents.find((a) => a.node === node)!;
      const c = byNode.get(node)!.containers.find((x) => x.sandbox === sb.name && x.service === 's3')!;
      const died = next((m) => m.type === 'sandbox' && m.sandbox.name === sb.name && m.sandbox.drift.some((d) => d.resource === 'service/s3'));
      const t = performance.now();
      agent.send({ type: 'event', node, action: 'die', name: c.name, container: { ...c, state: 'exited' }, at: new Date().toISOString() });
      await died;
      events.push(performance.now() - t);
      const back = next((m) => m.type === 'sandbox' && m.sandbox.name === sb.name && m.sandbox.sync === 'Synced');
      agent.send({ type: 'event', node, action: 'start', name: c.name, container: c, at: new Date().toISOString() });
      await back;
    }
    const rssEvents = rssMb(child.pid ?? 0);

    // one spec file edit -> new revision in force: the status /ws/ui pushes when the revision changes
    // (how the dashboards learn of it; polling GET /api/status every few ms would load the very
    // process being measured with a full status render per poll)
    const before = (await get<StatusView>('/api/status')).current?.id;
    const inForce = next((m) => m.type === 'status' && m.status.current !== null && m.status.current.id !== before);
    const te = performance.now();
    writeFileSync(join(specs, 'sandboxes-3.yaml'), sandboxesYaml(300, 400, 'b'));
    await inForce;
    const edit = performance.now() - te;
    const rss = rssMb(child.pid ?? 0);
    ui.close();

    const ok = (v: boolean) => (v ? 'met' : 'MISSED');
    console.log(`${SANDBOXES} sandboxes x ${SERVICES.length} services over ${NODES} simulated agents (real /ws/agent protocol), all Synced after ${(settled / 1000).toFixed(1)} s:`);
    console.log(`  container event -> drift on /ws/ui: p50 ${pct(events, 50).toFixed(0)} ms, p95 ${pct(events, 95).toFixed(0)} ms (target <= 50 ms: ${ok(pct(events, 95) <= 50)})`);
    console.log(`  GET /api/sandboxes?q=&sync=&limit=50&offset= (one overview page): p50 ${pct(paged, 50).toFixed(0)} ms, p95 ${pct(paged, 95).toFixed(0)} ms (target <= 100 ms: ${ok(pct(paged, 95) <= 100)})`);
    console.log(`  GET /api/sandboxes: p50 ${pct(list, 50).toFixed(0)} ms, p95 ${pct(list, 95).toFixed(0)} ms (target <= 100 ms: ${ok(pct(list, 95) <= 100)})`);
    console.log(`  spec file edit -> new revision in force: ${edit.toFixed(0)} ms (target <= 1000 ms: ${ok(edit <= 1000)})`);
    const peak = Math.max(rssSettled, rssEvents, rss);
    console.log(`  reconciler RSS ${peak.toFixed(0)} MB (sdp server, its own process; all Synced ${rssSettled.toFixed(0)}, after the events ${rssEvents.toFixed(0)}, after the edit ${rss.toFixed(0)}) (target <= 300 MB: ${ok(peak <= 300)})`);
  } finally {
    for (const a of agents) a.close();
    child.kill('SIGTERM');
    await exited;
    rmSync(root, { recursive: true, force: true });
  }
}
