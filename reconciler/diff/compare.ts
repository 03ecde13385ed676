// The comparison engine: desired (bound ContainerSpecs + the sandbox's routes and network) against
// live (per node), resource by resource. The diff view (drift, statuses) and the planner (actions)
// are both read off this one structure, so they can never disagree.
import type { DriftEntry, HealthStatus, RouteView, SyncStatus } from '../../schema/api.ts';
import type { ContainerSpec, RouteTable } from '../../schema/container.ts';
import type { DesiredContainer, DesiredSandbox } from '../../schema/desired.ts';
import type { LiveContainer, LiveRoutes } from '../../schema/protocol.ts';
import { resourceOf, type BindResult } from '../resolve/bind.ts';
import { aggregateHealth, containerHealth } from './health.ts';
import type { LiveNodeState } from './live.ts';
import {
  REDACTED,
  cpuNano,
  memoryBytes,
  normImage,
  normPorts,
  sameCommit,
  sameList,
  sameUrl,
} from './normalize.ts';

export interface DiffInput {
  sandbox: DesiredSandbox;
  /** bindSandbox(sandbox, ...) */
  bound: BindResult;
  /** this sandbox's live objects per node (objects of other sandboxes are ignored) */
  live: readonly LiveNodeState[];
  /** nodes whose agent is connected; live objects of other nodes are stale and ignored */
  online: readonly string[];
  /** the sandbox's ttl has run out (the caller owns the clock) */
  expired?: boolean;
}

/** A desired container on an online node. */
export interface ContainerComparison {
  resource: string;
  node: string;
  name: string;
  /** absent only for a suspended sandbox's container whose branch did not resolve */
  spec?: ContainerSpec;
  live?: LiveContainer;
  /** live carries the desired spec hash: its config is what the spec asks for */
  hashMatches: boolean;
  /** this container's drift entries (config fields first, then state) */
  drift: DriftEntry[];
}

/** A live container of the sandbox that no spec asks for. */
export interface ExtraContainer {
  resource: string;
  node: string;
  live: LiveContainer;
}

export interface Comparison {
  sandbox: DesiredSandbox;
  /** nodes of the sandbox whose agent is offline */
  offline: string[];
  containers: ContainerComparison[];
  /** online sandbox nodes without the sandbox network */
  missingNetworks: string[];
  /** online nodes outside the sandbox's nodes that hold a network of it */
  extraNetworks: string[];
  extras: ExtraContainer[];
  /** route drift, when the live route table could be read */
  routeDrift: DriftEntry[];
  /** the gateway's live route table; null when there is none or it could not be read */
  liveRoutes: RouteTable | null;
  sync: SyncStatus;
  health: HealthStatus;
  /** every entry, in display order: network, services, gateway, routes, extras */
  drift: DriftEntry[];
}

/** Docker states in which a container is not running and `start` brings it back. */
const STOPPED = new Set(['exited', 'dead', 'created', 'paused']);

