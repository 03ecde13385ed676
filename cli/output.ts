// The one output flag of every read command: `-o, --output text|json|yaml|wide` (kubectl's names).
// json and yaml print the API's shapes as they are, so scripts read the same fields the HTTP API has.
import { Option } from 'commander';

export const OUTPUTS = ['text', 'json', 'yaml', 'wide'] as const;
export type Output = (typeof OUTPUTS)[number];

/** `-o/--output` with the common formats plus a command's own (validate's github, plan's markdown). */
export function outputOption(extra: readonly string[] = []): Option {
  return new Option('-o, --output <format>', 'output format').choices([...OUTPUTS, ...extra]).default('text');
}

export interface OutputFlags {
  output: string;
  /** the older spelling, kept as a hidden alias */
  format?: string;
}

/** The output format asked for, whichever of -o and --format said it. */
export const chosenOutput = (o: OutputFlags): string => o.format ?? o.output;
