// Names of generated sandboxes: RFC 1123 labels of at most 63 characters, stable per branch, never
// the same for two branches. A branch's name is its name template with {{slug}} (the branch in
// label form); it gets a short hash of set + branch when the plain name is too long or when two
// branches would share it. A name given before (by the revision in force) is kept while it is still
// one of the branch's two forms, so a new branch never renames an old one's sandbox.
import { createHash } from 'node:crypto';

export const MAX_NAME = 63;
const HASH_CHARS = 6;
export const SLUG = '{{slug}}';
export const BRANCH = '{{branch}}';

/** The branch as a label: lowercase, runs of anything but a-z0-9 as one '-', no '-' at either end. */
export function slugOf(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export interface NameTemplate {
  prefix: string;
  suffix: string;
}

/** The template split around {{slug}}, or why it cannot yield a label for every branch. */
export function parseNameTemplate(template: string): NameTemplate | string {
  const parts = template.split(SLUG);
  if (template.includes(BRANCH)) return `uses ${BRANCH}, which holds '/' and capitals a label cannot: use ${SLUG} (the branch as a label)`;
  if (parts.length !== 2) return parts.length === 1 ? `has no ${SLUG}: every branch would get the same name` : `has ${SLUG} more than once`;
  const [prefix, suffix] = parts as [string, string];
  const other = /\{\{[^}]*\}\}/.exec(prefix + suffix);
  if (other) return `has ${other[0]}: only ${SLUG} can be in a name`;
  const bad = /[^a-z0-9-]/.exec(prefix + suffix);
  if (bad) return `has ${JSON.stringify(bad[0])}: a name holds only lowercase letters, digits and '-'`;
  if (prefix.startsWith('-')) return "starts with '-': a name must start with a letter or digit";
  if (suffix.endsWith('-')) return "ends with '-': a name must end with a letter or digit";
  if (prefix.length + suffix.length > MAX_NAME - HASH_CHARS - 2) {
    return `leaves no room for the branch: its text around ${SLUG} is ${prefix.length + suffix.length} characters, at most ${MAX_NAME - HASH_CHARS - 2} leave room in ${MAX_NAME}`;
  }
  return { prefix, suffix };
}

export interface NameRequest {
  set: string;
  branch: string;
  template: NameTemplate;
}

/** The plain form and the hashed form of a branch's name; both labels of at most 63 characters. */
export function nameForms(r: NameRequest): { plain: string | undefined; hashed: string } {
  const slug = slugOf(r.branch);
  const { prefix, suffix } = r.template;
  const plain = slug !== '' && prefix.length + slug.length + suffix.length <= MAX_NAME ? `${prefix}${slug}${suffix}` : undefined;
  const hash = createHash('sha256').update(`${r.set}\0${r.branch}`).digest('hex').slice(0, HASH_CHARS);
  const room = MAX_NAME - prefix.length - suffix.length - HASH_CHARS - 1;
  const cut = slug.slice(0, room).replace(/-+$/, '');
  return { plain, hashed: cut === '' ? `${prefix}${hash}${suffix}` : `${prefix}${cut}-${hash}${suffix}` };
}

const keyOf = (r: { set: string; branch: string }): string => `${r.set}\0${r.branch}`;

/**
 * A name for each request (by `set\0branch`), none equal to another or to `reserved` (names taken
 * by hand-written sandboxes are the caller's to report, so they are not given out here either).
 * `previous`: the names given by the revision in force, kept where still valid.
 */
export function assignNames(
  requests: readonly NameRequest[],
  previous: ReadonlyMap<string, string>,
): Map<string, string> {
  const forms = requests.map((r) => ({ r, key: keyOf(r), ...nameForms(r) }));
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const f of forms) {
    const before = previous.get(f.key);
    if (before !== undefined && (before === f.plain || before === f.hashed) && !used.has(before)) {
      out.set(f.key, before);
      used.add(before);
    }
  }
  const rest = forms.filter((f) => !out.has(f.key));
  const wanting = new Map<string, number>();
  for (const f of rest) if (f.plain !== undefined) wanting.set(f.plain, (wanting.get(f.plain) ?? 0) + 1);
  for (const f of rest) {
    // a plain name two branches want goes to neither: which one got it would depend on order
    const name = f.plain !== undefined && wanting.get(f.plain) === 1 && !used.has(f.plain) ? f.plain : f.hashed;
    out.set(f.key, name);
    used.add(name);
  }
  return out;
}
