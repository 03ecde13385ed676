// Drift as the core finds it: typed, one variant per kind of difference, with the values it was
// found from. The wire format (DriftEntry of DESIGN.md) and every text for people are rendered from
// these at the edge (reconciler/present/), so nothing downstream parses a display string.

/** An env value as compared: plain, or a secret's, which is never read. */
export type EnvValue = { value: string } | { secret: true };

/** cpu in cores, memory in bytes; unset when unlimited. */
export interface ResourcesValue {
  cpu?: number;
  memoryBytes?: number;
}

export type DriftFinding =
  | { kind: 'network'; change: 'missing' | 'extra'; network: string; node: string }
  | { kind: 'container'; change: 'missing'; resource: string; /** commit, image or dockerfile it would run */ desired: string }
  | { kind: 'container'; change: 'extra'; resource: string; /** commit or image it runs */ live: string }
  | { kind: 'commit'; resource: string; desired?: string; live?: string }
  | { kind: 'image'; resource: string; desired: string; live: string }
  /** `key` undefined: a secret changed, and secrets are the only explanation (no key can be named) */
  | { kind: 'env'; resource: string; key: string | undefined; desired?: EnvValue; live?: EnvValue }
  | { kind: 'ports'; resource: string; desired: string[]; live: string[] }
  | { kind: 'resources'; resource: string; desired: ResourcesValue; live: ResourcesValue }
  | { kind: 'files'; resource: string; paths: string[] }
  | { kind: 'state'; resource: string; desired: 'running' | 'exited'; live: string }
  /** the spec hash differs and nothing the live side shows explains it */
  | { kind: 'spec'; resource: string; desiredHash: string; liveHash: string | undefined }
  | { kind: 'route'; change: 'missing' | 'extra' | 'changed'; service: string; desired?: string; live?: string };

/** The resource a finding is about, as DESIGN.md names it: "service/<name>", "gateway", "route/<name>", "network". */
export function findingResource(f: DriftFinding): string {
  switch (f.kind) {
    case 'network':
      return 'network';
    case 'route':
      return `route/${f.service}`;
    default:
      return f.resource;
  }
}
