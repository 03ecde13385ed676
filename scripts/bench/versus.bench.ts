// sdp vs docker compose vs the docker CLI, one run each on this engine: 10 HTTP services + a Caddy
// gateway routing /<service>/* to them, timed from the start until every route answers through
// the gateway. Same images (sdp/busybox:local httpd, caddy:2), same routes; one poller, in a process
// of its own, times all three (the sdp stack runs in this process). sdp's clock starts at the Sync
// request, with the sandbox's branches resolved (so its git mirrors hold the commits, as after any
// resolve); each service still gets its own worktree. Also `sdp up`'s idle RSS on the demo-sized
// stack is printed by up-rss.bench.ts. Target: sdp <= 1.05x the CLI, < compose.
// Uses Docker; prefix t-core-bench-, host ports 26500-26599; removes what it creates.
import { execFile, execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JobView } from '../../schema/api.ts';
import { Stack } from '../../test/support/reconciler.ts';
import { composeCommand } from './compose.ts';

const exec = promisify(execFile);
const N = 10;
const SERVICES = Array.from({ length: N }, (_, i) => `s${i + 1}`);
const IMAGE = 'sdp/busybox:local';
const CADDY = 'caddy:2';
const RUN = ['sh', '-c', 'mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www'];
const PORT = { sdp: 26500, compose: 26501, cli: 26502 };

/** The route poller (route-poller.ts), started once before anything is timed. */
class Poller {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<Poller> {
    const child = fork(fileURLToPath(new URL('./route-poller.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`route poller exited with ${code}`)));
    });
    return new Poller(child);
  }

  /** Starts polling now; resolves with the time from `t0` until every route answered 200. */
  allRoutesAnswer(port: number, t0: number, budgetMs = 60_000): Promise<number> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (m: { ok: boolean; error?: string }) => (m.ok ? resolve(performance.now() - t0) : reject(new Error(m.error))));
      this.child.send({ port, services: SERVICES, budgetMs });
    });
  }

  stop(): void {
    this.child.kill();
  }
}

/** The Caddy JSON config both baselines start their gateway with: /<service>/* -> http://<service>:8080, prefix stripped. */
function caddyConfig(): string {
  const routes = SERVICES.map((s) => ({
    match: [{ path: [`/${s}/*`] }],
    handle: [{ handler: 'rewrite', strip_path_prefix: `/${s}` }, { handler: 'reverse_proxy', upstreams: [{ dial: `${s}:8080` }] }],
  }));
  return JSON.stringify({ admin: { disabled: true }, apps: { http: { servers: { gw: { listen: [':80'], routes } } } } });
}

async function compose(dir: string, poller: Poller): Promise<number> {
  const cmd = composeCommand();
  if (!cmd) throw new Error('no docker compose (plugin or docker-compose): apt-get install docker-compose');
  writeFileSync(join(dir, 'caddy.json'), caddyConfig());
  const services = SERVICES.map((s) => `  ${s}:\n    image: ${IMAGE}\n    command: ${JSON.stringify(RUN)}\n`).join('');
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    `version: "3"\nservices:\n${services}  gateway:\n    image: ${CADDY}\n    command: ["caddy", "run", "--config", "/etc/caddy/caddy.json"]\n    volumes: ["./caddy.json:/etc/caddy/caddy.json:ro"]\n    ports: ["127.0.0.1:${PORT.compose}:80"]\n`,
  );
  const project = ['-p', 't-core-bench-compose', '-f', join(dir, 'docker-compose.yml')];
  const [bin, ...pre] = cmd as [string, ...string[]];
  try {
    const t0 = performance.now();
    await exec(bin, [...pre, ...project, 'up', '-d', '--quiet-pull']);
    return await poller.allRoutesAnswer(PORT.compose, t0);
  } finally {
    spawnSync(bin, [...pre, ...project, 'down', '-t', '1', '--remove-orphans'], { stdio: 'ignore' });
  }
}

async function cli(dir: string, poller: Poller): Promise<number> {
  const net = 't-core-bench-cli';
  writeFileSync(join(dir, 'caddy.json'), caddyConfig());
  const names = [...SERVICES.map((s) => `${net}-${s}`), `${net}-gateway`];
  try {
    const t0 = performance.now();
    await exec('docker', ['network', 'create', net]);
    await Promise.all([
      ...SERVICES.map((s) => exec('docker', ['run', '-d', '--name', `${net}-${s}`, '--network', net, '--network-alias', s, IMAGE, ...RUN])),
      exec('docker', ['run', '-d', '--name', `${net}-gateway`, '--network', net, '-p', `127.0.0.1:${PORT.cli}:80`, '-v', `${join(dir, 'caddy.json')}:/etc/caddy/caddy.json:ro`, CADDY, 'caddy', 'run', '--config', '/etc/caddy/caddy.json']),
    ]);
    return await poller.allRoutesAnswer(PORT.cli, t0);
  } finally {
    spawnSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', net], { stdio: 'ignore' });
  }
}

