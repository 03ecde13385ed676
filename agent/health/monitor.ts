// Continuous health after a deploy: every running container sdp made is probed from the agent the
// way the deploy-time check does (agent/docker/health.ts, to its IP on its sandbox network), its
// restarts are counted from Docker's events, and its CPU and memory sampled at a low rate. What the
// monitor knows is folded into the LiveContainer the agent reports (`annotate`); a change of a
// container's settled health is reported at once as an event (`onChange`).
//
// Bounded: at most PROBE_CONCURRENCY probes at a time, never two for one container (the next is
// scheduled when one ends), each with its timeout; usage is read a few containers at a time with
// Docker's one-shot stats (no stats stream kept open). Nothing here listens: a sandbox container can
// only answer the probe sent to it, and only its status code (or silence) is kept.
import type Docker from 'dockerode';
import { INITIAL_PROBE_STATE, nextProbeState, probeCheck, probeTiming, type ProbeState, type ProbeTiming } from './probe-state.ts';
import { LABELS, ProbeLabel } from '../../schema/container.ts';
import type { LiveContainer, Usage } from '../../schema/protocol.ts';
import type { DockerEvent } from '../events.ts';
import { httpProbe, tcpProbe } from '../docker/health.ts';
import type { DockerHost } from '../docker/host.ts';
import { containerIp } from '../docker/live.ts';
import { jsonLabel } from '../docker/spec.ts';

const PROBE_CONCURRENCY = 4;
/** The pause between usage passes (each pass samples every watched container once). */
export const USAGE_INTERVAL_MS = 15_000;
const STATS_TIMEOUT_MS = 5_000;
const STATS_CONCURRENCY = 8;
/** A deploy's temporary container (deploy.ts checks it itself); the monitor starts once it took its name. */
const TEMPORARY = /\.next$/;

interface Target {
  id: string;
  name: string;
  /** the health path; undefined: a TCP connect to the port */
  path: string | undefined;
  ip: string;
  port: number;
  check: string;
  timing: ProbeTiming;
  state: ProbeState;
  timer: NodeJS.Timeout | undefined;
  probing: boolean;
  gone: boolean;
  /** it started again while watched (a restart, a resume): 'starting' until its first settled probe */
  restarted: boolean;
  usage: Usage | undefined;
  /** the previous stats sample, for CPU use between two samples */
  cpuSample: { container: number; system: number } | undefined;
}

export interface MonitorOptions {
  docker: DockerHost;
  /** a container's settled health changed: report it (by id) */
  onChange: (id: string) => void;
  onError: (what: string, err: Error) => void;
  usageIntervalMs?: number;
}

