// Valid specs -> DesiredState: templates expanded, containers placed on nodes, host ports allocated,
// routes resolved, environments merged and interpolated. Runs only on specs with no errors so far;
// the errors it can still find (a full port range, a URL a sandbox cannot resolve) are added to `errors`.
import { createHash } from 'node:crypto';
import { isAbsolute, posix, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROXY_COMMAND, type BuildSpec, type FileSpec, type HealthSpec, type Resources, type RouteAdapter } from '../../schema/container.ts';
import type {
  DesiredContainer,
  DesiredGitSource,
  DesiredNode,
  DesiredRoute,
  DesiredSandbox,
  DesiredState,
  SecretRef,
} from '../../schema/desired.ts';
import type { CatalogService, Environment, Platform, Sandbox, SandboxSpec } from '../../schema/specs/index.ts';
import type { ResourcesInput } from '../../schema/specs/common.ts';
import { SERVICE_URL_REF } from './check.ts';
import { NOTIFICATION_EVENTS } from '../../schema/notifications.ts';
import type { Errors } from './errors.ts';
import type { Loaded, SpecSet } from './load.ts';
import { expandTemplate } from './merge.ts';
import { allocatePorts, type PortClaim } from './ports.ts';
import { parseDuration, parseMemory, parsePortRange, parseTtl } from './units.ts';

export interface BuildOptions {
  /** persisted allocations from earlier revisions */
  ports?: Record<string, number>;
  /** absolute specs folder: relative repos (./x, ../x) resolve against their file's folder in it */
  baseDir?: string;
}

const HEALTH_DEFAULTS = { timeout: '10s', retries: 3, interval: '5s' } as const;
/** The built-in proxy (Caddy) listens here inside its container. */
const PROXY_PORT = 80;
const DEFAULT_ENV_KEY = '{SERVICE}_URL';

interface Placed {
  loaded: Loaded<Sandbox>;
  spec: SandboxSpec;
  /** catalog services that run in the sandbox, by name */
  services: [string, NonNullable<SandboxSpec['services']>[string]][];
  gatewayNode: DesiredNode;
  nodeOf: (role: string) => DesiredNode;
}

export function buildDesired(set: SpecSet, opts: BuildOptions, errors: Errors): DesiredState | undefined {
  const platform = set.platforms[0]!;
  const spec = platform.value.spec;
  const nodes: DesiredNode[] = spec.nodes
    .map((n) => ({ name: n.name, roles: [...n.roles], address: n.address }))
    .sort((a, b) => cmp(a.name, b.name));
  const ranges = {
    gateway: parsePortRange(spec.ports.gateway) as [number, number],
    services: parsePortRange(spec.ports.services) as [number, number],
  };
  const catalog = new Map(Object.entries(spec.services).sort(([a], [b]) => cmp(a, b)));
  const byRole = new Map<string, DesiredNode[]>();
  for (const node of nodes) for (const role of node.roles) byRole.set(role, [...(byRole.get(role) ?? []), node]);
  const environments = new Map(set.environments.map((e) => [e.name, e]));
  const templates = new Map(set.templates.map((t) => [t.name, t]));
  const repos = new Map<string, string>();
  const repoOf = (repo: string): string => {
    let url = repos.get(repo);
    if (url === undefined) repos.set(repo, (url = resolveRepo(repo, platform.doc.file, opts.baseDir)));
    return url;
  };

  const placed: Placed[] = set.sandboxes
    .filter((s) => !s.generated?.sample)
    .sort((a, b) => cmp(a.name, b.name))
    .map((loaded) => {
      const templateName = loaded.value.spec.template;
      const merged = expandTemplate(templateName === undefined ? undefined : templates.get(templateName)?.value.spec, loaded.value.spec);
      const services = Object.entries(merged.services ?? {})
        .filter(([, selection]) => selection.baseline !== true)
        .sort(([a], [b]) => cmp(a, b));
      const pick = placement(byRole, loaded.name);
      return { loaded, spec: merged, services, gatewayNode: pick(spec.gateway.role), nodeOf: pick };
    });

  const claims: PortClaim[] = [];
  for (const p of placed) {
    const fixed = p.spec.gateway?.port;
    claims.push({ key: `gateway/${p.loaded.name}`, range: ranges.gateway, ...(fixed === undefined ? {} : { fixed }) });
    // A service's host port is how containers on other nodes reach it: a sandbox on one node gets
    // none, so nothing outside it reaches its services but through its gateway
    if (spansNodes(p, catalog)) for (const [service] of p.services) claims.push({ key: `service/${p.loaded.name}/${service}`, range: ranges.services });
  }
  const { ports, exhausted } = allocatePorts(claims, opts.ports ?? {});
  for (const claim of exhausted) {
    const [, sandbox, service] = claim.key.split('/');
    const p = placed.find((x) => x.loaded.name === sandbox)!;
    const which = service === undefined ? `the gateway range ${spec.ports.gateway}` : `the services range ${spec.ports.services} (for ${service})`;
    errors.at(p.loaded.doc, ['metadata', 'name'], `no free host port left in ${which}`);
  }
  if (exhausted.length > 0) return undefined;

  const health = new Map<string, HealthSpec>();
  for (const [name, entry] of catalog) if (entry.health) health.set(name, healthOf(entry.health));
  const merged = new Map<string, MergedEnv>();
  const envOf = (names: readonly string[]): MergedEnv => {
    const key = names.join(',');
    let env = merged.get(key);
    if (!env) merged.set(key, (env = mergeEnvironments(names, environments)));
    return env;
  };
  const memory = new Map<string | number, number | undefined>();
  const bytes = (size: string | number): number | undefined => {
    if (!memory.has(size)) memory.set(size, parseMemory(size));
    return memory.get(size);
  };
  const ctx: Context = { platform, catalog, environments, ports, repoOf, health, envOf, bytes };
  const sandboxes = placed.map((p) => buildSandbox(p, ctx, errors));
  return {
    platform: {
      name: platform.name,
      nodes,
      ports: ranges,
      ...(spec.git?.credentials === undefined ? {} : { gitCredentials: spec.git.credentials }),
      services: [...catalog.keys()],
      ...(spec.notifications === undefined
        ? {}
        : {
            notifications: spec.notifications.map((t) => ({
              name: t.name,
              url: t.url,
              format: t.format ?? 'json',
              ...(t.secret === undefined ? {} : { secret: t.secret }),
              events: [...(t.events ?? NOTIFICATION_EVENTS)],
            })),
          }),
    },
    sandboxes,
    templates: set.templates.map((t) => t.name).sort(cmp),
    environments: [...environments.values()]
      .sort((a, b) => cmp(a.name, b.name))
      .map(({ name, value }) => ({
        name,
        variables: Object.fromEntries(Object.entries(value.spec.variables ?? {}).map(([k, v]) => [k, String(v)])),
        secrets: [...(value.spec.secrets ?? [])],
        files: (value.spec.files ?? []).map((f) => ({ path: f.path, content: f.content })),
      })),
    ports,
  };
}

