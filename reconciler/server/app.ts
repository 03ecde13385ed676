// The HTTP API (DESIGN.md "HTTP API"), mounted in the order the auth module's contract asks
// (reconciler/auth/index.ts): body cap, auth's own routes, the public health and metrics, then
// authentication for everything else under /api and a role per route (viewer reads, qa syncs,
// lead syncs with prune). The built UI is served at / with a fallback to index.html.
import { serveStatic } from '@hono/node-server/serve-static';
import { Type as T, type Static, type TObject } from '@sinclair/typebox';
import { Hono, type Context } from 'hono';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Auth, AuthEnv } from '../auth/index.ts';
import { WEBHOOK_SIGNATURE_HEADER, bodyCap, clientIp, errorJson, forbidden, hasRole, isName, readJson, roleForSync, webhookSignatureOk } from '../auth/index.ts';
import type { Controller } from '../sync/controller.ts';
import { SandboxPinned, SyncConflict, UnknownSandbox, type Executor } from '../sync/executor.ts';
import { HistoryError, type Rollbacks } from '../sync/rollback.ts';
import { NAME_PATTERN } from '../../schema/names.ts';
import type { JobStore } from '../sync/job-store.ts';
import type { Revisions } from '../source/revisions.ts';
import type { Metrics } from '../metrics.ts';
import type { Notifier } from '../notify/notifier.ts';
import { PLAN_REQUEST_LIMITS, TOTAL_COUNT_HEADER, type AgentTokenResponse, type DeliveryStatus, type EnvironmentView, type PlanPreview, type PlanRequest, type SetView, type TemplateView } from '../../schema/api.ts';
import { FailureLimiter } from '../auth/rate-limit.ts';
import { parseSandboxQuery, querySandboxes } from '../present/sandbox-query.ts';
import type { LogRelay } from './log-relay.ts';
import { parseLogsQuery, streamLogs } from './logs-route.ts';
// generated from schema/routes.ts and schema/api.ts by scripts/openapi/generate.ts
import openapi from '../../schema/openapi.json' with { type: 'json' };

/** relative, '/'-separated, no '..' segment, no backslash or NUL, *.yaml / *.yml */
const SPEC_PATH = String.raw`^(?!/)(?!(.*/)?\.\.(/|$))[^\\\x00]+\.ya?ml$`;
const PlanBody = T.Object(
  {
    files: T.Array(T.Object({ path: T.String({ pattern: SPEC_PATH, maxLength: 1024 }), text: T.String() }, { additionalProperties: false })),
    prune: T.Optional(T.Boolean()),
  },
  { additionalProperties: false },
);

const SyncBody = T.Object({ prune: T.Optional(T.Boolean()), dryRun: T.Optional(T.Boolean()) }, { additionalProperties: false });
const Reason = T.String({ maxLength: 500 });
const JobId = T.String({ minLength: 1, maxLength: 64 });
const RollbackBody = T.Object(
  { job: T.Optional(JobId), snapshot: T.Optional(T.String({ pattern: NAME_PATTERN })), reason: T.Optional(Reason), prune: T.Optional(T.Boolean()) },
  { additionalProperties: false },
);
const PinBody = T.Object({ reason: T.Optional(Reason) }, { additionalProperties: false });
const SnapshotBody = T.Object({ name: T.String({ pattern: NAME_PATTERN }), job: T.Optional(JobId), reason: T.Optional(Reason) }, { additionalProperties: false });

