// The API contract in tests: every answer an integration suite gets from /api is checked against
// schema/openapi.json, the document the server serves. A route missing from the document, or a body
// that does not match its schema, fails the test that saw it.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import doc from '../../schema/openapi.json' with { type: 'json' };

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }>;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'sdp-openapi', components: doc.components }, 'sdp-openapi');
const compiled = new Map<string, ValidateFunction>();
const paths = Object.keys(doc.paths).map((p) => ({ template: p, pattern: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));

function validator(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: `sdp-openapi${ref}` });
    compiled.set(ref, v);
  }
  return v;
}

/** Throws when the answer to `method url` is not what the OpenAPI document says it is. */
export function checkAnswer(method: string, url: string, status: number, body: string): void {
  const path = new URL(url, 'http://x').pathname;
  if (!path.startsWith('/api/')) return;
  const match = paths.find((p) => p.pattern.test(path));
  const op = match ? ((doc.paths as Record<string, Record<string, Operation>>)[match.template]?.[method.toLowerCase()]) : undefined;
  if (!op) {
    // a wrong method is answered 405 by design; anything else is a route the document lacks
    if (status === 405 || (status === 404 && !match)) return;
    throw new Error(`contract: ${method} ${path} (${status}) is not in schema/openapi.json (run node --import tsx scripts/openapi/generate.ts after adding it to schema/routes.ts)`);
  }
  const response = op.responses[String(status)] ?? op.responses['default'];
  const [media, content] = Object.entries(response?.content ?? {})[0] ?? [];
  const ref = content?.schema.$ref;
  if (!ref) return;
  const validate = validator(ref);
  // a stream (application/x-ndjson) is one such value a line
  const values: unknown[] = media === 'application/x-ndjson' ? body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : [JSON.parse(body)];
  for (const data of values) {
    if (!validate(data)) {
      throw new Error(`contract: ${method} ${path} answered ${status} with a body that is not ${ref}: ${ajv.errorsText(validate.errors)}`);
    }
  }
}
