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
  const out = new Map<string, Map<string, { containers: LiveContainer[]; networks: LiveNetwork[]; gateways: LiveRoutes[] }>>();
  const slot = (sandbox: string, node: string) => {
    let byNode = out.get(sandbox);
    if (!byNode) out.set(sandbox, (byNode = new Map()));
    let s = byNode.get(node);
    if (!s) byNode.set(node, (s = { containers: [], networks: [], gateways: [] }));
    return s;
  };
  for (const node of [...nodes.keys()].sort()) {
    const inv = nodes.get(node);
    if (!inv) continue;
    const ours = new Set<string>();
    for (const c of inv.containers) {
      if (c.platform !== platform) continue;
      ours.add(c.name);
      slot(c.sandbox, node).containers.push(c);
    }
    for (const n of inv.networks) if (n.platform === platform) slot(n.sandbox, node).networks.push(n);
    for (const g of inv.gateways) if (ours.has(g.container)) slot(g.sandbox, node).gateways.push(g);
  }
  const result = new Map<string, LiveNodeState[]>();
  for (const [sandbox, byNode] of out) result.set(sandbox, [...byNode].map(([node, s]) => ({ node, ...s })));
  return result;
}
