// Whatever the input, the compiler answers: a desired state, or errors that each name a file, a line
// and a column >= 1 and say something. It never throws.
import fc from 'fast-check';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { CompileResult } from '../../schema/desired.ts';
import { compileDocuments, readSpecFiles, type SpecFile } from './compile.ts';
import { baseFiles } from './fixtures.ts';

/** Enough runs to find the classes of trouble; each run compiles a whole spec set. */
const RUNS = 100;
const TIMEOUT = 120_000;
const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'specs');

function expectWellFormed(result: CompileResult, files: readonly SpecFile[]): void {
  if (result.ok) {
    expect(Array.isArray(result.desired.sandboxes)).toBe(true);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  const paths = new Set([...files.map((f) => f.path), '.']);
  for (const e of result.errors) {
    expect(paths.has(e.file), e.file).toBe(true);
    expect(Number.isInteger(e.line) && e.line >= 1, `${e.file}:${e.line}`).toBe(true);
    expect(Number.isInteger(e.col) && e.col >= 1, `${e.file}:${e.line}:${e.col}`).toBe(true);
    expect(e.message.length).toBeGreaterThan(0);
  }
}

const compileSafely = (files: SpecFile[]): CompileResult => compileDocuments(files, { baseDir: '/specs' });

// ---- mutations of a valid set, on the parsed values

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Seg = string | number;

function pathsOf(value: Json, prefix: Seg[] = []): Seg[][] {
  const out: Seg[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

type Mutation = { kind: 'delete' } | { kind: 'replace'; value: Json } | { kind: 'rename'; to: string } | { kind: 'duplicate' };

function mutate(root: Json, path: Seg[], m: Mutation): Json {
  if (path.length === 0) return m.kind === 'replace' ? m.value : root;
  const copy = structuredClone(root);
  let parent: Json = copy;
  for (const seg of path.slice(0, -1)) {
    // an earlier mutation may have removed or replaced this path: then there is nothing to change
    if (!parent || typeof parent !== 'object' || !Object.hasOwn(parent, seg)) return copy;
    parent = (parent as Record<Seg, Json>)[seg] as Json;
  }
  const last = path.at(-1)!;
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (m.kind === 'delete') parent.splice(i, 1);
    else if (m.kind === 'replace') parent[i] = m.value;
    else if (m.kind === 'duplicate') parent.splice(i, 0, structuredClone(parent[i]!));
  } else if (parent && typeof parent === 'object') {
    const key = String(last);
    const value = parent[key]!;
    if (m.kind === 'delete') delete parent[key];
    else if (m.kind === 'replace') parent[key] = m.value;
    else if (m.kind === 'rename') {
      delete parent[key];
      parent[m.to] = value;
    } else parent[`${key}-copy`] = structuredClone(value);
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.constant<Mutation>({ kind: 'duplicate' }),
  fc.string({ maxLength: 12 }).map((to): Mutation => ({ kind: 'rename', to })),
  fc
    .oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -100_000, max: 100_000 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('develop', '14d', '0', '1Gi', '8081', 'sdp/v1', 'Sandbox', '${services.account.url}', 'a..b', '-x'),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
    )
    .map((value): Mutation => ({ kind: 'replace', value: value as Json })),
);

interface Parsed {
  path: string;
  docs: Json[];
}

const parse = (files: SpecFile[]): Parsed[] =>
  files.map((f) => ({ path: f.path, docs: parseAllDocuments(f.text).flatMap((d) => (d.contents ? [d.toJS() as Json] : [])) }));
const render = (parsed: Parsed[]): SpecFile[] => parsed.map((p) => ({ path: p.path, text: p.docs.map((d) => stringify(d)).join('---\n') }));

describe('the compiler on arbitrary input', () => {
  let examples: SpecFile[] = [];
  beforeAll(async () => {
    examples = (await readSpecFiles(EXAMPLES)).files;
  });

  it('arbitrary text never throws and every error is placed', () => {
    const yamlish = fc.string({ unit: fc.constantFrom(...'ab:- \n\t{}[],"\'&*!|>#%@`?'.split(''), 'kind', 'spec', 'Sandbox', '---', '  ', '\u0000', 'é'), maxLength: 80 });
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 })), (text) => {
        const files = [{ path: 'x.yaml', text }];
        expectWellFormed(compileSafely(files), files);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('arbitrary values as YAML documents never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 3 }), (values) => {
        const files = [{ path: 'v.yaml', text: values.map((v) => stringify(v)).join('---\n') }];
        expectWellFormed(compileSafely(files), files);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  for (const [label, source] of [
    ['the example specs', () => examples],
    ['the test fixtures', baseFiles],
  ] as const) {
    it(`mutations of ${label} (delete a key, change a type, rename, duplicate) never throw`, () => {
      const parsed = parse(source());
      expect(compileSafely(source()).ok).toBe(true); // the starting point is valid
      const targets = parsed.flatMap((p, f) => p.docs.flatMap((d, i) => pathsOf(d).map((path) => ({ f, i, path }))));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat({ max: targets.length - 1 }), mutation), { minLength: 1, maxLength: 3 }), (steps) => {
          const next = structuredClone(parsed);
          for (const [t, m] of steps) {
            const { f, i, path } = targets[t]!;
            const file = next[f]!;
            if (i >= file.docs.length) continue;
            file.docs[i] = mutate(file.docs[i]!, path, m);
          }
          const files = render(next);
          expectWellFormed(compileSafely(files), files);
        }),
        { numRuns: RUNS },
      );
    }, TIMEOUT);

    it(`text edits of ${label} (a line dropped, characters inserted) never throw`, () => {
      const files = source();
      fc.assert(
        fc.property(
          fc.nat({ max: files.length - 1 }),
          fc.nat(),
          fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }), fc.constantFrom('\n', ': ', '- ', '{', '"', '  ', '\t', '&a ', '*a')),
          fc.boolean(),
          (which, at, insert, dropLine) => {
            const changed = files.map((f, i) => {
              if (i !== which) return f;
              const lines = f.text.split('\n');
              if (dropLine) lines.splice(at % lines.length, 1);
              const text = lines.join('\n');
              const k = at % (text.length + 1);
              return { path: f.path, text: text.slice(0, k) + insert + text.slice(k) };
            });
            expectWellFormed(compileSafely(changed), changed);
          },
        ),
        { numRuns: RUNS },
      );
    }, TIMEOUT);
  }
});
