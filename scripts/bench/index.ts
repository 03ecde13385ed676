// `npm run bench`: runs every scripts/bench/*.bench.ts in turn (each exports `run(): Promise<void>`
// and prints its own figures). `npm run bench -- specs` runs only the files whose name contains "specs".
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// benchmarks print figures, not the reconciler's info logs
process.env['SDP_LOG_LEVEL'] ??= 'warn';
const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (filters.length === 0 || filters.some((w) => f.includes(w))))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`);
  process.exitCode = 1;
}
// One failing benchmark does not hide the others' figures; the exit code still says it failed.
for (const file of files) {
  console.log(`# ${file}`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<void> };
    if (typeof mod.run !== 'function') throw new Error(`${file} does not export run(): Promise<void>`);
    await mod.run();
  } catch (e) {
    console.error(`${file} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  }
}
