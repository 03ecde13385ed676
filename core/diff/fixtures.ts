// Builders for tests and the diff benchmark: a desired sandbox, its binding, and a live side that is
// exactly in sync with it (tests then change one thing and look at what the diff makes of it).
import { createHash } from 'node:crypto';
import type { ContainerSpec, RouteAdapter } from '../../schema/container.ts';
import type { DesiredContainer, DesiredSandbox, SecretRef } from '../../schema/desired.ts';
import type { LiveContainer } from '../../schema/protocol.ts';
import { bindSandbox, type BindResult } from '../bind/bind.ts';
import type { DiffInput } from './compare.ts';
import type { LiveNodeState } from './live.ts';
import { REDACTED } from './normalize.ts';

export const MI = 2 ** 20;

/** A stable fake sha for repo + ref, so branches "resolve" without git. */
export function fakeCommit(repo: string, ref: string): string {
  return createHash('sha1').update(`${repo}#${ref}`).digest('hex');
}

/** A secret digest that changes with `version`, as an HMAC changes when a value does. */
export function fakeDigest(version = 'v1') {
  return (refs: SecretRef[]) =>
    createHash('sha256')
      .update(`${version}:${refs.map((r) => `${r.environment}/${r.key}`).join(',')}`)
      .digest('hex');
}

export interface SandboxOptions {
  name?: string;
  /** services deployed in the sandbox (default account, orders) */
  services?: string[];
  /** services routed to their baseline (default payment) */
  baseline?: string[];
  serviceNode?: string;
  gatewayNode?: string;
  suspended?: boolean;
  adapter?: RouteAdapter;
  /** secret env keys of every service (default DB_PASSWORD) */
  secrets?: string[];
}

export function desiredService(sandbox: string, service: string, node: string, secrets: string[]): DesiredContainer {
  return {
    name: `sandbox-${sandbox}-${service}`,
    sandbox,
    service,
    kind: 'service',
    node,
    network: `sandbox-${sandbox}`,
    alias: service,
    source: { repo: `https://git.example.com/app/${service}.git`, branch: `feature/${service}` },
    build: { type: 'image', image: 'sdp/busybox:local', mount: '/src', run: ['httpd', '-f', '-p', '8080'] },
    port: 8080,
    env: { SERVICE_NAME: service, DB_HOST: '10.0.0.5', DB_PORT: '5432' },
    secrets: secrets.map((key) => ({ key, environment: 'account-dev' })),
    files: [],
    resources: { cpu: 0.5, memoryBytes: 512 * MI },
    health: { path: '/health', timeoutMs: 10_000, retries: 3, intervalMs: 5_000 },
  };
}

export function desiredSandbox(o: SandboxOptions = {}): DesiredSandbox {
  const name = o.name ?? 'qa';
  const serviceNode = o.serviceNode ?? 'node-1';
  const gatewayNode = o.gatewayNode ?? serviceNode;
  const services = o.services ?? ['account', 'orders'];
  const baseline = o.baseline ?? ['payment'];
  const secrets = o.secrets ?? ['DB_PASSWORD'];
  const gateway: DesiredSandbox['gateway'] = {
    name: `sandbox-${name}-gateway`,
    sandbox: name,
    service: 'gateway',
    kind: 'gateway',
    node: gatewayNode,
    network: `sandbox-${name}`,
    alias: 'gateway',
    build: { type: 'image', image: 'sdp/caddy:local' },
    port: 80,
    hostPort: 8081,
    env: {},
    secrets: [],
    files: [],
    resources: {},
    adapter: o.adapter ?? { adapter: 'proxy' },
  };
  return {
    name,
    labels: {},
    environments: ['common'],
    suspended: o.suspended ?? false,
    syncPolicy: { automated: false, prune: false, selfHeal: false },
    source: { file: `sandboxes/${name}.yaml`, line: 1, col: 1 },
    network: `sandbox-${name}`,
    nodes: [...new Set([serviceNode, gatewayNode])].sort(),
    services: services.map((svc) => desiredService(name, svc, serviceNode, secrets)),
    gateway,
    gatewayPort: 8081,
    gatewayUrl: `http://127.0.0.1:8081`,
    routes: [
      ...services.map((svc) => ({ service: svc, mode: 'sandbox' as const, target: `http://${svc}:8080` })),
      ...baseline.map((svc) => ({ service: svc, mode: 'baseline' as const, target: `https://${svc}-dev.example.com` })),
    ],
  };
}

