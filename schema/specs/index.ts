// The spec kinds (apiVersion sdp/v1). One TypeBox definition per kind gives the JSON Schema (used by the
// compiler through ajv and, generated into schema/json/, by editors) and the TS type.
import type { Static } from '@sinclair/typebox';
import { Environment } from './environment.ts';
import { Platform } from './platform.ts';
import { Sandbox, SandboxTemplate } from './sandbox.ts';
import { SandboxSet } from './set.ts';

export { API_VERSION, JSON_SCHEMA_DIALECT, NAME_PATTERN } from './common.ts';
export { Platform, CatalogService } from './platform.ts';
export type { GatewayInput } from './platform.ts';
export { Sandbox, SandboxTemplate, ServiceSelection, SandboxSpec, TemplateSpec } from './sandbox.ts';
export { Environment, EnvironmentSpec } from './environment.ts';
export { SandboxSet, SandboxSetSpec } from './set.ts';

export const SPEC_KINDS = { Platform, SandboxTemplate, Sandbox, Environment, SandboxSet } as const;
export type SpecKind = keyof typeof SPEC_KINDS;
export type SpecDocument = { [K in SpecKind]: Static<(typeof SPEC_KINDS)[K]> }[SpecKind];

export function isSpecKind(kind: unknown): kind is SpecKind {
  return typeof kind === 'string' && Object.hasOwn(SPEC_KINDS, kind);
}
