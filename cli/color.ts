// Colour for people at a terminal: picocolors colours only when stdout is one (or FORCE_COLOR says
// so) and never under NO_COLOR, so pipes, files and CI logs get plain text.
import pc from 'picocolors';

const GOOD = new Set(['Synced', 'Healthy', 'succeeded', 'yes', 'set']);
const BAD = new Set(['OutOfSync', 'Degraded', 'Missing', 'Expired', 'failed', 'NO', 'UNSET']);
const BUSY = new Set(['Progressing', 'running', 'pending', 'Unknown', 'Suspended']);

/** A status word in green (good), red (needs attention) or yellow (in between); others as they are. */
export function state(word: string): string {
  if (GOOD.has(word)) return pc.green(word);
  if (BAD.has(word)) return pc.red(word);
  if (BUSY.has(word)) return pc.yellow(word);
  return word;
}

