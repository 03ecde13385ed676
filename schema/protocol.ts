// The agent <-> reconciler protocol over WebSocket `/ws/agent`. Every message on the wire is one of
// these, validated with `validateAgentMessage` / `validateServerMessage` (schema/validate.ts) on receipt.
// The agent authenticates with `Authorization: Bearer <node token>` on the upgrade request.
import { Type as T, type Static } from '@sinclair/typebox';
import { ContainerSpec, ContainerKind, Name, RouteAdapter, RouteTable } from './container.ts';
import { LOG_LIMITS } from './log-limits.ts';

export { LOG_LIMITS, type LogLimits } from './log-limits.ts';

export const PROTOCOL_VERSION = 1;

/** Git credentials travel inside the job that needs them; never logged, never persisted. */
export const Credentials = T.Object(
  { username: T.Optional(T.String()), password: T.String() },
  { additionalProperties: false },
);
export type Credentials = Static<typeof Credentials>;

const jobBase = { id: T.String({ minLength: 1, maxLength: 128 }) };
const opt = { additionalProperties: false } as const;
/**
 * The Platform whose objects a job creates or removes (the sdp.platform label). The reconciler always
 * sets it; absent means objects without the label. A deploy carries it in `container.platform`.
 */
const platform = T.Optional(Name);

export const ResolveJob = T.Object(
  { ...jobBase, kind: T.Literal('resolve'), repo: T.String(), refs: T.Array(T.String()), credentials: T.Optional(Credentials) },
  opt,
);
/**
 * Every branch of a repository with its head and the head's commit time, read from the agent's mirror
 * after a fetch (git ls-remote has no times). The reconciler filters them by each SandboxSet's glob.
 */
export const ListBranchesJob = T.Object(
  { ...jobBase, kind: T.Literal('list-branches'), repo: T.String(), credentials: T.Optional(Credentials) },
  opt,
);
export const BranchTip = T.Object(
  {
    name: T.String({ description: 'the branch, without refs/heads/' }),
    commit: T.String(),
    time: T.Integer({ description: 'committer time of the head, unix seconds' }),
  },
  opt,
);
export type BranchTip = Static<typeof BranchTip>;
export const EnsureNetworkJob = T.Object(
  { ...jobBase, kind: T.Literal('ensure-network'), sandbox: Name, platform, network: T.String() },
  opt,
);
export const DeployJob = T.Object(
  {
    ...jobBase,
    kind: T.Literal('deploy'),
    container: ContainerSpec,
    /** env key -> secret value, only for keys listed in container.secretEnv. */
    secretValues: T.Optional(T.Record(T.String(), T.String())),
    credentials: T.Optional(Credentials),
    /** For gateways: how routes are applied, and the routes to apply once it runs. */
    gateway: T.Optional(T.Object({ adapter: RouteAdapter, routes: RouteTable }, opt)),
  },
  opt,
);
export const ApplyRoutesJob = T.Object(
  { ...jobBase, kind: T.Literal('apply-routes'), sandbox: Name, container: T.String(), adapter: RouteAdapter, routes: RouteTable },
  opt,
);
export const StopJob = T.Object({ ...jobBase, kind: T.Literal('stop'), sandbox: Name, containers: T.Array(T.String()) }, opt);
export const StartJob = T.Object({ ...jobBase, kind: T.Literal('start'), sandbox: Name, containers: T.Array(T.String()) }, opt);
export const RemoveJob = T.Object(
  {
    ...jobBase,
    kind: T.Literal('remove'),
    sandbox: Name,
    platform,
    /** Container names to remove; the network and worktrees go too when `all` is set. */
    containers: T.Array(T.String()),
    all: T.Boolean(),
  },
  opt,
);
export const Job = T.Union([ResolveJob, ListBranchesJob, EnsureNetworkJob, DeployJob, ApplyRoutesJob, StopJob, StartJob, RemoveJob]);
export type Job = Static<typeof Job>;
export type JobKind = Job['kind'];
export type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;