export class HealthMonitor {
  private readonly targets = new Map<string, Target>();
  /** container id -> `docker restart`s seen (Docker's RestartCount counts only restart-policy restarts) */
  private readonly restarts = new Map<string, number>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private usageTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: MonitorOptions) {
    this.scheduleUsage(1_000);
  }

  /** The managed containers as just read (inventory): watch the running ones, forget the rest. */
  track(infos: readonly Docker.ContainerInspectInfo[]): void {
    const seen = new Set<string>();
    for (const info of infos) if (this.watch(info)) seen.add(info.Id);
    for (const id of [...this.targets.keys()]) if (!seen.has(id)) this.forget(id);
    // the counts of containers removed while no event reached us
    const exists = new Set(infos.map((i) => i.Id));
    for (const id of [...this.restarts.keys()]) if (!exists.has(id)) this.restarts.delete(id);
  }

  /** A Docker event, before it is reported: counts restarts, watches what started, forgets what stopped. */
  observe(e: DockerEvent, info: Docker.ContainerInspectInfo | undefined): void {
    if (e.action === 'restart') this.restarts.set(e.id, (this.restarts.get(e.id) ?? 0) + 1);
    if (e.action === 'destroy') this.restarts.delete(e.id);
    if (!info || !info.State.Running) this.forget(e.id);
    else if (!this.watch(info, e.action === 'start' || e.action === 'restart')) this.forget(info.Id);
  }

  /** The live container with what the monitor knows of it: settled health, restarts, usage. */
  annotate(live: LiveContainer, info: Docker.ContainerInspectInfo): LiveContainer {
    const out: LiveContainer = { ...live, restarts: (info.RestartCount ?? 0) + (this.restarts.get(info.Id) ?? 0) };
    const t = this.targets.get(info.Id);
    if (t && live.state === 'running') {
      if (t.state.report) {
        out.probe = t.state.report;
        out.health = t.state.report.status;
      } else if (t.restarted) {
        // a deploy's container passed its check before taking its name; one that came back has not yet
        out.health = 'starting';
      }
      if (t.usage) out.usage = t.usage;
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.usageTimer);
    for (const id of [...this.targets.keys()]) this.forget(id);
  }

  /** True when the container is (now) watched. */
  private watch(info: Docker.ContainerInspectInfo, started = false): boolean {
    const name = info.Name.replace(/^\//, '');
    if (this.stopped || !info.State.Running || TEMPORARY.test(name)) return false;
    const label = jsonLabel(info.Config.Labels, LABELS.probe, ProbeLabel);
    const ip = label && containerIp(info, label.network);
    if (!label || !ip) return false;
    const existing = this.targets.get(info.Id);
    if (existing) {
      existing.name = name;
      existing.ip = ip;
      if (started && !existing.state.report) existing.restarted = true;
      return true;
    }
    const path = label.health ? (label.health.path.startsWith('/') ? label.health.path : `/${label.health.path}`) : undefined;
    const t: Target = {
      id: info.Id,
      name,
      ip,
      port: label.port,
      path,
      check: probeCheck(label.port, label.health),
      timing: probeTiming(label.health),
      state: INITIAL_PROBE_STATE,
      timer: undefined,
      probing: false,
      gone: false,
      restarted: started,
      usage: undefined,
      cpuSample: undefined,
    };
    this.targets.set(info.Id, t);
    this.schedule(t, 0);
    return true;
  }

  private forget(id: string): void {
    const t = this.targets.get(id);
    if (!t) return;
    t.gone = true;
    clearTimeout(t.timer);
    this.targets.delete(id);
  }

  private schedule(t: Target, delayMs: number): void {
    clearTimeout(t.timer);
    t.timer = setTimeout(() => void this.probe(t), delayMs);
    t.timer.unref();
  }

  private async probe(t: Target): Promise<void> {
    if (t.gone || t.probing) return;
    t.probing = true;
    await this.slot();
    try {
      if (t.gone) return;
      const outcome =
        t.path === undefined
          ? await tcpProbe(t.ip, t.port, t.timing.timeoutMs)
          : await httpProbe(`http://${t.ip}:${t.port}${t.path}`, t.timing.timeoutMs);
      if (t.gone) return;
      const step = nextProbeState(t.state, outcome, t.check, new Date().toISOString(), t.timing);
      t.state = step.state;
      if (step.changed) this.o.onChange(t.id);
      this.schedule(t, step.delayMs);
    } finally {
      t.probing = false;
      this.release();
    }
  }

  private slot(): Promise<void> {
    if (this.active < PROBE_CONCURRENCY) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private scheduleUsage(delayMs: number): void {
    if (this.stopped) return;
    this.usageTimer = setTimeout(() => void this.sampleUsage().finally(() => this.scheduleUsage(this.o.usageIntervalMs ?? USAGE_INTERVAL_MS)), delayMs);
    this.usageTimer.unref();
  }

  /**
   * One pass: each watched container's one-shot stats, STATS_CONCURRENCY at a time. Docker answers a
   * one-shot request at its stats collector's next tick (about a second), and one tick answers every
   * request waiting for it: a few at a time cost that second once, not once each.
   */
  private async sampleUsage(): Promise<void> {
    const queue = [...this.targets.values()];
    const worker = async () => {
      for (let t = queue.shift(); t && !this.stopped; t = queue.shift()) if (!t.gone) await this.sample(t);
    };
    await Promise.all(Array.from({ length: STATS_CONCURRENCY }, worker));
  }

  private async sample(t: Target): Promise<void> {
    try {
      // dockerode passes abortSignal on to the request (its typings leave it out)
      const options = { stream: false as const, 'one-shot': true, abortSignal: AbortSignal.timeout(STATS_TIMEOUT_MS) };
      const stats = await this.o.docker.docker.getContainer(t.id).stats(options);
      const sampled = usageOf(stats, t.cpuSample);
      t.cpuSample = sampled.sample;
      // figures as they were keep their time: an idle container's inventory stays the same, so it is not sent again
      if (t.usage?.cpu !== sampled.usage.cpu || t.usage?.memoryBytes !== sampled.usage.memoryBytes) t.usage = sampled.usage;
    } catch (err) {
      if (!t.gone) this.o.onError(`stats of ${t.name}`, err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/**
 * Memory in use (without the page cache, as `docker stats` shows it; three significant digits) and
 * CPU in cores between this sample and the previous one (one-shot stats carry no previous sample of
 * their own; to 0.01 core). Rounded so that noise is not a change worth reporting.
 */
export function usageOf(
  stats: Docker.ContainerStats,
  prev: { container: number; system: number } | undefined,
): { usage: Usage; sample: { container: number; system: number } | undefined } {
  const mem = stats.memory_stats ?? ({} as Docker.ContainerStats['memory_stats']);
  const s = (mem.stats ?? {}) as Record<string, number | undefined>;
  const cache = s['inactive_file'] ?? s['total_inactive_file'] ?? 0;
  const usage: Usage = { memoryBytes: threeDigits(Math.max(0, (mem.usage ?? 0) - cache)), at: new Date(stats.read || Date.now()).toISOString() };
  const container = stats.cpu_stats?.cpu_usage?.total_usage;
  const system = stats.cpu_stats?.system_cpu_usage;
  if (typeof container !== 'number' || typeof system !== 'number') return { usage, sample: undefined };
  const cpus = stats.cpu_stats.online_cpus || stats.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  if (prev && system > prev.system && container >= prev.container) {
    usage.cpu = Math.round(((container - prev.container) / (system - prev.system)) * cpus * 100) / 100;
  }
  return { usage, sample: { container, system } };
}

function threeDigits(n: number): number {
  return n < 1000 ? Math.round(n) : Number(n.toPrecision(3));
}
