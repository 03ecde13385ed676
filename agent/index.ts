// The sdp agent: runs on each Docker host, reports what really runs there and executes the
// reconciler's jobs. See ARCHITECTURE.md ("Interfaces") and schema/protocol.ts for the wire contract.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import pino, { type Logger } from 'pino';
import { LABELS, Name } from '../schema/container.ts';
import type Docker from 'dockerode';
import { PROTOCOL_VERSION, type AgentMessage, type Job, type ServerMessage } from '../schema/protocol.ts';
import { DEFAULT_AGENT_RETENTION, Retention, type AgentRetention } from './build/retention.ts';
import { AgentConnection } from './client.ts';
import { DockerHost } from './docker/host.ts';
import { watchEvents, type DockerEvent } from './events.ts';
import { ProxyControl } from './gateway/proxy.ts';
import { Gateways } from './gateway/routes.ts';
import { GitWorkspace } from './git/workspace.ts';
import { HealthMonitor } from './health/monitor.ts';
import { InventoryReads, jobChanges, readInventory } from './inventory.ts';
import { recoverInterruptedDeploys } from './jobs/deploy.ts';
import { JobRunner } from './jobs/runner.ts';
import { KeyedLock } from './lock.ts';
import { LogStreams } from './log-streams.ts';
import { REDACTED } from '../schema/names.ts';

export interface AgentOptions {
  /** ws://host:port/ws/agent */
  server: string;
  name: string;
  token: string;
  roles: string[];
  address: string;
  workDir: string;
  dockerSocket?: string;
  logger?: Logger;
  /** what is kept on disk; default DEFAULT_AGENT_RETENTION, keepImages also from env SDP_KEEP_IMAGES */
  retention?: Partial<AgentRetention>;
  /** How often the inventory is re-read for what no Docker event announces; default 5 s. */
  rescanIntervalMs?: number;
  /** The pause between two passes sampling each container's CPU and memory; default 15 s. */
  usageIntervalMs?: number;
}

const RESCAN_INTERVAL_MS = 5000;
/** A full inventory read follows the last job's report by this long, once no job runs. */
const SETTLE_MS = 200;

export interface Agent {
  stop(): Promise<void>;
}

