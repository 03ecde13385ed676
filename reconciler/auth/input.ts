// Input hardening the whole HTTP API shares: capped bodies, JSON validated against a TypeBox schema
// with ajv, names checked, and request-supplied paths confined to a root before any fs call.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NAME_PATTERN } from '../../schema/names.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** RFC 1123 label: what every sandbox, service, environment and node name is. */
export { NAME_PATTERN };
/** Usernames may also be git logins (e.g. e-mail addresses), so '.', '_' and '@' are allowed. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$';
/** A secret is an env variable, so its key is a portable env name. */
export const ENV_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';

const nameRe = new RegExp(NAME_PATTERN);
const usernameRe = new RegExp(USERNAME_PATTERN);
const envKeyRe = new RegExp(ENV_KEY_PATTERN);

export const isName = (s: unknown): s is string => typeof s === 'string' && nameRe.test(s);
export const isUsername = (s: unknown): s is string => typeof s === 'string' && usernameRe.test(s);
export const isEnvKey = (s: unknown): s is string => typeof s === 'string' && envKeyRe.test(s);

/** `{ error }` with the status; every refusal of the API has this shape. */
export function errorJson(c: Context, status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503, error: string, extra?: Record<string, unknown>): Response {
  return c.json({ error, ...extra }, status);
}

/** Middleware refusing bodies over `maxBytes` with 413, before anything reads them. Mount on /api/*. */
export function bodyCap(maxBytes = MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => errorJson(c, 413, `request body is larger than ${maxBytes} bytes`),
  });
}

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

function describe(errors: ErrorObject[]): { error: string; field: string } {
  const first = errors[0];
  if (!first) return { error: 'request body is invalid', field: '/' };
  const extra = first.keyword === 'additionalProperties' ? ` (${String(first.params['additionalProperty'])})` : '';
  const field = first.instancePath || '/';
  return { error: `request body ${field} ${first.message ?? 'is invalid'}${extra}`, field };
}

export type BodyResult<T> = { ok: true; body: T } | { ok: false; response: Response };

/**
 * Reads the request body as JSON and validates it against `schema`.
 * 415 unless JSON, 413 over the cap, 400 naming the offending field otherwise.
 */
export async function readJson<S extends TSchema>(c: Context, schema: S, maxBytes = MAX_BODY_BYTES): Promise<BodyResult<Static<S>>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return { ok: false, response: errorJson(c, 415, 'request body must be application/json') };
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) return { ok: false, response: errorJson(c, 413, `request body is larger than ${maxBytes} bytes`) };
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes) return { ok: false, response: errorJson(c, 413, `request body is larger than ${maxBytes} bytes`) };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, response: errorJson(c, 400, 'request body is not valid JSON') };
  }
  const validate = validatorFor(schema);
  if (!validate(data)) return { ok: false, response: c.json(describe(validate.errors ?? []), 400) };
  return { ok: true, body: data as Static<S> };
}

/**
 * Joins a request-supplied relative path onto `root`, refusing anything that could leave it
 * (absolute paths, '..', NUL bytes). Returns null when refused. Symlinks inside root are the
 * caller's to avoid (don't create them in served folders).
 */
export function safeJoin(root: string, untrusted: string): string | null {
  if (untrusted.includes('\0') || isAbsolute(untrusted) || /^[A-Za-z]:/.test(untrusted)) return null;
  const base = resolve(root);
  const full = resolve(base, untrusted);
  const rel = relative(base, full);
  if (rel === '') return full;
  if (rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return null;
  return full;
}