export interface AppDeps {
  auth: Auth;
  controller: Controller;
  executor: Executor;
  jobs: JobStore;
  rollbacks: Rollbacks;
  revisions: Revisions;
  metrics: Metrics;
  /** GET /api/notifications: the webhook targets and their deliveries */
  notifications: Pick<Notifier, 'view'>;
  /** re-resolve branches, re-read agents' inventories, recompile specs */
  refresh: () => Promise<void>;
  /** pull the git spec source (if any) and refresh */
  gitWebhook: () => Promise<void>;
  /** the shared secret git signs webhooks with; without one POST /api/webhooks/git answers 404 */
  webhookSecret?: string;
  /** POST /api/plan: the files planned as if in force (reconciler/sync/preview.ts) */
  preview: (req: PlanRequest) => Promise<PlanPreview>;
  /** container log streams from the agents (AgentHub.logs) */
  logs: LogRelay;
  /** GET /api/sets: the SandboxSets in force with their listing errors */
  sets: () => SetView[];
  /** ui/build, when it exists */
  uiDir?: string;
  version: string;
}

export function createApp(d: AppDeps): Hono<AuthEnv> {
  const { auth, controller, executor, jobs, rollbacks } = d;
  const app = new Hono<AuthEnv>();
  const defaultCap = bodyCap();
  const planCap = bodyCap(PLAN_REQUEST_LIMITS.bytes);
  app.use('/api/*', (c, next) => (c.req.path === '/api/plan' ? planCap(c, next) : defaultCap(c, next)));
  const planLimiter = new FailureLimiter(PLAN_REQUEST_LIMITS.perMinute, 60_000);
  app.route('/', d.auth.routes);
  app.get('/api/health', (c) => c.json({ ok: true, version: d.version }));
  app.get('/api/openapi.json', (c) => c.json(openapi));
  app.get('/metrics', async (c) => c.text(await d.metrics.registry.metrics(), 200, { 'Content-Type': d.metrics.registry.contentType }));
  // A push webhook only triggers a pull of what sdp already follows, yet it comes without a user:
  // it proves itself with an HMAC of its raw body (X-Hub-Signature-256) under the webhook secret.
  app.post('/api/webhooks/git', async (c) => {
    if (!d.webhookSecret) return errorJson(c, 404, 'webhook not configured (start the server with SDP_WEBHOOK_SECRET or --webhook-secret-file)');
    const body = await c.req.text();
    if (!webhookSignatureOk(d.webhookSecret, body, c.req.header(WEBHOOK_SIGNATURE_HEADER))) {
      return errorJson(c, 401, `missing or invalid ${WEBHOOK_SIGNATURE_HEADER} (sha256=<HMAC of the body under the webhook secret>)`);
    }
    void d.gitWebhook();
    return c.json({ ok: true }, 202);
  });

  app.use('/api/*', auth.authenticate);
  app.get('/api/status', auth.requireRole('viewer'), (c) => c.json(controller.status()));
  app.get('/api/sandboxes', auth.requireRole('viewer'), (c) => {
    const query = parseSandboxQuery(c.req.query());
    if ('error' in query) return errorJson(c, 400, `${query.error} (GET /api/sandboxes?q=&sync=&health=&limit=&offset=)`);
    const { page, total } = querySandboxes(controller.summaries(), query);
    c.header(TOTAL_COUNT_HEADER, String(total));
    return c.json(page);
  });
  app.get('/api/sandboxes/:name', auth.requireRole('viewer'), (c) => {
    const name = c.req.param('name');
    const detail = controller.detail(name);
    if (detail) return c.json(detail);
    if (controller.state(name)) return errorJson(c, 404, `sandbox ${name} is in no spec; its live objects are listed in GET /api/sandboxes and a sync with prune removes them`);
    return errorJson(c, 404, `no sandbox ${name}`);
  });
  app.get('/api/sandboxes/:name/plan', auth.requireRole('viewer'), (c) => {
    try {
      return c.json(executor.plan(c.req.param('name'), c.req.query('prune') === 'true'));
    } catch (err) {
      if (err instanceof UnknownSandbox) return errorJson(c, 404, err.message);
      throw err;
    }
  });
  // A pull request's specs: compiled and planned in memory, never stored or logged (their contents may
  // name internal hosts); a viewer or a CI token may ask, at most PLAN_REQUEST_LIMITS.perMinute times a minute.
  app.post('/api/plan', auth.requireRole('viewer'), async (c) => {
    const who = c.get('principal').username;
    const allowed = planLimiter.check(who);
    if (!allowed.allowed) {
      c.header('Retry-After', String(allowed.retryAfter));
      return errorJson(c, 429, `at most ${PLAN_REQUEST_LIMITS.perMinute} plans a minute; try again in ${allowed.retryAfter} s`);
    }
    planLimiter.fail(who);
    const body = await readJson(c, PlanBody, PLAN_REQUEST_LIMITS.bytes);
    if (!body.ok) return body.response;
    if (body.body.files.length > PLAN_REQUEST_LIMITS.files) {
      return errorJson(c, 400, `at most ${PLAN_REQUEST_LIMITS.files} spec files (got ${body.body.files.length}); plan the specs folder only, without other YAML`);
    }
    return c.json(await d.preview(body.body));
  });
  app.post('/api/sandboxes/:name/sync', auth.requireRole('qa'), async (c) => {
    const body = await optionalBody(c, SyncBody);
    if (!body.ok) return body.response;
    const needed = roleForSync(body.body);
    if (!hasRole(c.get('principal'), needed)) return forbidden(c, needed);
    try {
      const started = executor.start({
        sandbox: c.req.param('name'),
        prune: body.body.prune ?? false,
        dryRun: body.body.dryRun ?? false,
        user: c.get('principal').username,
        trigger: 'manual',
        ip: clientIp(c),
      });
      return c.json({ job: started.job, plan: started.plan }, started.job ? 202 : 200);
    } catch (err) {
      return historyError(c, err);
    }
  });
  // History and rollback (reconciler/sync/rollback.ts). Rollback, pin and unpin are qa, as a sync:
  // they only ever apply what a sync applied before; a rollback with prune removes, so it is lead's.
  app.get('/api/sandboxes/:name/history', auth.requireRole('viewer'), (c) => {
    const raw = c.req.query('limit');
    const limit = raw === undefined ? undefined : Number(raw);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) return errorJson(c, 400, `limit=${raw}: a whole number from 1 to 500`);
    try {
      return c.json(rollbacks.history(c.req.param('name'), limit));
    } catch (err) {
      return historyError(c, err);
    }
  });
  app.post('/api/sandboxes/:name/rollback', auth.requireRole('qa'), async (c) => {
    const body = await optionalBody(c, RollbackBody);
    if (!body.ok) return body.response;
    const needed = roleForSync(body.body);
    if (!hasRole(c.get('principal'), needed)) return forbidden(c, needed);
    const { job, snapshot, reason, prune } = body.body;
    try {
      const to = { ...(job !== undefined ? { job } : {}), ...(snapshot !== undefined ? { snapshot } : {}) };
      return c.json(rollbacks.rollback(c.req.param('name'), to, { ...actor(c), prune: prune ?? false, ...(reason !== undefined ? { reason } : {}) }), 202);
    } catch (err) {
      return historyError(c, err);
    }
  });
  app.post('/api/sandboxes/:name/pin', auth.requireRole('qa'), async (c) => {
    const body = await optionalBody(c, PinBody);
    if (!body.ok) return body.response;
    try {
      return c.json(rollbacks.pin(c.req.param('name'), { ...actor(c), ...(body.body.reason !== undefined ? { reason: body.body.reason } : {}) }));
    } catch (err) {
      return historyError(c, err);
    }
  });
  app.delete('/api/sandboxes/:name/pin', auth.requireRole('qa'), (c) => {
    try {
      return c.json(rollbacks.unpin(c.req.param('name'), actor(c)));
    } catch (err) {
      return historyError(c, err);
    }
  });
  app.get('/api/sandboxes/:name/snapshots', auth.requireRole('viewer'), (c) => {
    try {
      return c.json({ snapshots: rollbacks.snapshots(c.req.param('name')) });
    } catch (err) {
      return historyError(c, err);
    }
  });
  app.post('/api/sandboxes/:name/snapshots', auth.requireRole('qa'), async (c) => {
    const body = await readJson(c, SnapshotBody);
    if (!body.ok) return body.response;
    const { name, job, reason } = body.body;
    try {
      return c.json(rollbacks.snapshot(c.req.param('name'), name, { ...actor(c), ...(job !== undefined ? { job } : {}), ...(reason !== undefined ? { reason } : {}) }), 201);
    } catch (err) {
      return historyError(c, err);
    }
  });
  app.delete('/api/sandboxes/:name/snapshots/:snapshot', auth.requireRole('lead'), (c) => {
    try {
      rollbacks.deleteSnapshot(c.req.param('name'), c.req.param('snapshot'), actor(c));
      return c.body(null, 204);
    } catch (err) {
      return historyError(c, err);
    }
  });
  // A container's output: qa and up, as it may show what a viewer should not (requests, data); the
  // agent masks the container's secret values before a line leaves the node.
  app.get('/api/sandboxes/:name/services/:service/logs', auth.requireRole('qa'), (c) => {
    const name = c.req.param('name');
    const service = c.req.param('service');
    const query = parseLogsQuery(c.req.query(), Date.now());
    if ('error' in query) return errorJson(c, 400, `${query.error} (GET ${c.req.path}?follow=true&tail=&since=)`);
    const st = controller.state(name);
    if (!st) return errorJson(c, 404, `no sandbox ${name}`);
    const found = st.live.flatMap((n) => n.containers.filter((lc) => lc.service === service).map((container) => ({ node: n.node, container })));
    const target = found.find((f) => !f.container.name.endsWith('.next')) ?? found[0];
    if (!target) {
      const running = [...new Set(st.live.flatMap((n) => n.containers.map((lc) => lc.service)))].sort();
      return errorJson(c, 404, `sandbox ${name} has no container of service ${service} (${running.length > 0 ? `containers of: ${running.join(', ')}` : 'no containers: sync it first'})`);
    }
    const answer = streamLogs(d.logs, c.get('principal').username, { sandbox: name, service, ...target, platform: st.platform }, query);
    if (answer instanceof Response) return answer;
    return errorJson(c, answer.status, answer.refused);
  });
  app.get('/api/jobs/:id', auth.requireRole('viewer'), (c) => {
    const job = jobs.view(c.req.param('id'));
    return job ? c.json(job) : errorJson(c, 404, `no job ${c.req.param('id')}`);
  });
  app.get('/api/agents', auth.requireRole('viewer'), (c) => c.json(controller.agents()));
  // For an agent started apart (`sdp agent`): a new token each call, shown once; the old one stops working.
  app.post('/api/agents/:node/token', auth.requireRole('admin'), (c) => {
    const node = c.req.param('node');
    if (!isName(node)) return errorJson(c, 400, `invalid node name ${JSON.stringify(node)} (lowercase letters, digits and -, as in the Platform spec)`);
    // a token only for a node the Platform in force lists: no standing credentials for made-up nodes
    const listed = d.revisions.current?.desired.platform.nodes.map((n) => n.name) ?? [];
    if (!listed.includes(node)) {
      const known = listed.length > 0 ? `it lists ${listed.join(', ')}` : 'no Platform is in force yet';
      return errorJson(c, 404, `node ${node} is not in the Platform's spec.nodes (${known}): add it there first, then issue its token`);
    }
    const token = auth.rotateAgentToken(node, { actor: c.get('principal').username, ip: clientIp(c) });
    return c.json({ node, token } satisfies AgentTokenResponse);
  });
  app.get('/api/templates', auth.requireRole('viewer'), (c) => c.json(templates(d.revisions)));
  app.get('/api/sets', auth.requireRole('viewer'), (c) => c.json(d.sets()));
  app.get('/api/environments', auth.requireRole('viewer'), (c) => c.json(environments(d.revisions)));
  app.get('/api/revisions', auth.requireRole('viewer'), (c) => c.json(d.revisions.list()));
  app.get('/api/notifications', auth.requireRole('viewer'), (c) => {
    const q = parseDeliveryQuery(c.req.query());
    if ('error' in q) return errorJson(c, 400, `${q.error} (GET /api/notifications?limit=&status=&sandbox=)`);
    return c.json(d.notifications.view(q));
  });
  app.post('/api/refresh', auth.requireRole('qa'), async (c) => {
    await d.refresh();
    return c.json({ ok: true });
  });
  const allowed = allowedMethods(app);
  app.all('/api/*', (c) => {
    const allow = allowed(c.req.path);
    if (allow.length > 0) {
      c.header('Allow', allow.join(', '));
      return errorJson(c, 405, `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allow.join(', ')})`);
    }
    return errorJson(c, 404, `no route ${c.req.method} ${c.req.path}`);
  });

  if (d.uiDir && existsSync(d.uiDir)) {
    // serveStatic resolves `root` against the working directory
    const root = relative(process.cwd(), d.uiDir) || '.';
    app.use('/*', serveStatic({ root }));
    app.get('*', serveStatic({ root, path: 'index.html' }));
  }
  return app;
}

