// sdp vs docker compose vs the docker CLI on this engine: 10 HTTP services + a Caddy gateway routing
// /<service>/* to them, timed from the start until every route answers through the gateway. Same
// images (sdp/busybox:local httpd, caddy:2), same routes; one poller, in a process of its own, times
// all three (the sdp stack runs in this process). sdp's clock starts at the Sync request of a new
// sandbox, with its branches resolved (so its git mirrors hold the commits, as after any resolve);
// each service still gets its own worktree. ROUNDS rounds (SDP_BENCH_ROUNDS), the order of the three
// turned each round, each started once the machine is quiet again (Docker tears networks down in the
// background); the medians are compared. Target: sdp <= 1.05x the CLI, < compose.
// SDP_BENCH_PROFILE=DIR keeps a CPU profile of the sdp process during its last sync.
// Uses Docker; prefix t-core-bench-, host ports 26500-26599; removes what it creates.
import { execFile, execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
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
const ROUNDS = Number(process.env['SDP_BENCH_ROUNDS'] ?? 3);
/** Quiet: at most this share of the machine's CPU busy over QUIET_WINDOW_MS; waited for at most QUIET_WAIT_MS. */
const QUIET_SHARE = 0.15;
const QUIET_WINDOW_MS = 500;
const QUIET_WAIT_MS = 15_000;

/** Waits until the machine's CPU is quiet (see QUIET_SHARE); false when it never was within QUIET_WAIT_MS. */
async function quiet(): Promise<boolean> {
  const cores = (readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm) ?? []).length || 1;
  const deadline = performance.now() + QUIET_WAIT_MS;
  while (performance.now() < deadline) {
    const a = cpuNow().machine;
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    if (cpuNow().machine - a <= QUIET_SHARE * cores * QUIET_WINDOW_MS) return true;
  }
  return false;
}

/** CPU time spent on this machine so far, all processes (/proc/stat, ms), and by this process. */
function cpuNow(): { machine: number; self: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal, in USER_HZ (100 a second): busy is all but idle and iowait
  const busy = fields.reduce((a, b) => a + b, 0) - (fields[3] ?? 0) - (fields[4] ?? 0);
  const u = process.cpuUsage();
  return { machine: busy * 10, self: (u.user + u.system) / 1000 };
}

/**
 * CPU ms by command name of every process now, children that ended counted in their parent (a git
 * run by the agent's helper shows as that helper's).
 */
function cpuByCommand(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime stime cutime cstime (fields 14-17 of proc(5)), in USER_HZ
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    out.set(comm, (out.get(comm) ?? 0) + ticks * 10);
  }
  return out;
}

/** A contender's result, and the CPU (ms) spent meanwhile: machine-wide, in this process (where the sdp stack runs), the largest by command. */
type Timed<T = number> = { value: T; machine: number; self: number; top: string[] };

