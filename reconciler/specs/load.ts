// Parsed documents -> spec objects by kind, each checked against its schema and its own rules.
// Names are collected from every document that has one, even an invalid one, so a reference to it
// is not reported as unknown on top of the document's own errors.
import { SPEC_KINDS, isSpecKind, type SpecDocument, type SpecKind } from '../../schema/specs/index.ts';
import type { Environment, Platform, Sandbox, SandboxSet, SandboxTemplate } from '../../schema/specs/index.ts';
import { checkDocument } from './check.ts';
import type { SpecDoc } from './documents.ts';
import { isObject, type Errors } from './errors.ts';
import { checkSchema } from './schema-check.ts';

export interface Loaded<T extends SpecDocument> {
  doc: SpecDoc;
  name: string;
  value: T;
  /** a Sandbox a SandboxSet made (its doc places errors in the set's file); `sample`: made only to check the set */
  generated?: { set: string; branch: string; sample?: boolean };
}

export interface Named {
  doc: SpecDoc;
  name: string;
}

export interface SpecSet {
  /** documents that passed their schema, by kind */
  platforms: Loaded<Platform>[];
  templates: Loaded<SandboxTemplate>[];
  sandboxes: Loaded<Sandbox>[];
  environments: Loaded<Environment>[];
  sets: Loaded<SandboxSet>[];
  /** every document of a known kind that has a string name, valid or not, in file order */
  named: Record<SpecKind, Named[]>;
  /** catalog service names as written (best effort, even when the Platform has errors) */
  catalog?: Set<string>;
  /** documents of each kind, valid or not */
  counts: Record<SpecKind, SpecDoc[]>;
  /** schema-valid documents that break their own rules (bad branch name, reversed port range, ...) */
  flawed: Set<SpecDoc>;
}

const KINDS = Object.keys(SPEC_KINDS) as SpecKind[];

export function loadSpecs(docs: readonly SpecDoc[], errors: Errors): SpecSet {
  const set: SpecSet = {
    platforms: [],
    templates: [],
    sandboxes: [],
    environments: [],
    sets: [],
    named: { Platform: [], SandboxTemplate: [], Sandbox: [], Environment: [], SandboxSet: [] },
    counts: { Platform: [], SandboxTemplate: [], Sandbox: [], Environment: [], SandboxSet: [] },
    flawed: new Set(),
  };
  for (const doc of docs) {
    const value = doc.value;
    if (!isObject(value)) {
      errors.at(doc, [], 'a spec document must be a mapping with apiVersion, kind, metadata and spec');
      continue;
    }
    const kind = value.kind;
    if (!isSpecKind(kind)) {
      const one = `one of ${KINDS.join(', ')}`;
      if (Object.hasOwn(value, 'kind')) errors.at(doc, ['kind'], `must be ${one}`);
      else errors.at(doc, ['kind'], `is required (${one})`, { place: [] });
      continue;
    }
    set.counts[kind].push(doc);
    const name = isObject(value.metadata) ? value.metadata.name : undefined;
    if (typeof name === 'string') set.named[kind].push({ doc, name });
    if (kind === 'Platform' && isObject(value.spec) && isObject(value.spec.services)) {
      set.catalog = new Set([...(set.catalog ?? []), ...Object.keys(value.spec.services)]);
    }
    if (!checkSchema(doc, kind, errors) || typeof name !== 'string') continue;
    const loaded = { doc, name, value } as Loaded<never>;
    // A document that breaks its own rules is still checked against the others (a bad branch name does
    // not hide an unknown template), but a flawed Platform is not used to judge the rest.
    if (!checkDocument(kind, loaded, errors)) set.flawed.add(doc);
    if (kind === 'Platform') set.platforms.push(loaded);
    else if (kind === 'SandboxTemplate') set.templates.push(loaded);
    else if (kind === 'Sandbox') set.sandboxes.push(loaded);
    else if (kind === 'SandboxSet') set.sets.push(loaded);
    else set.environments.push(loaded);
  }
  return set;
}
