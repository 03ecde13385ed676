// SandboxSets -> the Sandboxes they make, from the branch lists the agents gave. Each generated
// Sandbox is an ordinary Sandbox document from then on (checked and built like a hand-written one)
// whose positions are the set's: an error in it names the set's file and line. A set whose branch
// list is not known yet, or that matches no branch, is checked through a sample sandbox instead.
import type { DesiredSet } from '../../../schema/desired.ts';
import type { BranchTip } from '../../../schema/protocol.ts';
import type { Sandbox, SandboxSet } from '../../../schema/specs/index.ts';
import { API_VERSION } from '../../../schema/specs/index.ts';
import { resolveRepo } from '../build.ts';
import { checkDocument, where } from '../check.ts';
import type { Path, SpecDoc } from '../documents.ts';
import type { Errors } from '../errors.ts';
import { branchNameProblem } from '../gitref.ts';
import type { Loaded, SpecSet } from '../load.ts';
import { DEFAULT_MAX, nameTemplateOf, substitute } from './check-set.ts';
import { assignNames, nameForms, parseNameTemplate, slugOf, type NameRequest } from './naming.ts';
import { globRegExp, selectBranches } from './select.ts';

export interface SetInputs {
  /** repository URL (as the desired state has it) -> its branches, as an agent last listed them */
  branches?: Readonly<Record<string, readonly BranchTip[]>>;
  /** `set\0branch` -> the name the revision in force gave it (names stay with their branch) */
  names?: ReadonlyMap<string, string>;
  baseDir?: string;
}

/** Adds the sets' sandboxes to `set.sandboxes`; the sets as compiled, by name. */
export function expandSets(set: SpecSet, inputs: SetInputs, errors: Errors): DesiredSet[] {
  const platform = set.platforms[0];
  const handWritten = new Map(set.named.Sandbox.map((n) => [n.name, n.doc]));
  const planned: { loaded: Loaded<SandboxSet>; desired: DesiredSet; requests: NameRequest[] }[] = [];
  for (const loaded of set.sets) {
    const { doc, value } = loaded;
    const service = value.spec.generator.service;
    if (set.catalog && !set.catalog.has(service)) {
      const known = [...set.catalog].sort().join(', ') || 'none';
      errors.at(doc, ['spec', 'generator', 'service'], `unknown service ${service}: not in the Platform catalog (catalog: ${known})`);
      continue;
    }
    const entry = platform && Object.hasOwn(platform.value.spec.services, service) ? platform.value.spec.services[service] : undefined;
    const template = parseNameTemplate(nameTemplateOf(value));
    if (!entry || typeof template === 'string' || set.flawed.has(doc)) continue; // reported where it is wrong
    const repo = resolveRepo(entry.repo, platform!.doc.file, inputs.baseDir);
    const list = inputs.branches?.[repo];
    const glob = value.spec.generator.branches;
    const re = globRegExp(glob);
    const skipped: DesiredSet['skipped'] = [];
    const acceptable = (list ?? []).filter((b) => {
      const problem = branchNameProblem(b.name);
      if (problem && re.test(b.name)) skipped.push({ branch: b.name, reason: `the branch name ${problem}` });
      return problem === undefined;
    });
    const max = value.spec.max ?? DEFAULT_MAX;
    const { chosen, matched } = selectBranches(acceptable, glob, max);
    const policy = value.spec.syncPolicy;
    planned.push({
      loaded,
      requests: chosen.map((b) => ({ set: loaded.name, branch: b.name, template })),
      desired: {
        name: loaded.name,
        source: doc.start,
        service,
        repo,
        branches: glob,
        max,
        listed: list !== undefined,
        matched,
        skipped,
        sandboxes: [],
        syncPolicy: { automated: policy?.automated ?? false, prune: policy?.prune ?? false, selfHeal: policy?.selfHeal ?? false },
      },
    });
  }

  const names = assignNames(planned.flatMap((p) => p.requests), inputs.names ?? new Map());
  for (const { loaded, desired, requests } of planned) {
    for (const r of requests) {
      const name = names.get(`${r.set}\0${r.branch}`)!;
      const other = handWritten.get(name);
      if (other) {
        errors.at(
          loaded.doc,
          nameAt(loaded),
          `makes sandbox ${name} for branch ${r.branch}, but the hand-written Sandbox at ${where(other.at(['metadata', 'name']))} has that name: rename that Sandbox, or change this set's name template`,
        );
        continue;
      }
      desired.sandboxes.push({ name, branch: r.branch });
      addSandbox(set, loaded, name, r.branch, errors);
    }
    if (desired.sandboxes.length === 0) {
      // nothing made (yet): what it would make must still be valid, so a set is never wrong only later
      const template = parseNameTemplate(nameTemplateOf(loaded.value)) as Exclude<ReturnType<typeof parseNameTemplate>, string>;
      const branch = desired.branches.replace(/\*\*|\*|\?/g, 'x');
      const forms = nameForms({ set: loaded.name, branch, template });
      addSandbox(set, loaded, forms.plain ?? forms.hashed, branch, errors, true);
    }
  }
  return planned.map((p) => p.desired).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Where an error about the generated name goes: the name template, else the set's name (the default's source). */
const nameAt = (loaded: Loaded<SandboxSet>): Path => (loaded.value.spec.name !== undefined ? ['spec', 'name'] : ['metadata', 'name']);

function addSandbox(set: SpecSet, loaded: Loaded<SandboxSet>, name: string, branch: string, errors: Errors, sample = false): void {
  const { generator: _generator, name: _name, max: _max, ...spec } = loaded.value.spec;
  const value: Sandbox = {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name, ...(loaded.value.metadata.labels ? { labels: { ...loaded.value.metadata.labels } } : {}) },
    spec: substitute(spec, branch, slugOf(branch)),
  };
  const setDoc = loaded.doc;
  const doc: SpecDoc = {
    file: setDoc.file,
    value,
    start: setDoc.start,
    at: (path, key) => setDoc.at(path[0] === 'metadata' && path[1] === 'name' ? nameAt(loaded) : path, key),
  };
  const generated: Loaded<Sandbox> = { doc, name, value, generated: { set: loaded.name, branch, ...(sample ? { sample } : {}) } };
  if (!checkDocument('Sandbox', generated, errors)) set.flawed.add(doc);
  set.sandboxes.push(generated);
}