// ---- live state, read from Docker and the gateway, never from memory ----

export const ContainerState = T.Union(
  ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'].map((s) => T.Literal(s)),
);

/** What made a probe fail: an HTTP status outside 2xx/3xx, no answer in time, nothing listening, or another network error. */
export const ProbeFailureKind = T.Union([T.Literal('status'), T.Literal('timeout'), T.Literal('refused'), T.Literal('error')]);
export type ProbeFailureKind = Static<typeof ProbeFailureKind>;
export const ProbeFailure = T.Object(
  { kind: ProbeFailureKind, message: T.String({ maxLength: 200, description: "e.g. 'HTTP 500', 'timed out after 1000 ms', 'connection refused'" }) },
  opt,
);
export type ProbeFailure = Static<typeof ProbeFailure>;

/**
 * The agent's continuous health check of a running container (agent/health/monitor.ts): the status
 * it settled on, what it checks, why it fails, and since when. Absent until the first settled probe.
 */
export const ProbeReport = T.Object(
  {
    status: T.Union([T.Literal('healthy'), T.Literal('unhealthy')]),
    check: T.String({ description: "what is probed: 'GET /health' (the spec's health path) or 'tcp 8080' (none given)" }),
    failure: T.Optional(ProbeFailure),
    since: T.String({ description: 'when this status began (ISO time)' }),
  },
  opt,
);
export type ProbeReport = Static<typeof ProbeReport>;

/**
 * CPU (cores in use, to 0.01; from the second sample on) and memory in use (three significant
 * digits), sampled by the agent at a low rate; `at` is when these figures were first read (a sample
 * that reads the same keeps them, so an idle container's inventory does not change).
 */
export const Usage = T.Object(
  { cpu: T.Optional(T.Number({ minimum: 0 })), memoryBytes: T.Integer({ minimum: 0 }), at: T.String() },
  opt,
);
export type Usage = Static<typeof Usage>;

export const LiveContainer = T.Object(
  {
    id: T.String(),
    name: T.String(),
    sandbox: T.String(),
    /** the sdp.platform label; absent on objects made before it existed */
    platform: T.Optional(T.String()),
    /** the sdp.set label: the SandboxSet that made its sandbox */
    set: T.Optional(T.String()),
    service: T.String(),
    kind: ContainerKind,
    image: T.String(),
    commit: T.Optional(T.String()),
    branch: T.Optional(T.String()),
    specHash: T.Optional(T.String()),
    state: T.String({ description: 'docker state: created | running | paused | restarting | removing | exited | dead' }),
    /** The agent's probe when it has settled on one, else Docker's health: healthy | unhealthy | starting | none. */
    health: T.String(),
    /** absent from agents older than continuous health checks, and before the first settled probe */
    probe: T.Optional(ProbeReport),
    /** times it came back since it was last started: Docker's RestartCount (restart policy) plus the `docker restart`s the agent saw */
    restarts: T.Optional(T.Integer({ minimum: 0 })),
    usage: T.Optional(Usage),
    /** Env as the container runs it; values of keys in the sdp.secret-keys label are '(redacted)'. */
    env: T.Record(T.String(), T.String()),
    ports: T.Array(T.Object({ container: T.Integer(), host: T.Integer() }, opt)),
    resources: T.Object({ cpu: T.Optional(T.Number()), memoryBytes: T.Optional(T.Integer()) }, opt),
    startedAt: T.Optional(T.String()),
    /**
     * The networks it is attached to, each with its aliases there (Docker's own short-id alias left
     * out); absent from agents older than this field.
     */
    networks: T.Optional(T.Record(T.String(), T.Array(T.String()))),
  },
  opt,
);
export type LiveContainer = Static<typeof LiveContainer>;