interface Context {
  platform: Loaded<Platform>;
  catalog: Map<string, CatalogService>;
  environments: Map<string, Loaded<Environment>>;
  ports: Record<string, number>;
  repoOf: (repo: string) => string;
  /** per catalog service, parsed once */
  health: Map<string, HealthSpec>;
  /** environments merged, once per list */
  envOf: (names: readonly string[]) => MergedEnv;
  bytes: (size: string | number) => number | undefined;
}

/** Whether any of the sandbox's containers runs on another node than one of its services. */
function spansNodes(p: Placed, catalog: ReadonlyMap<string, CatalogService>): boolean {
  const nodes = new Set([p.gatewayNode.name, ...p.services.map(([service]) => p.nodeOf(catalog.get(service)!.role).name)]);
  return nodes.size > 1;
}

function buildSandbox(p: Placed, ctx: Context, errors: Errors): DesiredSandbox {
  const { loaded, spec, gatewayNode } = p;
  const name = loaded.name;
  const network = `sandbox-${name}`;
  const gatewaySpec = ctx.platform.value.spec.gateway;
  const gatewayPort = ctx.ports[`gateway/${name}`]!;
  const inSandbox = new Map(p.services.map(([service]) => [service, p.nodeOf(ctx.catalog.get(service)!.role)]));

  /** The URL of `service` as seen from a container on `from`: alias on the same node, host port across nodes, else baseline. */
  const urlOf = (service: string, from: DesiredNode): string | undefined => {
    const node = inSandbox.get(service);
    const entry = ctx.catalog.get(service);
    if (!entry) return undefined;
    if (!node) return entry.baseline;
    if (node.name === from.name) return `http://${service}:${entry.port}`;
    return `http://${node.address}:${ctx.ports[`service/${name}/${service}`]!}`;
  };

  const routes: DesiredRoute[] = [];
  for (const service of ctx.catalog.keys()) {
    const target = urlOf(service, gatewayNode);
    if (target !== undefined) routes.push({ service, mode: inSandbox.has(service) ? 'sandbox' : 'baseline', target });
  }

  const sandboxEnvs = spec.env ?? [];
  // Containers of one sandbox on one node with the same environments get the same env: interpolate once.
  const interpolated = new Map<string, Record<string, string>>();
  const envFor = (names: readonly string[], node: DesiredNode): { env: MergedEnv; vars: Record<string, string> } => {
    const env = ctx.envOf(names);
    const key = `${node.name}\n${names.join(',')}`;
    let vars = interpolated.get(key);
    if (!vars) interpolated.set(key, (vars = interpolate(env, (s) => urlOf(s, node), name, ctx.environments, errors)));
    return { env, vars: Object.assign({}, vars) };
  };
  const baseResources = spec.resources;
  const common = { sandbox: name, network };
  const services: DesiredContainer[] = p.services.map(([service, selection]) => {
    const entry = ctx.catalog.get(service)!;
    const node = inSandbox.get(service)!;
    const { env, vars } = envFor(selection.env ? [...sandboxEnvs, ...selection.env] : sandboxEnvs, node);
    // Written out without object spreads: this runs for every container of every sandbox.
    const container: DesiredContainer = {
      name: `${network}-${service}`,
      sandbox: name,
      network,
      service,
      kind: 'service',
      node: node.name,
      alias: service,
      source: sourceOf(ctx.repoOf(entry.repo), selection),
      build: entry.build,
      port: entry.port,
      env: vars,
      secrets: env.secrets.slice(),
      files: env.files.slice(),
      resources: resourcesOf(baseResources, selection.resources, ctx.bytes),
    };
    const hostPort = ctx.ports[`service/${name}/${service}`];
    if (hostPort !== undefined) {
      container.hostPort = hostPort;
      // on the address other nodes reach this one at, not on every address of the host
      container.hostIp = node.address;
    }
    const health = ctx.health.get(service);
    if (health) container.health = health;
    return container;
  });

  let gateway: DesiredSandbox['gateway'];
  const gatewayBase = {
    name: `${network}-gateway`,
    ...common,
    service: 'gateway',
    kind: 'gateway' as const,
    node: gatewayNode.name,
    alias: 'gateway',
    hostPort: gatewayPort,
    resources: resourcesOf(baseResources, undefined, ctx.bytes),
  };
  if (gatewaySpec.proxy) {
    gateway = {
      ...gatewayBase,
      build: { type: 'image', image: gatewaySpec.proxy.image, run: [...PROXY_COMMAND] },
      port: PROXY_PORT,
      env: {},
      secrets: [],
      files: [],
      adapter: { adapter: 'proxy' },
    };
  } else {
    // A custom gateway app gets the sandbox's environments like any service, plus its routes as
    // <SERVICE>_URL variables when it reads them from env.
    const adapter = gatewaySpec.routes!;
    const { env, vars } = envFor(sandboxEnvs, gatewayNode);
    if (adapter.adapter === 'env') for (const r of routes) vars[envKey(adapter.key ?? DEFAULT_ENV_KEY, r.service)] = r.target;
    gateway = {
      ...gatewayBase,
      source: sourceOf(ctx.repoOf(gatewaySpec.repo!), spec.gateway!),
      build: gatewaySpec.build as BuildSpec,
      port: gatewaySpec.port!,
      env: vars,
      secrets: [...env.secrets],
      files: [...env.files],
      ...(gatewaySpec.health ? { health: healthOf(gatewaySpec.health) } : {}),
      adapter: adapter as RouteAdapter,
    };
  }

  const ttlSeconds = spec.ttl === undefined ? undefined : parseTtl(spec.ttl);
  const meta = loaded.value.metadata;
  const made = loaded.generated;
  return {
    name,
    ...(made ? { generatedBy: { set: made.set, branch: made.branch } } : {}),
    ...(meta.owner === undefined ? {} : { owner: meta.owner }),
    labels: { ...(meta.labels ?? {}) },
    ...(spec.template === undefined ? {} : { template: spec.template }),
    environments: [...sandboxEnvs],
    suspended: spec.suspended ?? false,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    syncPolicy: {
      automated: spec.syncPolicy?.automated ?? false,
      prune: spec.syncPolicy?.prune ?? false,
      selfHeal: spec.syncPolicy?.selfHeal ?? false,
    },
    source: loaded.doc.start,
    network,
    nodes: [...new Set([...services.map((s) => s.node), gatewayNode.name])].sort(cmp),
    services,
    gateway,
    gatewayPort,
    gatewayUrl: `http://${gatewayNode.address}:${gatewayPort}`,
    routes,
  };
}

