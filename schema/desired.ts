// The compiled desired state: what the spec compiler (reconciler/specs) produces from a specs folder
// and what the diff and planner consume. Plain data, no I/O. Branches are not yet resolved to
// commits here: `bindCommits` (reconciler) turns a DesiredContainer plus a commit into a ContainerSpec.
import type { NotificationEvent, NotificationFormat } from './notifications.ts';
import type { BuildSpec, FileSpec, HealthSpec, Resources, RouteAdapter } from './container.ts';

export interface SourceRef {
  /** file path relative to the specs folder, 1-based line and column */
  file: string;
  line: number;
  col: number;
}

export interface DesiredGitSource {
  repo: string;
  /** exactly one of branch / commit */
  branch?: string;
  commit?: string;
}

export interface SecretRef {
  /** env key in the container */
  key: string;
  /** Environment the secret belongs to (the store keys values by environment + key) */
  environment: string;
}

/** A ContainerSpec before its commit is resolved and its hash computed. */
export interface DesiredContainer {
  name: string;
  sandbox: string;
  service: string;
  kind: 'service' | 'gateway';
  node: string;
  network: string;
  alias: string;
  source?: DesiredGitSource;
  build: BuildSpec;
  port: number;
  hostPort?: number;
  /** The address `hostPort` is published on; absent: every address of the node (the gateway). */
  hostIp?: string;
  env: Record<string, string>;
  secrets: SecretRef[];
  files: FileSpec[];
  resources: Resources;
  health?: HealthSpec;
}

export interface DesiredRoute {
  service: string;
  mode: 'sandbox' | 'baseline';
  target: string;
}

/** The SandboxSet that made a sandbox, and for which branch. */
export interface GeneratedBy {
  set: string;
  branch: string;
}

export interface DesiredSandbox {
  name: string;
  /** present when a SandboxSet made it (it lives only in the set: edit the set, not the sandbox) */
  generatedBy?: GeneratedBy;
  owner?: string;
  labels: Record<string, string>;
  template?: string;
  environments: string[];
  suspended: boolean;
  ttlSeconds?: number;
  syncPolicy: { automated: boolean; prune: boolean; selfHeal: boolean };
  /** where the Sandbox object starts */
  source: SourceRef;
  network: string;
  /** nodes that host something of this sandbox (the network is created on each) */
  nodes: string[];
  services: DesiredContainer[];
  gateway: DesiredContainer & { adapter: RouteAdapter };
  gatewayPort: number;
  gatewayUrl: string;
  routes: DesiredRoute[];
}

export interface DesiredNode {
  name: string;
  roles: string[];
  address: string;
}

/** A SandboxTemplate as written (before any sandbox merges over it), for people browsing templates. */
export interface DesiredTemplate {
  name: string;
  gateway?: { branch?: string; commit?: string };
  services?: Record<string, { branch?: string; commit?: string; baseline?: boolean }>;
  /** Environment names every service of a sandbox from the template gets */
  env?: string[];
  ttl?: string;
  resources?: { cpu?: number; memory?: string };
}

/** A webhook target of the Platform, defaults applied: `events` lists every event it gets. */
export interface DesiredWebhook {
  name: string;
  url: string;
  format: NotificationFormat;
  /** secret NAME: the HMAC key is the secret store's NAME/hmac */
  secret?: string;
  events: NotificationEvent[];
}

/** A SandboxSet as compiled: what it follows and what it made from the branch list it was given. */
export interface DesiredSet {
  name: string;
  /** where the SandboxSet object starts */
  source: SourceRef;
  /** the catalog service whose repository's branches it follows */
  service: string;
  repo: string;
  /** the branch glob */
  branches: string;
  max: number;
  /** false until an agent has listed the repository's branches: nothing is generated before */
  listed: boolean;
  /** branches matching the glob (more than `sandboxes` when `max` cut some) */
  matched: number;
  /** matching branches left out because their names are not ones sdp passes to git, with why */
  skipped: { branch: string; reason: string }[];
  /** the sandboxes it made, newest branch first (heads are not here: a push is drift, not a new revision) */
  sandboxes: { name: string; branch: string }[];
  syncPolicy: { automated: boolean; prune: boolean; selfHeal: boolean };
}

export interface DesiredState {
  platform: {
    name: string;
    nodes: DesiredNode[];
    ports: { gateway: [number, number]; services: [number, number] };
    gitCredentials?: string;
    services: string[];
    /** webhook targets; absent when the Platform declares none (and in revisions stored before them) */
    notifications?: DesiredWebhook[];
  };
  sandboxes: DesiredSandbox[];
  /** SandboxSets, sorted by name; absent in revisions stored before the kind existed */
  sets?: DesiredSet[];
  templates: string[];
  /** the templates as written, sorted by name; absent in revisions stored before it was kept */
  templateSpecs?: DesiredTemplate[];
  environments: { name: string; variables: Record<string, string>; secrets: string[]; files: FileSpec[] }[];
  /** Port allocations in force: `gateway/<sandbox>` or `service/<sandbox>/<service>` -> host port. */
  ports: Record<string, number>;
}

export interface SpecError extends SourceRef {
  message: string;
  /** dotted path of the offending field, e.g. spec.services.account.branch */
  field?: string;
}

export type CompileResult = { ok: true; desired: DesiredState } | { ok: false; errors: SpecError[] };
