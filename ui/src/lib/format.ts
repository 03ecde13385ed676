// Small display helpers shared by the pages.

export function shortSha(sha: string | undefined | null): string {
  if (!sha) return '—';
  return /^[0-9a-f]{12,}$/i.test(sha) ? sha.slice(0, 7) : sha;
}

/** "3d 4h", "25m", "expired" — coarse on purpose: a TTL is read at a glance. */
export function timeLeft(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return '—';
  if (ms <= 0) return 'expired';
  return span(ms);
}

export function ago(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  if (ms < 5_000) return 'just now';
  return `${span(ms)} ago`;
}

function span(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return `${Math.floor(ms / 1000)}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function clock(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(undefined, { hour12: false });
}

/** Drift and plan values are arbitrary JSON; show scalars as-is and the rest as compact JSON. */
export function show(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');
}

export function revisionLabel(rev: string | undefined): string {
  if (!rev) return '—';
  return /^[0-9a-f]{12,}/i.test(rev) ? rev.slice(0, 7) + rev.slice(40) : rev;
}