/** Placement by role: among the nodes with the role, the one a stable hash of the sandbox name picks. */
function placement(byRole: ReadonlyMap<string, readonly DesiredNode[]>, sandbox: string): (role: string) => DesiredNode {
  const hash = Number.parseInt(createHash('sha256').update(sandbox).digest('hex').slice(0, 8), 16);
  return (role) => {
    const candidates = byRole.get(role)!; // every role in use is on some node (checked)
    return candidates[hash % candidates.length]!;
  };
}

/** A variable's value split around its `${services.<name>.url}` references: text, service, text, ... */
type Template = string[];

interface MergedEnv {
  variables: Map<string, { value: string; environment: string; template?: Template }>;
  secrets: SecretRef[];
  files: FileSpec[];
}

/** Environments in order, later wins per key (a variable and a secret of one key replace each other) and per file path. */
function mergeEnvironments(names: readonly string[], environments: Map<string, Loaded<Environment>>): MergedEnv {
  const variables = new Map<string, { value: string; environment: string }>();
  const secrets = new Map<string, string>();
  const files = new Map<string, FileSpec>();
  for (const environment of names) {
    const spec = environments.get(environment)!.value.spec;
    for (const [key, value] of Object.entries(spec.variables ?? {})) {
      const text = String(value);
      const template = text.includes('${') ? text.split(SERVICE_URL_REF) : undefined;
      variables.set(key, { value: text, environment, ...(template && template.length > 1 ? { template } : {}) });
      secrets.delete(key);
    }
    for (const key of spec.secrets ?? []) {
      secrets.set(key, environment);
      variables.delete(key);
    }
    for (const f of spec.files ?? []) files.set(f.path, { path: f.path, content: f.content });
  }
  return {
    variables,
    secrets: [...secrets.entries()].map(([key, environment]) => ({ key, environment })).sort((a, b) => cmp(a.key, b.key)),
    files: [...files.values()].sort((a, b) => cmp(a.path, b.path)),
  };
}

