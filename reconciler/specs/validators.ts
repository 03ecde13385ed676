// The ajv validator of each spec kind, compiled from the TypeBox schemas when this module loads.
// The CLI build (scripts/build-cli.js) puts ajv's standalone code for the same schemas and options in
// this module's place (`specValidatorsCode`), so `sdp validate` runs validators without compiling them.
import { Ajv2020, type Options } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { SPEC_KINDS, type SpecKind } from '../../schema/specs/index.ts';

const OPTIONS: Options = { allErrors: true, verbose: true, strict: true, strictTypes: false };

export const validators = compileAll(new Ajv2020(OPTIONS));

function compileAll(ajv: Ajv2020): Record<SpecKind, ValidateFunction> {
  return Object.fromEntries((Object.keys(SPEC_KINDS) as SpecKind[]).map((kind) => [kind, ajv.compile(SPEC_KINDS[kind])])) as Record<SpecKind, ValidateFunction>;
}

/** ES module source exporting `validators`, the same as above, precompiled (ajv standalone). */
export async function specValidatorsCode(): Promise<string> {
  // a CommonJS module whose export is the function, and its own `default` too
  const standalone = (await import('ajv/dist/standalone/index.js')).default.default;
  const ajv = new Ajv2020({ ...OPTIONS, code: { source: true, esm: true } });
  const kinds = Object.keys(SPEC_KINDS) as SpecKind[];
  for (const kind of kinds) ajv.addSchema(SPEC_KINDS[kind], kind);
  const code = standalone(ajv, Object.fromEntries(kinds.map((k) => [k, k])));
  // standalone code requires ajv's runtime helpers; an ES module imports them
  const runtime: string[] = [...new Set(code.match(/require\("ajv\/dist\/runtime\/[a-z0-9]+"\)/g) ?? [])];
  let out = code;
  const imports = runtime.map((req, i) => {
    out = out.replaceAll(req, `__ajvRuntime${i}`);
    return `import __ajvRuntime${i} from ${JSON.stringify(`${req.slice(9, -2)}.js`)};`;
  });
  return `${imports.join('\n')}\n${out}\nexport const validators = { ${kinds.join(', ')} };\n`;
}
