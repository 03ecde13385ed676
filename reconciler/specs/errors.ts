// Collects spec errors. Every message starts with the field it is about (`spec.services.account.branch: ...`)
// so that a line of output says what is wrong where, without the reader opening the file.
import type { SpecError } from '../../schema/desired.ts';
import type { Path, SpecDoc } from './documents.ts';
import { SPEC_LIMITS, clip } from './limits.ts';

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

/**
 * At most `max` errors are kept (the first by file, line and column), however many are found: a
 * file of junk can make hundreds of thousands. The rest are counted and shown as one last line.
 */
export class Errors {
  private list: SpecError[] = [];
  private omitted = 0;
  private found = 0;

  constructor(
    private readonly max = SPEC_LIMITS.errors,
    private readonly messageChars = SPEC_LIMITS.messageChars,
  ) {}

  /**
   * An error about the field at `path` in `doc`, placed at its value (or, with `key`, its key), or at
   * `place` when the field is not written anywhere (e.g. required by the platform, given by no one).
   */
  at(doc: SpecDoc, path: Path, text: string, opts: { key?: boolean; place?: Path } = {}): void {
    const field = fieldOf(doc.value, path);
    const where = doc.at(opts.place ?? path, opts.key);
    this.add({ ...where, ...(field ? { field: clip(field, this.messageChars) } : {}), message: field ? `${field}: ${text}` : text });
  }

  add(error: SpecError): void {
    this.found++;
    this.list.push({ ...error, message: clip(error.message, this.messageChars) });
    if (this.list.length >= 4 * this.max) this.compact();
  }

  /** Errors reported so far, kept or not (grows with every report, so callers can tell whether a check added any). */
  get size(): number {
    return this.found;
  }

  /** Sorted by file, line, column; an error reported twice at one place is shown once; past `max`, one line counts the rest. */
  sorted(): SpecError[] {
    this.compact();
    if (this.omitted === 0) return [...this.list];
    const last = this.list[this.list.length - 1]!;
    const more = `${this.omitted} more error${this.omitted === 1 ? '' : 's'} not shown: fix the ones above first (only the first ${this.max} are kept)`;
    return [...this.list, { file: last.file, line: last.line, col: last.col, message: more }];
  }

  private compact(): void {
    const seen = new Set<string>();
    const unique = this.list
      .sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.col - b.col || cmp(a.message, b.message))
      .filter((e) => {
        const id = `${e.file}:${e.line}:${e.col}:${e.message}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    this.omitted += Math.max(0, unique.length - this.max);
    this.list = unique.slice(0, this.max);
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
