// The comparison engine: desired (bound ContainerSpecs + the sandbox's routes and network) against
// live (per node), resource by resource. The diff view (drift, statuses) and the planner (actions)
// are both read off this one structure, so they can never disagree.
import type { HealthStatus, RouteView, SyncStatus } from '../../schema/api.ts';
import type { DriftFinding, EnvValue, ResourcesValue } from './findings.ts';
import type { ContainerSpec, RouteTable } from '../../schema/container.ts';
import type { DesiredContainer, DesiredRoute, DesiredSandbox } from '../../schema/desired.ts';
import type { LiveContainer, LiveRoutes } from '../../schema/protocol.ts';
import { resourceOf, type BindResult } from '../bind/bind.ts';
import { sandboxStatus, type SandboxStatus, type UnhealthyContainer, type UnresolvedBranch } from '../status.ts';
import { containerHealth } from './health.ts';
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
  /** why a branch could not be resolved, when the resolver said (undefined: not tried yet) */
  branchError?: (repo: string, branch: string) => string | undefined;
}

/** A desired container on an online node that drifts (in-sync containers are not listed). */
export interface ContainerComparison {
  resource: string;
  node: string;
  name: string;
  /** absent only for a suspended sandbox's container whose branch did not resolve */
  spec?: ContainerSpec;
  live?: LiveContainer;
  /** live carries the desired spec hash: its config is what the spec asks for */
  hashMatches: boolean;
  /** this container's drift (config fields first, then state) */
  drift: DriftFinding[];
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
  offline: readonly string[];
  /** desired containers on online nodes that drift, services (by name) then the gateway */
  containers: ContainerComparison[];
  /** the gateway container as it runs, if it does (on an online node) */
  gatewayLive: LiveContainer | undefined;
  /** online sandbox nodes without the sandbox network */
  missingNetworks: readonly string[];
  /** online nodes outside the sandbox's nodes that hold a network of it */
  extraNetworks: readonly string[];
  extras: readonly ExtraContainer[];
  /** route drift, when the live route table could be read */
  routeDrift: readonly Extract<DriftFinding, { kind: 'route' }>[];
  /** the gateway's live route table; null when there is none or it could not be read */
  liveRoutes: RouteTable | null;
  sync: SyncStatus;
  health: HealthStatus;
  /** sync and health with their reasons, and the conditions they are read from */
  status: SandboxStatus;
  /** every finding, in display order: network, services, gateway, routes, extras */
  drift: DriftFinding[];
}

/** Docker states in which a container is not running and `start` brings it back. */
const STOPPED = new Set(['exited', 'dead', 'created', 'paused']);

// Shared empty results, so the common in-sync case allocates nothing for them (frozen: read-only).
const NO_DRIFT: readonly never[] = Object.freeze([]);
const NONE: readonly never[] = Object.freeze([]);

