// Test support (not imported by the product): a real reconciler-shaped HTTP server on 127.0.0.1 with
// the auth modules mounted the way reconciler/server mounts them, and stand-in handlers for the
// server's own routes with the roles of DESIGN.md. The order of mounting here is the contract.
import { serve, type ServerType } from '@hono/node-server';
import { Type as T } from '@sinclair/typebox';
import { Hono } from 'hono';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { createAudit, type Audit } from '../audit/audit.ts';
import { loadMasterKey } from '../secrets/master-key.ts';
import { createSecretStore, type SecretStore } from '../secrets/store.ts';
import { openStore, type Store } from '../store/db.ts';
import { bodyCap, createAuth, forbidden, hasRole, readJson, refuseUpgrade, roleForSync, type Auth, type AuthEnv, type AuthOptions } from './index.ts';

export interface Harness {
  url: string;
  port: number;
  dataDir: string;
  store: Store;
  audit: Audit;
  secrets: SecretStore;
  auth: Auth;
  logs: { obj: Record<string, unknown>; msg: string }[];
  close(): Promise<void>;
}

const SyncBody = T.Object({ prune: T.Optional(T.Boolean()), dryRun: T.Optional(T.Boolean()) }, { additionalProperties: false });

/** Listens on the first free port from `firstPort` (the auth suite owns 24000-24999). */
export async function startHarness(firstPort: number, opts: Partial<AuthOptions> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 't-auth-'));
  const store = openStore(join(dataDir, 'sdp.db'));
  const audit = createAudit(store);
  const secrets = createSecretStore(store, loadMasterKey(dataDir, {}).key);
  const logs: Harness['logs'] = [];
  const auth = await createAuth(store, {
    audit,
    secrets,
    adminPassword: 'admin-password-1',
    logger: { warn: (obj, msg) => logs.push({ obj, msg }) },
    ...opts,
  });

  const ok = (what: string) => (c: { json: (o: unknown) => Response }) => c.json({ ok: what });
  const app = new Hono<AuthEnv>();
  app.use('/api/*', bodyCap());
  app.route('/', auth.routes);
  app.get('/api/health', ok('health'));
  app.get('/metrics', (c) => c.text('# HELP sdp_up 1\n'));
  app.use('/api/*', auth.authenticate);
  app.get('/api/sandboxes', auth.requireRole('viewer'), ok('sandboxes'));
  app.get('/api/sandboxes/:name', auth.requireRole('viewer'), ok('sandbox'));
  app.get('/api/jobs/:id', auth.requireRole('viewer'), ok('job'));
  app.get('/api/agents', auth.requireRole('viewer'), ok('agents'));
  app.post('/api/refresh', auth.requireRole('qa'), ok('refresh'));
  app.post('/api/sandboxes/:name/sync', auth.requireRole('qa'), async (c) => {
    const parsed = await readJson(c, SyncBody);
    if (!parsed.ok) return parsed.response;
    const needed = roleForSync(parsed.body);
    if (!hasRole(c.get('principal'), needed)) return forbidden(c, needed);
    return c.json({ job: 'job-1', plan: { noop: true } });
  });

  let server: ServerType | undefined;
  let port = firstPort;
  for (; port < firstPort + 50; port++) {
    try {
      server = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
        s.once('listening', () => resolve(s));
        s.once('error', reject);
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  if (!server) throw new Error(`no free port in ${firstPort}-${firstPort + 49}`);
  port = (server.address() as AddressInfo).port;

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws/ui') return refuseUpgrade(socket, 404, 'not found');
    const check = auth.authenticateUpgrade(req);
    if (!check.ok) return refuseUpgrade(socket, check.status, check.error);
    wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify({ hello: check.principal.username })));
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    store,
    audit,
    secrets,
    auth,
    logs,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