async function cpuOf<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const [a, byA] = [cpuNow(), cpuByCommand()];
  const value = await f();
  const [b, byB] = [cpuNow(), cpuByCommand()];
  const top = [...byB]
    .map(([k, v]) => [k, v - (byA.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 50)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v}`);
  return { value, machine: b.machine - a.machine, self: b.self - a.self, top };
}

/**
 * With SDP_BENCH_PROFILE=DIR, a V8 CPU profile of this process (reconciler and agent) while `f` runs,
 * written to DIR/versus-sdp.cpuprofile (open it in Chrome's DevTools).
 */
async function profiled<T>(f: () => Promise<T>): Promise<T> {
  const dir = process.env['SDP_BENCH_PROFILE'];
  if (!dir) return f();
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await f();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'versus-sdp.cpuprofile'), JSON.stringify(profile));
    session.disconnect();
  }
}

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

  /** Starts polling now (once one of the `gateway` containers runs); resolves with the time from `t0` until every route answered 200. */
  allRoutesAnswer(port: number, gateway: string[], t0: number, budgetMs = 60_000): Promise<number> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (m: { ok: boolean; error?: string }) => (m.ok ? resolve(performance.now() - t0) : reject(new Error(m.error))));
      this.child.send({ port, services: SERVICES, gateway, budgetMs });
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

async function compose(dir: string, poller: Poller): Promise<Timed> {
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
    return await cpuOf(async () => {
      const t0 = performance.now();
      await exec(bin, [...pre, ...project, 'up', '-d', '--quiet-pull']);
      // docker compose v2 names it <project>-gateway-1, docker-compose v1 <project>_gateway_1
      return poller.allRoutesAnswer(PORT.compose, ['t-core-bench-compose-gateway-1', 't-core-bench-compose_gateway_1'], t0);
    });
  } finally {
    spawnSync(bin, [...pre, ...project, 'down', '-t', '1', '--remove-orphans'], { stdio: 'ignore' });
  }
}

async function cli(dir: string, poller: Poller): Promise<Timed> {
  const net = 't-core-bench-cli';
  writeFileSync(join(dir, 'caddy.json'), caddyConfig());
  const names = [...SERVICES.map((s) => `${net}-${s}`), `${net}-gateway`];
  try {
    return await cpuOf(async () => {
      const t0 = performance.now();
      await exec('docker', ['network', 'create', net]);
      await Promise.all([
        ...SERVICES.map((s) => exec('docker', ['run', '-d', '--name', `${net}-${s}`, '--network', net, '--network-alias', s, IMAGE, ...RUN])),
        exec('docker', ['run', '-d', '--name', `${net}-gateway`, '--network', net, '-p', `127.0.0.1:${PORT.cli}:80`, '-v', `${join(dir, 'caddy.json')}:/etc/caddy/caddy.json:ro`, CADDY, 'caddy', 'run', '--config', '/etc/caddy/caddy.json']),
      ]);
      return poller.allRoutesAnswer(PORT.cli, [`${net}-gateway`], t0);
    });
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

/** The sdp contender: one stack for every round, a new sandbox each round, deleted (sync --prune) after it. */
class Sdp {
  private round = 0;

  private constructor(private readonly stack: Stack) {}

  static async start(): Promise<Sdp> {
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
      return new Sdp(stack);
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  /** One sync of a new sandbox until every route answers; then the sandbox is deleted again. */
  /** `last`: the bench's last round (profiled with SDP_BENCH_PROFILE). */
  async run(poller: Poller, last: boolean): Promise<Timed & { job: number; steps: string[]; spans: string[] }> {
    const { stack } = this;
    const name = `t-core-bench-r${++this.round}`;
    const file = `${name}.yaml`;
    await stack.writeSpec(file, `apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: ${name} }\nspec:\n  gateway: {}\n  services:\n${SERVICES.map((s) => `    ${s}: { branch: main }`).join('\n')}\n`);
    await stack.waitSandbox(name, (s) => s.sync === 'OutOfSync' && s.drift.some((d) => d.resource === 'service/s1'), 'drift');
    // the resolve fetched the branches' commits into the mirrors in the background: let that finish
    await quiet();
    const sync = () =>
      cpuOf(async () => {
        const t0 = performance.now();
        const started = await stack.sync(name);
        if (!started.job) throw new Error('no job');
        // the gateway runs as <name>.next until its deploy's switch
        const gateway = `sandbox-${name}-gateway`;
        return { id: started.job.id, ms: await poller.allRoutesAnswer(PORT.sdp, [gateway, `${gateway}.next`], t0) };
      });
    const timed = last ? await profiled(sync) : await sync();
    const job = await stack.waitJob(timed.value.id);
    if (job.status !== 'succeeded') throw new Error(`sdp sync failed: ${job.error}`);
    const at = Date.parse(job.createdAt);
    const steps = job.steps.map((st) => `${st.id} ${Date.parse(st.startedAt ?? '') - at}-${Date.parse(st.finishedAt ?? '') - at}`);
    await this.remove(name, file);
    return { ...timed, value: timed.value.ms, job: Date.parse(job.finishedAt ?? '') - at, steps, spans: agentSpans(job) };
  }

  private async remove(name: string, file: string): Promise<void> {
    await this.stack.removeSpec(file);
    await this.stack.waitSandbox(name, (s) => s.drift.length > 0 && s.drift.every((d) => d.change === 'extra'), 'its spec gone (an orphan)');
    const done = await this.stack.syncAndWait(name, { prune: true });
    if (done.status !== 'succeeded') throw new Error(`removing ${name}: ${done.error}`);
  }

  stop(): Promise<void> {
    return this.stack.stop();
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  execFileSync('docker', ['image', 'inspect', IMAGE, CADDY], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 't-core-bench-'));
  const poller = await Poller.start();
  const haveCompose = composeCommand() !== undefined;
  if (!haveCompose) console.log('docker compose: skipped (no docker compose plugin or docker-compose: apt-get install docker-compose)');
  const sdpStack = await Sdp.start();
  try {
    const runs: { cli: Timed[]; compose: Timed[]; sdp: Awaited<ReturnType<Sdp['run']>>[] } = { cli: [], compose: [], sdp: [] };
    const contenders = [
      async () => void runs.cli.push(await cli(dir, poller)),
      async () => void (haveCompose && runs.compose.push(await compose(dir, poller))),
      async (last: boolean) => void runs.sdp.push(await sdpStack.run(poller, last)),
    ];
    let noisy = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < contenders.length; i++) {
        if (!(await quiet())) noisy++;
        await contenders[(i + r) % contenders.length]!(r === ROUNDS - 1);
      }
    }
    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const each = (xs: readonly Timed[]) => xs.map((x) => f(x.value)).join(', ');
    const cpu = (c: Timed, own: boolean) => `CPU ${f(c.machine)} on the machine${own ? `, ${f(c.self)} of it in the sdp process` : ''}; ms by command: ${c.top.join(', ')}`;
    const cliMs = median(runs.cli.map((x) => x.value));
    const composeMs = runs.compose.length ? median(runs.compose.map((x) => x.value)) : undefined;
    const sdpMs = median(runs.sdp.map((x) => x.value));
    const mid = runs.sdp.find((x) => x.value === sdpMs)!;
    console.log(`${N} services + gateway, until every route answers through the gateway (median of ${ROUNDS} rounds, order turned each round, this engine):`);
    console.log(`  docker CLI in parallel  ${f(cliMs)}  (floor; rounds ${each(runs.cli)})`);
    if (composeMs !== undefined) console.log(`  docker compose          ${f(composeMs)}  (${(composeMs / cliMs).toFixed(2)}x the floor; rounds ${each(runs.compose)})`);
    console.log(`  sdp sync                ${f(sdpMs)}  (${(sdpMs / cliMs).toFixed(2)}x the floor${composeMs !== undefined ? `, ${(sdpMs / composeMs).toFixed(2)}x compose` : ''}; rounds ${each(runs.sdp)}; job ${f(mid.job)})`);
    if (noisy) console.log(`  (${noisy} of ${ROUNDS * contenders.length} runs started on a machine still busy after ${QUIET_WAIT_MS / 1000} s)`);
    console.log(`  last round, while each ran: docker CLI ${cpu(runs.cli.at(-1)!, false)}`);
    if (runs.compose.length) console.log(`                  compose ${cpu(runs.compose.at(-1)!, false)}`);
    console.log(`                  sdp ${cpu(runs.sdp.at(-1)!, true)}`);
    console.log(`  sdp steps of the median run (ms from job start): ${mid.steps.join(', ')}`);
    console.log(`  sdp agent spans of the median run (ms; services min-max): ${mid.spans.join(', ')}`);
    console.log(`  target: sdp <= 1.05x the floor (${sdpMs <= cliMs * 1.05 ? 'met' : 'MISSED'}) and faster than compose (${composeMs === undefined ? 'n/a' : sdpMs < composeMs ? 'met' : 'MISSED'})`);
  } finally {
    poller.stop();
    await sdpStack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