export function bind(s: DesiredSandbox, digestVersion = 'v1'): BindResult {
  return bindSandbox(s, fakeCommit, fakeDigest(digestVersion));
}

/** What the agent reports for a container deployed from `spec`. */
export function liveContainer(spec: ContainerSpec, over: Partial<LiveContainer> = {}): LiveContainer {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...spec.env };
  for (const k of spec.secretEnv) env[k] = REDACTED;
  return {
    id: createHash('sha1').update(spec.name).digest('hex').slice(0, 12),
    name: spec.name,
    sandbox: spec.sandbox,
    ...(spec.platform ? { platform: spec.platform } : {}),
    ...(spec.set ? { set: spec.set } : {}),
    service: spec.service,
    kind: spec.kind,
    image: 'image' in spec.build ? spec.build.image : `sdp/${spec.sandbox}-${spec.service}:${spec.source?.commit ?? 'build'}`,
    ...(spec.source ? { commit: spec.source.commit } : {}),
    ...(spec.source?.branch ? { branch: spec.source.branch } : {}),
    specHash: spec.specHash,
    state: 'running',
    health: 'healthy',
    env,
    ports: spec.hostPort !== undefined ? [{ container: spec.port, host: spec.hostPort }] : [],
    resources: {
      ...(spec.resources.cpu !== undefined ? { cpu: spec.resources.cpu } : {}),
      ...(spec.resources.memoryBytes !== undefined ? { memoryBytes: spec.resources.memoryBytes } : {}),
    },
    startedAt: '2026-01-01T00:00:00Z',
    networks: { [spec.network]: [spec.alias] },
    ...over,
  };
}

/** A live side exactly in sync with the binding: containers, network on every node, routes applied. */
export function liveInSync(s: DesiredSandbox, bound: BindResult): LiveNodeState[] {
  const byName = new Map([...s.services, s.gateway].map((d) => [d.name, d.node]));
  const platform = bound.containers[0]?.platform;
  return s.nodes.map((node) => ({
    node,
    containers: bound.containers.filter((c) => byName.get(c.name) === node).map((c) => liveContainer(c)),
    networks: [{ id: `net-${s.name}-${node}`, name: s.network, sandbox: s.name, ...(platform ? { platform } : {}) }],
    gateways:
      node === s.gateway.node
        ? [{ sandbox: s.name, container: s.gateway.name, routes: Object.fromEntries(s.routes.map((r) => [r.service, r.target])) }]
        : [],
  }));
}

export function diffInput(
  s: DesiredSandbox,
  o: { bound?: BindResult; live?: LiveNodeState[]; online?: string[]; expired?: boolean } = {},
): DiffInput {
  const bound = o.bound ?? bind(s);
  return {
    sandbox: s,
    bound,
    live: o.live ?? liveInSync(s, bound),
    online: o.online ?? s.nodes,
    ...(o.expired !== undefined ? { expired: o.expired } : {}),
  };
}

/** Edits the live container named `name` in place (tests change one thing at a time). */
export function editLive(live: LiveNodeState[], name: string, edit: (c: LiveContainer) => LiveContainer): LiveNodeState[] {
  return live.map((ln) => ({ ...ln, containers: ln.containers.map((c) => (c.name === name ? edit(c) : c)) }));
}

export function specOf(bound: BindResult, service: string): ContainerSpec {
  const spec = bound.containers.find((c) => c.service === service);
  if (!spec) throw new Error(`no bound container for ${service}`);
  return spec;
}
