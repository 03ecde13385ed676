// Every HTTP API route with the schema/api.ts type of each answer: the table the OpenAPI document
// (scripts/openapi/generate.ts -> schema/openapi.json, served at /api/openapi.json) is made from, and
// the one the CLI's and the UI's clients are typed by (`ApiResponse<'GET /api/status'>`). A test
// checks it against the routes the server really registers.
import type * as Api from './api.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDoc {
  summary: string;
  /** the schema/api.ts type of the success answer, by status; null: no body (204) */
  responses: Record<number, keyof ResponseTypes | null>;
  /** the least role; 'public' for no authentication */
  role: Api.Role | 'public' | 'any user';
  /** query parameters, each with what it does (all optional) */
  query?: Record<string, string>;
  /** response headers of the success answer, each with what it carries */
  headers?: Record<string, string>;
  /** a streamed answer: its media type (default application/json, one value); the type names one item of it */
  stream?: 'application/x-ndjson';
}

/** The types a route may answer with, by name (the OpenAPI components). */
export interface ResponseTypes {
  HealthView: Api.HealthView;
  OkResponse: Api.OkResponse;
  ErrorResponse: Api.ErrorResponse;
  StatusView: Api.StatusView;
  SandboxList: Api.SandboxSummary[];
  SandboxDetail: Api.SandboxDetail;
  Plan: Api.Plan;
  PlanPreview: Api.PlanPreview;
  SyncResponse: Api.SyncResponse;
  JobView: Api.JobView;
  AgentList: Api.AgentView[];
  AgentTokenResponse: Api.AgentTokenResponse;
  TemplateList: Api.TemplateView[];
  SetList: Api.SetView[];
  EnvironmentList: Api.EnvironmentView[];
  RevisionList: Api.RevisionView[];
  LoginResponse: Api.LoginResponse;
  MeView: Api.MeView;
  UsersResponse: Api.UsersResponse;
  UserResponse: Api.UserResponse;
  TokensResponse: Api.TokensResponse;
  NewTokenResponse: Api.NewTokenResponse;
  RevokedTokenResponse: Api.RevokedTokenResponse;
  SecretsResponse: Api.SecretsResponse;
  SecretSetResponse: Api.SecretSetResponse;
  AuditPage: Api.AuditPage;
  HistoryResponse: Api.HistoryResponse;
  RollbackResponse: Api.RollbackResponse;
  PinView: Api.PinView;
  SnapshotView: Api.SnapshotView;
  SnapshotsResponse: Api.SnapshotsResponse;
  LogEvent: Api.LogEvent;
  NotificationsView: Api.NotificationsView;
}

