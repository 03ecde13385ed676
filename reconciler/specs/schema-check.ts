// Checks one document against its kind's JSON Schema (ajv, all errors) and turns ajv's errors into
// messages a spec author reads: the field, what it must be, and where the key or value is.
import type { ErrorObject } from 'ajv';
import type { SpecKind } from '../../schema/specs/index.ts';
import type { Path, SpecDoc } from './documents.ts';
import { isObject, type Errors } from './errors.ts';
import { validators } from './validators.ts';
import { hasPasswordInUrl } from '../git-url.ts';


const SECRETS_AS_MAP =
  'must be a list of secret names, e.g. [DB_PASSWORD]; values never go in specs: put them in the secret store with `sdp secret set <environment> <KEY>` (value on stdin)';

/** Adds the document's schema errors to `errors`; true when it is valid. */
export function checkSchema(doc: SpecDoc, kind: SpecKind, errors: Errors): boolean {
  const value = doc.value;
  const before = errors.size;
  // A map under `secrets` holds plaintext values: say where they belong, and never echo them.
  const spec = isObject(value) ? value.spec : undefined;
  const secretsAsMap = kind === 'Environment' && isObject(spec) && isObject(spec.secrets);
  if (secretsAsMap) errors.at(doc, ['spec', 'secrets'], SECRETS_AS_MAP);

  const validate = validators[kind];
  if (validate(value)) return errors.size === before;
  const all = validate.errors ?? [];
  // Errors inside a failed anyOf are one problem ("must be a string, number or boolean"), not several.
  const unions = all.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  for (const e of all) {
    if (unions.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    if (secretsAsMap && e.instancePath.startsWith('/spec/secrets')) continue;
    report(doc, e, errors);
  }
  return false;
}

function report(doc: SpecDoc, e: ErrorObject, errors: Errors): void {
  // A bad key is reported once, by the propertyNames error, not again by the pattern inside it.
  if (e.keyword !== 'propertyNames' && (e as ErrorObject & { propertyName?: string }).propertyName !== undefined) return;
  const path = pointerToPath(e.instancePath);
  const parent = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
  const described = parent.description ? `must be ${parent.description}` : `${e.message ?? 'is invalid'}`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return errors.at(doc, [...path, String(params.missingProperty)], 'is required');
    case 'additionalProperties': {
      const allowed = Object.keys(parent.properties ?? {});
      const hint = allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
      return errors.at(doc, [...path, String(params.additionalProperty)], `unknown key${hint}`, { key: true });
    }
    case 'propertyNames': {
      const names = (e.schema ?? {}) as { description?: string };
      return errors.at(doc, [...path, String(params.propertyName)], `is not ${names.description ?? 'a valid key'}`, { key: true });
    }
    case 'type':
      return errors.at(doc, path, `must be ${typeName(String(params.type))}`);
    case 'pattern':
    case 'anyOf':
      return errors.at(doc, path, `${described}${echo(path, e.data)}`);
    case 'const':
      return errors.at(doc, path, `must be ${JSON.stringify(params.allowedValue)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return errors.at(doc, path, `${described}${echo(path, e.data)}`);
    case 'minItems':
      return errors.at(doc, path, `must list at least ${String(params.limit)}`);
    case 'minLength':
      return errors.at(doc, path, 'must not be empty');
    case 'uniqueItems':
      return errors.at(doc, [...path, Number(params.i)], 'is listed twice');
    case 'enum':
      return errors.at(doc, path, `must be one of ${(params.allowedValues as unknown[]).join(', ')}${echo(path, e.data)}`);
    case 'if': // the branch's own errors are reported; this one only says that a branch failed
      return;
    default:
      return errors.at(doc, path, e.message ?? 'is invalid');
  }
}

function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function typeName(type: string): string {
  switch (type) {
    case 'object':
      return 'a mapping (key: value)';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    default:
      return `a ${type}`;
  }
}

/** Shows the offending value, except anything under `secrets` (which may be a pasted secret). */
function echo(path: Path, data: unknown): string {
  if (path.includes('secrets') || (typeof data === 'string' && hasPasswordInUrl(data))) return '';
  if (typeof data === 'string' && data.length <= 80) return ` (got ${JSON.stringify(data)})`;
  if (typeof data === 'number' || typeof data === 'boolean') return ` (got ${String(data)})`;
  return '';
}