/** Per agent step (git, create, start, health, ...): its durations over the services' deploys, and the gateway's. */
function agentSpans(job: JobView): string[] {
  const spans = new Map<string, number[]>();
  for (const l of job.logs) {
    if (l.stream !== 'timing' || !l.step?.includes('deploy')) continue;
    for (const m of l.line.matchAll(/([\w-]+) (\d+) ms/g)) {
      const key = `${l.step.includes('gateway') ? 'gateway ' : ''}${m[1]}`;
      spans.set(key, [...(spans.get(key) ?? []), Number(m[2])]);
    }
  }
  // from an agent step's last line (the deploy's switch) to the step finishing in the reconciler:
  // the job result's way back (the agent sends a fresh inventory first)
  for (const st of job.steps) {
    const last = job.logs.filter((l) => l.step === st.id).at(-1);
    if (!last || !st.finishedAt || !st.id.includes('deploy')) continue;
    const key = `${st.id.includes('gateway') ? 'gateway ' : ''}result`;
    spans.set(key, [...(spans.get(key) ?? []), Date.parse(st.finishedAt) - Date.parse(last.at)]);
  }
  return [...spans].map(([k, v]) => (v.length === 1 ? `${k} ${v[0]}` : `${k} ${Math.min(...v)}-${Math.max(...v)}`));
}

async function sdp(poller: Poller): Promise<{ total: number; job: number; steps: string[]; spans: string[] }> {
  const stack = new Stack({ prefix: 't-core-bench-', port: 26510, ports: { gateway: [PORT.sdp, PORT.sdp], services: [26520, 26549] } });
  try {
    await stack.start();
    // one repo per service, as in a real catalog (one git mirror each)
    const repos = new Map(SERVICES.map((sv) => [sv, stack.repo(sv)]));
    for (const r of repos.values()) r.commit('main', { 'README.md': 'bench\n' });
    const health = '{ path: /health, timeout: 1s, retries: 50, interval: 5s }';
    const catalog = SERVICES.map(
      (s) => `    ${s}:\n      repo: ${repos.get(s)!.url}\n      role: micro\n      build: { type: image, image: ${IMAGE}, run: ${JSON.stringify(RUN)} }\n      port: 8080\n      health: ${health}\n      baseline: http://host.docker.internal:9\n`,
    ).join('');
    await stack.writeSpec(
      'platform.yaml',
      `apiVersion: sdp/v1\nkind: Platform\nmetadata: { name: t-core-bench }\nspec:\n  nodes:\n    - { name: ${stack.node}, roles: [micro, gateway], address: 127.0.0.1 }\n  ports: { gateway: ${PORT.sdp}-${PORT.sdp}, services: 26520-26549 }\n  services:\n${catalog}  gateway:\n    role: gateway\n    proxy: { image: ${CADDY} }\n`,
    );
    await stack.writeSpec(
      'sb.yaml',
      `apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: t-core-bench-sb }\nspec:\n  gateway: {}\n  services:\n${SERVICES.map((s) => `    ${s}: { branch: main }`).join('\n')}\n`,
    );
    await stack.waitSandbox('t-core-bench-sb', (s) => s.sync === 'OutOfSync' && s.drift.some((d) => d.resource === 'service/s1'), 'drift');
    const t0 = performance.now();
    const started = await stack.sync('t-core-bench-sb');
    if (!started.job) throw new Error('no job');
    const total = await poller.allRoutesAnswer(PORT.sdp, t0);
    const job = await stack.waitJob(started.job.id);
    if (job.status !== 'succeeded') throw new Error(`sdp sync failed: ${job.error}`);
    const at = Date.parse(job.createdAt);
    const steps = job.steps.map((st) => `${st.id} ${Date.parse(st.startedAt ?? '') - at}-${Date.parse(st.finishedAt ?? '') - at}`);
    return { total, job: Date.parse(job.finishedAt ?? '') - at, steps, spans: agentSpans(job) };
  } finally {
    await stack.stop();
  }
}

export async function run(): Promise<void> {
  execFileSync('docker', ['image', 'inspect', IMAGE, CADDY], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 't-core-bench-'));
  const poller = await Poller.start();
  try {
    const cliMs = await cli(dir, poller);
    let composeMs: number | undefined;
    try {
      composeMs = await compose(dir, poller);
    } catch (err) {
      console.log(`docker compose: skipped (${(err as Error).message})`);
    }
    const s = await sdp(poller);
    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`${N} services + gateway, until every route answers through the gateway (one run each, this engine):`);
    console.log(`  docker CLI in parallel  ${f(cliMs)}  (floor)`);
    if (composeMs !== undefined) console.log(`  docker compose          ${f(composeMs)}  (${(composeMs / cliMs).toFixed(2)}x the floor)`);
    console.log(`  sdp sync                ${f(s.total)}  (${(s.total / cliMs).toFixed(2)}x the floor${composeMs !== undefined ? `, ${(s.total / composeMs).toFixed(2)}x compose` : ''}; job ${f(s.job)})`);
    console.log(`  sdp steps (ms from job start): ${s.steps.join(', ')}`);
    console.log(`  sdp agent spans (ms; services min-max): ${s.spans.join(', ')}`);
    console.log(`  target: sdp <= 1.05x the floor (${s.total <= cliMs * 1.05 ? 'met' : 'MISSED'}) and faster than compose (${composeMs === undefined ? 'n/a' : s.total < composeMs ? 'met' : 'MISSED'})`);
  } finally {
    poller.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
