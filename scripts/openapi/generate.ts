// Makes the OpenAPI 3.1 document of the HTTP API from schema/routes.ts (paths, roles, which type
// answers) and the TypeScript types in schema/api.ts (read by ts-json-schema-generator), so the
// document follows every change to those shapes. Written to schema/openapi.json, served at
// /api/openapi.json; a unit test fails when the file is stale.
//   node --import tsx scripts/openapi/generate.ts
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROUTES, type RouteDoc } from '../../schema/routes.ts';

const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema');
export const OPENAPI_FILE = join(SCHEMA_DIR, 'openapi.json');

type Json = Record<string, unknown>;

/** The TypeBox schemas of schema/protocol.ts and schema/container.ts, by their type's name. */
async function typeBoxSchemas(): Promise<Map<string, unknown>> {
  const { Kind } = await import('@sinclair/typebox');
  const modules = [await import('../../schema/protocol.ts'), await import('../../schema/container.ts')];
  const out = new Map<string, unknown>();
  for (const mod of modules) {
    for (const [name, value] of Object.entries(mod)) if (value && typeof value === 'object' && Kind in value) out.set(name, value);
  }
  return out;
}

/**
 * JSON Schemas of every type in ResponseTypes and of the types they use, as OpenAPI components:
 * interfaces read by ts-json-schema-generator; types that are `Static<typeof X>` of a TypeBox schema
 * (LiveContainer, ContainerSpec, ...) are that schema itself, which the generator cannot read.
 */
async function componentSchemas(): Promise<Record<string, Json>> {
  const ts = (await import('typescript')).default;
  const gen = await import('ts-json-schema-generator');
  const typebox = await typeBoxSchemas();
  const used = new Set<string>();
  class TypeBoxRef extends gen.BaseType {
    constructor(readonly name: string) {
      super();
    }
    getId(): string {
      return `typebox-${this.name}`;
    }
  }
  const config = {
    ...gen.DEFAULT_CONFIG,
    path: join(SCHEMA_DIR, 'routes.ts'),
    tsconfig: join(SCHEMA_DIR, '..', 'tsconfig.json'),
    type: 'ResponseTypes',
    expose: 'export' as const,
    topRef: false,
    skipTypeCheck: true,
    additionalProperties: true,
  };
  const program = gen.createProgram(config);
  const parser = gen.createParser(program, config, (chain) => {
    chain.addNodeParser({
      supportsNode: (node) => ts.isTypeReferenceNode(node) && typebox.has(node.typeName.getText()),
      createType: (node) => {
        const name = (node as import('typescript').TypeReferenceNode).typeName.getText();
        used.add(name);
        return new TypeBoxRef(name);
      },
    });
  });
  const formatter = gen.createFormatter(config, (chain) => {
    chain.addTypeFormatter({
      supportsType: (type) => type instanceof TypeBoxRef,
      // not a local ref yet, or the generator looks for it among its own definitions
      getDefinition: (type) => ({ $ref: `typebox:${(type as TypeBoxRef).name}` }),
      getChildren: () => [],
    });
  });
  const schema = new gen.SchemaGenerator(program, parser, formatter, config).createSchema('ResponseTypes');
  const all = JSON.parse(JSON.stringify(schema).replaceAll('"#/definitions/', '"#/components/schemas/').replaceAll('"typebox:', '"#/components/schemas/')) as {
    properties: Record<string, Json>;
    definitions?: Record<string, Json>;
  };
  // TypeBox schemas as plain JSON (its symbols dropped)
  const fromTypeBox = Object.fromEntries([...used].map((name) => [name, JSON.parse(JSON.stringify(typebox.get(name))) as Json]));
  // ResponseTypes' own properties name the components; a named interface is already a definition
  // (its property is only a $ref to it), a list like SandboxList is not
  const named = Object.fromEntries(Object.entries(all.properties).filter(([name, schema]) => schema['$ref'] !== `#/components/schemas/${name}`));
  return safeNames(Object.fromEntries(Object.entries({ ...all.definitions, ...fromTypeBox, ...named }).sort(([a], [b]) => a.localeCompare(b))));
}

/** OpenAPI component names allow [a-zA-Z0-9._-] only: `Reasoned<SyncStatus>` becomes `Reasoned_SyncStatus`. */
function safeNames(schemas: Record<string, Json>): Record<string, Json> {
  let text = JSON.stringify(schemas);
  for (const name of Object.keys(schemas)) {
    const safe = name.replace(/[^a-zA-Z0-9._-]+/g, '_').replace(/_+$/, '');
    if (safe === name) continue;
    for (const ref of [name, encodeURIComponent(name)]) text = text.replaceAll(`"#/components/schemas/${ref}"`, `"#/components/schemas/${safe}"`).replaceAll(`"${ref}":`, `"${safe}":`);
  }
  return JSON.parse(text) as Record<string, Json>;
}

function operation(key: string, route: RouteDoc): [string, string, Json] {
  const [method = '', path = ''] = key.split(' ');
  const params = [
    ...[...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(route.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
  ];
  const headers = route.headers ? { headers: Object.fromEntries(Object.entries(route.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {};
  const responses: Json = {};
  for (const [status, type] of Object.entries(route.responses)) {
    responses[status] =
      type === null
        ? { description: status === '204' ? 'done; no body' : 'see the summary', ...headers }
        : {
            description: route.stream ? `a stream of ${type}, one a line (${route.stream})` : type,
            ...headers,
            content: { [route.stream ?? 'application/json']: { schema: { $ref: `#/components/schemas/${type}` } } },
          };
  }
  responses['default'] = { description: 'an error: what went wrong and what to do', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } };
  return [
    path,
    method.toLowerCase(),
    {
      summary: route.summary,
      operationId: `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(route.role === 'public' ? { security: [] } : { 'x-sdp-role': route.role }),
      ...(params.length > 0 ? { parameters: params } : {}),
      responses,
    },
  ];
}

export async function openApiDocument(version: string): Promise<Json> {
  const paths: Record<string, Json> = {};
  for (const [key, route] of Object.entries(ROUTES) as [string, RouteDoc][]) {
    const [path, method, op] = operation(key, route);
    paths[path] = { ...paths[path], [method]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sdp HTTP API',
      version,
      description: 'Feature-branch sandboxes on plain Docker hosts. Roles: viewer < qa < lead < admin (x-sdp-role: the least role an operation needs). A known path asked with a wrong method answers 405 with Allow.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: await componentSchemas(),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (sdp token create) or the token of POST /api/login' },
        session: { type: 'apiKey', in: 'cookie', name: 'sdp_session', description: 'the UI session; state-changing requests also send X-SDP-CSRF' },
      },
    },
  };
}

export async function generateOpenApi(): Promise<string> {
  const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
  return `${JSON.stringify(await openApiDocument(pkg.version), null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(OPENAPI_FILE, await generateOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