export function compareSandbox(input: DiffInput): Comparison {
  const s = input.sandbox;
  const online = new Set(input.online);
  const desired: DesiredContainer[] = [...s.services, s.gateway];
  const sandboxNodes = [...new Set([...s.nodes, ...desired.map((d) => d.node)])].sort();
  const offline = sandboxNodes.filter((n) => !online.has(n));

  const liveByKey = new Map<string, LiveContainer>();
  const liveOrder: { node: string; live: LiveContainer }[] = [];
  const networkNodes = new Set<string>();
  const foreignNetworkNodes = new Set<string>();
  let gatewayRoutes: LiveRoutes | undefined;
  for (const ln of input.live) {
    if (!online.has(ln.node)) continue;
    for (const c of ln.containers) {
      if (c.sandbox !== s.name) continue;
      liveByKey.set(key(ln.node, c.name), c);
      liveOrder.push({ node: ln.node, live: c });
    }
    for (const n of ln.networks) {
      if (n.sandbox !== s.name) continue;
      if (n.name === s.network) networkNodes.add(ln.node);
      if (!sandboxNodes.includes(ln.node)) foreignNetworkNodes.add(ln.node);
    }
    if (ln.node === s.gateway.node) gatewayRoutes = ln.gateways.find((g) => g.sandbox === s.name && g.container === s.gateway.name);
  }

  const desiredByName = new Map(desired.map((d) => [d.name, d]));
  const desiredKeys = new Set(desired.map((d) => key(d.node, d.name)));

  const containers: ContainerComparison[] = [];
  if (s.suspended) {
    // Suspended: the desired state is "stopped, config kept". Only running containers are drift,
    // whether or not their branch resolved.
    const specs = new Map(input.bound.containers.map((c) => [c.name, c]));
    for (const d of sortedDesired(s)) {
      const live = online.has(d.node) ? liveByKey.get(key(d.node, d.name)) : undefined;
      if (!live || STOPPED.has(live.state)) continue;
      const resource = resourceOf(d);
      const spec = specs.get(d.name);
      containers.push({
        resource,
        node: d.node,
        name: d.name,
        ...(spec ? { spec } : {}),
        live,
        hashMatches: spec !== undefined && live.specHash === spec.specHash,
        drift: [{ resource, change: 'changed', field: 'state', desired: 'exited', live: live.state }],
      });
    }
  } else {
    for (const spec of input.bound.containers) {
      const d = desiredByName.get(spec.name);
      if (!d || !online.has(d.node)) continue;
      containers.push(compareContainer(spec, d.node, liveByKey.get(key(d.node, d.name))));
    }
  }

  const extras: ExtraContainer[] = liveOrder
    .filter((x) => !desiredKeys.has(key(x.node, x.live.name)))
    .map((x) => ({ resource: resourceOf(x.live), node: x.node, live: x.live }))
    .sort((a, b) => cmp(a.resource, b.resource) || cmp(a.node, b.node) || cmp(a.live.name, b.live.name));

  const missingNetworks = s.suspended ? [] : sandboxNodes.filter((n) => online.has(n) && !networkNodes.has(n));
  const extraNetworks = [...foreignNetworkNodes].sort();

  // Routes are read back from the running gateway. With the env adapter they live in the gateway's
  // env, so the gateway's hash already covers them; with no gateway, "gateway missing" says it all.
  let routeDrift: DriftEntry[] = [];
  let routesUnknown = false;
  let liveRoutes: RouteTable | null = null;
  const gatewayLive = liveByKey.get(key(s.gateway.node, s.gateway.name));
  if (!s.suspended && gatewayLive && online.has(s.gateway.node) && s.gateway.adapter.adapter !== 'env') {
    if (gatewayRoutes && gatewayRoutes.error === undefined) {
      liveRoutes = gatewayRoutes.routes;
      routeDrift = compareRoutes(s, gatewayRoutes.routes);
    } else if (gatewayLive.state === 'running') {
      routesUnknown = true;
    }
  }

  const drift: DriftEntry[] = [
    ...missingNetworks.map((n): DriftEntry => ({ resource: 'network', change: 'missing', desired: `${s.network} on ${n}` })),
    ...extraNetworks.map((n): DriftEntry => ({ resource: 'network', change: 'extra', live: `${s.network} on ${n}` })),
    ...containers.flatMap((c) => c.drift),
    ...routeDrift,
    ...extras.map((x): DriftEntry => ({ resource: x.resource, change: 'extra', live: liveSummary(x.live) })),
  ];

  let sync: SyncStatus;
  if (offline.length > 0) sync = 'Unknown';
  else if (drift.length > 0) sync = 'OutOfSync';
  else if ((!s.suspended && input.bound.unresolved.length > 0) || routesUnknown) sync = 'Unknown';
  else sync = 'Synced';

  let health: HealthStatus;
  if (offline.length > 0) health = 'Unknown';
  else if (input.expired) health = 'Expired';
  else if (s.suspended) health = 'Suspended';
  else health = aggregateHealth(desired.map((d) => containerHealth(liveByKey.get(key(d.node, d.name)))));

  return { sandbox: s, offline, containers, missingNetworks, extraNetworks, extras, routeDrift, liveRoutes, sync, health, drift };
}

/** Routes as the API shows them: desired, with what the gateway really routes to. */
export function routeViews(c: Comparison): RouteView[] {
  return sortedRoutes(c.sandbox).map((r) => ({
    service: r.service,
    mode: r.mode,
    target: r.target,
    live: c.liveRoutes?.[r.service] ?? null,
  }));
}

function compareContainer(spec: ContainerSpec, node: string, live: LiveContainer | undefined): ContainerComparison {
  const resource = resourceOf(spec);
  if (!live) {
    return { resource, node, name: spec.name, spec, hashMatches: false, drift: [{ resource, change: 'missing', desired: specSummary(spec) }] };
  }
  const hashMatches = live.specHash === spec.specHash;
  const drift = hashMatches ? [] : fieldDrift(resource, spec, live);
  if (STOPPED.has(live.state)) drift.push({ resource, change: 'changed', field: 'state', desired: 'running', live: live.state });
  return { resource, node, name: spec.name, spec, live, hashMatches, drift };
}

/**
 * Explains a spec-hash difference field by field. What the live side cannot show (secret values,
 * files, build command, health check) ends in one entry: env '(redacted)' when only secrets can
 * explain it, 'files' when only files can, else an entry without field naming the two hashes.
 */
