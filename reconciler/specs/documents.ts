// YAML text -> spec documents that remember where every value came from, so that any error, found
// at any stage, can name file:line:col. Positions are computed only when an error asks for them.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import type { SourceRef } from '../../schema/desired.ts';

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

export function parseSpecFile(file: string, text: string): { docs: SpecDoc[]; problems: YamlProblem[] } {
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
  for (const [index, doc] of parseAllDocuments(text, { lineCounter, prettyErrors: false }).entries()) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ ...pos(e.pos[0]), message: `YAML: ${firstLine(e.message)}` });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      problems.push({ ...pos(doc.contents?.range?.[0] ?? 0), message: `YAML: ${firstLine(e instanceof Error ? e.message : String(e))}` });
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing `---`
    docs.push({ file, value, start: pos(doc.contents?.range?.[0] ?? 0), at: (path, key = false) => pos(locate(tree(index), path, key)) });
  }
  return { docs, problems };
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
