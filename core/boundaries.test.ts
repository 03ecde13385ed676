// The build fails when a layer imports what it must not (this runs with the unit tests):
// core/ is pure (schema/, itself, node:crypto for hashing); schema/ is the contract (itself only);
// reconciler/ and agent/ never import each other.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every module a file imports (static, dynamic and re-exports), resolved to a path from the root or a bare name. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? '';
    out.push(spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec);
  }
  return out;
}

function violations(dir: string, allowed: (target: string) => boolean): string[] {
  return sources(dir).flatMap((f) => imports(f).filter((t) => !allowed(t)).map((t) => `${f} imports ${t}`));
}

describe('layer boundaries', () => {
  it('core/ imports only schema/, core/ and node:crypto: no I/O, no edges', () => {
    expect(violations('core', (t) => t.startsWith('core/') || t.startsWith('schema/') || t === 'node:crypto')).toEqual([]);
  });

  it('schema/ imports only schema/ and its schema libraries', () => {
    expect(violations('schema', (t) => t.startsWith('schema/') || t.startsWith('@sinclair/typebox') || t.startsWith('ajv') || t.startsWith('node:'))).toEqual([]);
  });

  it('reconciler/ and agent/ never import each other', () => {
    expect(violations('reconciler', (t) => !t.startsWith('agent/'))).toEqual([]);
    expect(violations('agent', (t) => !t.startsWith('reconciler/') && !t.startsWith('core/'))).toEqual([]);
  });

  it('the check sees imports (it would fail on one)', () => {
    expect(imports('core/evaluate.ts')).toContain('schema/api.ts');
    expect(imports('core/evaluate.ts')).toContain('node:crypto');
  });
});
