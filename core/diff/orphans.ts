// Orphans: managed objects of sandboxes that no spec asks for any more (a deleted sandbox). Only
// `prune` removes them; until then they are shown as drift of that sandbox name.
import type { DriftFinding } from './findings.ts';
import { NAME_PATTERN } from '../../schema/names.ts';
import { resourceOf } from '../bind/bind.ts';
import type { LiveNodeState } from './live.ts';

export interface OrphanNode {
  node: string;
  /** container names, sorted */
  containers: string[];
  /** network names, sorted */
  networks: string[];
}

export interface OrphanSandbox {
  sandbox: string;
  /** per online node holding something of it, in node order */
  nodes: OrphanNode[];
  /** every object as an `extra` finding */
  drift: DriftFinding[];
}

const NAME = new RegExp(NAME_PATTERN);

/**
 * From live grouped by sandbox (groupLiveBySandbox), the sandboxes not in `desired`. Objects on
 * offline nodes are left out: their inventory is stale and no job could reach them. Labels that are
 * not a valid sandbox name are left out too: no job can name them.
 */
export function diffOrphans(
  live: ReadonlyMap<string, readonly LiveNodeState[]>,
  desired: Iterable<string>,
  online: readonly string[],
): OrphanSandbox[] {
  const wanted = new Set(desired);
  const up = new Set(online);
  const out: OrphanSandbox[] = [];
  for (const sandbox of [...live.keys()].sort()) {
    if (wanted.has(sandbox) || !NAME.test(sandbox)) continue;
    const nodes: OrphanNode[] = [];
    const drift: DriftFinding[] = [];
    for (const ln of [...(live.get(sandbox) ?? [])].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))) {
      if (!up.has(ln.node)) continue;
      const containers = ln.containers.filter((c) => c.sandbox === sandbox).sort((a, b) => (a.name < b.name ? -1 : 1));
      const networks = ln.networks.filter((n) => n.sandbox === sandbox).map((n) => n.name).sort();
      if (containers.length === 0 && networks.length === 0) continue;
      nodes.push({ node: ln.node, containers: containers.map((c) => c.name), networks });
      for (const c of containers) drift.push({ kind: 'container', change: 'extra', resource: resourceOf(c), live: c.commit ?? c.image });
      for (const n of networks) drift.push({ kind: 'network', change: 'extra', network: n, node: ln.node });
    }
    if (nodes.length > 0) out.push({ sandbox, nodes, drift });
  }
  return out;
}
