// A SandboxSet's own rules: a glob that can match branch names, a name template that yields a label
// for every branch, and no placeholder but {{branch}} and {{slug}}. What its sandboxes would be
// (template, services, environments) is checked on the sandboxes it makes (expand.ts).
import type { SandboxSet } from '../../../schema/specs/index.ts';
import type { Path } from '../documents.ts';
import type { Errors } from '../errors.ts';
import type { Loaded } from '../load.ts';
import { BRANCH, SLUG, parseNameTemplate } from './naming.ts';
import { globProblem } from './select.ts';

export const DEFAULT_MAX = 10;

/** The set's name template as written, or the default `<set>-{{slug}}`. */
export const nameTemplateOf = (set: SandboxSet): string => set.spec.name ?? `${set.metadata.name}-${SLUG}`;

export function checkSet({ doc, value }: Loaded<SandboxSet>, errors: Errors): void {
  const glob = globProblem(value.spec.generator.branches);
  if (glob) errors.at(doc, ['spec', 'generator', 'branches'], `${JSON.stringify(value.spec.generator.branches)} ${glob}`);
  const name = parseNameTemplate(nameTemplateOf(value));
  if (typeof name === 'string') {
    if (value.spec.name !== undefined) errors.at(doc, ['spec', 'name'], `${JSON.stringify(value.spec.name)} cannot yield a valid sandbox name: it ${name}`);
    else errors.at(doc, ['metadata', 'name'], `the default name ${JSON.stringify(nameTemplateOf(value))} cannot yield a valid sandbox name: it ${name}; shorten the set's name or give spec.name`);
  }
  const { generator: _generator, name: _name, max: _max, ...rest } = value.spec;
  walkStrings(rest, ['spec'], (path, text) => {
    for (const m of text.matchAll(/\{\{[^}]*\}\}/g)) {
      if (m[0] !== BRANCH && m[0] !== SLUG) errors.at(doc, path, `has ${m[0]}: only ${BRANCH} and ${SLUG} are replaced`);
    }
  });
}

function walkStrings(value: unknown, path: Path, visit: (path: Path, text: string) => void): void {
  if (typeof value === 'string') visit(path, value);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}

/** `value` with {{branch}} and {{slug}} replaced in every string (a fresh copy: parsed specs are shared). */
export function substitute<T>(value: T, branch: string, slug: string): T {
  if (typeof value === 'string') return value.replaceAll(BRANCH, branch).replaceAll(SLUG, slug) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => substitute(v, branch, slug)) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, branch, slug)])) as T;
  return value;
}
