// startReconciler: the control plane in one call. Opens the store, starts the spec source, the
// agent and UI hubs, the reconcile loop and the executor, and serves the API on one port.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAudit } from './audit/audit.ts';
import { createAuth } from './auth/index.ts';
import { LiveCache } from './live/cache.ts';
import { log as rootLog, type Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { BranchHeads, branchRefs } from './resolve/heads.ts';
import { BranchLists, generatedNames, setRepos } from './resolve/branch-lists.ts';
import { previewPlan } from './sync/preview.ts';
import { loadMasterKey } from './secrets/master-key.ts';
import { createSecretStore } from './secrets/store.ts';
import { createApp } from './server/app.ts';
import { AgentHub } from './server/agent-hub.ts';
import { checkPortFree, listen } from './server/index.ts';
import { UiHub } from './server/ui-hub.ts';
import { SpecSource, type GitSpecsOptions } from './source/index.ts';
import { Revisions } from './source/revisions.ts';
import { openStore } from './store/db.ts';
import { AgentRecords } from './sync/agent-records.ts';
import { AutoSync } from './sync/auto-sync.ts';
import { Changes } from './sync/changes.ts';
import { retentionFromEnv, type Retention } from './store/retention.ts';
import { Controller } from './sync/controller.ts';
import { StatusPublisher } from './sync/publisher.ts';
import { SandboxRecords } from './sync/sandbox-records.ts';
import { Executor, type SecretSource } from './sync/executor.ts';
import { JobStore } from './sync/job-store.ts';
import { Rollbacks } from './sync/rollback.ts';
import { History } from './store/history.ts';
import { Pins } from './store/pins.ts';
import type { UiMessage } from '../schema/api.ts';
import type { SecretDigest } from '../core/bind/bind.ts';
import type { Credentials } from '../schema/protocol.ts';
import type { DesiredState } from '../schema/desired.ts';
import { hasPasswordInUrl } from './git-url.ts';
import { Deliveries } from './notify/deliveries.ts';
import { Notifier, type NotifyOptions } from './notify/notifier.ts';
import { HMAC_KEY, hmacSecrets, secretValuesInUse } from './notify/secrets.ts';

export interface ReconcilerOptions {
  specsDir: string;
  dataDir: string;
  /** 0 picks a free port */
  port: number;
  /** default 127.0.0.1 */
  host?: string;
  /** follow a git repository instead of watching specsDir */
  specsGit?: GitSpecsOptions;
  /** branch heads re-resolved this often; default 60 s */
  resolveIntervalMs?: number;
  /** the secret git signs POST /api/webhooks/git with; default env SDP_WEBHOOK_SECRET; none: the webhook answers 404 */
  webhookSecret?: string;
  /** the first admin's password (first start only); default env SDP_ADMIN_PASSWORD, else generated */
  adminPassword?: string;
  /** how much history is kept; default DEFAULT_RETENTION, each field overridable by env (RETENTION_ENV) */
  retention?: Partial<Retention>;
  /** notification delivery: attempts, backoff, timeout, drift debounce; default DEFAULT_NOTIFY */
  notify?: Partial<NotifyOptions>;
  logger?: Logger;
}

export interface Reconciler {
  url: string;
  port: number;
  /** the admin account made on this first start; `password` only when it was generated (print it once) */
  initialAdmin: { username: string; password?: string } | null;
  /** A fresh token for the node (replacing any previous one), e.g. for the agent `sdp up` starts. */
  addLocalAgentToken(name: string): string;
  /** Every role the Platform in force names (what a local all-in-one agent should offer). */
  platformRoles(): string[];
  stop(): Promise<void>;
}

const VERSION = '0.1.0';
const PRUNE_EVERY_MS = 60 * 60_000;
const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'ui', 'build');