function interpolate(
  env: MergedEnv,
  urlOf: (service: string) => string | undefined,
  sandbox: string,
  environments: Map<string, Loaded<Environment>>,
  errors: Errors,
): Record<string, string> {
  const out: [string, string][] = [];
  for (const [key, { value, environment, template }] of env.variables) {
    if (!template) {
      out.push([key, value]);
      continue;
    }
    // split() with a capturing group leaves the service names at the odd indices
    let text = '';
    for (let i = 0; i < template.length; i++) {
      const part = template[i]!;
      if (i % 2 === 0) {
        text += part;
        continue;
      }
      const url = urlOf(part);
      if (url !== undefined) {
        text += url;
        continue;
      }
      const ref = `\${services.${part}.url}`;
      text += ref;
      errors.at(
        environments.get(environment)!.doc,
        ['spec', 'variables', key],
        `${ref} has no URL in sandbox ${sandbox}: service ${part} is not in the sandbox and the catalog gives it no baseline`,
      );
    }
    out.push([key, text]);
  }
  return Object.fromEntries(out.sort(([a], [b]) => cmp(a, b)));
}

function resourcesOf(base: ResourcesInput | undefined, own: ResourcesInput | undefined, bytes: (size: string | number) => number | undefined): Resources {
  const out: Resources = {};
  const cpu = own?.cpu ?? base?.cpu;
  if (cpu !== undefined) out.cpu = cpu;
  const memory = own?.memory ?? base?.memory;
  const memoryBytes = memory === undefined ? undefined : bytes(memory);
  if (memoryBytes !== undefined) out.memoryBytes = memoryBytes;
  return out;
}

/** Exactly one of branch / commit (the checks made sure one is there). */
function sourceOf(repo: string, from: { branch?: string; commit?: string }): DesiredGitSource {
  return from.commit !== undefined ? { repo, commit: from.commit } : { repo, branch: from.branch! };
}

function healthOf(h: NonNullable<CatalogService['health']>): HealthSpec {
  return {
    path: h.path,
    timeoutMs: parseDuration(h.timeout ?? HEALTH_DEFAULTS.timeout)!,
    retries: h.retries ?? HEALTH_DEFAULTS.retries,
    intervalMs: parseDuration(h.interval ?? HEALTH_DEFAULTS.interval)!,
  };
}

/** `{SERVICE}_URL` -> `ACCOUNT_URL`; `{service}_url` -> `account_url`. */
function envKey(template: string, service: string): string {
  return template.replaceAll('{SERVICE}', service.toUpperCase().replaceAll('-', '_')).replaceAll('{service}', service);
}

/** `./x` and `../x` are relative to the folder of the file that declares them; they become file:// URLs. */
export function resolveRepo(repo: string, file: string, baseDir: string | undefined): string {
  if (!repo.startsWith('./') && !repo.startsWith('../')) return repo;
  const dir = posix.dirname(file);
  const base = baseDir ?? process.cwd();
  const abs = resolve(isAbsolute(dir) ? dir : resolve(base, dir), repo);
  return pathToFileURL(abs).href;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

