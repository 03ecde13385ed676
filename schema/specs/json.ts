// The JSON Schema files in schema/json/, built from the TypeBox kinds. Editors use them through
// yaml-language-server: a `# yaml-language-server: $schema=../schema/json/sandbox.schema.json` modeline
// per document, or `specs.schema.json` (selects the kind's schema on `kind`) mapped by yaml.schemas.
import { API_VERSION, JSON_SCHEMA_DIALECT, SPEC_KINDS, type SpecKind } from './index.ts';

/** A plain JSON copy: TypeBox keeps symbol keys on its schema objects, JSON has none. */
const plain = (schema: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

export const fileNameOf = (kind: SpecKind): string => `${kind.toLowerCase()}.schema.json`;
export const COMBINED_FILE = 'specs.schema.json';

/** file name -> schema, in a stable order. */
export function specJsonSchemas(): Record<string, Record<string, unknown>> {
  const kinds = Object.keys(SPEC_KINDS) as SpecKind[];
  const files: Record<string, Record<string, unknown>> = {};
  for (const kind of kinds) files[fileNameOf(kind)] = { $schema: JSON_SCHEMA_DIALECT, ...plain(SPEC_KINDS[kind]) };
  files[COMBINED_FILE] = {
    $schema: JSON_SCHEMA_DIALECT,
    title: `sdp spec (${API_VERSION})`,
    description: 'Any sdp spec document; the schema is chosen by `kind`.',
    type: 'object',
    required: ['apiVersion', 'kind'],
    properties: { apiVersion: { const: API_VERSION }, kind: { enum: kinds } },
    allOf: kinds.map((kind) => ({
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: { $ref: `#/$defs/${kind}` },
    })),
    $defs: Object.fromEntries(kinds.map((kind) => [kind, plain(SPEC_KINDS[kind])])),
  };
  return files;
}

export const renderJson = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;