export const AGENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  if (!Value.Check(Name, opts.name)) throw new Error(`agent name ${JSON.stringify(opts.name)} must be an RFC 1123 label (lowercase letters, digits, '-')`);
  if (!/^wss?:\/\//.test(opts.server)) throw new Error(`agent server ${JSON.stringify(opts.server)} must be a ws:// or wss:// URL`);
  // Credentials are never passed to the logger; the redaction is a second line of defence.
  const log =
    opts.logger ??
    pino(
      {
        name: 'sdp-agent',
        level: process.env.SDP_LOG_LEVEL ?? 'info',
        redact: { paths: ['*.password', '*.token', '*.secretValues', '*.credentials', 'authorization'], censor: REDACTED },
      },
      pino.destination(2),
    );
  const workDir = resolve(opts.workDir);
  await mkdir(workDir, { recursive: true });
  const docker = new DockerHost(opts.dockerSocket, await agentId(workDir));
  await docker.docker.ping().catch((err: Error) => {
    throw new Error(`no Docker engine answers${opts.dockerSocket ? ` on ${opts.dockerSocket}` : ''}: ${err.message}`);
  });
  const git = new GitWorkspace(workDir);
  const proxy = new ProxyControl(join(workDir, 'gateways'));
  // before any job runs: what deploys a crash interrupted left behind
  const interrupted = await recoverInterruptedDeploys({ docker, proxy, git });
  if (interrupted.length) log.info({ removed: interrupted }, 'removed what interrupted deploys left behind');
  const gateways = new Gateways(docker, join(workDir, 'git', 'worktrees'), proxy);

  const send = (msg: AgentMessage) => conn.send(msg);
  const monitor = new HealthMonitor({
    docker,
    // a settled health change goes out as an event of that container, in line with Docker's own
    onChange: (id) => report({ action: 'probe', id, name: id }),
    onError: (what, err) => log.debug({ err: err.message }, `${what} not sampled`),
    ...(opts.usageIntervalMs ? { usageIntervalMs: opts.usageIntervalMs } : {}),
  });
  // What no Docker event announces (a route changed through a gateway's admin socket, say) is found
  // by re-reading the inventory on an interval; a re-read is sent only when something changed.
  let lastSent = '';
  const inventories = new InventoryReads(async (force) => {
    const inventory = await readInventory(opts.name, docker, gateways, monitor);
    const content = JSON.stringify({ ...inventory, at: '' });
    if (!force && content === lastSent) return;
    lastSent = content;
    send(inventory);
  });
  const sendInventory = (onlyIfChanged = false) => inventories.request(!onlyIfChanged);
  // after an event the server's view is no longer the last inventory sent (events can arrive out
  // of order with reads): the next re-read is sent even if it equals that one
  const sendEvent = (msg: AgentMessage) => {
    lastSent = '';
    send(msg);
  };
  /** One container as Docker has it now (gone: no `container`), as an event; a gateway's with its routes. */
  const containerEvent = async (action: string, name: string, info: Docker.ContainerInspectInfo | undefined, withRoutes = false): Promise<AgentMessage> => {
    const msg: AgentMessage = { type: 'event', node: opts.name, action, name: info ? info.Name.replace(/^\//, '') : name, at: new Date().toISOString() };
    if (info) msg.container = monitor.annotate(await docker.live(info), info);
    if (info && withRoutes && info.Config.Labels?.[LABELS.kind] === 'gateway') msg.routes = await gateways.read(info);
    return msg;
  };
  // Before a job's result: the containers it touched, read again one by one. Not a full inventory,
  // which inspects every managed container: Docker holds a container's lock while it starts, so
  // during a burst of deploys a full read waits for every other deploy's start.
  const reportJob = async (job: Job) => {
    const changes = jobChanges(job);
    if (changes === undefined) return;
    if (changes === 'all') return sendInventory();
    const infos = await Promise.all(changes.containers.map((name) => docker.inspect(name)));
    const msgs = await Promise.all(
      changes.containers.map((name, i) => {
        const info = infos[i];
        return info && info.Config.Labels?.[LABELS.managed] !== 'true' ? undefined : containerEvent('job', name, info, true);
      }),
    );
    for (const msg of msgs) if (msg) sendEvent(msg);
    settleRead();
  };
  // and a full read once the jobs are done (one for a burst of deploys, not one per job: each inspects
  // every managed container while Docker is busy starting the others), so that what Docker's events
  // still have on their way cannot leave the server's view behind for long
  let settleTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const settleRead = () => {
    clearTimeout(settleTimer);
    if (stopped) return;
    settleTimer = setTimeout(() => {
      if (runner.busy) return settleRead();
      void sendInventory().catch((err: Error) => log.warn({ err: err.message }, 'inventory after jobs failed'));
    }, SETTLE_MS);
    settleTimer.unref();
  };
  const retention: Retention = new Retention(
    { docker, git, workDir, busy: () => runner.busy, log, onDisk: (disk) => send({ type: 'disk', node: opts.name, disk }) },
    { ...DEFAULT_AGENT_RETENTION, ...keepImagesFromEnv(process.env), ...opts.retention },
  );
  const runner = new JobRunner(
    { docker, git, gateways, containers: new KeyedLock() },
    {
      send,
      report: reportJob,
      before: () => retention.idle(),
      succeeded: (job, result) => {
        if (job.kind === 'deploy' && result.image) retention.recordDeploy(job.container.sandbox, job.container.service, result.image);
        if (job.kind === 'deploy' || job.kind === 'remove') retention.schedule();
      },
    },
  );
  const logStreams = new LogStreams({ docker, send, log });
  let rescanning = false;
  const rescan = setInterval(() => {
    // not while a job runs: it reports what it changes itself, and a read begun mid-job would be
    // sent after it as if it were news
    if (rescanning || !conn.connected || runner.busy) return;
    rescanning = true;
    void sendInventory(true)
      .catch((err: Error) => log.warn({ err: err.message }, 'inventory re-read failed'))
      .finally(() => (rescanning = false));
  }, opts.rescanIntervalMs ?? RESCAN_INTERVAL_MS);

  const onMessage = (msg: ServerMessage) => {
    switch (msg.type) {
      case 'job':
        log.info({ jobId: msg.job.id, kind: msg.job.kind }, 'job');
        return runner.receive(msg.job);
      case 'ack':
        return runner.ack(msg.jobId);
      case 'inventory-request':
        return void sendInventory().catch((err: Error) => log.error({ err: err.message }, 'inventory failed'));
      case 'logs-open':
        return logStreams.start(msg);
      case 'logs-cancel':
        return logStreams.cancel(msg.stream);
    }
  };
  const onOpen = () => {
    send({ type: 'hello', node: opts.name, roles: opts.roles, address: opts.address, version: AGENT_VERSION, protocol: PROTOCOL_VERSION });
    void sendInventory()
      .catch((err: Error) => log.error({ err: err.message }, 'inventory failed'))
      .finally(() => runner.pendingResults().forEach(send));
    void retention.reportDisk().catch((err: Error) => log.warn({ err: err.message }, 'disk use not reported'));
  };
  // a stream's reader is on the other end of this connection: with it gone, nobody reads
  const conn: AgentConnection = new AgentConnection({ url: opts.server, token: opts.token, log, onOpen, onMessage, onClose: () => logStreams.cancelAll() });

  // One event at a time, so a 'die' is never reported after the 'destroy' that followed it. The events
  // of one container that wait in line together are read once, and reported as one (a deploy's
  // create, connect and start come within milliseconds, while the line waits on an inspect that
  // Docker holds until a start finishes).
  let queue = Promise.resolve();
  const waiting = new Map<string, DockerEvent[]>();
  const report = (first: DockerEvent) => {
    const queued = waiting.get(first.id);
    if (queued) return void queued.push(first);
    const batch = [first];
    waiting.set(first.id, batch);
    queue = queue.then(async () => {
      waiting.delete(first.id);
      // a probe event names the container by id: report under the name a Docker event gave
      const e = [...batch].reverse().find((b) => b.action !== 'probe') ?? first;
      const info = batch.some((b) => b.action === 'destroy') ? undefined : await docker.inspect(e.id);
      // a network event names any container on an sdp network: only sdp's own are reported
      if (batch.every((b) => b.action.startsWith('network-')) && info?.Config.Labels?.[LABELS.managed] !== 'true') return;
      if (batch.every((b) => b.action === 'probe') && !info) return; // gone since: its destroy event says so
      for (const b of batch) if (b.action !== 'probe') monitor.observe(b, info);
      if (!conn.connected) return; // the inventory sent on reconnect covers what was missed
      // Live state is kept by name, and an event of a container now gone (its destroy, or a die
      // read after it) comes late: the name may belong to another container by then (a deploy's
      // new one took it). Report what holds the name now.
      const holder = info ?? (await docker.inspect(e.name));
      sendEvent(await containerEvent(e.action, e.name, holder?.Config.Labels?.[LABELS.managed] === 'true' ? holder : undefined));
    }).catch((err: Error) => log.warn({ err: err.message }, 'event not reported'));
  };
  const events = watchEvents(docker, report, (err) => log.warn({ err: err.message }, 'docker event stream failed; retrying'));

  conn.start();
  return {
    async stop() {
      events.stop();
      monitor.stop();
      clearInterval(rescan);
      logStreams.cancelAll();
      stopped = true;
      clearTimeout(settleTimer);
      await runner.idle(30_000);
      await git.idle(10_000);
      await retention.stop();
      await conn.stop();
    },
  };
}

function keepImagesFromEnv(env: NodeJS.ProcessEnv): Partial<AgentRetention> {
  const raw = env['SDP_KEEP_IMAGES'];
  if (raw === undefined || raw === '') return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`SDP_KEEP_IMAGES=${JSON.stringify(raw)}: must be a whole number (default ${DEFAULT_AGENT_RETENTION.keepImages})`);
  return { keepImages: n };
}

/** This agent's id (LABELS.agent), made on its first start and kept in its work directory. */
async function agentId(workDir: string): Promise<string> {
  const file = join(workDir, 'agent-id');
  const kept = await readFile(file, 'utf8').catch(() => '');
  if (/^[0-9a-f]{16}$/.test(kept.trim())) return kept.trim();
  const id = randomBytes(8).toString('hex');
  await writeFile(file, id, { mode: 0o600 });
  return id;
}
