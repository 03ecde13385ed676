// Commit binding: a DesiredSandbox (branches) + resolved commits -> ContainerSpecs with their spec
// hash. Pure: the commit lookup and the secret digest are functions the caller passes in.
//
// The spec hash is what keeps the reconciler from redeploying forever: it must depend on the
// desired config only, never on map order, array order of set-like fields, timestamps, or spelling
// variants (`alpine` vs `alpine:latest`). The agent stores it as the `sdp.spec-hash` label and the
// diff trusts an equal hash on a running container as "in sync".
import { createHash } from 'node:crypto';
import type { ContainerSpec, FileSpec, Resources } from '../../schema/container.ts';
import type { DesiredContainer, DesiredSandbox, SecretRef } from '../../schema/desired.ts';
import { COMMIT_PATTERN } from '../../schema/names.ts';
import { cpuNano, memoryBytes, normImage } from '../diff/normalize.ts';

export interface BindResult {
  /** services (sorted by name) then the gateway; containers whose branch did not resolve are left out */
  containers: ContainerSpec[];
  /** resources whose branch could not be resolved: "service/<name>" | "gateway" */
  unresolved: string[];
}

export type CommitLookup = (repo: string, ref: string) => string | undefined;
/** A digest of the secret values (an HMAC), so a changed secret changes the hash without revealing it. */
export type SecretDigest = (refs: SecretRef[]) => string;

const COMMIT = new RegExp(COMMIT_PATTERN);

export function resourceOf(c: { kind: 'service' | 'gateway'; service: string }): string {
  return c.kind === 'gateway' ? 'gateway' : `service/${c.service}`;
}

/**
 * Binds every container of a sandbox to a commit and computes its spec hash.
 * An unresolved branch (or a lookup answer that is not a commit sha) leaves that container out and
 * lists it in `unresolved`; the diff then reports the sandbox `Unknown` rather than guessing, and
 * the planner neither deploys nor prunes it.
 * `platform` is the Platform's name, stamped on every spec (and so in its hash): the runtime always
 * passes it; without it the specs carry no platform.
 */
export function bindSandbox(s: DesiredSandbox, commits: CommitLookup, secretDigest: SecretDigest, platform?: string): BindResult {
  const containers: ContainerSpec[] = [];
  const unresolved: string[] = [];
  const services = [...s.services].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  for (const d of [...services, s.gateway]) {
    const spec = bindContainer(d, commits, secretDigest, platform, s.generatedBy?.set);
    if (spec) containers.push(spec);
    else unresolved.push(resourceOf(d));
  }
  return { containers, unresolved };
}

// The runtime re-binds every sandbox on every live change; hashing is the costly part. A compiled
// DesiredContainer is immutable, so its last binding is kept per object and reused while the commit
// and the secret digest are the same.
const lastBinding = new WeakMap<DesiredContainer, { commit: string; digest: string; platform?: string; spec: ContainerSpec }>();

/** `set`: the SandboxSet that made the sandbox (one per DesiredContainer, so the cache by object holds). */
function bindContainer(d: DesiredContainer, commits: CommitLookup, secretDigest: SecretDigest, platform?: string, set?: string): ContainerSpec | undefined {
  let commit = '';
  if (d.source) {
    const found = (d.source.commit ?? (d.source.branch !== undefined ? commits(d.source.repo, d.source.branch) : undefined))
      ?.trim()
      .toLowerCase();
    if (found === undefined || !COMMIT.test(found)) return undefined;
    commit = found;
  }
  const secrets = [...d.secrets].sort((a, b) => cmp(a.key, b.key) || cmp(a.environment, b.environment));
  const digest = secrets.length > 0 ? secretDigest(secrets) : '';
  const last = lastBinding.get(d);
  if (last && last.commit === commit && last.digest === digest && last.platform === platform) return last.spec;
  const spec = makeSpec(d, commit, secrets, digest, platform, set);
  lastBinding.set(d, { commit, digest, platform, spec });
  return spec;
}

function makeSpec(d: DesiredContainer, commit: string, secrets: SecretRef[], digest: string, platform?: string, set?: string): ContainerSpec {
  const source: ContainerSpec['source'] = d.source
    ? { repo: d.source.repo, commit, ...(d.source.branch !== undefined ? { branch: d.source.branch } : {}) }
    : undefined;
  const unhashed: Omit<ContainerSpec, 'specHash'> = {
    name: d.name,
    sandbox: d.sandbox,
    ...(platform !== undefined ? { platform } : {}),
    ...(set !== undefined ? { set } : {}),
    service: d.service,
    kind: d.kind,
    network: d.network,
    alias: d.alias,
    ...(source ? { source } : {}),
    build: d.build,
    port: d.port,
    ...(d.hostPort !== undefined ? { hostPort: d.hostPort } : {}),
    ...(d.hostIp !== undefined ? { hostIp: d.hostIp } : {}),
    env: d.env,
    secretEnv: [...new Set(secrets.map((r) => r.key))],
    files: sortFiles(d.files),
    resources: d.resources,
    ...(d.health ? { health: d.health } : {}),
  };
  return { ...unhashed, specHash: specHash(unhashed, digest) };
}

/** sha256 hex of the canonical JSON of the normalised spec, then the secret digest. */
export function specHash(spec: Omit<ContainerSpec, 'specHash'>, secretDigest: string): string {
  const normalised = {
    ...spec,
    build: 'image' in spec.build ? { ...spec.build, image: normImage(spec.build.image) } : spec.build,
    secretEnv: [...new Set(spec.secretEnv)].sort(),
    files: sortFiles(spec.files),
    resources: normResources(spec.resources),
  };
  return createHash('sha256').update(canonicalJson(normalised)).update('\n').update(secretDigest).digest('hex');
}

function normResources(r: Resources): Resources {
  const cpu = cpuNano(r.cpu);
  const mem = memoryBytes(r.memoryBytes);
  return { ...(cpu !== undefined ? { cpu: cpu / 1e9 } : {}), ...(mem !== undefined ? { memoryBytes: mem } : {}) };
}

/** Files by path (stable, so two files of one path keep their order: the later one wins). */
function sortFiles(files: readonly FileSpec[]): FileSpec[] {
  return [...files].sort((a, b) => cmp(a.path, b.path));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * JSON with object keys sorted at every depth and `undefined` members dropped, so equal data always
 * gives equal text. Array order is kept: arrays whose order does not matter are sorted before.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`canonicalJson: ${v} has no JSON form`);
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const obj = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  }
  return `{${parts.join(',')}}`;
}
