// The rules a schema cannot express: per document (branch names, ranges, the gateway's two shapes,
// interpolations) and across documents (one Platform, unique names, references, ports, roles).
import type { SpecKind } from '../../schema/specs/index.ts';
import type { Environment, Platform, Sandbox, SandboxSet, SandboxTemplate } from '../../schema/specs/index.ts';
import type { ResourcesInput } from '../../schema/specs/common.ts';
import type { SourceRef } from '../../schema/desired.ts';
import type { Path, SpecDoc } from './documents.ts';
import type { Errors } from './errors.ts';
import { branchNameProblem } from './gitref.ts';
import type { Loaded, Named, SpecSet } from './load.ts';
import { expandTemplate, own } from './merge.ts';
import { parseDuration, parseMemory, parsePortRange, parseTtl } from './units.ts';
import { hasPasswordInUrl } from '../git-url.ts';
import { checkSet } from './sets/check-set.ts';

type AnyLoaded = Loaded<Platform> | Loaded<SandboxTemplate> | Loaded<Sandbox> | Loaded<Environment> | Loaded<SandboxSet>;

/** `${services.<name>.url}`: the one interpolation variables may use. */
export const SERVICE_URL_REF = /\$\{services\.([a-z0-9-]+)\.url\}/g;

/** Checks one schema-valid document on its own; true when it has no errors. */
export function checkDocument(kind: SpecKind, loaded: AnyLoaded, errors: Errors): boolean {
  const before = errors.size;
  if (kind === 'Platform') checkPlatform(loaded as Loaded<Platform>, errors);
  else if (kind === 'Environment') checkEnvironment(loaded as Loaded<Environment>, errors);
  else if (kind === 'SandboxSet') checkSet(loaded as Loaded<SandboxSet>, errors);
  else checkSandboxLike(loaded as Loaded<Sandbox | SandboxTemplate>, errors);
  return errors.size === before;
}

function checkPlatform({ doc, value }: Loaded<Platform>, errors: Errors): void {
  const spec = value.spec;
  const ranges: Partial<Record<'gateway' | 'services', [number, number]>> = {};
  for (const which of ['gateway', 'services'] as const) {
    const parsed = parsePortRange(spec.ports[which]);
    if (typeof parsed === 'string') errors.at(doc, ['spec', 'ports', which], parsed);
    else ranges[which] = parsed;
  }
  const { gateway: g, services: s } = ranges;
  if (g && s && g[0] <= s[1] && s[0] <= g[1]) {
    errors.at(doc, ['spec', 'ports', 'services'], `overlaps the gateway range ${spec.ports.gateway}`);
  }

  const roles = new Set<string>();
  const seen = new Map<string, number>();
  spec.nodes.forEach((node, i) => {
    node.roles.forEach((r) => roles.add(r));
    const first = seen.get(node.name);
    if (first !== undefined) errors.at(doc, ['spec', 'nodes', i, 'name'], `node ${node.name} is declared twice (first as nodes[${first}])`);
    else seen.set(node.name, i);
  });
  const nodeList = spec.nodes.map((n) => `${n.name} [${n.roles.join(', ')}]`).join(', ');
  const checkRole = (path: Path, role: string): void => {
    if (!roles.has(role)) errors.at(doc, path, `no node has role ${role} (nodes: ${nodeList})`);
  };

  const checkRepo = (path: Path, repo: string | undefined): void => {
    if (repo !== undefined && hasPasswordInUrl(repo)) {
      errors.at(doc, path, 'has a password in its URL: set it with `sdp secret set NAME password` and name it in `git: { credentials: NAME }`');
    }
    const problem = repo !== undefined && /^https?:/i.test(repo) ? httpUrlProblem(repo) : undefined;
    if (problem) errors.at(doc, path, problem);
  };
  for (const [name, service] of Object.entries(spec.services)) {
    checkRole(['spec', 'services', name, 'role'], service.role);
    checkRepo(['spec', 'services', name, 'repo'], service.repo);
    const baselineProblem = service.baseline !== undefined ? httpUrlProblem(service.baseline) : undefined;
    if (baselineProblem) errors.at(doc, ['spec', 'services', name, 'baseline'], baselineProblem);
    if (service.health) checkHealth(doc, ['spec', 'services', name, 'health'], service.health, errors);
  }

  const gw = spec.gateway;
  const base = ['spec', 'gateway'];
  checkRole([...base, 'role'], gw.role);
  checkRepo([...base, 'repo'], gw.repo);
  const customKeys = (['repo', 'build', 'port', 'routes', 'health'] as const).filter((k) => gw[k] !== undefined);
  if (gw.proxy) {
    for (const k of customKeys) {
      errors.at(doc, [...base, k], 'belongs to a custom gateway app; with `proxy` (the built-in gateway) leave it out', { key: true });
    }
  } else if (gw.repo === undefined) {
    errors.at(doc, base, 'needs either `proxy: { image }` (the built-in gateway) or `repo`, `build`, `port` and `routes` (your own gateway app)');
  } else {
    for (const k of ['build', 'port', 'routes'] as const) {
      if (gw[k] === undefined) errors.at(doc, [...base, k], 'is required for a custom gateway app (one with `repo`)');
    }
    if (gw.health) checkHealth(doc, [...base, 'health'], gw.health, errors);
  }
  checkNotifications(doc, spec.notifications ?? [], errors);
}