export const LiveNetwork = T.Object(
  { id: T.String(), name: T.String(), sandbox: T.String(), platform: T.Optional(T.String()) },
  opt,
);
export type LiveNetwork = Static<typeof LiveNetwork>;

/** A gateway's route table as read back from the gateway itself; `error` when it could not be read. */
export const LiveRoutes = T.Object(
  { sandbox: T.String(), container: T.String(), routes: RouteTable, error: T.Optional(T.String()) },
  opt,
);
export type LiveRoutes = Static<typeof LiveRoutes>;

// ---- agent -> reconciler ----

export const Hello = T.Object(
  {
    type: T.Literal('hello'),
    node: Name,
    roles: T.Array(T.String()),
    address: T.String(),
    version: T.String(),
    protocol: T.Integer(),
  },
  opt,
);
export const Inventory = T.Object(
  {
    type: T.Literal('inventory'),
    node: T.String(),
    containers: T.Array(LiveContainer),
    networks: T.Array(LiveNetwork),
    gateways: T.Array(LiveRoutes),
    at: T.String(),
  },
  opt,
);
/**
 * Incremental change from the Docker event stream, or (action `probe`) a change of the agent's
 * settled health check of a container. No `container` means it is gone.
 */
export const Event = T.Object(
  {
    type: T.Literal('event'),
    node: T.String(),
    action: T.String({ description: 'docker action: start | die | stop | destroy | health_status | ...; or probe (the agent health check)' }),
    name: T.String(),
    container: T.Optional(LiveContainer),
    routes: T.Optional(LiveRoutes),
    at: T.String(),
  },
  opt,
);
export const Progress = T.Object(
  {
    type: T.Literal('progress'),
    jobId: T.String(),
    step: T.String({ description: 'e.g. git, build, create, health, switch, routes' }),
    status: T.Union([T.Literal('running'), T.Literal('done'), T.Literal('failed')]),
    message: T.Optional(T.String()),
  },
  opt,
);
export const Log = T.Object(
  { type: T.Literal('log'), jobId: T.String(), stream: T.String(), line: T.String() },
  opt,
);
export const Result = T.Object(
  {
    type: T.Literal('result'),
    jobId: T.String(),
    kind: T.String(),
    ok: T.Boolean(),
    error: T.Optional(T.String()),
    /** resolve: ref -> commit */
    commits: T.Optional(T.Record(T.String(), T.String())),
    /** list-branches: every branch of the repository */
    branches: T.Optional(T.Array(BranchTip)),
    /** deploy: the new container's id and image; rolledBack when the previous one was restored */
    containerId: T.Optional(T.String()),
    image: T.Optional(T.String()),
    rolledBack: T.Optional(T.Boolean()),
    /** failed deploy: the failed container's last lines */
    lines: T.Optional(T.Array(T.String())),
    durationMs: T.Integer({ minimum: 0 }),
  },
  opt,
);

/** What sdp takes of a node's disk: built images (sdp/build-*), the agent's work dir (git mirrors, worktrees), what is free there. */
export const DiskUse = T.Object(
  {
    builtImages: T.Integer({ minimum: 0 }),
    builtImagesBytes: T.Integer({ minimum: 0 }),
    workDirBytes: T.Integer({ minimum: 0 }),
    freeBytes: T.Optional(T.Integer({ minimum: 0 })),
    at: T.String(),
  },
  opt,
);
export type DiskUse = Static<typeof DiskUse>;
/** Sent after connecting and after each retention pass (old built images and worktrees removed). */
export const Disk = T.Object({ type: T.Literal('disk'), node: T.String(), disk: DiskUse }, opt);
export type Disk = Static<typeof Disk>;

// ---- container log streams (not jobs: nothing is stored, re-sent or acked) ----


