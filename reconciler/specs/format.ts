// Spec errors and the compiled state's summary as text for people and CI.
import type { DesiredState, SpecError } from '../../schema/desired.ts';

export type ErrorFormat = 'text' | 'json' | 'github';

/**
 * One error per line. `pathOf` maps a spec file (relative to the specs folder) to the path shown,
 * e.g. relative to the working directory so editors and GitHub annotations find the file.
 */
export function formatSpecErrors(errors: readonly SpecError[], format: ErrorFormat, pathOf: (file: string) => string = (f) => f): string {
  const shown = errors.map((e) => ({ ...e, file: pathOf(e.file) }));
  switch (format) {
    case 'json':
      return JSON.stringify({ ok: false, errors: shown }, null, 2);
    case 'github':
      // Workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
      return shown
        .map((e) => `::error file=${escapeProperty(e.file)},line=${e.line},col=${e.col},title=sdp validate::${escapeData(e.message)}`)
        .join('\n');
    case 'text':
      return shown.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n');
  }
}

const escapeData = (s: string): string => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string): string => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** "3 sandboxes (5 service containers), 4 catalog services, 2 templates, 2 environments, 1 node" */
export function summarize(desired: DesiredState): string {
  const containers = desired.sandboxes.reduce((n, s) => n + s.services.length, 0);
  return [
    `${plural(desired.sandboxes.length, 'sandbox', 'sandboxes')} (${plural(containers, 'service container')})`,
    plural(desired.platform.services.length, 'catalog service'),
    plural(desired.templates.length, 'template'),
    plural(desired.environments.length, 'environment'),
    plural(desired.platform.nodes.length, 'node'),
  ].join(', ');
}
