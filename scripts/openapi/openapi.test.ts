// The OpenAPI document: valid OpenAPI 3.1 (@seriousme/openapi-schema-validator, which checks it
// against the official 3.1 schema), current with schema/routes.ts and schema/api.ts, and with every
// response type the route table names.
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../schema/routes.ts';
import { OPENAPI_FILE, generateOpenApi } from './generate.ts';

describe('schema/openapi.json', () => {
  const committed = readFileSync(OPENAPI_FILE, 'utf8');

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(committed) as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is what the generator makes from the current schema/api.ts and schema/routes.ts', async () => {
    // stale: node --import tsx scripts/openapi/generate.ts
    expect(await generateOpenApi()).toBe(committed);
  }, 60_000);

  it('has an operation for every route of the table, each answer a component', () => {
    const doc = JSON.parse(committed) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>>; components: { schemas: Record<string, unknown> } };
    for (const key of Object.keys(ROUTES)) {
      const [method = '', path = ''] = key.split(' ');
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op, key).toBeDefined();
      for (const r of Object.values(op?.responses ?? {})) {
        // one media type an answer: JSON, or a stream (application/x-ndjson) of the component
        const ref = Object.values(r.content ?? {})[0]?.schema.$ref;
        if (ref) expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], `${key} ${ref}`).toBeDefined();
      }
    }
  });
});
