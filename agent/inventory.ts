// The full inventory, read from Docker and from each gateway every time it is asked for, with what
// the health monitor knows of each container (its settled health, restarts, usage).
import { LABELS } from '../schema/container.ts';
import type { Inventory, Job } from '../schema/protocol.ts';
import type { DockerHost } from './docker/host.ts';
import type { Gateways } from './gateway/routes.ts';
import type { HealthMonitor } from './health/monitor.ts';
import { nextName } from './jobs/deploy.ts';

export async function readInventory(node: string, docker: DockerHost, gateways: Gateways, monitor: HealthMonitor): Promise<Inventory> {
  const [infos, networks] = await Promise.all([docker.managedContainers(), docker.networks()]);
  monitor.track(infos);
  const [containers, routes] = await Promise.all([
    Promise.all(infos.map(async (i) => monitor.annotate(await docker.live(i), i))),
    Promise.all(infos.filter((i) => i.Config.Labels?.[LABELS.kind] === 'gateway').map((i) => gateways.read(i))),
  ]);
  return { type: 'inventory', node, containers, networks, gateways: routes, at: new Date().toISOString() };
}

/**
 * Inventory reads, coalesced. Whoever asks gets a read that started after it asked (so it sees what
 * the asker just changed); everyone who asks while a read runs shares the one read after it. Ten
 * deploys finishing together cost two reads, not ten (each inspects every managed container).
 * `send(force)`: read, and send unless unchanged and no asker forced it.
 */
export class InventoryReads {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private queuedForce = false;

  constructor(private readonly send: (force: boolean) => Promise<void>) {}

  request(force = true): Promise<void> {
    if (this.queued) {
      this.queuedForce ||= force;
      return this.queued;
    }
    if (!this.running) return this.start(force);
    this.queuedForce = force;
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start(this.queuedForce);
      });
    return this.queued;
  }

  private start(force: boolean): Promise<void> {
    const p: Promise<void> = this.send(force).finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }
}

/**
 * What a job changed, as the server must see it before the job's result: the containers it touched
 * (their names, the temporary `.next` one of a deploy included), or `all` when it changed networks,
 * which only a full inventory carries. Nothing for jobs that change nothing.
 */
export function jobChanges(job: Job): { containers: string[] } | 'all' | undefined {
  switch (job.kind) {
    case 'resolve':
    case 'list-branches':
      return undefined;
    case 'ensure-network':
      return 'all';
    case 'deploy':
      return { containers: [job.container.name, nextName(job.container.name)] };
    case 'apply-routes':
      return { containers: [job.container] };
    case 'stop':
    case 'start':
      return { containers: job.containers };
    case 'remove':
      return job.all ? 'all' : { containers: job.containers.flatMap((n) => [n, nextName(n)]) };
  }
}
