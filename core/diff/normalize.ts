// Normalisers: put desired and live values into one canonical form before they are compared, so
// that two spellings of the same thing (Argo CD's "normalizers") never show up as drift.
// Each one is total: odd input comes back in a comparable form instead of throwing.

export { REDACTED } from '../../schema/names.ts';
import { formatMemory, parseMemory } from '../quantities.ts';

/**
 * Image references: `alpine` == `alpine:latest` == `docker.io/library/alpine:latest`.
 * A digest reference (`name@sha256:...`) keeps its digest and gets no implied tag.
 */
export function normImage(ref: string): string {
  let r = ref.trim();
  for (const prefix of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) {
    if (r.startsWith(prefix)) {
      r = r.slice(prefix.length);
      if (r.startsWith('library/')) r = r.slice('library/'.length);
      break;
    }
  }
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  // a ':' before the last '/' is a registry port (localhost:5000/app), not a tag
  return r.indexOf(':', lastSlash + 1) === -1 ? `${r}:latest` : r;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * URLs (route targets): scheme and host lower-cased, default port dropped, trailing slashes of the
 * path dropped (`http://account:80/` == `http://account`). A string that is not a URL is trimmed
 * and loses its trailing slashes only.
 */
export function normUrl(raw: string): string {
  const s = raw.trim();
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return s.replace(/\/+$/, '');
  }
  const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const port = u.port && u.port !== DEFAULT_PORTS[u.protocol] ? `:${u.port}` : '';
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${auth}${u.hostname}${port}${path}${u.search}${u.hash}`;
}

/** Two URLs equal once normalised; the string compare first keeps the common case cheap. */
export function sameUrl(a: string, b: string): boolean {
  return a === b || normUrl(a) === normUrl(b);
}

/** Git commits: case-insensitive, and a short sha (>= 7 hex) equals the full sha it abbreviates. */
export function sameCommit(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  if (x === y) return true;
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  return short.length >= 7 && long.startsWith(short);
}

export function shortCommit(c: string): string {
  return c.slice(0, 7);
}

function toNumber(v: number | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * CPU as integer nano-CPUs: 0.5 (cores) == 500000000 (Docker's NanoCpus) == "0.5".
 * No limit (undefined, 0) is undefined. A value of a million or more can only be NanoCpus.
 */
export function cpuNano(v: number | string | undefined | null): number | undefined {
  const n = toNumber(v);
  if (n === undefined || n <= 0) return undefined;
  return n >= 1e6 ? Math.round(n) : Math.round(n * 1e9);
}

/**
 * Memory as bytes: 536870912 == "512Mi" == "536870912" (quantities as in the specs,
 * core/quantities.ts). No limit (undefined, 0) and what is not a quantity are undefined.
 */
export function memoryBytes(v: number | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  return parseMemory(typeof v === 'string' ? v.trim() : Math.round(v));
}

export { formatMemory };

export interface PortLike {
  container: number | string;
  host: number | string;
}

/**
 * Published ports as sorted unique "host:container" strings. Docker lists a binding once per
 * address family (0.0.0.0 and ::), and unpublished ports with host 0: both are noise.
 */
export function normPorts(ports: readonly PortLike[]): string[] {
  if (ports.length === 0) return [];
  const out = new Set<string>();
  for (const p of ports) {
    const host = toNumber(p.host);
    const container = toNumber(p.container);
    if (!host || !container) continue;
    out.add(`${host}:${container}`);
  }
  return [...out].sort((a, b) => {
    const [ah, ac] = a.split(':').map(Number) as [number, number];
    const [bh, bc] = b.split(':').map(Number) as [number, number];
    return ah - bh || ac - bc;
  });
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
