import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { renderJson, specJsonSchemas } from './json.ts';

const jsonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'json');
const regenerate = 'schema/json is stale: run `node --import tsx schema/specs/generate.ts` and commit the result';

describe('schema/json', () => {
  const generated = specJsonSchemas();

  it('holds exactly the generated files, up to date', () => {
    const committed = readdirSync(jsonDir).filter((f) => f.endsWith('.schema.json')).sort();
    expect(committed, regenerate).toEqual(Object.keys(generated).sort());
    for (const [file, schema] of Object.entries(generated)) {
      expect(readFileSync(join(jsonDir, file), 'utf8'), `${file}: ${regenerate}`).toBe(renderJson(schema));
    }
  });

  it('are draft 2020-12 schemas that ajv compiles in strict mode (no OpenAPI-only keywords)', () => {
    for (const file of readdirSync(jsonDir).filter((f) => f.endsWith('.schema.json'))) {
      const schema = JSON.parse(readFileSync(join(jsonDir, file), 'utf8')) as Record<string, unknown>;
      const ajv = new Ajv2020({ strict: true });
      expect(schema.$schema, file).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(JSON.stringify(schema), file).not.toContain('"discriminator"');
      expect(() => ajv.compile(schema), file).not.toThrow();
    }
  });

  it('a bad build type names every allowed type', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(generated['platform.schema.json']!);
    const platform = (build: unknown) => ({
      apiVersion: 'sdp/v1',
      kind: 'Platform',
      metadata: { name: 'p' },
      spec: { services: { a: { repo: './a', port: 80, build } } },
    });
    validate(platform({ type: 'docker', image: 'x' }));
    const enums = (validate.errors ?? []).filter((e) => e.keyword === 'enum');
    expect(enums.map((e) => [e.instancePath, e.params])).toEqual([
      ['/spec/services/a/build/type', { allowedValues: ['image', 'dockerfile', 'host'] }],
    ]);
  });

  it('the combined schema selects the kind', () => {
    const ajv = new Ajv2020({ strict: true });
    const validate = ajv.compile(generated['specs.schema.json']!);
    const env = { apiVersion: 'sdp/v1', kind: 'Environment', metadata: { name: 'common' }, spec: { variables: { A: 'b' } } };
    expect(validate(env)).toBe(true);
    expect(validate({ ...env, spec: { variables: { A: 'b' }, ttl: '1d' } })).toBe(false);
    expect(validate({ ...env, kind: 'Sandbox', spec: { ttl: '14d' } })).toBe(true);
    expect(validate({ ...env, kind: 'Sandbox', spec: { ttl: 'soon' } })).toBe(false);
  });
});
