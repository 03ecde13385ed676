// Starts the demo over: removes the containers and networks of the sandboxes the example specs
// define, the baseline stand-ins, and the demo's data dir (.sdp: database, agent work dir, repos,
// admin password). Other sdp sandboxes on the host are left alone. Stop `npm run demo` first.
//
//   node --import tsx scripts/demo/reset.ts
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { DEMO_BASELINES, removeBaselines } from './baseline.ts';

const run = promisify(execFile);
const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Names of the Sandbox objects in a specs folder (any depth). */
export function sandboxNames(specsDir: string): string[] {
  const files = (readdirSync(specsDir, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f));
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(specsDir, f), 'utf8'))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((d) => d?.kind === 'Sandbox' && typeof d.metadata?.name === 'string')
      .map((d) => d!.metadata!.name as string),
  );
}

async function docker(...args: string[]): Promise<string> {
  return (await run('docker', args)).stdout.trim();
}

async function main(): Promise<void> {
  for (const name of sandboxNames(join(PROJECT, 'specs'))) {
    const ids = await docker('ps', '-aq', '--filter', 'label=sdp.managed=true', '--filter', `label=sdp.sandbox=${name}`);
    if (ids) await docker('rm', '-f', ...ids.split('\n'));
    const net = await docker('network', 'ls', '-q', '--filter', `name=^sandbox-${name}$`);
    if (net) await docker('network', 'rm', `sandbox-${name}`);
    console.log(`  sandbox ${name}: ${ids ? ids.split('\n').length : 0} containers${net ? ', network' : ''} removed`);
  }
  await removeBaselines(DEMO_BASELINES);
  console.log('  baselines removed');
  await rm(join(PROJECT, '.sdp'), { recursive: true, force: true });
  console.log('  .sdp removed: the next `npm run demo` starts from scratch');
}

main().catch((err: unknown) => {
  console.error(`[demo] reset: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
