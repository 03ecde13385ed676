// The CLI as a user meets it, whole processes (node start, module load, the work, exit):
// `sdp --help`, `sdp validate` on the demo specs, and a no-op `sdp sync --wait` against a real
// reconciler and agent, next to a no-op `docker compose up -d` measured in the same run.
// Targets: --help < 150 ms, validate < 300 ms, no-op sync < 0.3x docker compose up -d.
// Uses Docker: sandbox t-cli-bench-sync (Platform t-cli-bench), ports 27500+ / 27580-27589 /
// 27600-27609, compose project t-cli-bench. Needs docker compose (./compose.ts installs Debian's
// docker-compose when there is none and it runs as root).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../../test/support/reconciler.ts';
import { composeCommand } from './compose.ts';
import { syncedSandbox } from './synced.ts';
import { build, isFresh } from '../build-cli.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SANDBOX = 't-cli-bench-sync';
const PROJECT = 't-cli-bench';
const ROUNDS = 10;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Wall time of one whole process, in ms; fails when it exits non-zero. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd: ROOT, env }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(performance.now() - t0))),
  );
}

async function rounds(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  await timed(cmd, args, env); // warm the page cache, as a second run in a terminal would be
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await timed(cmd, args, env));
  return median(samples);
}

function compose(): string[] {
  const cmd = composeCommand();
  if (!cmd) throw new Error('no docker compose (plugin or docker-compose): apt-get install docker-compose');
  return cmd;
}

/** A no-op `up -d`: one busybox service already running as asked. */
async function composeNoop(): Promise<number> {
  const [cmd, ...pre] = compose();
  const dir = mkdtempSync(join(tmpdir(), `${PROJECT}-`));
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, `services:\n  idle:\n    image: sdp/busybox:local\n    command: ["sleep", "86400"]\n    labels: { sdp.bench: "${PROJECT}" }\n`);
  const args = [...pre, '-p', PROJECT, '-f', file];
  try {
    await timed(cmd ?? 'docker', [...args, 'up', '-d']);
    return await rounds(cmd ?? 'docker', [...args, 'up', '-d']);
  } finally {
    execFileSync(cmd ?? 'docker', [...args, 'down', '-t', '0'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function syncNoop(): Promise<number> {
  const stack = new Stack({ prefix: 't-cli-bench-', port: 27500, ports: { gateway: [27580, 27589], services: [27600, 27609] } });
  try {
    await stack.start();
    await syncedSandbox(stack, SANDBOX);
    return await rounds(process.execPath, ['bin/sdp.js', 'sync', SANDBOX, '--wait'], { ...process.env, SDP_SERVER: stack.url, SDP_TOKEN: stack.token });
  } finally {
    await stack.stop();
  }
}

const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export async function run(): Promise<void> {
  if (!isFresh()) await build();
  const help = await rounds(process.execPath, ['bin/sdp.js', '--help']);
  console.log(`sdp --help: median ${help.toFixed(0)} ms of ${ROUNDS} (target < 150 ms: ${verdict(help < 150)})`);
  const validate = await rounds(process.execPath, ['bin/sdp.js', 'validate', '--specs', 'specs']);
  console.log(`sdp validate (demo specs): median ${validate.toFixed(0)} ms of ${ROUNDS} (target < 300 ms: ${verdict(validate < 300)})`);
  const up = await composeNoop();
  console.log(`docker compose up -d, nothing to do: median ${up.toFixed(0)} ms of ${ROUNDS}`);
  const sync = await syncNoop();
  console.log(`sdp sync --wait, nothing to do: median ${sync.toFixed(0)} ms of ${ROUNDS} = ${(sync / up).toFixed(2)}x compose (target < 0.3x: ${verdict(sync < 0.3 * up)})`);
}
