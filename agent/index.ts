// The sdp agent: runs on each Docker host, reports what really runs there and executes the
// reconciler's jobs. See ARCHITECTURE.md ("Interfaces") and schema/protocol.ts for the wire contract.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import pino, { type Logger } from 'pino';
import { Name } from '../schema/container.ts';
import { PROTOCOL_VERSION, type AgentMessage, type ServerMessage } from '../schema/protocol.ts';
import { AgentConnection } from './client.ts';
import { DockerHost } from './docker/host.ts';
import { watchEvents, type DockerEvent } from './events.ts';
import { ProxyControl } from './gateway/proxy.ts';
import { Gateways } from './gateway/routes.ts';
import { GitWorkspace } from './git/workspace.ts';
import { readInventory } from './inventory.ts';
import { JobRunner } from './jobs/runner.ts';
import { KeyedLock } from './lock.ts';
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
}

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
  const docker = new DockerHost(opts.dockerSocket);
  await docker.docker.ping().catch((err: Error) => {
    throw new Error(`no Docker engine answers${opts.dockerSocket ? ` on ${opts.dockerSocket}` : ''}: ${err.message}`);
  });
  const git = new GitWorkspace(workDir);
  const proxy = new ProxyControl(join(workDir, 'gateways'));
  // before any job runs: a crash between preparing a gateway and creating it leaves its directory
  const orphans = await proxy.sweep(await docker.managedContainers());
  if (orphans.length) log.info({ removed: orphans.length }, 'removed gateway control directories no container uses');
  const gateways = new Gateways(docker, join(workDir, 'git', 'worktrees'), proxy);

  const send = (msg: AgentMessage) => conn.send(msg);
  const sendInventory = async () => {
    send(await readInventory(opts.name, docker, gateways));
  };
  const runner = new JobRunner({ docker, git, gateways, containers: new KeyedLock() }, { send, inventory: sendInventory });

  const onMessage = (msg: ServerMessage) => {
    switch (msg.type) {
      case 'job':
        log.info({ jobId: msg.job.id, kind: msg.job.kind }, 'job');
        return runner.receive(msg.job);
      case 'ack':
        return runner.ack(msg.jobId);
      case 'inventory-request':
        return void sendInventory().catch((err: Error) => log.error({ err: err.message }, 'inventory failed'));
    }
  };
  const onOpen = () => {
    send({ type: 'hello', node: opts.name, roles: opts.roles, address: opts.address, version: AGENT_VERSION, protocol: PROTOCOL_VERSION });
    void sendInventory()
      .catch((err: Error) => log.error({ err: err.message }, 'inventory failed'))
      .finally(() => runner.pendingResults().forEach(send));
  };
  const conn: AgentConnection = new AgentConnection({ url: opts.server, token: opts.token, log, onOpen, onMessage });

  // one event at a time, so a 'die' is never reported after the 'destroy' that followed it
  let queue = Promise.resolve();
  const onEvent = (e: DockerEvent) => {
    queue = queue.then(async () => {
      if (!conn.connected) return; // the inventory sent on reconnect covers what was missed
      const info = e.action === 'destroy' ? undefined : await docker.inspect(e.id);
      const msg: AgentMessage = { type: 'event', node: opts.name, action: e.action, name: info ? info.Name.replace(/^\//, '') : e.name, at: new Date().toISOString() };
      if (info) msg.container = await docker.live(info);
      send(msg);
    }).catch((err: Error) => log.warn({ err: err.message }, 'event not reported'));
  };
  const events = watchEvents(docker, onEvent, (err) => log.warn({ err: err.message }, 'docker event stream failed; retrying'));

  conn.start();
  return {
    async stop() {
      events.stop();
      await runner.idle(30_000);
      await conn.stop();
    },
  };
}
