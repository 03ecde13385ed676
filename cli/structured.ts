// json and yaml output: the API's shapes as they are, so scripts read the same fields the HTTP API has.
// Apart from cli/output.ts so that `sdp --help`, which declares the flag, does not load yaml.
import { stringify } from 'yaml';

/** Prints `data` as json or yaml; undefined for text-like formats, which the command renders itself. */
export function structured(data: unknown, output: string): string | undefined {
  if (output === 'json') return JSON.stringify(data, null, 2);
  if (output === 'yaml') return stringify(data, { lineWidth: 0 }).trimEnd();
  return undefined;
}
