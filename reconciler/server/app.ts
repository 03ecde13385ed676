// The HTTP API (DESIGN.md "HTTP API"), mounted in the order the auth module's contract asks
// (reconciler/auth/index.ts): body cap, auth's own routes, the public health and metrics, then
// authentication for everything else under /api and a role per route (viewer reads, qa syncs,
// lead syncs with prune). The built UI is served at / with a fallback to index.html.
import { serveStatic } from '@hono/node-server/serve-static';
import { Type as T } from '@sinclair/typebox';
import { Hono, type Context } from 'hono';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Auth, AuthEnv } from '../auth/index.ts';
import { bodyCap, clientIp, errorJson, forbidden, hasRole, readJson, roleForSync } from '../auth/index.ts';
import type { Controller } from '../sync/controller.ts';
import { SyncConflict, UnknownSandbox, type Executor } from '../sync/executor.ts';
import type { JobStore } from '../sync/job-store.ts';
import type { Revisions } from '../source/revisions.ts';
import type { Metrics } from '../metrics.ts';

const SyncBody = T.Object({ prune: T.Optional(T.Boolean()), dryRun: T.Optional(T.Boolean()) }, { additionalProperties: false });

export interface AppDeps {
  auth: Auth;
  controller: Controller;
  executor: Executor;
  jobs: JobStore;
  revisions: Revisions;
  metrics: Metrics;
  /** re-resolve branches, re-read agents' inventories, recompile specs */
  refresh: () => Promise<void>;
  /** pull the git spec source (if any) and refresh */
  gitWebhook: () => Promise<void>;
  /** ui/build, when it exists */
  uiDir?: string;
  version: string;
}

export function createApp(d: AppDeps): Hono<AuthEnv> {
  const { auth, controller, executor, jobs } = d;
  const app = new Hono<AuthEnv>();
  app.use('/api/*', bodyCap());
  app.route('/', d.auth.routes);
  app.get('/api/health', (c) => c.json({ ok: true, version: d.version }));
  app.get('/metrics', async (c) => c.text(await d.metrics.registry.metrics(), 200, { 'Content-Type': d.metrics.registry.contentType }));
  // A push webhook only triggers a pull of what sdp already follows; it carries no data sdp acts on.
  app.post('/api/webhooks/git', async (c) => {
    void d.gitWebhook();
    return c.json({ ok: true }, 202);
  });

  app.use('/api/*', auth.authenticate);
  app.get('/api/status', auth.requireRole('viewer'), (c) => c.json(controller.status()));
  app.get('/api/sandboxes', auth.requireRole('viewer'), (c) => c.json(controller.summaries()));
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
  app.post('/api/sandboxes/:name/sync', auth.requireRole('qa'), async (c) => {
    const body = await syncBody(c);
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
      if (err instanceof SyncConflict) return errorJson(c, 409, err.message, { job: err.jobId });
      if (err instanceof UnknownSandbox) return errorJson(c, 404, err.message);
      throw err;
    }
  });
  app.get('/api/jobs/:id', auth.requireRole('viewer'), (c) => {
    const job = jobs.view(c.req.param('id'));
    return job ? c.json(job) : errorJson(c, 404, `no job ${c.req.param('id')}`);
  });
  app.get('/api/agents', auth.requireRole('viewer'), (c) => c.json(controller.agents()));
  app.get('/api/revisions', auth.requireRole('viewer'), (c) => c.json(d.revisions.list()));
  app.post('/api/refresh', auth.requireRole('qa'), async (c) => {
    await d.refresh();
    return c.json({ ok: true });
  });
  app.all('/api/*', (c) => errorJson(c, 404, `no route ${c.req.method} ${c.req.path}`));

  if (d.uiDir && existsSync(d.uiDir)) {
    // serveStatic resolves `root` against the working directory
    const root = relative(process.cwd(), d.uiDir) || '.';
    app.use('/*', serveStatic({ root }));
    app.get('*', serveStatic({ root, path: 'index.html' }));
  }
  return app;
}

/** The sync body is optional: no body is `{}`. */
async function syncBody(c: Context): Promise<{ ok: true; body: { prune?: boolean; dryRun?: boolean } } | { ok: false; response: Response }> {
  const length = c.req.header('content-length');
  if ((length === undefined || length === '0') && !c.req.header('content-type')) return { ok: true, body: {} };
  return readJson(c, SyncBody);
}