export const ROUTES = {
  'GET /api/health': { summary: 'liveness and the server version', responses: { 200: 'HealthView' }, role: 'public' },
  'GET /api/openapi.json': { summary: 'this document', responses: { 200: null }, role: 'public' },
  'POST /api/webhooks/git': { summary: 'a signed push: pull the followed specs repository now', responses: { 202: 'OkResponse' }, role: 'public' },
  'POST /api/login': { summary: 'a session (cookie, and a bearer token for the CLI)', responses: { 200: 'LoginResponse' }, role: 'public' },
  'POST /api/logout': { summary: 'end this session', responses: { 200: 'OkResponse' }, role: 'any user' },
  'GET /api/me': { summary: 'who is asking', responses: { 200: 'MeView' }, role: 'any user' },
  'PUT /api/me/password': { summary: 'change your own password', responses: { 200: 'OkResponse' }, role: 'any user' },
  'GET /api/status': { summary: 'revision in force, agents, every sandbox', responses: { 200: 'StatusView' }, role: 'viewer' },
  'GET /api/sandboxes': {
    summary: 'the sandboxes with sync, health and drift, by name; searched, filtered and paged on request (every one without limit)',
    responses: { 200: 'SandboxList' },
    role: 'viewer',
    query: {
      q: 'case-insensitive text in the name, owner, template, generating SandboxSet or a label key=value',
      sync: 'only this sync status (Synced, OutOfSync, Unknown)',
      health: 'only this health status (Healthy, Progressing, Degraded, Missing, Suspended, Expired, Unknown)',
      limit: 'at most this many (1..500); without it, every match',
      offset: 'skip this many matches first (default 0)',
    },
    headers: { 'X-Total-Count': 'how many sandboxes match in all, across pages' },
  },
  'GET /api/sandboxes/{name}': { summary: 'one sandbox: desired, live, services, history', responses: { 200: 'SandboxDetail' }, role: 'viewer' },
  'GET /api/sandboxes/{name}/plan': { summary: 'what a sync would do (?prune=true)', responses: { 200: 'Plan' }, role: 'viewer' },
  'POST /api/plan': { summary: "a pull request's spec files planned as if in force; nothing stored or applied (2 MiB, 1,000 files)", responses: { 200: 'PlanPreview' }, role: 'viewer' },
  'POST /api/sandboxes/{name}/sync': { summary: 'sync: 202 with the job, 200 for a dry run', responses: { 200: 'SyncResponse', 202: 'SyncResponse' }, role: 'qa' },
  'GET /api/sandboxes/{name}/history': {
    summary: 'its syncs, newest first: job, when, who, revision, commit / image / env digest per service, outcome; and its pin',
    responses: { 200: 'HistoryResponse' },
    role: 'viewer',
    query: { limit: 'at most this many syncs (1..500, default 50)' },
  },
  'POST /api/sandboxes/{name}/rollback': {
    summary: 're-deploy what a sync applied (a job, a snapshot, or by default the previous successful sync) and pin the sandbox there; prune needs lead',
    responses: { 202: 'RollbackResponse' },
    role: 'qa',
  },
  'POST /api/sandboxes/{name}/pin': { summary: 'pin the sandbox at its last successful sync: auto-sync and self-heal leave it alone', responses: { 200: 'PinView' }, role: 'qa' },
  'DELETE /api/sandboxes/{name}/pin': { summary: 'unpin: auto-sync and self-heal resume; answers the pin lifted', responses: { 200: 'PinView' }, role: 'qa' },
  'GET /api/sandboxes/{name}/snapshots': { summary: 'its named snapshots', responses: { 200: 'SnapshotsResponse' }, role: 'viewer' },
  'POST /api/sandboxes/{name}/snapshots': { summary: 'keep what a sync applied (default: the last successful one) under a name, to roll back to or recreate later', responses: { 201: 'SnapshotView' }, role: 'qa' },
  'DELETE /api/sandboxes/{name}/snapshots/{snapshot}': { summary: 'delete a snapshot', responses: { 204: null }, role: 'lead' },
  'GET /api/sandboxes/{name}/services/{service}/logs': {
    summary: "a service's container log, one LogEvent a line (start, line, dropped, end); secret values masked; bounded in tail, rate and streams at once",
    responses: { 200: 'LogEvent' },
    role: 'qa',
    stream: 'application/x-ndjson',
    query: {
      follow: 'true: keep streaming new lines until the container stops or goes, or the client leaves',
      tail: 'lines of history first (0..5000, default 100)',
      since: 'only lines after this: a duration ago (90s, 10m, 2h, 1d) or an RFC 3339 time',
    },
  },
  'GET /api/jobs/{id}': { summary: 'a job with its steps and log', responses: { 200: 'JobView' }, role: 'viewer' },
  'GET /api/agents': { summary: 'the agents, online or not', responses: { 200: 'AgentList' }, role: 'viewer' },
  'POST /api/agents/{node}/token': { summary: "issue a node's token (the previous one stops working)", responses: { 200: 'AgentTokenResponse' }, role: 'admin' },
  'GET /api/templates': { summary: 'the SandboxTemplates in force', responses: { 200: 'TemplateList' }, role: 'viewer' },
  'GET /api/sets': { summary: 'the SandboxSets in force, each with the branches it follows and the sandboxes it made', responses: { 200: 'SetList' }, role: 'viewer' },
  'GET /api/environments': { summary: 'the Environments in force (secret names only)', responses: { 200: 'EnvironmentList' }, role: 'viewer' },
  'GET /api/revisions': { summary: 'spec revisions, newest first', responses: { 200: 'RevisionList' }, role: 'viewer' },
  'GET /api/notifications': {
    summary: "the Platform's webhook targets (URLs without credentials) and their deliveries, newest first, with status and attempts",
    responses: { 200: 'NotificationsView' },
    role: 'viewer',
    query: { limit: 'at most this many deliveries (1..500, default 100)', status: 'only pending, delivered or failed ones', sandbox: 'only this sandbox' },
  },
  'POST /api/refresh': { summary: 're-resolve branches, re-read inventories, recompile', responses: { 200: 'OkResponse' }, role: 'qa' },
  'GET /api/users': { summary: 'users and roles', responses: { 200: 'UsersResponse' }, role: 'admin' },
  'POST /api/users': { summary: 'create a user', responses: { 201: 'UserResponse' }, role: 'admin' },
  'PATCH /api/users/{username}': { summary: "change a user's role or password", responses: { 200: 'UserResponse' }, role: 'admin' },
  'DELETE /api/users/{username}': { summary: 'delete a user with their sessions and tokens', responses: { 204: null }, role: 'admin' },
  'GET /api/tokens': { summary: 'API tokens (yours; an admin sees all), never their values', responses: { 200: 'TokensResponse' }, role: 'any user' },
  'POST /api/tokens': { summary: 'create an API token, shown once', responses: { 201: 'NewTokenResponse' }, role: 'any user' },
  'DELETE /api/tokens/{id}': { summary: 'revoke a token', responses: { 200: 'RevokedTokenResponse' }, role: 'any user' },
  'GET /api/secrets': { summary: 'secret names, set or not (never values)', responses: { 200: 'SecretsResponse' }, role: 'lead' },
  'PUT /api/secrets/{env}/{key}': { summary: 'set a secret value', responses: { 200: 'SecretSetResponse' }, role: 'lead' },
  'DELETE /api/secrets/{env}/{key}': { summary: 'remove a secret', responses: { 204: null }, role: 'lead' },
  'GET /api/audit': {
    summary: 'the audit trail, newest first, paged',
    responses: { 200: 'AuditPage' },
    role: 'lead',
    query: { limit: 'at most this many events', before: 'the `next` of the previous page', action: 'only this action (login, secret.set, ...)', actor: 'only this username' },
  },
} as const satisfies Record<string, RouteDoc>;

export type RouteKey = keyof typeof ROUTES;

type SuccessName<K extends RouteKey> = Extract<(typeof ROUTES)[K]['responses'][keyof (typeof ROUTES)[K]['responses']], keyof ResponseTypes>;

/** The body a route answers with on success: `ApiResponse<'GET /api/status'>` is StatusView. */
export type ApiResponse<K extends RouteKey> = [SuccessName<K>] extends [never] ? undefined : ResponseTypes[SuccessName<K>];

type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | PathParams<Rest> : never;
/** The path parameters a route needs: `{ name }` for 'GET /api/sandboxes/{name}'. */
export type RouteParams<K extends RouteKey> = { [N in PathParams<K>]: string };

/** The method and the path of a route with its parameters filled in (encoded). */
export function routeUrl<K extends RouteKey>(key: K, params: RouteParams<K>, query?: Record<string, string | number | boolean | undefined>): { method: Method; path: string } {
  const [method, template] = key.split(' ') as [Method, string];
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent((params as Record<string, string>)[name] ?? ''));
  const q = Object.entries(query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  return { method, path: q.length > 0 ? `${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString()}` : path };
}
