// The spec compiler: a specs folder -> DesiredState, all or nothing. Stages: parse YAML (keeping
// positions) -> schema of each kind -> each document's own rules -> references across documents ->
// build (templates, placement, ports, routes, env). Any error anywhere: { ok: false, errors } with
// every error found, sorted by file and line, and no desired state at all.
import { open, readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CompileResult, DesiredTemplate, SpecError } from '../../schema/desired.ts';
import { buildDesired, type BuildOptions } from './build.ts';
import { checkReferences } from './check.ts';
import { parseSpecFile, type SpecDoc } from './documents.ts';
import { Errors } from './errors.ts';
import { SPEC_LIMITS, invalidUtf8At, kib, tooLarge, tooMany, tooMuch, utf8Error, type SpecLimits } from './limits.ts';
import { loadSpecs } from './load.ts';
import { expandSets, type SetInputs } from './sets/expand.ts';

export interface CompileOptions extends BuildOptions {
  /** what SandboxSets expand from: the repositories' branch lists, the names given before */
  sets?: Omit<SetInputs, 'baseDir'>;
  /** default SPEC_LIMITS */
  limits?: SpecLimits;
  /** problems found while reading the files (too large, not UTF-8, too many): part of the result */
  readErrors?: readonly SpecError[];
  /** false: files that are not the folder's (a pull request's, POST /api/plan) are not kept in the parse cache */
  cache?: boolean;
}

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
  const limits = opts.limits ?? SPEC_LIMITS;
  const errors = new Errors(limits.errors, limits.messageChars);
  for (const e of opts.readErrors ?? []) errors.add(e);
  const ordered = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const docs: SpecDoc[] = [];
  const parsedNow = new Map<string, { text: string; parsed: Parsed }>();
  // files given as text (not read by readSpecFiles) are held to the same bounds
  const within = withinBounds(ordered, limits, errors);
  // with a file not read or a document dropped for its size, checks across documents would report
  // as missing what is only unread; the size errors say what to fix first
  let incomplete = (opts.readErrors?.length ?? 0) > 0 || within.length < ordered.length;
  for (const file of within) {
    const parsed = parse(file, limits);
    incomplete ||= parsed.dropped;
    parsedNow.set(file.path, { text: file.text, parsed });
    docs.push(...parsed.docs);
    for (const problem of parsed.problems) errors.add(problem);
  }
  if (opts.cache !== false) lastParsed = parsedNow;
  if (ordered.length === 0 && !opts.readErrors?.length) errors.add({ file: '.', line: 1, col: 1, message: 'no spec files (*.yaml, *.yml) in the specs folder' });
  const set = loadSpecs(docs, errors);
  const sets = expandSets(set, { ...opts.sets, ...(opts.baseDir !== undefined ? { baseDir: opts.baseDir } : {}) }, errors);
  if (ordered.length > 0 && !incomplete) checkReferences(set, errors, ordered[0]!.path);
  if (errors.size > 0) return { ok: false, errors: errors.sorted() };
  const desired = buildDesired(set, opts, errors);
  if (!desired || errors.size > 0) return { ok: false, errors: errors.sorted() };
  const result = { ...desired, ...(sets.length > 0 ? { sets } : {}), templateSpecs: templateSpecs(set) };
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes > limits.desiredBytes) {
    const where = ordered[0]?.path ?? '.';
    const message = `the compiled desired state is ${kib(bytes)}, more than the limit of ${kib(limits.desiredBytes)}: templates and environments are copied into every sandbox that uses them; make them smaller or use fewer sandboxes`;
    return { ok: false, errors: [{ file: where, line: 1, col: 1, message }] };
  }
  return { ok: true, desired: result };
}

function parse(file: SpecFile, limits: SpecLimits): Parsed {
  const cached = lastParsed.get(file.path);
  return cached?.text === file.text ? cached.parsed : parseSpecFile(file.path, file.text, limits);
}

/** The files within the per-file and total bounds; an error for each one that is not. */
function withinBounds(files: readonly SpecFile[], limits: SpecLimits, errors: Errors): SpecFile[] {
  if (files.length > limits.files) {
    errors.add(tooMany(files.length, limits));
    return [];
  }
  let total = 0;
  const out: SpecFile[] = [];
  for (const file of files) {
    const bytes = Buffer.byteLength(file.text);
    total += bytes;
    if (bytes > limits.fileBytes) errors.add(tooLarge(file.path, bytes, limits));
    else if (total > limits.totalBytes) errors.add(tooMuch(file.path, limits));
    else out.push(file);
  }
  return out;
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
export async function compileSpecsDir(dir: string, opts: Omit<CompileOptions, 'baseDir' | 'readErrors'> = {}): Promise<CompileResult> {
  const limits = opts.limits ?? SPEC_LIMITS;
  const { files, errors } = await readSpecFiles(dir, limits);
  // Parsing is most of a compile and blocks while it runs: one file at a time, letting the API
  // answer in between (the parsed files are cached for compileDocuments).
  for (const file of files) {
    if (lastParsed.get(file.path)?.text === file.text) continue;
    lastParsed.set(file.path, { text: file.text, parsed: parseSpecFile(file.path, file.text, limits) });
    await yieldToEventLoop();
  }
  return compileDocuments(files, { ...opts, baseDir: resolve(dir), readErrors: errors });
}

/**
 * Reads every *.yaml / *.yml under `dir`, recursively. Dot-folders (.git, .github: workflow YAML is
 * not a spec) and dot-files are not specs, and symbolic links are not followed (the watcher does not
 * follow them either): a spec is a file inside the folder. A file over the size bounds is not read,
 * only reported; a file that is not UTF-8 is reported with where its first bad byte is.
 */
export async function readSpecFiles(dir: string, limits: SpecLimits = SPEC_LIMITS): Promise<{ files: SpecFile[]; errors: SpecError[] }> {
  const root = resolve(dir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && !relative(root, join(e.parentPath, e.name)).split(sep).some((p) => p.startsWith('.')))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  if (paths.length > limits.files) return { files: [], errors: [tooMany(paths.length, limits)] };
  const errors: SpecError[] = [];
  const files: SpecFile[] = [];
  let total = 0;
  for (const p of paths) {
    const path = relative(root, p).split(sep).join('/');
    const read = await readBounded(p, limits.fileBytes).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null; // gone since the listing
      errors.push({ file: path, line: 1, col: 1, message: `cannot read the file (${err.code ?? err.message}): make it readable by the user sdp runs as` });
      return null;
    });
    if (!read) continue;
    if (read.tooLarge) {
      errors.push(tooLarge(path, read.size, limits));
      continue;
    }
    total += read.bytes.length;
    if (total > limits.totalBytes) {
      errors.push(tooMuch(path, limits));
      break;
    }
    const bad = invalidUtf8At(read.bytes);
    if (bad >= 0) errors.push(utf8Error(path, read.bytes, bad));
    else files.push({ path, text: read.bytes.toString('utf8') });
  }
  return { files, errors };
}

/** At most `max` bytes of the file (never more, even when it grows while read). */
async function readBounded(path: string, max: number): Promise<{ bytes: Buffer; tooLarge: false } | { tooLarge: true; size: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > max) return { tooLarge: true, size };
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let r = 1; r > 0 && n <= max; n += r) r = (await handle.read(buf, n, max + 1 - n, n)).bytesRead;
    if (n > max) return { tooLarge: true, size: Math.max(size, n) };
    return { bytes: buf.subarray(0, n), tooLarge: false };
  } finally {
    await handle.close();
  }
}
