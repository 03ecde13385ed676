// `sdp server`: the reconciler alone (API, UI, hubs); agents join with `sdp agent`.
import { readFileSync } from 'node:fs';
import { EXIT } from '../exit.ts';
import { startReconciler, type Reconciler, type ReconcilerOptions } from '../../reconciler/index.ts';

export async function server(o: { specs: string; specsGit?: string; specsBranch?: string; specsPath?: string; data: string; port: string; host: string; webhookSecretFile?: string }): Promise<void> {
  const rec = await startOrExit({
    specsDir: o.specs,
    dataDir: o.data,
    port: Number(o.port),
    host: o.host,
    ...(o.specsGit
      ? { specsGit: { url: o.specsGit, ...(o.specsBranch ? { branch: o.specsBranch } : {}), ...(o.specsPath ? { path: o.specsPath } : {}) } }
      : {}),
    ...(o.webhookSecretFile ? { webhookSecret: readSecretFile(o.webhookSecretFile) } : {}),
  });
  printAdmin(rec.initialAdmin);
  console.log(`sdp reconciler on ${rec.url}`);
  onSignal(() => rec.stop());
}

/** Starts the reconciler; a taken port is one line on stderr and exit 2, not a stack trace. */
export async function startOrExit(opts: ReconcilerOptions): Promise<Reconciler> {
  try {
    return await startReconciler(opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    console.error(`sdp: ${(err as Error).message}`);
    process.exit(EXIT.error);
  }
}

/** The webhook secret from a file (a mounted Docker or Kubernetes secret); one trailing newline dropped. */
function readSecretFile(path: string): string {
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    console.error(`sdp: --webhook-secret-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    process.exit(EXIT.error);
  }
  if (!secret) {
    console.error(`sdp: --webhook-secret-file ${path} is empty`);
    process.exit(EXIT.error);
  }
  return secret;
}

/** The first start's admin account; a generated password is shown this once. */
export function printAdmin(admin: { username: string; password?: string } | null): void {
  if (admin?.password) console.log(`first start: user ${admin.username}, password ${admin.password} (shown once; change it in the UI)`);
  else if (admin) console.log(`first start: user ${admin.username} with the password from SDP_ADMIN_PASSWORD`);
}

/** Stops cleanly on Ctrl-C / SIGTERM, then exits. */
export function onSignal(stop: () => Promise<void>): void {
  const shutdown = () =>
    void stop()
      .catch((err: Error) => console.error(`stopping: ${err.message}`))
      .finally(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
