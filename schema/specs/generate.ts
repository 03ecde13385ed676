// Writes schema/json/*.schema.json from the TypeBox spec kinds.
// Run after changing a kind: node --import tsx schema/specs/generate.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderJson, specJsonSchemas } from './json.ts';

export const JSON_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'json');

mkdirSync(JSON_DIR, { recursive: true });
for (const [file, schema] of Object.entries(specJsonSchemas())) {
  writeFileSync(join(JSON_DIR, file), renderJson(schema));
  console.log(`wrote schema/json/${file}`);
}
