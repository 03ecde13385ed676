// `sdp server`: the reconciler alone (API, UI, hubs); agents join with `sdp agent`.
import type { Command } from 'commander';
import { startReconciler } from '../../reconciler/index.ts';

export function register(program: Command): void {
  program
    .command('server')
    .description('run the reconciler (API, UI, agent hub) without a local agent')
    .option('--specs <dir>', 'specs folder, watched', './specs')
    .option('--specs-git <url>', 'follow a git repository instead of a folder (pulled every minute and on POST /api/webhooks/git)')
    .option('--specs-branch <branch>', 'branch of --specs-git')
    .option('--specs-path <path>', 'specs folder inside --specs-git')
    .option('--data <dir>', 'data folder (SQLite, keys)', '.sdp')
    .option('--port <n>', 'HTTP port', '3452')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .action(async (o: { specs: string; specsGit?: string; specsBranch?: string; specsPath?: string; data: string; port: string; host: string }) => {
      const rec = await startReconciler({
        specsDir: o.specs,
        dataDir: o.data,
        port: Number(o.port),
        host: o.host,
        ...(o.specsGit
          ? { specsGit: { url: o.specsGit, ...(o.specsBranch ? { branch: o.specsBranch } : {}), ...(o.specsPath ? { path: o.specsPath } : {}) } }
          : {}),
      });
      printAdmin(rec.initialAdmin);
      console.log(`sdp reconciler on ${rec.url}`);
      onSignal(() => rec.stop());
    });
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
