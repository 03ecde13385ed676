// The full inventory, read from Docker and from each gateway every time it is asked for, with what
// the health monitor knows of each container (its settled health, restarts, usage).
import { LABELS } from '../schema/container.ts';
import type { Inventory } from '../schema/protocol.ts';
import type { DockerHost } from './docker/host.ts';
import type { Gateways } from './gateway/routes.ts';
import type { HealthMonitor } from './health/monitor.ts';

export async function readInventory(node: string, docker: DockerHost, gateways: Gateways, monitor: HealthMonitor): Promise<Inventory> {
  const readSince = Date.now();
  const [infos, networks] = await Promise.all([docker.managedContainers(), docker.networks()]);
  monitor.track(infos, readSince);
  const [containers, routes] = await Promise.all([
    Promise.all(infos.map(async (i) => monitor.annotate(await docker.live(i), i))),
    Promise.all(infos.filter((i) => i.Config.Labels?.[LABELS.kind] === 'gateway').map((i) => gateways.read(i))),
  ]);
  return { type: 'inventory', node, containers, networks, gateways: routes, at: new Date().toISOString() };
}