function fieldDrift(resource: string, spec: ContainerSpec, live: LiveContainer): DriftEntry[] {
  const out: DriftEntry[] = [];
  const changed = (field: DriftEntry['field'], desired: unknown, liveValue: unknown): DriftEntry => ({
    resource,
    change: 'changed',
    field,
    ...(desired !== undefined ? { desired } : {}),
    ...(liveValue !== undefined ? { live: liveValue } : {}),
  });

  if (!sameCommit(spec.source?.commit, live.commit)) out.push(changed('commit', spec.source?.commit, live.commit));

  if ('image' in spec.build && live.image && !live.image.startsWith('sha256:')) {
    if (normImage(spec.build.image) !== normImage(live.image)) out.push(changed('image', spec.build.image, live.image));
  }

  out.push(...envDrift(spec, live).map((e) => changed('env', e.desired, e.live)));

  const desiredPorts = spec.hostPort !== undefined ? [`${spec.hostPort}:${spec.port}`] : [];
  const livePorts = normPorts(live.ports);
  if (!sameList(desiredPorts, livePorts)) out.push(changed('ports', desiredPorts, livePorts));

  const dr = resourcesView(spec.resources.cpu, spec.resources.memoryBytes);
  const lr = resourcesView(live.resources.cpu, live.resources.memoryBytes);
  if (dr.cpu !== lr.cpu || dr.memoryBytes !== lr.memoryBytes) out.push(changed('resources', dr, lr));

  if (out.length === 0) {
    const secrets = spec.secretEnv.length > 0;
    const files = spec.files.length > 0;
    if (secrets && !files) out.push(changed('env', REDACTED, REDACTED));
    else if (files && !secrets) out.push(changed('files', spec.files.map((f) => f.path).sort(), undefined));
    else out.push({ resource, change: 'changed', desired: `spec ${spec.specHash.slice(0, 12)}`, live: `spec ${(live.specHash ?? 'none').slice(0, 12)}` });
  }
  return out;
}

/**
 * Env per key, as "KEY=value". Keys only the live side has are ignored (the image sets some, e.g.
 * PATH) unless the agent redacted them: then they were secrets sdp set and the spec dropped.
 * Values of secret keys are never read: both sides show '(redacted)'.
 */
function envDrift(spec: ContainerSpec, live: LiveContainer): { desired?: string; live?: string }[] {
  const out: { desired?: string; live?: string }[] = [];
  const secret = new Set(spec.secretEnv);
  const redacted = (k: string) => `${k}=${REDACTED}`;
  for (const k of Object.keys(spec.env).sort()) {
    if (secret.has(k)) continue;
    const d = String(spec.env[k]);
    const l = live.env[k];
    if (l === undefined) out.push({ desired: `${k}=${d}` });
    else if (l === REDACTED) out.push({ desired: `${k}=${d}`, live: redacted(k) });
    else if (String(l) !== d) out.push({ desired: `${k}=${d}`, live: `${k}=${String(l)}` });
  }
  for (const k of [...secret].sort()) {
    const l = live.env[k];
    if (l === undefined) out.push({ desired: redacted(k) });
    // a live value that is not '(redacted)' means the key was not a secret when deployed
    else if (l !== REDACTED) out.push({ desired: redacted(k), live: redacted(k) });
  }
  for (const k of Object.keys(live.env).sort()) {
    if (live.env[k] === REDACTED && !secret.has(k) && !(k in spec.env)) out.push({ live: redacted(k) });
  }
  return out;
}

function resourcesView(cpu: number | undefined, memory: number | undefined): { cpu?: number; memoryBytes?: number } {
  const nano = cpuNano(cpu);
  const bytes = memoryBytes(memory);
  return { ...(nano !== undefined ? { cpu: nano / 1e9 } : {}), ...(bytes !== undefined ? { memoryBytes: bytes } : {}) };
}

function compareRoutes(s: DesiredSandbox, live: RouteTable): DriftEntry[] {
  const out: DriftEntry[] = [];
  const desired = new Map(s.routes.map((r) => [r.service, r.target]));
  for (const svc of [...new Set([...desired.keys(), ...Object.keys(live)])].sort()) {
    const d = desired.get(svc);
    const l = live[svc];
    const resource = `route/${svc}`;
    if (l === undefined) out.push({ resource, change: 'missing', desired: d });
    else if (d === undefined) out.push({ resource, change: 'extra', live: l });
    else if (!sameUrl(d, l)) out.push({ resource, change: 'changed', field: 'target', desired: d, live: l });
  }
  return out;
}

export function specSummary(spec: ContainerSpec): string {
  if (spec.source) return spec.source.commit;
  return 'image' in spec.build ? spec.build.image : spec.build.dockerfile;
}

function liveSummary(live: LiveContainer): string {
  return live.commit ?? live.image;
}

function sortedDesired(s: DesiredSandbox): DesiredContainer[] {
  return [...[...s.services].sort((a, b) => cmp(a.service, b.service)), s.gateway];
}

function sortedRoutes(s: DesiredSandbox) {
  return [...s.routes].sort((a, b) => cmp(a.service, b.service));
}

function key(node: string, name: string): string {
  return `${node}\u0000${name}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
