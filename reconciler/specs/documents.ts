// YAML text -> spec documents that remember where every value came from, so that any error, found
// at any stage, can name file:line:col. Positions are computed only when an error asks for them.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import type { SourceRef } from '../../schema/desired.ts';
import { fieldOf } from './errors.ts';
import { SPEC_LIMITS, kib, oversizedValue, type SpecLimits } from './limits.ts';

export type Path = readonly (string | number)[];

export interface SpecDoc {
  /** path relative to the specs folder, '/'-separated */
  file: string;
  /** the plain value (JSON-like) of the document */
  value: unknown;
  /** where the document's content starts */
  start: SourceRef;
  /** where the value at `path` starts; with `key`, where its key starts (for unknown or misnamed keys) */
  at(path: Path, key?: boolean): SourceRef;
}

export interface YamlProblem extends SourceRef {
  message: string;
}

/** Bounds what aliases may expand to, so a "billion laughs" file is an error, not an out-of-memory. */
const MAX_ALIAS_COUNT = 100;

/**
 * At most `limits.errors` problems are kept per file (then one line counting the rest): the parser
 * reports one or more per line of junk. A string longer than `limits.valueBytes` drops its document
 * (`dropped`: checks across documents would then report what is missing because of it).
 */
export function parseSpecFile(
  file: string,
  text: string,
  limits: Pick<SpecLimits, 'errors' | 'valueBytes'> = SPEC_LIMITS,
): { docs: SpecDoc[]; problems: YamlProblem[]; dropped: boolean } {
  const lineCounter = new LineCounter();
  const docs: SpecDoc[] = [];
  const problems: YamlProblem[] = [];
  // The syntax trees are not kept: holding thousands of them costs more in garbage collection than
  // parsing the file once more when (rarely) an error needs a position. Offsets are the same both times.
  let trees: Document[] | undefined;
  const tree = (index: number): Document => (trees ??= parseAllDocuments(text, { prettyErrors: false }) as Document[])[index]!;
  const pos = (offset: number): SourceRef => {
    const { line, col } = lineCounter.linePos(Math.max(0, offset));
    return { file, line: Math.max(1, line), col: Math.max(1, col) };
  };
  let dropped = false;
  let unshown = 0;
  let firstUnshown: SourceRef | undefined;
  const problem = (p: YamlProblem) => {
    if (problems.length < limits.errors) return void problems.push(p);
    unshown++;
    firstUnshown ??= p;
  };
  for (const [index, doc] of parseAllDocuments(text, { lineCounter, prettyErrors: false }).entries()) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        if (problems.length < limits.errors) problem({ ...pos(e.pos[0]), message: `YAML: ${firstLine(e.message)}` });
        else if (unshown++ === 0) firstUnshown = pos(e.pos[0]);
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      problem({ ...pos(doc.contents?.range?.[0] ?? 0), message: `YAML: ${firstLine(e instanceof Error ? e.message : String(e))}` });
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing `---`
    const specDoc: SpecDoc = { file, value, start: pos(doc.contents?.range?.[0] ?? 0), at: (path, key = false) => pos(locate(tree(index), path, key)) };
    const big = oversizedValue(value, limits.valueBytes);
    if (big) {
      const field = fieldOf(value, big.path);
      const what = big.key ? 'a key' : 'the value';
      dropped = true;
      problem({ ...specDoc.at(big.path, big.key), message: `${field}: ${what} is ${kib(big.bytes)}, more than the limit of ${kib(limits.valueBytes)}: keep large data out of specs (a file in the image, or a mounted volume)` });
      continue;
    }
    docs.push(specDoc);
  }
  if (unshown > 0 && firstUnshown) {
    problems.push({ ...firstUnshown, message: `${unshown} more YAML error${unshown === 1 ? '' : 's'} in this file not shown: fix the ones above first` });
  }
  return { docs, problems, dropped };
}

const firstLine = (message: string): string => message.split('\n')[0] ?? message;

interface Ranged {
  range?: [number, number, number] | null;
}
const startOf = (node: unknown): number | undefined => (node as Ranged | null | undefined)?.range?.[0] ?? undefined;

/** Offset of the node at `path`, or of the deepest existing ancestor when the path goes missing. */
function locate(doc: Document, path: Path, key: boolean): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const [i, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc) ?? node;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return offset;
      const keyStart = startOf(pair.key);
      const valueStart = startOf(pair.value);
      if ((key && i === path.length - 1) || valueStart === undefined) return keyStart ?? offset;
      node = pair.value;
      offset = valueStart;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)];
      const itemStart = startOf(item);
      if (itemStart === undefined) return offset;
      node = item;
      offset = itemStart;
    } else {
      return offset;
    }
  }
  return offset;
}
