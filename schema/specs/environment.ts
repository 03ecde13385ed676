// kind: Environment — variables, secret names and files applied to containers.
import { Type as T, type Static } from '@sinclair/typebox';
import { EnvKey, KeyedMap, document, metadata } from './common.ts';

export const EnvValue = T.Union([T.String(), T.Number(), T.Boolean()], { description: 'a string, number or boolean' });

export const EnvironmentSpec = T.Object(
  {
    variables: T.Optional(
      KeyedMap(EnvKey, EnvValue, 'env variables; values may use ${services.<name>.url}'),
    ),
    secrets: T.Optional(
      T.Array(EnvKey, {
        uniqueItems: true,
        description: 'secret names only; values live in the secret store (sdp secret set <env> <KEY>)',
      }),
    ),
    files: T.Optional(
      T.Array(
        T.Object(
          { path: T.String({ pattern: '^/', description: "an absolute path starting with '/'" }), content: T.String() },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
export type EnvironmentSpec = Static<typeof EnvironmentSpec>;

export const Environment = document('Environment', metadata(), EnvironmentSpec, 'variables, secret names and files for containers');
export type Environment = Static<typeof Environment>;
