// The role each server route enforces (auth.requireRole in app.ts) is the one the contract documents
// (schema/routes.ts, which the OpenAPI document and the CLI's help are made from): a route whose
// middleware asks less than its documented role would hand that role's power to a lesser one.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../schema/routes.ts';

const APP = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'app.ts'), 'utf8');

/** `app.get('/api/x/:name', auth.requireRole('qa'), ...)` -> ['GET /api/x/{name}', 'qa'] */
function enforced(): [string, string][] {
  const re = /app\.(get|post|put|patch|delete)\('([^']+)',\s*auth\.requireRole\('(\w+)'\)/g;
  return [...APP.matchAll(re)].map((m) => [`${m[1]!.toUpperCase()} ${m[2]!.replace(/:(\w+)/g, '{$1}')}`, m[3]!]);
}

describe('server route roles', () => {
  it('finds the role-checked routes of app.ts', () => {
    expect(enforced().length).toBeGreaterThan(20);
  });

  it('each enforces the role schema/routes.ts documents', () => {
    const documented = ROUTES as Record<string, { role: string }>;
    const mismatches = enforced().filter(([key, role]) => documented[key]?.role !== role).map(([key, role]) => `${key}: app.ts requires ${role}, schema/routes.ts says ${documented[key]?.role ?? '(not documented)'}`);
    expect(mismatches).toEqual([]);
  });
});
