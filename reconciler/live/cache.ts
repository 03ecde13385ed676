// What really runs, per node: the agents' last full inventory with their incremental events applied.
// Persisted per node (live_inventory) so a restarted reconciler shows the last known state until
// the agents reconnect. Every change calls `onChange` so status is recomputed at once.
//
// A node's inventory is one row holding all its objects. A full inventory is written as it comes;
// events are written PERSIST_AFTER_MS after the first (however many came meanwhile; and on stop),
// not each: with a thousand containers on a node a write per event costs more than the event's
// evaluation. A crash loses at most that much, which the agents' inventories on reconnect replace.
import { shared } from '../../core/share.ts';
import type { AgentEvent, Inventory, LiveContainer, LiveNetwork, LiveRoutes } from '../../schema/protocol.ts';
import type { Store } from '../store/db.ts';
import { liveInventory } from '../store/tables/core.ts';

export interface NodeInventory {
  containers: LiveContainer[];
  networks: LiveNetwork[];
  gateways: LiveRoutes[];
  at: string;
}

const PERSIST_AFTER_MS = 1000;

export class LiveCache {
  private readonly nodes = new Map<string, NodeInventory>();
  /** nodes changed since they were last written */
  private readonly unsaved = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly onChange: () => void,
  ) {
    for (const row of store.db.select().from(liveInventory).all()) {
      this.nodes.set(row.node, { containers: row.containers, networks: row.networks, gateways: row.gateways, at: row.at });
    }
  }

  /**
   * A full inventory replaces the node's. Objects equal to those already held stay those objects,
   * so the evaluation keeps the states of the sandboxes whose objects did not change.
   */
  applyInventory(inv: Inventory): void {
    const before = this.nodes.get(inv.node);
    const keep = <T>(prev: readonly T[] | undefined, next: T[], key: (x: T) => string): T[] => {
      if (!prev?.length) return next;
      const byKey = new Map(prev.map((x) => [key(x), x]));
      return next.map((x) => shared(byKey.get(key(x)), x));
    };
    this.set(inv.node, {
      containers: keep(before?.containers, inv.containers, (c) => c.name),
      networks: keep(before?.networks, inv.networks, (n) => n.id),
      gateways: keep(before?.gateways, inv.gateways, (g) => g.container),
      at: inv.at,
    });
    // inventories are rare (a connect, a re-read that differs): written at once, as they come
    this.write(inv.node);
  }

  /**
   * An event replaces (or, without `container`, removes) one container and its route table. The
   * container goes by its name and by its id: a deploy renames `<name>.next` to `<name>`, and the
   * entry under the old name must not stay behind as an extra container for a prune to remove.
   */
  applyEvent(ev: AgentEvent): void {
    const inv = this.nodes.get(ev.node) ?? { containers: [], networks: [], gateways: [], at: ev.at };
    const id = ev.container?.id;
    const containers = inv.containers.filter((c) => c.name !== ev.name && c.id !== id);
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

  /** Writes every node changed since it was last written; the runtime calls it on stop. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unsaved.size === 0) return;
    this.store.sqlite.transaction(() => {
      for (const node of [...this.unsaved]) this.write(node);
    })();
  }

  private set(node: string, inv: NodeInventory): void {
    this.nodes.set(node, inv);
    this.unsaved.add(node);
    this.writeLater(PERSIST_AFTER_MS);
    this.onChange();
  }

  private writeLater(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const [node] = this.unsaved;
      if (node !== undefined) this.write(node);
      // one node per turn of the event loop: an event arriving meanwhile waits for one row, not all
      if (this.unsaved.size > 0) this.writeLater(0);
    }, ms);
    this.timer.unref();
  }

  private write(node: string): void {
    this.unsaved.delete(node);
    const inv = this.nodes.get(node);
    if (!inv) return;
    const { containers, networks, gateways, at } = inv;
    this.store.db
      .insert(liveInventory)
      .values({ node, containers, networks, gateways, at })
      .onConflictDoUpdate({ target: liveInventory.node, set: { containers, networks, gateways, at } })
      .run();
  }
}
