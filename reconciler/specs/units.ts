// Durations, memory sizes and port ranges as written in specs. The schema has already checked the
// shape (see schema/specs/common.ts); these turn text into numbers and catch what a pattern cannot.

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const TTL_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A whole-string matcher and a global one for `<number><unit>` parts, built once per kind of duration. */
function unitParser(part: string, units: Record<string, number>): (text: string) => number | undefined {
  const whole = new RegExp(`^(${part})+$`);
  const parts = new RegExp(part, 'g');
  return (text) => {
    if (!whole.test(text)) return undefined;
    let total = 0;
    for (const m of text.matchAll(parts)) total += Number(m[1]) * (units[m[2] ?? ''] ?? Number.NaN);
    return Number.isFinite(total) ? total : undefined;
  };
}

/** `10s`, `500ms`, `1m30s` -> milliseconds; undefined when not a duration. */
export const parseDuration = unitParser('([0-9]+)(ms|s|m|h)', DURATION_MS);

/** `14d`, `12h`, `30m`, `90s`, `2w` -> seconds; undefined when not a ttl. */
export const parseTtl = unitParser('([0-9]+)([wdhms])', TTL_SECONDS);

// memory sizes: one definition for specs and diff (core/quantities.ts)
export { parseMemory, formatMemory as formatBytes } from '../../core/quantities.ts';

/** `8080-8099` -> [8080, 8099], or the reason it is not a usable range. */
export function parsePortRange(text: string): [number, number] | string {
  const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(text);
  if (!m) return 'is not a port range such as 8080-8099';
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1 || hi > 65535) return `${text} is outside 1-65535`;
  if (lo > hi) return `${text} starts after it ends`;
  return [lo, hi];
}
