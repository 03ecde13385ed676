// What a container (service or gateway) must be, as the reconciler compiles it and the agent runs it.
// One TypeBox definition gives both the JSON Schema (validated on both ends of the wire) and the TS type.
import { Type as T, type Static } from '@sinclair/typebox';
import { COMMIT_PATTERN, NAME_PATTERN } from './names.ts';

export const Name = T.String({ pattern: NAME_PATTERN, description: 'RFC 1123 label' });

export const BuildSpec = T.Union([
  T.Object(
    {
      type: T.Literal('image'),
      image: T.String({ minLength: 1 }),
      /** Where the worktree is mounted (only when the container has a git source). */
      mount: T.Optional(T.String()),
      run: T.Optional(T.Array(T.String())),
    },
    { additionalProperties: false },
  ),
  T.Object(
    {
      type: T.Literal('dockerfile'),
      dockerfile: T.String({ minLength: 1 }),
      context: T.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
  T.Object(
    {
      type: T.Literal('host'),
      command: T.String({ minLength: 1 }),
      image: T.String({ minLength: 1 }),
      run: T.Array(T.String()),
      /** Where the worktree is mounted in the container; default /src. */
      mount: T.Optional(T.String()),
    },
    { additionalProperties: false },
  ),
]);
export type BuildSpec = Static<typeof BuildSpec>;

export const HealthSpec = T.Object(
  {
    path: T.String(),
    timeoutMs: T.Integer({ minimum: 1 }),
    retries: T.Integer({ minimum: 0 }),
    intervalMs: T.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type HealthSpec = Static<typeof HealthSpec>;

/**
 * What the agent keeps probing once the container runs: the spec's health path on its port, or (no
 * health spec) that the port accepts connections, reached on its sandbox network.
 */
export const ProbeLabel = T.Object(
  { network: T.String(), port: T.Integer({ minimum: 1, maximum: 65535 }), health: T.Optional(HealthSpec) },
  { additionalProperties: false },
);
export type ProbeLabel = Static<typeof ProbeLabel>;

/** A git source pinned to a commit. `branch` is informational (shown in UI, kept as a label). */
export const GitSource = T.Object(
  {
    repo: T.String({ minLength: 1 }),
    commit: T.String({ pattern: COMMIT_PATTERN }),
    branch: T.Optional(T.String()),
  },
  { additionalProperties: false },
);
export type GitSource = Static<typeof GitSource>;

export const FileSpec = T.Object({ path: T.String({ minLength: 1 }), content: T.String() }, { additionalProperties: false });
export type FileSpec = Static<typeof FileSpec>;

export const Resources = T.Object(
  { cpu: T.Optional(T.Number({ exclusiveMinimum: 0 })), memoryBytes: T.Optional(T.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
export type Resources = Static<typeof Resources>;

export const ContainerKind = T.Union([T.Literal('service'), T.Literal('gateway')]);
export type ContainerKind = Static<typeof ContainerKind>;

/**
 * A container ready to run: commit resolved, ports allocated, env interpolated.
 * Secret env values are NOT here: `secretEnv` names the keys, and their values travel only in the
 * job that deploys the container (see protocol.ts), so this object is safe to store and show.
 */
export const ContainerSpec = T.Object(
  {
    name: T.String({ description: 'sandbox-<sandbox>-<service> or sandbox-<sandbox>-gateway' }),
    sandbox: Name,
    /**
     * The Platform (sdp installation) that owns it, stored as the sdp.platform label. The reconciler
     * always sets it; absent means "no platform label" (objects made before labels existed).
     */
    platform: T.Optional(Name),
    /** The SandboxSet that made the sandbox (the sdp.set label): with the set's prune, its orphans go by themselves. */
    set: T.Optional(Name),
    service: T.String({ description: "catalog service name, or 'gateway'" }),
    kind: ContainerKind,
    network: T.String({ description: 'sandbox-<sandbox>' }),
    alias: T.String({ description: 'network alias, the service name' }),
    source: T.Optional(GitSource),
    build: BuildSpec,
    port: T.Integer({ minimum: 1, maximum: 65535, description: 'container port' }),
    hostPort: T.Optional(T.Integer({ minimum: 1, maximum: 65535 })),
    hostIp: T.Optional(T.String({ description: 'address hostPort is published on; absent: all of the node' })),
    env: T.Record(T.String(), T.String()),
    secretEnv: T.Array(T.String(), { description: 'env keys whose values are secret' }),
    files: T.Array(FileSpec),
    resources: Resources,
    health: T.Optional(HealthSpec),
    specHash: T.String({ description: 'hash of this desired config; stored as the sdp.spec-hash label' }),
  },
  { additionalProperties: false },
);
export type ContainerSpec = Static<typeof ContainerSpec>;

/**
 * The built-in proxy gateway's control channel: a host directory of the agent's, mounted into the
 * gateway container (and no other) at PROXY_CONTROL_DIR. Caddy's admin API listens on a unix socket
 * there and reads its startup config from there; nothing of it is on any network.
 */
export const PROXY_CONTROL_DIR = '/run/sdp-gateway';
export const PROXY_CONFIG_FILE = 'caddy.json';
export const PROXY_ADMIN_SOCKET = 'admin.sock';
/**
 * What sdp runs in the proxy image, whatever its own entrypoint and command: only `caddy` on the
 * PATH is relied on. The compiler puts it in the gateway's build (so it is in its spec hash and
 * shown in plans); the agent runs it as the container's entrypoint.
 */
export const PROXY_COMMAND = ['caddy', 'run', '--config', `${PROXY_CONTROL_DIR}/${PROXY_CONFIG_FILE}`];

/** How the gateway learns its routes. `proxy` is the built-in Caddy, configured via its admin API. */
export const RouteAdapter = T.Union([
  T.Object({ adapter: T.Literal('proxy') }, { additionalProperties: false }),
  T.Object(
    {
      adapter: T.Literal('file'),
      file: T.String({ minLength: 1, description: 'path inside the gateway worktree' }),
      format: T.Union([T.Literal('json'), T.Literal('yaml'), T.Literal('env'), T.Literal('php-array')]),
      key: T.String({ description: "key template, e.g. '{service}_url'" }),
      reload: T.Optional(T.Array(T.String())),
    },
    { additionalProperties: false },
  ),
  T.Object(
    { adapter: T.Literal('env'), key: T.Optional(T.String({ description: "default '{SERVICE}_URL'" })) },
    { additionalProperties: false },
  ),
]);
export type RouteAdapter = Static<typeof RouteAdapter>;

/** service name -> target URL (sandbox container, other node, or baseline). */
export const RouteTable = T.Record(T.String(), T.String());
export type RouteTable = Static<typeof RouteTable>;

/** Label keys sdp puts on everything it creates; the live side is read back from these. */
export const LABELS = {
  managed: 'sdp.managed',
  sandbox: 'sdp.sandbox',
  /** The Platform's name: several sdp installations can share one Docker engine. */
  platform: 'sdp.platform',
  /**
   * The agent that created the container (an id kept in its work directory): at start an agent
   * clears only its own interrupted deploys, never those of another agent on the same engine.
   */
  agent: 'sdp.agent',
  /** The SandboxSet that made the sandbox, if one did. */
  set: 'sdp.set',
  service: 'sdp.service',
  kind: 'sdp.kind',
  commit: 'sdp.commit',
  branch: 'sdp.branch',
  specHash: 'sdp.spec-hash',
  secretKeys: 'sdp.secret-keys',
  /** Gateways only: the RouteAdapter as JSON, so the agent knows how to read the routes back. */
  routeAdapter: 'sdp.route-adapter',
  /** ProbeLabel as JSON: what the agent's continuous health check probes, also after the agent restarts. */
  probe: 'sdp.probe',
} as const;