/**
 * The methods the API answers on a path, from the routes registered so far (middleware, registered
 * for every method, aside): a wrong method gets 405 with `Allow`, as HTTP asks, not 404.
 */
function allowedMethods(app: Hono<AuthEnv>): (path: string) => string[] {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/'))
    .map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+')}/?$`) }));
  return (path) => {
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** The templates of the desired state in force; none before a first good revision. */
function templates(revisions: Revisions): TemplateView[] {
  const desired = revisions.current?.desired;
  return desired?.templateSpecs ?? (desired?.templates ?? []).map((name) => ({ name }));
}

/** The environments in force: secret names but never values, file paths but not their content. */
function environments(revisions: Revisions): EnvironmentView[] {
  return (revisions.current?.desired.environments ?? []).map((e) => ({
    name: e.name,
    variables: e.variables,
    secrets: [...e.secrets],
    files: e.files.map((f) => ({ path: f.path })),
  }));
}

/** A body that may be left out: no body is `{}`. */
async function optionalBody<S extends TObject>(c: Context, schema: S): Promise<{ ok: true; body: Static<S> } | { ok: false; response: Response }> {
  const length = c.req.header('content-length');
  if ((length === undefined || length === '0') && !c.req.header('content-type')) return { ok: true, body: {} as Static<S> };
  return readJson(c, schema);
}

function actor(c: Context<AuthEnv>): { user: string; ip?: string } {
  const ip = clientIp(c);
  return { user: c.get('principal').username, ...(ip ? { ip } : {}) };
}

/** The errors a sync, a rollback, a pin or a snapshot ends with, as their HTTP answers. */
function historyError(c: Context, err: unknown): Response {
  if (err instanceof SyncConflict) return errorJson(c, 409, err.message, { job: err.jobId });
  if (err instanceof SandboxPinned) return errorJson(c, 409, err.message, { pinned: err.pin });
  if (err instanceof UnknownSandbox) return errorJson(c, 404, err.message);
  if (err instanceof HistoryError) return errorJson(c, err.status, err.message);
  throw err;
}

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];

/** ?limit= (1..500, default 100), ?status=, ?sandbox= */
function parseDeliveryQuery(q: Record<string, string>): { limit: number; status?: DeliveryStatus; sandbox?: string } | { error: string } {
  const limit = q['limit'] === undefined ? 100 : Number(q['limit']);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return { error: 'limit must be a whole number from 1 to 500' };
  const status = q['status'];
  if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) return { error: `status must be one of ${DELIVERY_STATUSES.join(', ')}` };
  const sandbox = q['sandbox'];
  if (sandbox !== undefined && !isName(sandbox)) return { error: 'sandbox must be a sandbox name' };
  return { limit, ...(status ? { status: status as DeliveryStatus } : {}), ...(sandbox ? { sandbox } : {}) };
}
