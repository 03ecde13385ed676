// History and rollback, the pure part: what a sync applied (per container: commit, image, env
// digest), the desired state that re-applies exactly that, and which sync a rollback goes back to
// by default. The runtime stores the records (reconciler/store/history.ts) and runs the rollback
// as a sync of the desired state made here (reconciler/sync/executor.ts).
import { createHash } from 'node:crypto';
import type { AppliedContainer } from '../schema/api.ts';
import type { ContainerSpec } from '../schema/container.ts';
import type { DesiredContainer, DesiredSandbox } from '../schema/desired.ts';
import { canonicalJson, type BindResult, type SecretDigest } from './bind/bind.ts';

/**
 * What a sync re-applies on rollback: the sandbox's desired state as that sync compiled it (env,
 * files, routes, resources: plain data, secrets by name only) and per container what it ran.
 */
export interface AppliedState {
  sandbox: DesiredSandbox;
  containers: AppliedContainer[];
}

/** sha256 (16 hex) of a container's env and its secret values' digest (an HMAC): shows a change, never a value. */
export function envDigest(spec: Pick<ContainerSpec, 'env' | 'secretEnv'>, secretDigest: string): string {
  return createHash('sha256').update(canonicalJson({ env: spec.env, secretEnv: [...spec.secretEnv].sort() })).update('\n').update(secretDigest).digest('hex').slice(0, 16);
}

/**
 * The record of a sync about to apply `bound`: per container (services, then the gateway) its
 * branch, commit, image and env digest. `image(name)` is the image the container runs when the
 * sync leaves it as it is (live already matched); a deploy replaces it with the image it ran.
 */
export function appliedState(sandbox: DesiredSandbox, bound: BindResult, secretDigest: SecretDigest, image: (name: string) => string | undefined): AppliedState {
  const byName = new Map(bound.containers.map((c) => [c.name, c]));
  const containers: AppliedContainer[] = [];
  for (const dc of [...sandbox.services, sandbox.gateway]) {
    const spec = byName.get(dc.name);
    if (!spec) continue;
    const img = 'image' in spec.build && !spec.source ? spec.build.image : image(dc.name);
    containers.push({
      service: dc.service,
      kind: dc.kind,
      ...(spec.source?.branch !== undefined ? { branch: spec.source.branch } : {}),
      ...(spec.source ? { commit: spec.source.commit } : {}),
      ...(img !== undefined ? { image: img } : {}),
      envDigest: envDigest(spec, dc.secrets.length > 0 ? secretDigest(dc.secrets) : ''),
    });
  }
  return { sandbox, containers };
}

/**
 * The desired state that re-applies a record exactly: the sandbox as that sync compiled it, each
 * container from git pinned to the commit it ran (the spec's `commit:` pinning, with the branch
 * name kept so the bound spec — and its hash — is the one that sync deployed). A container from
 * git without a recorded commit cannot be re-applied: the error says which.
 * Host ports are the sandbox's allocation, not part of a version: where `current` (the spec in
 * force) has the container, its host port (and the gateway's port and URL) are taken from there,
 * so a sandbox deleted and added back under other ports is recreated on its ports of now.
 */
export function rollbackDesired(state: AppliedState, current?: DesiredSandbox): { ok: true; sandbox: DesiredSandbox } | { ok: false; error: string } {
  // A secret is bound by name at apply time, with its value of now: a record naming one the spec in
  // force no longer gives the sandbox would hand its current value back to the sandbox's code, past
  // the lead who took it away (a rollback is only qa's).
  if (current) {
    const granted = new Set([...current.services, current.gateway].flatMap((dc) => dc.secrets.map((r) => `${r.environment}/${r.key}`)));
    const revoked = [...new Set([...state.sandbox.services, state.sandbox.gateway].flatMap((dc) => dc.secrets.map((r) => `${r.environment}/${r.key}`)))].filter((n) => !granted.has(n));
    if (revoked.length > 0) return { ok: false, error: `it used secret ${revoked.join(', ')}, which the spec in force no longer gives sandbox ${current.name}; a rollback would hand ${revoked.length === 1 ? 'it' : 'them'} back` };
  }
  const commits = new Map(state.containers.map((c) => [`${c.kind}/${c.service}`, c.commit]));
  const now = new Map([...(current?.services ?? []), ...(current ? [current.gateway] : [])].map((dc) => [dc.name, dc]));
  const pin = <C extends DesiredContainer>(dc: C): C | string => {
    const cur = now.get(dc.name);
    const ports = cur ? { hostPort: cur.hostPort, hostIp: cur.hostIp } : {};
    if (!dc.source) return { ...dc, ...ports };
    const commit = commits.get(`${dc.kind}/${dc.service}`);
    if (!commit) return `${dc.kind === 'gateway' ? 'the gateway' : `service ${dc.service}`} has no recorded commit (its branch did not resolve when that sync ran)`;
    return { ...dc, ...ports, source: { ...dc.source, commit } };
  };
  const services: DesiredContainer[] = [];
  for (const dc of state.sandbox.services) {
    const p = pin(dc);
    if (typeof p === 'string') return { ok: false, error: p };
    services.push(p);
  }
  const gateway = pin(state.sandbox.gateway);
  if (typeof gateway === 'string') return { ok: false, error: gateway };
  const gatewayAt = current ? { gatewayPort: current.gatewayPort, gatewayUrl: current.gatewayUrl } : {};
  return { ok: true, sandbox: { ...state.sandbox, ...gatewayAt, services, gateway } };
}

/** A sandbox held at a recorded state: auto-sync and self-heal leave it alone (core/policy.ts). */
export interface Pin {
  /** the job that applied the state it holds (a rollback's own job, or the last successful sync) */
  job: string;
  snapshot?: string;
  by: string;
  at: string;
  reason: string;
}

/** A finished sync as the default rollback target reads it: newest first. */
export interface SyncOutcome {
  job: string;
  ok: boolean;
  fingerprint: string;
  /** it has an applied-state record */
  recorded: boolean;
}

/**
 * `sdp rollback` without --to: the newest successful sync that applied something other than the
 * newest successful one (what runs now), so repeats of one state (no-op syncs) are skipped.
 */
export function previousSuccessful(newestFirst: readonly SyncOutcome[]): string | undefined {
  const ok = newestFirst.filter((s) => s.ok && s.recorded);
  const current = ok[0];
  return current ? ok.find((s) => s.fingerprint !== current.fingerprint)?.job : undefined;
}
