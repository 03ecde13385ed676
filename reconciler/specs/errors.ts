// Collects spec errors. Every message starts with the field it is about (`spec.services.account.branch: ...`)
// so that a line of output says what is wrong where, without the reader opening the file.
import type { SpecError } from '../../schema/desired.ts';
import type { Path, SpecDoc } from './documents.ts';

/** `spec.nodes[0].name`: array indices in brackets, found by looking at the value the path walks. */
export function fieldOf(value: unknown, path: Path): string {
  let out = '';
  let node: unknown = value;
  for (const segment of path) {
    if (Array.isArray(node)) {
      out += `[${segment}]`;
      node = node[Number(segment)];
    } else {
      out += out === '' ? String(segment) : `.${String(segment)}`;
      node = isObject(node) && Object.hasOwn(node, segment) ? node[segment] : undefined;
    }
  }
  return out;
}

export const isObject = (v: unknown): v is Record<string | number, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export class Errors {
  readonly list: SpecError[] = [];

  /**
   * An error about the field at `path` in `doc`, placed at its value (or, with `key`, its key), or at
   * `place` when the field is not written anywhere (e.g. required by the platform, given by no one).
   */
  at(doc: SpecDoc, path: Path, text: string, opts: { key?: boolean; place?: Path } = {}): void {
    const field = fieldOf(doc.value, path);
    const where = doc.at(opts.place ?? path, opts.key);
    this.list.push({ ...where, ...(field ? { field } : {}), message: field ? `${field}: ${text}` : text });
  }

  add(error: SpecError): void {
    this.list.push(error);
  }

  get size(): number {
    return this.list.length;
  }

  /** Sorted by file, line, column; an error reported twice at one place is shown once. */
  sorted(): SpecError[] {
    const seen = new Set<string>();
    return [...this.list]
      .sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.col - b.col || cmp(a.message, b.message))
      .filter((e) => {
        const id = `${e.file}:${e.line}:${e.col}:${e.message}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