export async function startReconciler(opts: ReconcilerOptions): Promise<Reconciler> {
  const log = opts.logger ?? rootLog;
  if (opts.specsGit && hasPasswordInUrl(opts.specsGit.url)) {
    throw new Error('the specs repository URL carries a password, which sdp would store and show: use a URL without credentials (a read-only deploy key over ssh, or a local mirror)');
  }
  const host = opts.host ?? '127.0.0.1';
  await checkPortFree(opts.port, host);
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = openStore(join(dataDir, 'sdp.db'));
  const audit = createAudit(store);
  // every source of change raises this one signal; the reconcile loop (Controller) listens
  const changes = new Changes();
  let inUse: { desired: DesiredState | undefined; values: string[] } | undefined;
  const secretStore = createSecretStore(store, loadMasterKey(dataDir).key, () => {
    inUse = undefined;
    changes.notify();
  });
  const metrics = createMetrics();
  const retention = { ...retentionFromEnv(process.env), ...opts.retention };
  const revisions = new Revisions(store, opts.specsGit?.url ?? resolve(opts.specsDir), retention);
  const jobs = new JobStore(store, retention);
  const interrupted = jobs.failInterrupted(new Date().toISOString());
  if (interrupted.length > 0) log.warn({ sandboxes: interrupted }, 'syncs interrupted by a restart marked failed');
  // counts are kept as revisions and jobs come; ages also pass while nothing happens
  const prune = () => {
    const pruned = { revisions: revisions.prune(), jobs: jobs.prune() };
    if (pruned.revisions + pruned.jobs > 0) log.info(pruned, 'old revisions and jobs pruned');
  };
  prune();
  const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
  pruneTimer.unref();

  const auth = await createAuth(store, {
    audit,
    secrets: secretStore,
    ...((opts.adminPassword ?? process.env['SDP_ADMIN_PASSWORD']) ? { adminPassword: opts.adminPassword ?? process.env['SDP_ADMIN_PASSWORD'] } : {}),
    referencedSecrets: () => [
      ...(revisions.current?.desired.environments ?? []).flatMap((e) => e.secrets.map((key) => ({ environment: e.name, key }))),
      ...hmacSecrets(revisions.current?.desired),
    ],
    logger: log.child({ part: 'auth' }),
  });

  const uiHub = new UiHub();
  const broadcast = (msg: UiMessage) => uiHub.broadcast(msg);

  const live = new LiveCache(store, () => changes.notify({ liveOnly: true }));
  const agentHub = new AgentHub(
    store,
    (node, token, from) => auth.verifyAgent(node, token, from),
    {
      onHello: () => void resolveBranches(true),
      onInventory: (inv) => live.applyInventory(inv),
      onEvent: (ev) => live.applyEvent(ev),
      onAgentsChanged: () => {
        metrics.agentsConnected.set(agentHub.onlineNodes().length);
        agentsUp();
        changes.notify({ status: true });
      },
    },
    log.child({ part: 'agents' }),
  );

  const gitCredentials = (): Credentials | undefined => {
    const name = revisions.current?.desired.platform.gitCredentials;
    if (!name) return undefined;
    // convention: the Platform's `git.credentials: NAME` is the secrets NAME/username and NAME/password
    const password = secretStore.get(name, 'password');
    if (password === undefined) throw new Error(`git credentials ${name}: secret ${name}/password is not set (sdp secret set ${name} password)`);
    const username = secretStore.get(name, 'username');
    return { password, ...(username !== undefined ? { username } : {}) };
  };
  const heads = new BranchHeads(store, agentHub, async () => gitCredentials(), () => changes.notify(), log.child({ part: 'resolve' }));
  // a changed branch list is a recompile: SandboxSets expand from it (`source` exists by the time an agent answers)
  const lists = new BranchLists(store, agentHub, async () => gitCredentials(), () => void source.reload(), log.child({ part: 'branches' }));
  const resolveBranches = async (onlyMissing: boolean) => {
    const current = revisions.current;
    if (!current) return;
    const warn = (err: Error) => log.warn({ err: err.message }, 'branch resolution failed');
    await Promise.all([heads.refresh(branchRefs(current.desired), onlyMissing).catch(warn), lists.refresh(setRepos(current.desired), onlyMissing).catch(warn)]);
  };
  const setInputs = () => ({ branches: lists.snapshot(), names: generatedNames(revisions.current?.desired) });

  const secrets: SecretSource = {
    values(refs) {
      const out: Record<string, string> = {};
      for (const r of refs) {
        const v = secretStore.get(r.environment, r.key);
        if (v === undefined) throw new Error(`secret ${r.environment}/${r.key} is not set (sdp secret set ${r.environment} ${r.key})`);
        out[r.key] = v;
      }
      return out;
    },
    gitCredentials,
  };

  const agentRecords = new AgentRecords(store);
  const agentsUp = () => {
    for (const a of agentRecords.all()) metrics.agentUp.set({ node: a.name }, agentHub.isOnline(a.name) ? 1 : 0);
  };
  agentsUp();

  const notifier = new Notifier({
    deliveries: new Deliveries(store),
    platform: () => {
      const platform = revisions.current?.desired.platform;
      return platform ? { name: platform.name, targets: platform.notifications ?? [] } : undefined;
    },
    hmacKey: (name) => secretStore.get(name, HMAC_KEY),
    // decrypted once per revision and secret change, not once per event
    secretValues: () => {
      const desired = revisions.current?.desired;
      const cached = inUse;
      if (cached && cached.desired === desired) return cached.values;
      const values = secretValuesInUse(desired, (env, key) => secretStore.get(env, key));
      inUse = { desired, values };
      return values;
    },
    metrics,
    log: log.child({ part: 'notify' }),
    version: VERSION,
    ...(opts.notify ? { options: opts.notify } : {}),
  });

  const records = new SandboxRecords(store);
  const pins = new Pins(store);
  const history = new History(store);
  const secretDigest: SecretDigest = (refs) => secretStore.digest(refs);
  const controller = new Controller({
    changes,
    revisions,
    heads,
    live,
    hub: agentHub,
    jobs,
    records,
    agentRecords,
    pins,
    publisher: new StatusPublisher({ records, metrics, broadcast, events: notifier }),
    metrics,
    secretDigest,
  });
  const executor = new Executor({ controller, hub: agentHub, jobs, history, secretDigest, secrets, audit, metrics, log: log.child({ part: 'sync' }), broadcast, events: notifier });
  const autoSync = new AutoSync({ controller, executor, jobs, log: log.child({ part: 'auto-sync' }), sets: () => revisions.current?.desired.sets ?? [] });
  const rollbacks = new Rollbacks({ controller, executor, history, pins, records, revisions, audit, changes, log: log.child({ part: 'history' }) });

  const source = new SpecSource({
    specsDir: resolve(opts.specsDir),
    ...(opts.specsGit ? { git: opts.specsGit } : {}),
    checkoutDir: join(dataDir, 'specs-git'),
    revisions,
    setInputs,
    log: log.child({ part: 'specs' }),
    onCompiled: (ok, seconds) => metrics.compileDuration.observe({ outcome: ok ? 'ok' : 'rejected' }, seconds),
    onRevision: (rev) => {
      if (!rev.ok) metrics.rejectedRevisions.inc();
      changes.notify({ status: true, revision: true });
      if (rev.ok) void resolveBranches(true);
    },
  });
  await source.start();
  const resolveTimer = setInterval(() => void resolveBranches(false), opts.resolveIntervalMs ?? 60_000);

  const refresh = async () => {
    for (const n of agentHub.onlineNodes()) agentHub.requestInventory(n.node);
    await source.reload();
    await resolveBranches(false);
  };
  const app = createApp({
    auth,
    controller,
    executor,
    jobs,
    rollbacks,
    revisions,
    metrics,
    notifications: notifier,
    refresh,
    sets: () => (revisions.current?.desired.sets ?? []).map((set) => {
      const error = lists.error(set.repo);
      return error === undefined ? set : { ...set, error };
    }),
    preview: (req) => previewPlan({ revisions, heads, setInputs, live, hub: agentHub, jobs, records, secretDigest, specsDir: () => source.dir }, req),
    logs: agentHub.logs,
    gitWebhook: async () => {
      await source.pull();
      await resolveBranches(false);
    },
    ...((opts.webhookSecret ?? process.env['SDP_WEBHOOK_SECRET']) ? { webhookSecret: opts.webhookSecret ?? process.env['SDP_WEBHOOK_SECRET'] } : {}),
    uiDir: UI_DIR,
    version: VERSION,
  });
  let http: Awaited<ReturnType<typeof listen>>;
  try {
    http = await listen({ app, auth, agentHub, uiHub, uiGreeting: () => ({ type: 'status', status: controller.status() }), port: opts.port, host });
  } catch (err) {
    // e.g. the port is taken: release what started, so a caller can try another port or exit cleanly
    clearInterval(resolveTimer);
    autoSync.close();
    clearInterval(pruneTimer);
    controller.close();
    await source.close();
    agentHub.close();
    uiHub.close();
    await notifier.close();
    store.close();
    throw err;
  }
  controller.schedule({ status: true });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
  log.info({ url, specs: opts.specsGit?.url ?? opts.specsDir, data: dataDir }, 'reconciler listening');

  return {
    url,
    port: http.port,
    initialAdmin: auth.initialAdmin,
    addLocalAgentToken: (name) => auth.rotateAgentToken(name),
    platformRoles: () => [...new Set((revisions.current?.desired.platform.nodes ?? []).flatMap((n) => n.roles))].sort(),
    async stop() {
      clearInterval(resolveTimer);
      autoSync.close();
      controller.close();
      clearInterval(pruneTimer);
      await source.close();
      agentHub.close();
      await executor.idle();
      await notifier.close();
      uiHub.close();
      await http.close();
      live.flush();
      store.close();
    },
  };
}
