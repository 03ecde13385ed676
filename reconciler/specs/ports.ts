// Host port allocation. Order of precedence: ports written in specs, then allocations persisted from
// earlier revisions (kept while still in range and not taken), then the lowest free port of the range.
// Ports are unique across the platform (not per node), so moving a sandbox between nodes keeps them.

export interface PortClaim {
  /** `gateway/<sandbox>` or `service/<sandbox>/<service>` */
  key: string;
  range: readonly [number, number];
  /** written in the spec; already checked to be in range and unique */
  fixed?: number;
}

export function allocatePorts(
  claims: readonly PortClaim[],
  previous: Readonly<Record<string, number>>,
): { ports: Record<string, number>; exhausted: PortClaim[] } {
  const ports: Record<string, number> = {};
  const taken = new Set<number>();
  const take = (claim: PortClaim, port: number): void => {
    ports[claim.key] = port;
    taken.add(port);
  };
  for (const c of claims) if (c.fixed !== undefined) take(c, c.fixed);
  const open: PortClaim[] = [];
  for (const c of claims) {
    if (c.fixed !== undefined) continue;
    const kept = Object.hasOwn(previous, c.key) ? previous[c.key] : undefined;
    if (kept !== undefined && Number.isInteger(kept) && kept >= c.range[0] && kept <= c.range[1] && !taken.has(kept)) take(c, kept);
    else open.push(c);
  }
  // One cursor per range: ports are only taken, never freed, during allocation, so it only moves forward.
  const cursors = new Map<string, number>();
  const exhausted: PortClaim[] = [];
  for (const c of open) {
    const id = `${c.range[0]}-${c.range[1]}`;
    let port = cursors.get(id) ?? c.range[0];
    while (port <= c.range[1] && taken.has(port)) port++;
    cursors.set(id, port);
    if (port > c.range[1]) exhausted.push(c);
    else take(c, port);
  }
  return { ports, exhausted };
}
