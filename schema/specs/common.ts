// Building blocks shared by the spec kinds. Patterns carry a `description` phrased so that the spec
// compiler can say "<field>: must be <description>" when a value does not match.
import { Type as T, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import { BuildSpec, RouteAdapter } from '../container.ts';
import { COMMIT_PATTERN, NAME_PATTERN } from '../names.ts';

export const API_VERSION = 'sdp/v1';
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export { NAME_PATTERN };
const NAME_DESCRIPTION =
  "an RFC 1123 label (lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)";
export const Name = T.String({ pattern: NAME_PATTERN, description: NAME_DESCRIPTION });

export const ENV_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const EnvKey = T.String({
  pattern: ENV_KEY_PATTERN,
  description: 'an environment variable name (letters, digits and _, not starting with a digit)',
});

/** A map whose keys must match `keys`; other keys are errors (TypeBox's Record would let them pass). */
export function KeyedMap<V extends TSchema>(keys: TSchema, value: V, description: string) {
  return T.Unsafe<Record<string, Static<V>>>({
    type: 'object',
    propertyNames: { pattern: (keys as { pattern?: string }).pattern, description: keys.description },
    additionalProperties: value,
    description,
  });
}

/**
 * A union told apart by one property, in plain draft 2020-12 (no OpenAPI `discriminator`): the tag's
 * enum names every allowed value, and an if/then per value checks only that branch, so a bad tag is
 * one "must be one of ..." error and a good one gets the branch's own errors (compiler and editors).
 */
function tagged<S extends TSchema & { anyOf: TSchema[] }>(union: S, tag: string, description: string) {
  const branches = union.anyOf as Array<TSchema & { properties: Record<string, { const: string }> }>;
  const values = branches.map((branch) => branch.properties[tag]!.const);
  return T.Unsafe<Static<S>>({
    type: 'object',
    required: [tag],
    properties: { [tag]: { type: 'string', enum: values } },
    allOf: branches.map((branch, i) => ({
      if: { properties: { [tag]: { const: values[i] } }, required: [tag] },
      then: branch,
    })),
    description,
  });
}

export const Build = tagged(
  BuildSpec,
  'type',
  'how the service is built: { type: host, command, image, run } | { type: dockerfile, dockerfile, context } | { type: image, image }',
);
export const Routes = tagged(
  RouteAdapter,
  'adapter',
  'how the gateway learns its routes: { adapter: file, file, format, key, reload? } | { adapter: env, key? } | { adapter: proxy }',
);

/** One of a few strings: a bad value is one "must be one of a, b, c" error. */
export function OneOf<const V extends readonly string[]>(values: V, description: string) {
  return T.Unsafe<V[number]>({ type: 'string', enum: [...values], description });
}

export const Duration = T.String({
  pattern: '^([0-9]+(ms|s|m|h))+$',
  description: 'a duration such as 10s, 500ms, 5m or 1h',
});
export const Ttl = T.String({
  pattern: '^([0-9]+[wdhms])+$',
  description: 'a duration such as 14d, 12h, 30m, 90s or 2w',
});
export const MEMORY_PATTERN = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|K|M|G|T)?$';
export const Memory = T.Union([T.Integer({ minimum: 1 }), T.String({ pattern: MEMORY_PATTERN })], {
  description: 'a memory size such as 512Mi, 1Gi, 1G, 256M or a number of bytes',
});
export const PortRange = T.String({
  pattern: '^[0-9]{1,5}-[0-9]{1,5}$',
  description: 'a port range such as 8080-8099',
});
export const Port = T.Integer({ minimum: 1, maximum: 65535, description: 'a TCP port (1-65535)' });
export const Commit = T.String({
  pattern: COMMIT_PATTERN,
  description: 'a commit SHA (7 to 64 lowercase hex characters)',
});
/** Checked against git's ref-format rules by the compiler (a pattern cannot say all of them). */
export const Branch = T.String({ minLength: 1, description: 'a git branch name' });
/** scheme://[user@]host[:port][/path...]: the host is required (`http://:8080` is no URL to route to). */
const HTTP_URL = 'https?://([^\\s/?#@]+@)?(\\[[0-9A-Fa-f:.]+\\]|[^\\s/?#@:\\[\\]]+)(:[0-9]{1,5})?([/?#][^\\s]*)?';
export const Repo = T.String({
  pattern: `^(${HTTP_URL}|(?!https?:)[^\\s-][^\\s]*)$`,
  description: "a git URL (an http(s) one with a host) or a path relative to this file (./x, ../x), without spaces and not starting with '-'",
});
export const Image = T.String({ pattern: '^[^\\s-][^\\s]*$', description: "an image reference such as caddy:2 (no spaces)" });
export const Url = T.String({ pattern: `^${HTTP_URL}$`, description: 'an http:// or https:// URL with a host, such as https://account-dev.example.com' });
export const Address = T.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9.:-]*$',
  description: 'an IP address or host name',
});

export const Resources = T.Object(
  {
    cpu: T.Optional(T.Number({ exclusiveMinimum: 0, description: 'a number of CPUs above 0, e.g. 0.5' })),
    memory: T.Optional(Memory),
  },
  { additionalProperties: false, description: 'container limits: { cpu: 0.5, memory: 512Mi }' },
);
export type ResourcesInput = Static<typeof Resources>;

export const Labels = T.Record(T.String(), T.String(), { description: 'free-form labels' });

export const metadata = <E extends TProperties>(extra: E = {} as E) =>
  T.Object({ name: Name, labels: T.Optional(Labels), ...extra }, { additionalProperties: false });

export function document<K extends string, M extends TSchema, S extends TSchema>(kind: K, meta: M, spec: S, description: string) {
  return T.Object(
    { apiVersion: T.Literal(API_VERSION), kind: T.Literal(kind), metadata: meta, spec },
    { additionalProperties: false, title: kind, description },
  );
}
