// Docker's log timestamps (RFC 3339 with up to nine fraction digits, trailing zeros trimmed) compared as
// text: the agent skips what a successor container repeats, the UI what a reopened stream repeats.

/** A Docker timestamp that sorts as text: the fraction padded to nanoseconds. */
export function logTimeKey(ts: string): string {
  return ts.replace(/(?:\.(\d+))?Z$/, (_, f: string | undefined) => `.${(f ?? '').padEnd(9, '0')}Z`);
}
