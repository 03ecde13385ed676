// The spec compiler: a specs folder -> DesiredState, all or nothing. Stages: parse YAML (keeping
// positions) -> schema of each kind -> each document's own rules -> references across documents ->
// build (templates, placement, ports, routes, env). Any error anywhere: { ok: false, errors } with
// every error found, sorted by file and line, and no desired state at all.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { CompileResult, DesiredTemplate } from '../../schema/desired.ts';
import { buildDesired, type BuildOptions } from './build.ts';
import { checkReferences } from './check.ts';
import { parseSpecFile, type SpecDoc } from './documents.ts';
import { Errors } from './errors.ts';
import { loadSpecs } from './load.ts';

export type CompileOptions = BuildOptions;

export interface SpecFile {
  /** relative to the specs folder, '/'-separated; errors name files by this path */
  path: string;
  text: string;
}

type Parsed = ReturnType<typeof parseSpecFile>;

/**
 * The last compile's parsed files, by path. The reconciler recompiles the whole folder on every
 * change, usually of one file; parsing YAML is most of a compile, so unchanged files are not parsed
 * again. Parsed values are never mutated downstream (merging copies), which makes sharing them safe.
 */
let lastParsed = new Map<string, { text: string; parsed: Parsed }>();

/** Compiles files already read (no I/O). */
export function compileDocuments(files: readonly SpecFile[], opts: CompileOptions = {}): CompileResult {
  const errors = new Errors();
  const ordered = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const docs: SpecDoc[] = [];
  const parsedNow = new Map<string, { text: string; parsed: Parsed }>();
  for (const file of ordered) {
    const cached = lastParsed.get(file.path);
    const parsed = cached?.text === file.text ? cached.parsed : parseSpecFile(file.path, file.text);
    parsedNow.set(file.path, { text: file.text, parsed });
    docs.push(...parsed.docs);
    for (const problem of parsed.problems) errors.add(problem);
  }
  lastParsed = parsedNow;
  if (ordered.length === 0) errors.add({ file: '.', line: 1, col: 1, message: 'no spec files (*.yaml, *.yml) in the specs folder' });
  const set = loadSpecs(docs, errors);
  if (ordered.length > 0) checkReferences(set, errors, ordered[0]!.path);
  if (errors.size > 0) return { ok: false, errors: errors.sorted() };
  const desired = buildDesired(set, opts, errors);
  if (!desired || errors.size > 0) return { ok: false, errors: errors.sorted() };
  return { ok: true, desired: { ...desired, templateSpecs: templateSpecs(set) } };
}

/** What GET /api/templates shows: each template's own fields, not merged with anything. */
function templateSpecs(set: ReturnType<typeof loadSpecs>): DesiredTemplate[] {
  return set.templates
    .map(({ name, value: { spec } }): DesiredTemplate => ({
      name,
      ...(spec.gateway ? { gateway: { ...spec.gateway } } : {}),
      ...(spec.services
        ? {
            services: Object.fromEntries(
              Object.entries(spec.services).map(([service, s]) => [
                service,
                { ...(s.branch !== undefined ? { branch: s.branch } : {}), ...(s.commit !== undefined ? { commit: s.commit } : {}), ...(s.baseline !== undefined ? { baseline: s.baseline } : {}) },
              ]),
            ),
          }
        : {}),
      ...(spec.env ? { env: [...spec.env] } : {}),
      ...(spec.ttl !== undefined ? { ttl: spec.ttl } : {}),
      ...(spec.resources
        ? { resources: { ...(spec.resources.cpu !== undefined ? { cpu: spec.resources.cpu } : {}), ...(spec.resources.memory !== undefined ? { memory: String(spec.resources.memory) } : {}) } }
        : {}),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Reads every *.yaml / *.yml under `dir` (recursively, dot-folders aside) and compiles them; repos like ./x resolve inside `dir`. */
export async function compileSpecsDir(dir: string, opts: Omit<CompileOptions, 'baseDir'> = {}): Promise<CompileResult> {
  const files = await readSpecFiles(dir);
  return compileDocuments(files, { ...opts, baseDir: resolve(dir) });
}

export async function readSpecFiles(dir: string): Promise<SpecFile[]> {
  const root = resolve(dir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  // Dot-folders (.git, .github: workflow YAML is not a spec) and dot-files are not specs.
  const paths = entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && !relative(root, join(e.parentPath, e.name)).split(sep).some((p) => p.startsWith('.')))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  return Promise.all(
    paths.map(async (p) => ({ path: relative(root, p).split(sep).join('/'), text: await readFile(p, 'utf8') })),
  );
}
