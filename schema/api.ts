// Shapes of the HTTP API (/api) and the UI live feed (/ws/ui). The UI, the CLI and the tests read
// these; the reconciler produces them. Drift and statuses follow ../shared/DESIGN.md exactly.
import type { DesiredSandbox, DesiredSet, DesiredTemplate, GeneratedBy, SpecError } from './desired.ts';
import type { DiskUse, LiveContainer, LiveNetwork, LiveRoutes, LogsEndReason, ProbeReport } from './protocol.ts';
import type { NotificationEvent, NotificationFormat } from './notifications.ts';

export const SYNC_STATUSES = ['Synced', 'OutOfSync', 'Unknown'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export const HEALTH_STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Missing', 'Suspended', 'Expired', 'Unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** GET /api/sandboxes answers the matching page as a list; this header carries how many matched in all. */
export const TOTAL_COUNT_HEADER = 'X-Total-Count';
export type DriftField = 'commit' | 'image' | 'env' | 'ports' | 'resources' | 'target' | 'state' | 'files' | 'network';

export interface DriftEntry {
  /** "service/<name>" | "gateway" | "route/<name>" | "network" */
  resource: string;
  change: 'missing' | 'extra' | 'changed';
  field?: DriftField;
  /** secret values are always '(redacted)' */
  desired?: unknown;
  live?: unknown;
}

/**
 * A status with why (Argo CD's health {status, message}, Flux's condition reason): `reason` is a
 * CamelCase word a program can match, `message` a sentence a person reads. Never guessed: an
 * Unknown says which of its causes holds.
 */
export interface Reasoned<S extends string> {
  status: S;
  reason: StatusReason;
  message: string;
}

export type StatusReason =
  // sync
  | 'InSync'
  | 'Drift'
  | 'NotInSpec'
  | 'AgentOffline'
  | 'BranchUnresolved'
  | 'RoutesUnreadable'
  // health
  | 'AllHealthy'
  | 'ContainersMissing'
  | 'ContainerDown'
  | 'HealthCheckFailing'
  | 'ContainerStarting'
  | 'Suspended'
  | 'TtlExpired';

/**
 * One aspect of a sandbox, as Kubernetes / Flux conditions: `status` True when the aspect holds,
 * False when it does not, Unknown when it cannot be told (then the reason says why).
 */
export interface Condition {
  type: 'AgentsConnected' | 'BranchesResolved' | 'RoutesRead' | 'LastSyncSucceeded';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** A sync of a revision: the job, when it ended, and the revision's desired state it applied. */
export interface RevisionAttempt {
  revision: string;
  jobId: string;
  at: string;
}

export interface RouteView {
  service: string;
  mode: 'sandbox' | 'baseline';
  target: string;
  /** what the gateway really routes to; null when unknown or absent */
  live: string | null;
}

export interface ServiceView {
  service: string;
  node: string;
  branch?: string;
  desiredCommit?: string;
  liveCommit?: string;
  image?: string;
  state?: string;
  /** the agent's settled health check when it has one (healthy | unhealthy), else Docker's health */
  health?: string;
  /** the agent's continuous health check: what it probes, and what fails since when */
  probe?: ProbeReport;
  /** times it came back since it was last started */
  restarts?: number;
  /** CPU in cores (e.g. 0.25) and memory in use, as last sampled by the agent */
  cpu?: number;
  memoryBytes?: number;
  hostPort?: number;
}

export interface SandboxSummary {
  name: string;
  /** the SandboxSet that made it (for an orphan: that its containers name); edit the set, not the sandbox */
  generatedBy?: GeneratedBy;
  owner?: string;
  labels: Record<string, string>;
  template?: string;
  /** the status names of DESIGN.md; why in syncStatus / healthStatus */
  sync: SyncStatus;
  health: HealthStatus;
  syncStatus: Reasoned<SyncStatus>;
  healthStatus: Reasoned<HealthStatus>;
  conditions: Condition[];
  /** last sync that succeeded (its revision is what runs) vs last sync tried (it may have failed) */
  lastApplied?: RevisionAttempt;
  lastAttempted?: RevisionAttempt & { ok: boolean };
  drift: DriftEntry[];
  gatewayUrl: string;
  routes: RouteView[];
  suspended: boolean;
  /** ISO time the sandbox expires (ttl since last sync or spec change), if it has a ttl */
  expiresAt?: string;
  /** spec revision this desired state comes from */
  revision: string;
  lastSync?: { jobId: string; status: JobStatus; at: string };
  /** set while the sandbox is pinned (a rollback or `sdp pin`): auto-sync and self-heal leave it alone */
  pinned?: PinView;
}

/**
 * A pinned sandbox: who pinned it, when, why, and to what. Lifted by `sdp unpin` or by a spec
 * revision that changes (or drops) this sandbox's spec.
 */
export interface PinView {
  /** the job whose applied state it was pinned to (a rollback's own job) */
  job: string;
  /** the snapshot it was rolled back to, if it was */
  snapshot?: string;
  by: string;
  at: string;
  reason: string;
  /** a sentence: what holds it and how to release it */
  message: string;
}

/** What one sync applied to one container: its commit, the image it ran, a digest of its env. */
export interface AppliedContainer {
  service: string;
  kind: 'service' | 'gateway';
  branch?: string;
  commit?: string;
  image?: string;
  /** sha256 (16 hex) of the env and of the secret values' HMAC: a changed value shows, never the value */
  envDigest: string;
}

/** One sync of GET /api/sandboxes/:name/history: the job, its outcome and what it applied. */
export interface HistoryEntry {
  job: string;
  createdAt: string;
  finishedAt?: string;
  user: string;
  trigger: SyncTrigger;
  revision: string;
  status: JobStatus;
  error?: string;
  /** empty for syncs recorded before sdp kept what they applied (they cannot be rolled back to) */
  containers: AppliedContainer[];
}

export interface HistoryResponse {
  sandbox: string;
  pinned?: PinView;
  /** newest first */
  entries: HistoryEntry[];
}

/** A named copy of what a sync applied, kept (whatever the job retention) to roll back to or recreate later. */
export interface SnapshotView {
  sandbox: string;
  name: string;
  /** the job whose applied state it keeps */
  job: string;
  revision: string;
  by: string;
  at: string;
  reason?: string;
  containers: AppliedContainer[];
  /** the routes it had: per service, to the sandbox or the baseline */
  routes: { service: string; mode: 'sandbox' | 'baseline'; target: string }[];
  /** the Environments its env came from (values by digest in `containers`) */
  environments: string[];
}

export interface SnapshotsResponse {
  snapshots: SnapshotView[];
}

/** POST /api/sandboxes/:name/snapshots */
export interface SnapshotRequest {
  name: string;
  /** default: the sandbox's last successful sync */
  job?: string;
  reason?: string;
}

/** POST /api/sandboxes/:name/rollback: at most one of job / snapshot; neither: the previous successful sync */
export interface RollbackRequest {
  job?: string;
  snapshot?: string;
  reason?: string;
  prune?: boolean;
}

/** POST /api/sandboxes/:name/rollback (202): the job re-applying the record, its plan, and the pin it set */
export interface RollbackResponse {
  job: JobView;
  plan: Plan;
  pinned: PinView;
}

/** POST /api/sandboxes/:name/pin: hold what runs now (the last successful sync) */
export interface PinRequest {
  reason?: string;
}

export interface SandboxDetail extends SandboxSummary {
  desired: DesiredSandbox;
  live: { containers: LiveContainer[]; networks: LiveNetwork[]; gateways: LiveRoutes[] };
  services: ServiceView[];
  history: JobSummary[];
}

export type ActionKind = 'ensure-network' | 'deploy' | 'apply-routes' | 'stop' | 'start' | 'remove';

export interface PlanAction {
  id: string;
  /** actions of one wave run in parallel; waves run in order */
  wave: number;
  kind: ActionKind;
  /** "network" | "service/<name>" | "gateway" | "routes" */
  resource: string;
  node: string;
  change: 'create' | 'replace' | 'update' | 'remove' | 'stop' | 'start';
  /** why, in words a person reads: "commit abc123 -> def456" */
  reason: string;
}

export interface Plan {
  sandbox: string;
  revision: string;
  /** the SandboxSet that makes the sandbox, for which branch */
  generatedBy?: GeneratedBy;
  /** the sandbox's sync status with why (absent in plans of specs not in force) */
  sync?: Reasoned<SyncStatus>;
  drift: DriftEntry[];
  actions: PlanAction[];
  /** true when nothing would change */
  noop: boolean;
}

/** POST /api/plan's bounds: body bytes (413 past it), files (400), plans a minute per user (429). */
export const PLAN_REQUEST_LIMITS = { bytes: 2 * 1024 * 1024, files: 1000, perMinute: 30 } as const;

/** POST /api/plan: spec files (paths relative to the specs folder) to plan as if they were in force. */
export interface PlanRequest {
  files: { path: string; text: string }[];
  prune?: boolean;
}

/** POST /api/plan: what merging these specs would do; nothing of it is stored, allocated or applied. */
export type PlanPreview =
  | {
      ok: true;
      /** the revision in force the files were planned against (null before a first good one) */
      against: string | null;
      /** per sandbox of the files, and per sandbox they drop that still runs */
      plans: Plan[];
      /** sandboxes the files add / drop, against the revision in force */
      added: string[];
      removed: string[];
      /** sandboxes whose compiled spec differs from the revision in force */
      specChanged: string[];
    }
  | { ok: false; errors: SpecError[] };

export type JobStatus = 'pending' | 'running' | 'succeeded' | 'failed';
/** What started a sync: a person, the auto-sync policy (automated, self-heal, ttl), or a rollback. */
export type SyncTrigger = 'manual' | 'automated' | 'self-heal' | 'ttl' | 'rollback';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepView extends PlanAction {
  status: StepStatus;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface JobSummary {
  id: string;
  sandbox: string;
  status: JobStatus;
  user: string;
  revision: string;
  prune: boolean;
  dryRun: boolean;
  createdAt: string;
  finishedAt?: string;
  error?: string;
}

export interface LogLine {
  at: string;
  step?: string;
  stream: string;
  line: string;
}

export interface JobView extends JobSummary {
  steps: StepView[];
  logs: LogLine[];
}

export interface RevisionView {
  id: string;
  /** specs commit, with dirty when the work tree has uncommitted edits */
  commit?: string;
  dirty: boolean;
  at: string;
  ok: boolean;
  errors: SpecError[];
}

export interface AgentView {
  name: string;
  roles: string[];
  address: string;
  version?: string;
  online: boolean;
  lastSeen?: string;
  containers: number;
  /** as the agent last reported it */
  disk?: DiskUse;
}

/** GET /api/templates: the SandboxTemplates in force, as written */
export type TemplateView = DesiredTemplate;

/** A SandboxSet in force: what it follows, the sandboxes it made, and why its branch list is stale, if it is. */
export interface SetView extends DesiredSet {
  /** the last listing of the repository's branches failed: the list before it stays in force */
  error?: string;
}

/** GET /api/environments: the Environments in force; secrets by name only, files by path only */
export interface EnvironmentView {
  name: string;
  variables: Record<string, string>;
  secrets: string[];
  files?: { path: string }[];
}

/** POST /api/agents/:node/token: the node's new token, shown this once (the previous one stops working) */
export interface AgentTokenResponse {
  node: string;
  token: string;
}

export interface StatusView {
  /** the revision whose desired state is in force */
  current: RevisionView | null;
  /** the newest revision, when it was rejected */
  rejected: RevisionView | null;
  sandboxes: SandboxSummary[];
  agents: AgentView[];
}

/** Messages the reconciler pushes on /ws/ui. */
export type UiMessage =
  | { type: 'status'; status: StatusView }
  | { type: 'sandbox'; sandbox: SandboxSummary }
  | { type: 'job'; job: JobSummary & { steps: StepView[] } }
  | { type: 'job-log'; jobId: string; log: LogLine };

/** One event of GET /api/audit, newest first. */
export interface AuditView {
  id: number;
  at: string;
  actor: string | null;
  action: string;
  target: string | null;
  outcome: string;
  ip: string | null;
  detail: Record<string, unknown>;
}

/** Roles, ordered: each can do everything the ones before it can (reconciler/auth/roles.ts). */
// ---- GET /api/sandboxes/{name}/services/{service}/logs: one JSON object a line (application/x-ndjson) ----

/** The first line: whose logs these are and where they come from. */
export interface LogStartEvent {
  type: 'start';
  sandbox: string;
  service: string;
  container: string;
  node: string;
  follow: boolean;
  tail: number;
}
/** One line of the container's output, its secret values masked (`***`); `ts` is Docker's time of it. */
export interface LogLineEvent {
  type: 'line';
  ts?: string;
  stream: 'stdout' | 'stderr';
  text: string;
}
/** Lines left out: over the stream's rate (at the agent) or more than this client read in time. */
export interface LogDroppedEvent {
  type: 'dropped';
  lines: number;
  message: string;
}
/** The last line: why the stream ended (a followed one: the container stopped or went, the agent went offline). */
export interface LogEndEvent {
  type: 'end';
  reason: LogsEndReason | 'agent-offline';
  message: string;
}
export type LogEvent = LogStartEvent | LogLineEvent | LogDroppedEvent | LogEndEvent;

export const ROLES = ['viewer', 'qa', 'lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** POST /api/login: a session token (also the cookie) and its CSRF twin for cookie requests. */
export interface LoginResponse {
  token: string;
  csrf: string;
  expiresAt: string;
  user: { username: string; role: Role };
}

/** GET /api/me */
export interface MeView {
  username: string;
  role: Role;
  source?: 'local' | 'git';
  via?: 'session' | 'token';
}

/** GET /api/users: { users: UserView[] } (admin) */
export interface UserView {
  username: string;
  role: Role;
  source: 'local' | 'git';
  createdAt: string;
  updatedAt: string;
}

/** GET /api/tokens: { tokens: TokenView[] }; never the token's value */
export interface TokenView {
  id: string;
  name: string;
  role: Role;
  user: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** GET /api/secrets: { secrets: SecretListing[] }; which secret names have a value, never the value */
export interface SecretListing {
  environment: string;
  key: string;
  set: boolean;
  updatedAt?: string;
  updatedBy?: string;
  /** true when the current specs reference it */
  referenced: boolean;
}

/** POST /api/sandboxes/:name/sync: the job (null when there is nothing to do, or a dry run) and its plan */
export interface SyncResponse {
  job: JobView | null;
  plan: Plan;
}

/** GET /api/health (public) */
export interface HealthView {
  ok: boolean;
  version: string;
}

/** { ok: true }: POST /api/refresh, /api/logout, /api/webhooks/git, PUT /api/me/password */
export interface OkResponse {
  ok: boolean;
}

/** Every 4xx/5xx answer: what went wrong and, where it helps, details (the required role, a job id, ...). */
export interface ErrorResponse {
  error: string;
  [detail: string]: unknown;
}

export interface UsersResponse {
  users: UserView[];
}

/** POST /api/users (201), PATCH /api/users/:username */
export interface UserResponse {
  user: { username: string; role: Role; source: 'local' | 'git' };
}

export interface TokensResponse {
  tokens: TokenView[];
}

/** POST /api/tokens (201): the token's value, shown this once */
export interface NewTokenResponse extends TokenView {
  token: string;
}

/** DELETE /api/tokens/:id */
export interface RevokedTokenResponse {
  token: TokenView;
}

export interface SecretsResponse {
  secrets: SecretListing[];
}

/** PUT /api/secrets/:env/:key */
export interface SecretSetResponse {
  environment: string;
  key: string;
  set: boolean;
}

/** GET /api/audit?limit=&before=&action=&actor= */
export interface AuditPage {
  events: AuditView[];
  /** pass as `before` for the next (older) page; null on the last */
  next: number | null;
}

/** A webhook target of the Platform in force; the URL without credentials (user info, query) */
export interface NotificationTargetView {
  name: string;
  url: string;
  format: NotificationFormat;
  events: NotificationEvent[];
  /** the secret NAME whose NAME/hmac signs deliveries, and whether it is set */
  secret?: { name: string; set: boolean };
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One notification to one target: `pending` while it is tried again, `failed` after the last attempt. */
export interface DeliveryView {
  id: string;
  target: string;
  event: NotificationEvent;
  sandbox: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  lastAttemptAt?: string;
  /** when a pending delivery is tried next */
  nextAttemptAt?: string;
  deliveredAt?: string;
  /** why the last attempt failed (HTTP status or network error) */
  lastError?: string;
  /** the receiver's HTTP status of the last attempt */
  responseStatus?: number;
}

/** GET /api/notifications?limit=&status=&sandbox= */
export interface NotificationsView {
  targets: NotificationTargetView[];
  /** newest first */
  deliveries: DeliveryView[];
}