function checkNotifications(doc: SpecDoc, targets: NonNullable<Platform['spec']['notifications']>, errors: Errors): void {
  const seen = new Map<string, number>();
  targets.forEach((target, i) => {
    const path = ['spec', 'notifications', i];
    const first = seen.get(target.name);
    if (first !== undefined) errors.at(doc, [...path, 'name'], `target ${target.name} is declared twice (first as notifications[${first}])`);
    else seen.set(target.name, i);
    // the URL is stored with every revision and would go out in errors: no password in it
    if (hasPasswordInUrl(target.url)) {
      errors.at(doc, [...path, 'url'], 'has a password in its URL, which sdp would store and show: sign deliveries instead with `secret: NAME` (the HMAC key is set with `sdp secret set NAME hmac`)');
      return;
    }
    const problem = httpUrlProblem(target.url);
    if (problem) errors.at(doc, [...path, 'url'], problem);
  });
}

function checkHealth(doc: SpecDoc, path: Path, health: { timeout?: string; interval?: string }, errors: Errors): void {
  for (const k of ['timeout', 'interval'] as const) {
    const text = health[k];
    if (text !== undefined && !((parseDuration(text) ?? 0) > 0)) errors.at(doc, [...path, k], `must be longer than 0 (got "${text}")`);
  }
}

function checkSandboxLike({ doc, value }: Loaded<Sandbox | SandboxTemplate>, errors: Errors): void {
  const spec = value.spec;
  if (spec.ttl !== undefined && !((parseTtl(spec.ttl) ?? 0) > 0)) errors.at(doc, ['spec', 'ttl'], `must be longer than 0 (got "${spec.ttl}")`);
  checkResources(doc, ['spec', 'resources'], spec.resources, errors);
  if (spec.gateway) checkSource(doc, ['spec', 'gateway'], spec.gateway, errors);
  for (const [name, selection] of Object.entries(spec.services ?? {})) {
    const path = ['spec', 'services', name];
    checkSource(doc, path, selection, errors);
    if (selection.baseline === true) {
      const onBranch = (['branch', 'commit'] as const).find((k) => selection[k] !== undefined);
      if (onBranch) errors.at(doc, [...path, 'baseline'], `service ${name} is both on a ${onBranch} and on baseline; choose one`);
    }
    checkResources(doc, [...path, 'resources'], selection.resources, errors);
  }
}

function checkSource(doc: SpecDoc, path: Path, source: { branch?: string; commit?: string }, errors: Errors): void {
  if (source.branch !== undefined) {
    const problem = branchNameProblem(source.branch);
    if (problem) errors.at(doc, [...path, 'branch'], `${JSON.stringify(source.branch)} is not a valid branch name: it ${problem}`);
  }
  if (source.branch !== undefined && source.commit !== undefined) {
    errors.at(doc, [...path, 'commit'], 'branch and commit are both given; pin either a branch or a commit', { key: true });
  }
}

function checkResources(doc: SpecDoc, path: Path, resources: ResourcesInput | undefined, errors: Errors): void {
  if (resources?.memory !== undefined && parseMemory(resources.memory) === undefined) {
    errors.at(doc, [...path, 'memory'], `must be at least 1 byte (got ${JSON.stringify(resources.memory)})`);
  }
}

