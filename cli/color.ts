// Colour for people at a terminal: only when stdout is one, never under NO_COLOR, and into a pipe
// when FORCE_COLOR (not 0) asks; the rule scripts/color.sh applies to the scripts. (picocolors' own
// default would also colour whenever CI is set, into every pipe and log file.)
import { createColors } from 'picocolors';

function wanted(env: NodeJS.ProcessEnv, tty: boolean): boolean {
  if (env['NO_COLOR']) return false;
  if (env['FORCE_COLOR'] && env['FORCE_COLOR'] !== '0') return true;
  return tty && env['TERM'] !== 'dumb';
}

/** picocolors' functions, on or off by the rule above */
export const colors = createColors(wanted(process.env, process.stdout.isTTY === true));

const GOOD = new Set(['Synced', 'Healthy', 'healthy', 'succeeded', 'delivered', 'yes', 'set']);
const BAD = new Set(['OutOfSync', 'Degraded', 'unhealthy', 'Missing', 'Expired', 'failed', 'NO', 'UNSET']);
const BUSY = new Set(['Progressing', 'running', 'pending', 'Unknown', 'Suspended']);

/** A status word in green (good), red (needs attention) or yellow (in between); others as they are. */
export function state(word: string): string {
  if (GOOD.has(word)) return colors.green(word);
  if (BAD.has(word)) return colors.red(word);
  if (BUSY.has(word)) return colors.yellow(word);
  return word;
}

