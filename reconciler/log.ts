// The reconciler's logger (pino) on stderr. Level from SDP_LOG_LEVEL (default info; tests set
// "silent"). JSON lines for machines; when stderr is a terminal (someone running `sdp up`), one
// readable line per entry instead: `HH:MM:SS level msg key=value`. Never log secret values,
// credentials or tokens: pass names, not values (the redaction below is a second line of defence,
// applied before either format is written).
import { destination, pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED } from '../schema/names.ts';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** pino's own fields, shown in the line's head or not at all */
const HEAD = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** One pino JSON line -> `HH:MM:SS level msg key=value ...` (local time). Not JSON: returned as is. */
export function formatLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.replace(/\n$/, '');
  }
  const at = typeof entry['time'] === 'number' ? new Date(entry['time']) : new Date();
  const time = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const level = LEVELS[Number(entry['level'])] ?? String(entry['level']);
  const fields = Object.entries(entry)
    .filter(([k, v]) => !HEAD.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`);
  return [time, level.padEnd(5), String(entry['msg'] ?? ''), ...fields].filter((s) => s !== '').join(' ');
}

/** A pino destination writing `formatLine` of each entry to `out`. */
export function readableDestination(out: { write(s: string): unknown }): DestinationStream {
  return { write: (line: string) => void out.write(formatLine(line) + '\n') };
}

/** A logger writing where and how the reconciler's does; `sdp up` gives one to its local agent too. */
export function newLogger(name: string): Logger {
  return pino(
    {
      name,
      level: process.env.SDP_LOG_LEVEL ?? 'info',
      redact: { paths: ['*.password', '*.token', '*.secretValues', '*.credentials', 'authorization'], censor: REDACTED },
    },
    process.stderr.isTTY ? readableDestination(process.stderr) : destination(2),
  );
}

export const log: Logger = newLogger('sdp-reconciler');