/**
 * Why `text` is no http(s) URL a container can be sent to (scheme, host, port checked as the
 * gateway will read it), or undefined when it is one.
 */
export function httpUrlProblem(text: string): string | undefined {
  const authority = /^(https?):\/\/([^/?#]*)/i.exec(text);
  if (!authority) return `${JSON.stringify(text)} is not an http:// or https:// URL`;
  const host = (authority[2] ?? '').replace(/^[^@]*@/, '').replace(/:[0-9]*$/, '');
  if (host === '') return `${JSON.stringify(text)} has no host: write it as ${authority[1]}://HOST[:PORT][/PATH]`;
  try {
    new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a valid URL (check the host and that the port is 1-65535)`;
  }
  return undefined;
}

/** A stand-in for a service URL: every one the compiler resolves is an http(s) URL with a host. */
const SERVICE_URL_SAMPLE = 'http://service.invalid:80';

function checkEnvironment({ doc, value }: Loaded<Environment>, errors: Errors): void {
  for (const [key, raw] of Object.entries(value.spec.variables ?? {})) {
    if (typeof raw !== 'string') continue;
    const path = ['spec', 'variables', key];
    if (raw.includes('${services.') && raw.replace(SERVICE_URL_REF, '').includes('${services.')) {
      errors.at(doc, path, 'has a malformed service reference; write ${services.<name>.url}');
      continue;
    }
    if (/:\/\/\$\{services\./.test(raw)) {
      errors.at(doc, path, '${services.<name>.url} is a whole URL, scheme included: write ${services.<name>.url}/path, not http://${services.<name>.url}');
      continue;
    }
    // a value that is a URL (written out, or built on a service URL) must yield one with a host
    const value = raw.replace(SERVICE_URL_REF, SERVICE_URL_SAMPLE);
    const problem = /^https?:/i.test(value) ? httpUrlProblem(value) : undefined;
    if (problem) errors.at(doc, path, raw === value ? problem : `yields ${problem}`);
  }
  const paths = new Map<string, number>();
  (value.spec.files ?? []).forEach((file, i) => {
    const first = paths.get(file.path);
    if (first !== undefined) errors.at(doc, ['spec', 'files', i, 'path'], `${file.path} is listed twice (first as files[${first}])`);
    else paths.set(file.path, i);
  });
}

// ---------------------------------------------------------------- across documents

/** `file:line` of a place, as errors that name another document say it. */
export const where = (ref: SourceRef): string => `${ref.file}:${ref.line}`;

export function checkReferences(set: SpecSet, errors: Errors, firstFile: string): void {
  const platforms = set.counts.Platform;
  if (platforms.length === 0) {
    errors.add({ file: firstFile, line: 1, col: 1, message: 'no Platform: the specs need exactly one `kind: Platform` document' });
  }
  for (const doc of platforms.slice(1)) {
    errors.at(doc, ['kind'], `a second Platform (the first is at ${where(platforms[0]!.at([]))}); exactly one is allowed`);
  }
  for (const kind of Object.keys(set.named) as SpecKind[]) checkUnique(kind, set.named[kind], errors);

  const names = (kind: SpecKind): Set<string> => new Set(set.named[kind].map((n) => n.name));
  const [templates, environments] = [names('SandboxTemplate'), names('Environment')];
  const catalog = set.catalog;
  const known = (s: Set<string>): string => (s.size > 0 ? [...s].sort().join(', ') : 'none');

  const checkEnvRefs = (doc: SpecDoc, path: Path, list: string[] | undefined): void => {
    list?.forEach((env, i) => {
      if (!environments.has(env)) errors.at(doc, [...path, i], `unknown Environment ${env} (known: ${known(environments)})`);
    });
  };
  for (const { doc, value } of [...set.templates, ...set.sandboxes]) {
    const spec = value.spec;
    if ('template' in spec && spec.template !== undefined && !templates.has(spec.template)) {
      errors.at(doc, ['spec', 'template'], `unknown SandboxTemplate ${spec.template} (known: ${known(templates)})`);
    }
    checkEnvRefs(doc, ['spec', 'env'], spec.env);
    for (const [name, selection] of Object.entries(spec.services ?? {})) {
      if (catalog && !catalog.has(name)) {
        errors.at(doc, ['spec', 'services', name], `unknown service ${name}: not in the Platform catalog (catalog: ${known(catalog)})`, { key: true });
      }
      checkEnvRefs(doc, ['spec', 'services', name, 'env'], selection.env);
    }
  }
  if (catalog) {
    for (const { doc, value } of set.environments) {
      for (const [key, raw] of Object.entries(value.spec.variables ?? {})) {
        if (typeof raw !== 'string') continue;
        for (const m of raw.matchAll(SERVICE_URL_REF)) {
          const service = m[1] ?? '';
          if (!catalog.has(service)) errors.at(doc, ['spec', 'variables', key], `\${services.${service}.url} names unknown service ${service} (catalog: ${known(catalog)})`);
        }
      }
    }
  }
  const platform = set.platforms[0];
  if (platform && platforms.length === 1 && !set.flawed.has(platform.doc)) checkAgainstPlatform(set, platform, errors);
}

function checkUnique(kind: SpecKind, named: Named[], errors: Errors): void {
  const first = new Map<string, SpecDoc>();
  for (const { doc, name } of named) {
    const earlier = first.get(name);
    if (earlier) errors.at(doc, ['metadata', 'name'], `${kind} ${name} is defined twice (first at ${where(earlier.at(['metadata', 'name']))})`);
    else first.set(name, doc);
  }
}

/** Rules that need the (valid) Platform and the sandbox merged over its template. */
function checkAgainstPlatform(set: SpecSet, platform: Loaded<Platform>, errors: Errors): void {
  const spec = platform.value.spec;
  const range = parsePortRange(spec.ports.gateway);
  const templates = new Map(set.templates.map((t) => [t.name, t]));
  const ports = new Map<number, Loaded<Sandbox>>();
  const customGateway = spec.gateway.proxy === undefined;

  for (const sandbox of set.sandboxes) {
    const { doc, value } = sandbox;
    const port = value.spec.gateway?.port;
    if (port !== undefined && typeof range !== 'string') {
      if (port < range[0] || port > range[1]) {
        errors.at(doc, ['spec', 'gateway', 'port'], `${port} is outside the platform's gateway range ${spec.ports.gateway}`);
      } else {
        const other = ports.get(port);
        if (other) errors.at(doc, ['spec', 'gateway', 'port'], `${port} is already the gateway port of sandbox ${other.name} (${where(other.doc.at(['spec', 'gateway', 'port']))})`);
        else ports.set(port, sandbox);
      }
    }

    const templateName = value.spec.template;
    const template = templateName === undefined ? undefined : templates.get(templateName);
    if (templateName !== undefined && !template) continue; // unknown or invalid template: already reported
    const merged = expandTemplate(template?.value.spec, value.spec);
    // An error about a merged field points at the sandbox when it writes the field, else at the template.
    const at = (path: Path, text: string): void => {
      if (template && !hasPath(value, path) && hasPath(template.value, path)) errors.at(template.doc, path, `${text} (in sandbox ${sandbox.name})`, { key: true });
      else errors.at(doc, path, text, { key: true, ...(hasPath(value, path) ? {} : { place: ['metadata', 'name'] }) });
    };

    for (const [name, selection] of Object.entries(merged.services ?? {})) {
      const service = own(spec.services, name);
      if (!service) continue; // unknown service: already reported
      const path = ['spec', 'services', name];
      if (selection.baseline === true) {
        if (service.baseline === undefined) at([...path, 'baseline'], `service ${name} has no baseline in the Platform catalog to route to`);
      } else if (selection.branch === undefined && selection.commit === undefined) {
        at(path, `service ${name} needs a branch, a commit, or baseline: true`);
      }
    }
    if (customGateway && merged.gateway?.branch === undefined && merged.gateway?.commit === undefined) {
      at(['spec', 'gateway'], 'the platform gateway is a custom app: give gateway.branch or gateway.commit (here or in the template)');
    }
  }
}

function hasPath(value: unknown, path: Path): boolean {
  let node: unknown = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return false;
    node = (node as Record<string, unknown>)[segment];
  }
  return true;
}
