// Structural sharing: a value equal to the one held before is replaced by that one. The runtime
// keys its caches by object identity (bindings and spec hashes, fingerprints, spec digests, kept
// evaluations), and a new revision or a full inventory arrives as all-new objects; sharing what did
// not change keeps those caches hitting and leaves one live copy, the new one garbage at once.
import type { DesiredContainer, DesiredSandbox, DesiredState } from '../schema/desired.ts';

/** Deep equality of plain data (what JSON can hold, plus `undefined` members); key order ignored. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k)) continue;
    n++;
    if (!Object.hasOwn(y, k) || !sameData(x[k], y[k])) return false;
  }
  for (const k in y) if (Object.hasOwn(y, k)) n--;
  return n === 0;
}

/** `prev` when it equals `next`, else `next`. */
export function shared<T>(prev: T | undefined, next: T): T {
  return prev !== undefined && sameData(prev, next) ? prev : next;
}

/**
 * A new compiled state whose sandboxes (or, in a changed sandbox, containers) equal those of the
 * state before are those objects. The result equals `next`.
 */
export function shareDesired(prev: DesiredState | undefined, next: DesiredState): DesiredState {
  if (!prev) return next;
  const before = new Map(prev.sandboxes.map((s) => [s.name, s]));
  let reused = false;
  const sandboxes = next.sandboxes.map((s) => {
    const p = before.get(s.name);
    if (!p) return s;
    const out = shareSandbox(p, s);
    if (out !== s) reused = true;
    return out;
  });
  return reused ? { ...next, sandboxes } : next;
}

function shareSandbox(p: DesiredSandbox, s: DesiredSandbox): DesiredSandbox {
  if (sameData(p, s)) return p;
  const before = new Map<string, DesiredContainer>(p.services.map((c) => [c.name, c]));
  const services = s.services.map((c) => shared(before.get(c.name), c));
  const gateway = shared(p.gateway, s.gateway);
  return gateway === s.gateway && services.every((c, i) => c === s.services[i]) ? s : { ...s, services, gateway };
}