// This runs for every sandbox on every inventory change (see scripts/bench/diff.bench.ts): the
// in-sync path allocates little and normalises nothing (an equal spec hash settles a container).
export function compareSandbox(input: DiffInput): Comparison {
  const s = input.sandbox;
  const online = input.online;
  const services = sortedServices(s);

  const sandboxNodes = nodesOf(s);
  const offline = sandboxNodes.every((n) => online.includes(n)) ? NONE : sandboxNodes.filter((n) => !online.includes(n));

  // live, indexed node -> container name (Docker names are unique per host only)
  const index = new Map<string, Map<string, LiveContainer>>();
  let liveCount = 0;
  const networkNodes: string[] = [];
  let extraNetworks: readonly string[] = NONE;
  let gatewayRoutes: LiveRoutes | undefined;
  for (const ln of input.live) {
    if (!online.includes(ln.node)) continue;
    let byName = index.get(ln.node);
    for (const c of ln.containers) {
      if (c.sandbox !== s.name) continue;
      if (!byName) index.set(ln.node, (byName = new Map()));
      byName.set(c.name, c);
      liveCount++;
    }
    for (const n of ln.networks) {
      if (n.sandbox !== s.name) continue;
      if (n.name === s.network && !networkNodes.includes(ln.node)) networkNodes.push(ln.node);
      if (!sandboxNodes.includes(ln.node) && !extraNetworks.includes(ln.node)) extraNetworks = [...extraNetworks, ln.node];
    }
    if (ln.node === s.gateway.node) {
      for (const g of ln.gateways) if (g.sandbox === s.name && g.container === s.gateway.name) gatewayRoutes = g;
    }
  }
  if (extraNetworks.length > 1) extraNetworks = [...extraNetworks].sort();
  const missingNetworks =
    s.suspended || sandboxNodes.every((n) => networkNodes.includes(n) || !online.includes(n))
      ? NONE
      : sandboxNodes.filter((n) => online.includes(n) && !networkNodes.includes(n));

  const drift: DriftFinding[] = [];
  for (const n of missingNetworks) drift.push({ kind: 'network', change: 'missing', network: s.network, node: n });
  for (const n of extraNetworks) drift.push({ kind: 'network', change: 'extra', network: s.network, node: n });

  // One pass over the desired containers, services by name then the gateway (the order bindSandbox
  // gives its containers, so the matching spec is usually the next one).
  const bound = input.bound.containers;
  const containers: ContainerComparison[] = [];
  let next = 0;
  let matched = 0;
  let unhealthy: UnhealthyContainer[] | undefined;
  const count = services.length + 1;
  for (let i = 0; i < count; i++) {
    const d = i < services.length ? (services[i] as DesiredContainer) : s.gateway;
    const live = index.get(d.node)?.get(d.name);
    if (live) matched++;
    const h = containerHealth(live);
    if (h !== 'Healthy') {
      const probe = live?.state === 'running' && live.probe?.status === 'unhealthy' ? live.probe : undefined;
      (unhealthy ??= []).push({ resource: resourceOf(d), health: h, state: live ? stateText(live) : undefined, ...(probe ? { probe } : {}) });
    }

    let spec = bound[next];
    if (spec?.name === d.name) next++;
    else spec = bound.find((c) => c.name === d.name);
    if (!online.includes(d.node)) continue;

    let cc: ContainerComparison | undefined;
    if (s.suspended) {
      // Suspended: the desired state is "stopped, config kept". Only running containers are drift,
      // whether or not their branch resolved.
      if (live && !STOPPED.has(live.state)) {
        const resource = resourceOf(d);
        cc = {
          resource,
          node: d.node,
          name: d.name,
          ...(spec ? { spec } : {}),
          live,
          hashMatches: spec !== undefined && live.specHash === spec.specHash,
          drift: [{ kind: 'state', resource, desired: 'exited', live: live.state }],
        };
      }
    } else if (spec) {
      cc = compareContainer(spec, d.node, live);
    }
    if (cc) {
      containers.push(cc);
      for (const e of cc.drift) drift.push(e);
    }
  }

  // Routes are read back from the running gateway. With the env adapter they live in the gateway's
  // env, so the gateway's hash already covers them; with no gateway, "gateway missing" says it all.
  let routeDrift: Comparison['routeDrift'] = NO_DRIFT;
  let routesUnreadable: string | undefined;
  let liveRoutes: RouteTable | null = null;
  const gatewayLive = online.includes(s.gateway.node) ? index.get(s.gateway.node)?.get(s.gateway.name) : undefined;
  const envAdapter = s.gateway.adapter.adapter === 'env';
  if (!s.suspended && gatewayLive) {
    if (gatewayRoutes && gatewayRoutes.error === undefined) {
      liveRoutes = gatewayRoutes.routes;
      if (!envAdapter) routeDrift = compareRoutes(s, gatewayRoutes.routes);
      for (const e of routeDrift) drift.push(e);
    } else if (!envAdapter && gatewayLive.state === 'running') {
      routesUnreadable = gatewayRoutes?.error ?? `the agent of ${s.gateway.node} reported no route table for ${s.gateway.name}`;
    }
  }

  const extras = matched < liveCount ? findExtras(s, services, index) : NONE;
  for (const x of extras) drift.push({ kind: 'container', change: 'extra', resource: x.resource, live: liveSummary(x.live) });

  const status = sandboxStatus({
    offline,
    unresolved: input.bound.unresolved.length > 0 ? unresolvedBranches(s, input.bound.unresolved, input.branchError) : NONE,
    routesUnreadable,
    drift,
    suspended: s.suspended,
    expired: input.expired === true,
    unhealthy: unhealthy ?? NONE,
    total: count,
  });

  return {
    sandbox: s,
    offline,
    containers,
    gatewayLive,
    missingNetworks,
    extraNetworks,
    extras,
    routeDrift,
    liveRoutes,
    sync: status.sync.status,
    health: status.health.status,
    status,
    drift,
  };
}

function stateText(live: LiveContainer): string {
  return live.health && live.health !== 'none' ? `${live.state} (${live.health})` : live.state;
}

