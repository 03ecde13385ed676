// Branch names, checked as `git check-ref-format --branch` would, and stricter: a branch name travels
// to git on an agent, so anything a shell could act on is refused even where git would accept it.

/** Characters a branch name may hold. Everything else (space, ; $ ` | & < > ( ) ' " ! * ? [ \ ~ ^ : ...) is refused. */
const ALLOWED = /^[A-Za-z0-9._/+@=,%-]$/;

/** Why `name` is not an acceptable branch name, or undefined when it is. */
export function branchNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 255) return 'is longer than 255 characters';
  for (const ch of name) {
    if (!ALLOWED.test(ch)) return `contains ${describeChar(ch)}, which is not allowed in a branch name`;
  }
  if (name.startsWith('-')) return "starts with '-'";
  if (name === '@') return "is '@'";
  if (name.includes('..')) return "contains '..'";
  if (name.includes('@{')) return "contains '@{'";
  if (name.startsWith('/') || name.endsWith('/')) return "starts or ends with '/'";
  if (name.includes('//')) return "contains '//'";
  if (name.endsWith('.')) return "ends with '.'";
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `has a component starting with '.' (${part})`;
    if (part.endsWith('.lock')) return `has a component ending with '.lock' (${part})`;
  }
  return undefined;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return 'a space';
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`;
  if (/\s/.test(ch)) return 'whitespace';
  if (code > 0x7e) return `a non-ASCII character (${ch})`;
  return `'${ch}'`;
}