export const LogStreamId = T.String({ minLength: 1, maxLength: 64 });
/** One line of a container's output; `ts` is Docker's RFC 3339 timestamp of the line. */
export const LogEntry = T.Object(
  {
    ts: T.Optional(T.String({ maxLength: 40 })),
    stream: T.Union([T.Literal('stdout'), T.Literal('stderr')]),
    text: T.String({ maxLength: LOG_LIMITS.lineMaxChars + 64 }),
  },
  opt,
);
export type LogEntry = Static<typeof LogEntry>;

/**
 * Lines of stream `stream`, secrets already masked; `dropped`: lines left out since the last chunk
 * (over the rate). The first chunk, empty, says Docker's stream is attached: a line written after it is seen.
 */
export const LogsChunk = T.Object(
  {
    type: T.Literal('logs-chunk'),
    stream: LogStreamId,
    lines: T.Array(LogEntry, { maxItems: LOG_LIMITS.chunkLines }),
    dropped: T.Optional(T.Integer({ minimum: 1 })),
    /** about the stream itself, before these lines: e.g. it now follows the container a deploy put in place of the one it followed */
    notice: T.Optional(T.String({ maxLength: 1000 })),
  },
  opt,
);
export type LogsChunk = Static<typeof LogsChunk>;

/** Why a log stream ended. `completed`: the tail was sent (no follow); the others say what happened to the container. */
export const LogsEndReason = T.Union([
  T.Literal('completed'),
  T.Literal('container-stopped'),
  T.Literal('container-removed'),
  T.Literal('cancelled'),
  T.Literal('refused'),
  T.Literal('failed'),
]);
export type LogsEndReason = Static<typeof LogsEndReason>;
/** The last message of a stream; a `failed` or `refused` one says why in `message`. */
export const LogsEnd = T.Object({ type: T.Literal('logs-end'), stream: LogStreamId, reason: LogsEndReason, message: T.String() }, opt);
export type LogsEnd = Static<typeof LogsEnd>;

export const AgentMessage = T.Union([Hello, Inventory, Event, Progress, Log, Result, Disk, LogsChunk, LogsEnd]);
export type AgentMessage = Static<typeof AgentMessage>;
export type Hello = Static<typeof Hello>;
export type Inventory = Static<typeof Inventory>;
export type AgentEvent = Static<typeof Event>;
export type Progress = Static<typeof Progress>;
export type Log = Static<typeof Log>;
export type Result = Static<typeof Result>;

// ---- reconciler -> agent ----

export const JobMessage = T.Object({ type: T.Literal('job'), job: Job }, opt);
export const InventoryRequest = T.Object({ type: T.Literal('inventory-request') }, opt);
/** The reconciler has stored this result; the agent may forget it. */
export const Ack = T.Object({ type: T.Literal('ack'), jobId: T.String() }, opt);

/**
 * Opens a log stream of one sdp container of `sandbox` on that agent: the last `tail` lines (since
 * `since`, unix seconds, when given), then with `follow` every new line until the container stops or
 * goes, or a `logs-cancel` comes. The agent answers with chunks and one `logs-end`.
 */
export const LogsOpen = T.Object(
  {
    type: T.Literal('logs-open'),
    stream: LogStreamId,
    sandbox: Name,
    platform,
    container: T.String({ minLength: 1, maxLength: 256 }),
    tail: T.Integer({ minimum: 0, maximum: LOG_LIMITS.tailMax }),
    since: T.Optional(T.Integer({ minimum: 0 })),
    follow: T.Boolean(),
  },
  opt,
);
export type LogsOpen = Static<typeof LogsOpen>;
/** The client went away: stop the stream (the agent still ends it with `logs-end` reason cancelled). */
export const LogsCancel = T.Object({ type: T.Literal('logs-cancel'), stream: LogStreamId }, opt);
export type LogsCancel = Static<typeof LogsCancel>;

export const ServerMessage = T.Union([JobMessage, InventoryRequest, Ack, LogsOpen, LogsCancel]);
export type ServerMessage = Static<typeof ServerMessage>;
