// Builds the `sdp` CLI into dist/cli: one esbuild bundle of cli/main.ts, split so each command's
// module is its own chunk, loaded only when that command runs. npm packages stay external (they are
// resolved from node_modules at run time, as before). Plain JavaScript, so it runs without tsx.
//
// Freshness: the build writes dist/cli/inputs.json, every source file that went into it. The CLI is
// fresh when each of those is no newer than that file (a few hundred stat calls: about a
// millisecond). A new file only enters through an edit of a file that imports it, so this is enough.
//
//   node scripts/build-cli.js          build when stale
//   node scripts/build-cli.js --force  build now
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'dist', 'cli');
const INPUTS = join(OUT_DIR, 'inputs.json');
export const ENTRY = join(OUT_DIR, 'main.js');

/** True when dist/cli exists and no source file it was built from changed since. */
export function isFresh() {
  let built;
  let inputs;
  try {
    built = statSync(INPUTS).mtimeMs;
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return false;
  }
  for (const file of inputs) {
    try {
      if (statSync(join(ROOT, file)).mtimeMs > built) return false;
    } catch {
      return false;
    }
  }
  return true;
}

// A bundled module would see its chunk's URL in import.meta.url; sources that find files next to
// themselves (migrations, ui/build, package.json) get their own source URL instead.
const sourceUrlPlugin = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromOut = relative(OUT_DIR, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOut)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

const EXTERNAL = ['better-sqlite3', 'dockerode', 'pino', 'ws', 'esbuild'];

const VALIDATORS = join(ROOT, 'reconciler', 'specs', 'validators.ts');

/** ajv's standalone code for the spec schemas, made by running reconciler/specs/validators.ts itself. */
async function specValidators(esbuild, tmp) {
  const gen = join(tmp, 'gen-validators.mjs');
  const result = await esbuild({
    absWorkingDir: ROOT,
    stdin: { contents: "import { specValidatorsCode } from './reconciler/specs/validators.ts'; export default await specValidatorsCode();", resolveDir: ROOT, loader: 'ts' },
    outfile: gen,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  });
  const code = (await import(pathToFileURL(gen).href)).default;
  rmSync(gen);
  return { code, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * Builds into a fresh folder, then swaps it in, so a concurrent `sdp` never loads half a build.
 * Returns the time it took in ms.
 */
export async function build() {
  const started = performance.now();
  const { build: esbuild } = await import('esbuild');
  const tmp = `${OUT_DIR}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const validators = await specValidators(esbuild, tmp);
  const precompiled = {
    name: 'precompiled-spec-validators',
    setup(b) {
      b.onLoad({ filter: /validators\.ts$/ }, (args) => (args.path === VALIDATORS ? { contents: validators.code, loader: 'js', resolveDir: dirname(VALIDATORS) } : undefined));
    },
  };
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // Pure-JS packages are bundled: resolving and reading hundreds of small module files (TypeBox,
    // yaml, ajv) cost more at every start than the commands' own code. Native or worker-spawning
    // ones, and those with optional native add-ons, stay in node_modules.
    external: EXTERNAL,
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [precompiled, sourceUrlPlugin],
  });
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...validators.inputs])].filter((f) => !f.includes('node_modules/') && !f.startsWith('<'));
  // the build itself, and the versions it reads, are inputs too
  inputs.push('scripts/build-cli.js', 'package.json');
  writeFileSync(join(tmp, 'inputs.json'), JSON.stringify(inputs.sort(), null, 1));
  const old = `${OUT_DIR}.old-${process.pid}`;
  mkdirSync(dirname(OUT_DIR), { recursive: true });
  try {
    renameSync(OUT_DIR, old);
  } catch {
    // no earlier build
  }
  try {
    renameSync(tmp, OUT_DIR);
  } catch {
    // another process swapped its (identical) build in first
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  for (const leftover of readdirSync(dirname(OUT_DIR))) {
    if (/^cli\.(tmp|old)-\d+$/.test(leftover) && !leftover.endsWith(`-${process.pid}`)) {
      const pid = Number(leftover.split('-').pop());
      if (!alive(pid)) rmSync(join(dirname(OUT_DIR), leftover), { recursive: true, force: true });
    }
  }
  return performance.now() - started;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--force') || !isFresh()) {
    const ms = await build();
    console.log(`built dist/cli in ${Math.round(ms)} ms`);
  }
}