function unresolvedBranches(s: DesiredSandbox, resources: readonly string[], branchError: DiffInput['branchError']): UnresolvedBranch[] {
  const out: UnresolvedBranch[] = [];
  for (const d of [...s.services, s.gateway]) {
    const resource = resourceOf(d);
    if (!resources.includes(resource)) continue;
    const repo = d.source?.repo ?? '';
    const branch = d.source?.branch ?? d.source?.commit ?? '';
    out.push({ resource, repo, branch, error: branchError?.(repo, branch) });
  }
  return out.sort((a, b) => cmp(a.resource, b.resource));
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

function findExtras(s: DesiredSandbox, services: readonly DesiredContainer[], index: Map<string, Map<string, LiveContainer>>): ExtraContainer[] {
  const extras: ExtraContainer[] = [];
  for (const [node, byName] of index) {
    for (const live of byName.values()) {
      const wanted = live.name === s.gateway.name ? s.gateway.node === node : services.some((d) => d.name === live.name && d.node === node);
      if (!wanted) extras.push({ resource: resourceOf(live), node, live });
    }
  }
  return extras.sort((a, b) => cmp(a.resource, b.resource) || cmp(a.node, b.node) || cmp(a.live.name, b.live.name));
}

function compareContainer(spec: ContainerSpec, node: string, live: LiveContainer | undefined): ContainerComparison | undefined {
  if (!live) {
    const resource = resourceOf(spec);
    return { resource, node, name: spec.name, spec, hashMatches: false, drift: [{ kind: 'container', change: 'missing', resource, desired: specSummary(spec) }] };
  }
  const hashMatches = live.specHash === spec.specHash;
  const stopped = STOPPED.has(live.state);
  const resource = resourceOf(spec);
  const detached = attachmentDrift(resource, spec, live);
  if (hashMatches && !stopped && !detached) return undefined;
  const drift = hashMatches ? [] : fieldDrift(resource, spec, live);
  if (detached) drift.push(detached);
  if (stopped) drift.push({ kind: 'state', resource, desired: 'running', live: live.state });
  return { resource, node, name: spec.name, spec, live, hashMatches, drift };
}

/**
 * A running container off its sandbox network, or there without its alias (a `docker network
 * disconnect`): nothing reaches it by name. Unknown for agents that do not report attachments.
 */
function attachmentDrift(resource: string, spec: ContainerSpec, live: LiveContainer): DriftFinding | undefined {
  if (!live.networks || STOPPED.has(live.state)) return undefined;
  const aliases = live.networks[spec.network];
  if (aliases?.includes(spec.alias)) return undefined;
  return { kind: 'attachment', resource, network: spec.network, alias: spec.alias, live: aliases };
}

/**
 * Explains a spec-hash difference field by field. What the live side cannot show (secret values,
 * files, build command, health check) ends in one finding: a secret env change when only secrets
 * can explain it, files when only files can, else the two spec hashes.
 */
function fieldDrift(resource: string, spec: ContainerSpec, live: LiveContainer): DriftFinding[] {
  const out: DriftFinding[] = [];
  if (!sameCommit(spec.source?.commit, live.commit)) out.push({ kind: 'commit', resource, ...defined({ desired: spec.source?.commit, live: live.commit }) });

  if ('image' in spec.build && live.image && !live.image.startsWith('sha256:')) {
    if (spec.build.image !== live.image && normImage(spec.build.image) !== normImage(live.image)) out.push({ kind: 'image', resource, desired: spec.build.image, live: live.image });
  }

  envDrift(resource, spec, live, out);

  const desiredPorts = spec.hostPort !== undefined ? [`${spec.hostPort}:${spec.port}`] : [];
  const livePorts = normPorts(live.ports);
  if (!sameList(desiredPorts, livePorts)) out.push({ kind: 'ports', resource, desired: desiredPorts, live: livePorts });

  const dCpu = cpuNano(spec.resources.cpu);
  const dMem = memoryBytes(spec.resources.memoryBytes);
  const lCpu = cpuNano(live.resources.cpu);
  const lMem = memoryBytes(live.resources.memoryBytes);
  if (dCpu !== lCpu || dMem !== lMem) out.push({ kind: 'resources', resource, desired: resourcesValue(dCpu, dMem), live: resourcesValue(lCpu, lMem) });

  if (out.length === 0) {
    const secrets = spec.secretEnv.length > 0;
    const files = spec.files.length > 0;
    if (secrets && !files) out.push({ kind: 'env', resource, key: undefined, desired: SECRET, live: SECRET });
    else if (files && !secrets) out.push({ kind: 'files', resource, paths: spec.files.map((f) => f.path).sort() });
    else out.push({ kind: 'spec', resource, desiredHash: spec.specHash, liveHash: live.specHash });
  }
  return out;
}

const SECRET: EnvValue = Object.freeze({ secret: true as const });

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/**
 * Env per key. Keys only the live side has are ignored (the image sets some, e.g. PATH) unless the
 * agent redacted them: then they were secrets sdp set and the spec dropped. Values of secret keys
 * are never read: both sides are a secret's.
 */
function envDrift(resource: string, spec: ContainerSpec, live: LiveContainer, out: DriftFinding[]): void {
  const secret = spec.secretEnv;
  // findings sort by group (plain keys, secret keys, dropped secrets), then key
  let found: EnvFinding[] | undefined;
  const add = (group: number, key: string, desired: EnvValue | undefined, lv: EnvValue | undefined) =>
    (found ??= []).push({ group, key, finding: { kind: 'env', resource, key, ...(desired ? { desired } : {}), ...(lv ? { live: lv } : {}) } });
  for (const k in spec.env) {
    if (secret.includes(k)) continue;
    const d = String(spec.env[k]);
    const l = live.env[k];
    if (l === undefined) add(0, k, { value: d }, undefined);
    else if (l === REDACTED) add(0, k, { value: d }, SECRET);
    else if (String(l) !== d) add(0, k, { value: d }, { value: String(l) });
  }
  for (const k of secret) {
    const l = live.env[k];
    if (l === undefined) add(1, k, SECRET, undefined);
    // a live value that is not redacted means the key was not a secret when deployed
    else if (l !== REDACTED) add(1, k, SECRET, SECRET);
  }
  for (const k in live.env) {
    if (live.env[k] === REDACTED && !secret.includes(k) && !(k in spec.env)) add(2, k, undefined, SECRET);
  }
  if (!found) return;
  if (found.length > 1) found.sort((a, b) => a.group - b.group || cmp(a.key, b.key));
  for (const f of found) out.push(f.finding);
}

interface EnvFinding {
  group: number;
  key: string;
  finding: DriftFinding;
}

function resourcesValue(nanoCpu: number | undefined, bytes: number | undefined): ResourcesValue {
  const r: ResourcesValue = {};
  if (nanoCpu !== undefined) r.cpu = nanoCpu / 1e9;
  if (bytes !== undefined) r.memoryBytes = bytes;
  return r;
}

function compareRoutes(s: DesiredSandbox, live: RouteTable): Comparison['routeDrift'] {
  // the common case: the gateway routes exactly as desired, spelled the same
  let liveCount = 0;
  for (const _ in live) liveCount++;
  if (liveCount === s.routes.length && s.routes.every((r) => live[r.service] === r.target)) return NO_DRIFT;

  const out: Extract<DriftFinding, { kind: 'route' }>[] = [];
  const desired = desiredRouteTargets(s);
  for (const svc of [...new Set([...desired.keys(), ...Object.keys(live)])].sort()) {
    const d = desired.get(svc);
    const l = live[svc];
    if (l === undefined) out.push({ kind: 'route', change: 'missing', service: svc, ...(d !== undefined ? { desired: d } : {}) });
    else if (d === undefined) out.push({ kind: 'route', change: 'extra', service: svc, live: l });
    else if (!sameUrl(d, l)) out.push({ kind: 'route', change: 'changed', service: svc, desired: d, live: l });
  }
  return out;
}

function specSummary(spec: ContainerSpec): string {
  if (spec.source) return spec.source.commit;
  return 'image' in spec.build ? spec.build.image : spec.build.dockerfile;
}

function liveSummary(live: LiveContainer): string {
  return live.commit ?? live.image;
}

// A DesiredSandbox is immutable once compiled and is diffed again on every live change: its sorted
// views are computed once per object.
const sortedServicesOf = new WeakMap<DesiredSandbox, readonly DesiredContainer[]>();
const sortedRoutesOf = new WeakMap<DesiredSandbox, readonly DesiredRoute[]>();
const nodesOfSandbox = new WeakMap<DesiredSandbox, readonly string[]>();
const routeTargetsOf = new WeakMap<DesiredSandbox, ReadonlyMap<string, string>>();

function desiredRouteTargets(s: DesiredSandbox): ReadonlyMap<string, string> {
  let out = routeTargetsOf.get(s);
  if (!out) routeTargetsOf.set(s, (out = new Map(s.routes.map((r) => [r.service, r.target]))));
  return out;
}

/** Every node of the sandbox, sorted: its declared nodes plus any its containers are placed on. */
function nodesOf(s: DesiredSandbox): readonly string[] {
  let out = nodesOfSandbox.get(s);
  if (!out) nodesOfSandbox.set(s, (out = [...new Set([...s.nodes, ...s.services.map((d) => d.node), s.gateway.node])].sort()));
  return out;
}

/** The sandbox's services by service name. */
function sortedServices(s: DesiredSandbox): readonly DesiredContainer[] {
  let out = sortedServicesOf.get(s);
  if (!out) sortedServicesOf.set(s, (out = [...s.services].sort((a, b) => cmp(a.service, b.service))));
  return out;
}

function sortedRoutes(s: DesiredSandbox): readonly DesiredRoute[] {
  let out = sortedRoutesOf.get(s);
  if (!out) sortedRoutesOf.set(s, (out = [...s.routes].sort((a, b) => cmp(a.service, b.service))));
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
