// The live side as the diff reads it: per node, because Docker names are unique per host only and
// every job goes to one node. The runtime keeps one inventory per node; `groupLiveBySandbox` slices
// all of them once, so diffing N sandboxes costs O(live objects), not O(N x live objects).
import type { LiveContainer, LiveNetwork, LiveRoutes } from '../../schema/protocol.ts';

/** One node's live objects (the shape of an agent inventory). */
export interface NodeLive {
  containers: readonly LiveContainer[];
  networks: readonly LiveNetwork[];
  gateways: readonly LiveRoutes[];
}

/** One node's live objects of one sandbox (or of everything, before grouping). */
export interface LiveNodeState extends NodeLive {
  node: string;
}

/**
 * node -> inventory, sliced into sandbox -> per-node views (nodes in name order), keeping only the
 * objects of `platform` (the Platform's name; undefined keeps those without a platform label).
 * Several sdp installations can share one Docker engine and every agent reports all it manages:
 * another installation's objects must not show as ours, nor be pruned as orphans. Objects made
 * before the sdp.platform label existed carry none, so a Platform ignores them (remove them by hand).
 * A gateway's route table goes with its container.
 */
export function groupLiveBySandbox(nodes: ReadonlyMap<string, NodeLive>, platform?: string): Map<string, LiveNodeState[]> {
  const result = new Map<string, LiveNodeState[]>();
  for (const node of [...nodes.keys()].sort()) {
    const inv = nodes.get(node);
    if (!inv) continue;
    for (const [sandbox, s] of groupNode(node, inv, platform)) {
      const list = result.get(sandbox);
      if (list) list.push(s);
      else result.set(sandbox, [s]);
    }
  }
  return result;
}

// The runtime groups on every change, and a change (an event, an inventory) replaces one node's
// inventory object: the others' slices are kept per (immutable) inventory and reused.
const lastGrouping = new WeakMap<NodeLive, { node: string; platform: string | undefined; groups: Map<string, LiveNodeState> }>();

function groupNode(node: string, inv: NodeLive, platform: string | undefined): Map<string, LiveNodeState> {
  const last = lastGrouping.get(inv);
  if (last && last.node === node && last.platform === platform) return last.groups;
  const groups = new Map<string, { node: string; containers: LiveContainer[]; networks: LiveNetwork[]; gateways: LiveRoutes[] }>();
  const slot = (sandbox: string) => {
    let s = groups.get(sandbox);
    if (!s) groups.set(sandbox, (s = { node, containers: [], networks: [], gateways: [] }));
    return s;
  };
  const ours = new Set<string>();
  for (const c of inv.containers) {
    if (c.platform !== platform) continue;
    ours.add(c.name);
    slot(c.sandbox).containers.push(c);
  }
  for (const n of inv.networks) if (n.platform === platform) slot(n.sandbox).networks.push(n);
  for (const g of inv.gateways) if (ours.has(g.container)) slot(g.sandbox).gateways.push(g);
  lastGrouping.set(inv, { node, platform, groups });
  return groups;
}
