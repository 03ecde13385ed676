// kind: SandboxTemplate and kind: Sandbox. A sandbox deep-merges over its template (see
// reconciler/specs/merge.ts and docs/specs.md for the merge rules).
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import { Branch, Commit, KeyedMap, Name, Port, Resources, Ttl, document, metadata } from './common.ts';

/** A catalog service as the sandbox runs it: from a branch, a pinned commit, or explicitly baseline. */
export const ServiceSelection = T.Object(
  {
    branch: T.Optional(Branch),
    commit: T.Optional(Commit),
    baseline: T.Optional(T.Boolean({ description: 'true: route to the catalog baseline instead' })),
    env: T.Optional(T.Array(Name, { description: 'Environment names for this service, applied in order' })),
    resources: T.Optional(Resources),
  },
  { additionalProperties: false },
);
export type ServiceSelection = Static<typeof ServiceSelection>;

export const SyncPolicy = T.Object(
  { automated: T.Optional(T.Boolean()), prune: T.Optional(T.Boolean()), selfHeal: T.Optional(T.Boolean()) },
  { additionalProperties: false, description: 'default: all false (manual Sync)' },
);

const gatewaySource = { branch: T.Optional(Branch), commit: T.Optional(Commit) };

function sandboxFields<G extends TSchema>(gateway: G) {
  return {
    gateway: T.Optional(gateway),
    services: T.Optional(KeyedMap(Name, ServiceSelection, 'catalog services in the sandbox; the others route to baseline')),
    env: T.Optional(T.Array(Name, { description: 'Environment names for every service, applied in order' })),
    resources: T.Optional(Resources),
    ttl: T.Optional(Ttl),
    syncPolicy: T.Optional(SyncPolicy),
  };
}

/** A template has no gateway port: one port shared by every sandbox of the template could not work. */
export const TemplateSpec = T.Object(
  sandboxFields(T.Object(gatewaySource, { additionalProperties: false })),
  { additionalProperties: false },
);
export type TemplateSpec = Static<typeof TemplateSpec>;

export const SandboxSpec = T.Object(
  {
    template: T.Optional(Name),
    ...sandboxFields(
      T.Object(
        { ...gatewaySource, port: T.Optional(Port) },
        { additionalProperties: false },
      ),
    ),
    suspended: T.Optional(T.Boolean({ description: 'true: stop containers, keep config and ports' })),
  },
  { additionalProperties: false },
);
export type SandboxSpec = Static<typeof SandboxSpec>;

export const SandboxTemplate = document('SandboxTemplate', metadata(), TemplateSpec, 'defaults a Sandbox deep-merges over');
export type SandboxTemplate = Static<typeof SandboxTemplate>;

export const Sandbox = document(
  'Sandbox',
  metadata({ owner: T.Optional(T.String({ minLength: 1 })) }),
  SandboxSpec,
  'a set of services deployed from feature branches behind their own gateway',
);
export type Sandbox = Static<typeof Sandbox>;
