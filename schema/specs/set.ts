// kind: SandboxSet — one Sandbox per branch of a catalog service's repository that matches a glob.
// Its `spec` holds the fields of a Sandbox's spec (no fixed gateway port: every generated sandbox
// gets its own), in which `{{branch}}` and `{{slug}}` stand for the branch and its label form.
import { Type as T, type Static } from '@sinclair/typebox';
import { Branch, Commit, KeyedMap, Name, Resources, Ttl, document, metadata } from './common.ts';
import { ServiceSelection, SyncPolicy } from './sandbox.ts';

export const SetGenerator = T.Object(
  {
    service: Name,
    branches: T.String({
      minLength: 1,
      description: "a branch glob: * matches within one path segment, ** across segments, ? one character (e.g. feature/*)",
    }),
  },
  { additionalProperties: false, description: 'where the branches come from: { service, branches }' },
);

export const SandboxSetSpec = T.Object(
  {
    generator: SetGenerator,
    name: T.Optional(
      T.String({
        minLength: 1,
        description: 'the generated sandboxes\' name, with {{slug}} once (default "<set>-{{slug}}"); lowercase letters, digits and - around it',
      }),
    ),
    max: T.Optional(T.Integer({ minimum: 1, maximum: 100, description: 'at most this many sandboxes, newest branches (by commit time) first; default 10' })),
    template: T.Optional(Name),
    gateway: T.Optional(T.Object({ branch: T.Optional(Branch), commit: T.Optional(Commit) }, { additionalProperties: false })),
    services: T.Optional(KeyedMap(Name, ServiceSelection, 'catalog services in each sandbox ({{branch}} usable); the others route to baseline')),
    env: T.Optional(T.Array(Name, { description: 'Environment names for every service, applied in order' })),
    resources: T.Optional(Resources),
    ttl: T.Optional(Ttl),
    syncPolicy: T.Optional(SyncPolicy),
  },
  { additionalProperties: false },
);
export type SandboxSetSpec = Static<typeof SandboxSetSpec>;

export const SandboxSet = document(
  'SandboxSet',
  metadata(),
  SandboxSetSpec,
  'one Sandbox per matching branch of a catalog service: made when the branch appears, removed when it goes',
);
export type SandboxSet = Static<typeof SandboxSet>;
