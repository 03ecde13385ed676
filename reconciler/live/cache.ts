// What really runs, per node: the agents' last full inventory with their incremental events applied.
// Persisted per node (live_inventory) so a restarted reconciler shows the last known state until
// the agents reconnect. Every change calls `onChange` so status is recomputed at once.
import type { AgentEvent, Inventory, LiveContainer, LiveNetwork, LiveRoutes } from '../../schema/protocol.ts';
import type { Store } from '../store/db.ts';
import { liveInventory } from '../store/tables/core.ts';

export interface NodeInventory {
  containers: LiveContainer[];
  networks: LiveNetwork[];
  gateways: LiveRoutes[];
  at: string;
}

export class LiveCache {
  private readonly nodes = new Map<string, NodeInventory>();

  constructor(
    private readonly store: Store,
    private readonly onChange: () => void,
  ) {
    for (const row of store.db.select().from(liveInventory).all()) {
      this.nodes.set(row.node, { containers: row.containers, networks: row.networks, gateways: row.gateways, at: row.at });
    }
  }

  applyInventory(inv: Inventory): void {
    this.set(inv.node, { containers: inv.containers, networks: inv.networks, gateways: inv.gateways, at: inv.at });
  }

  /** An event replaces (or, without `container`, removes) one container and its route table. */
  applyEvent(ev: AgentEvent): void {
    const inv = this.nodes.get(ev.node) ?? { containers: [], networks: [], gateways: [], at: ev.at };
    const containers = inv.containers.filter((c) => c.name !== ev.name);
    if (ev.container) containers.push(ev.container);
    let gateways = inv.gateways;
    if (ev.routes) {
      const r = ev.routes;
      gateways = [...gateways.filter((g) => g.container !== r.container), r];
    } else if (!ev.container) {
      // the container is gone: so is the route table read from it
      gateways = gateways.filter((g) => g.container !== ev.name);
    }
    this.set(ev.node, { containers, networks: inv.networks, gateways, at: ev.at });
  }

  /** Every node's inventory, as last reported. */
  all(): ReadonlyMap<string, NodeInventory> {
    return this.nodes;
  }

  private set(node: string, inv: NodeInventory): void {
    this.nodes.set(node, inv);
    const { containers, networks, gateways, at } = inv;
    this.store.db
      .insert(liveInventory)
      .values({ node, containers, networks, gateways, at })
      .onConflictDoUpdate({ target: liveInventory.node, set: { containers, networks, gateways, at } })
      .run();
    this.onChange();
  }
}
