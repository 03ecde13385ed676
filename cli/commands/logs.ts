// `sdp logs SANDBOX SERVICE [-f] [--since D] [--tail N] [-o text|wide|json|yaml]`: a service's container
// log from the server (GET /api/sandboxes/{name}/services/{service}/logs, role qa), secret values
// masked. text: the lines (stderr's on stderr, like docker logs); wide: with time and stream; json:
// the API's LogEvents, one a line; yaml: one document each. Ctrl-C leaves a followed stream.
// Exit (cli/exit.ts): 0 the stream ended (the tail sent, the followed container stopped or went, or
// Ctrl-C); 2 refused, unreachable, or cut off (the agent went offline, the stream failed).
import type { LogEvent } from '../../schema/api.ts';
import { LOG_LIMITS } from '../../schema/log-limits.ts';
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { CliError, EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { streamApi } from '../server-client.ts';

export interface LogsFlags extends RemoteFlags, OutputFlags {
  follow?: boolean;
  since?: string;
  tail?: string;
}

/**
 * Control characters of a line shown as `\xNN`: what a container prints must not drive the terminal
 * (move the cursor, set the title, write the clipboard). Only for a terminal; a pipe gets the text as is.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * How one event is printed in a format: to stdout, to stderr, or not at all. `tty` says which of the
 * two is a terminal: a line is made printable for the one it goes to (wide puts stderr's on stdout).
 */
export function renderLogEvent(e: LogEvent, output: string, structured: (data: unknown) => string, tty: { out?: boolean; err?: boolean } = {}): { out?: string; err?: string } {
  if (output === 'json') return { out: JSON.stringify(e) };
  if (output === 'yaml') return { out: `---\n${structured(e)}` };
  switch (e.type) {
    case 'start':
      return {};
    case 'line': {
      const shown = (toTerminal: boolean | undefined) => (toTerminal ? printable(e.text) : e.text);
      if (output === 'wide') return { out: `${e.ts ?? '-'} ${e.stream.padEnd(6)} ${shown(tty.out)}` };
      return e.stream === 'stderr' ? { err: shown(tty.err) } : { out: shown(tty.out) };
    }
    case 'dropped':
    case 'notice':
      return { err: `sdp logs: ${e.message}` };
    case 'end':
      return e.reason === 'completed' || e.reason === 'cancelled' ? {} : { err: `sdp logs: ${e.message}` };
  }
}

/** An end that means the stream was cut off, not that it finished. */
const FAILED: ReadonlySet<string> = new Set(['failed', 'refused', 'agent-offline']);

export async function logs(sandbox: string, service: string, o: LogsFlags): Promise<number> {
  if (o.tail !== undefined && (!/^[0-9]+$/.test(o.tail) || Number(o.tail) > LOG_LIMITS.tailMax)) {
    throw new CliError(`--tail ${o.tail}: a whole number 0..${LOG_LIMITS.tailMax} (default ${LOG_LIMITS.tailDefault})`);
  }
  const output = chosenOutput(o);
  const yaml = output === 'yaml' ? (await import('../structured.ts')).structured : undefined;
  const remote = resolveRemote(o);
  let end: Extract<LogEvent, { type: 'end' }> | undefined;
  const stream = await streamApi(remote, 'GET /api/sandboxes/{name}/services/{service}/logs', { name: sandbox, service }, { follow: o.follow ? 'true' : undefined, tail: o.tail, since: o.since }, (e) => {
    if (e.type === 'end') end = e;
    const shown = renderLogEvent(e, output, (d) => yaml?.(d, 'yaml') ?? '', { out: process.stdout.isTTY, err: process.stderr.isTTY });
    if (shown.out !== undefined) process.stdout.write(`${shown.out}\n`);
    if (shown.err !== undefined) process.stderr.write(`${shown.err}\n`);
  });
  let interrupted = false;
  const leave = () => {
    interrupted = true;
    stream.close();
  };
  process.once('SIGINT', leave);
  process.once('SIGTERM', leave);
  try {
    await stream.done;
  } finally {
    process.off('SIGINT', leave);
    process.off('SIGTERM', leave);
  }
  if (interrupted) return EXIT.ok;
  if (!end) throw new CliError(`the server closed the log stream of ${sandbox}/${service} before its end; run it again`);
  return FAILED.has(end.reason) ? EXIT.error : EXIT.ok;
}
