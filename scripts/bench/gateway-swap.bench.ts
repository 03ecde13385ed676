// The gateway image swap: how long the gateway port goes without an answer while a new proxy image
// replaces the running gateway, through sdp (spec edit -> gateway drift -> Sync) and, in the same
// run, through the raw docker CLI doing the least the same swap needs (create the new container,
// stop the old one that holds the host port, start the new one). A client polls the port back to
// back throughout. Uses Docker: sandbox t-gw-bench-swap, ports 28400-28430; removes what it creates.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caddyConfig } from '../../agent/gateway/caddy.ts';
import { PROXY_COMMAND, PROXY_CONTROL_DIR } from '../../schema/container.ts';
import { answers, watchOutage } from '../../test/support/outage.ts';
import { Stack, branchApp, sandboxYaml } from '../../test/support/reconciler.ts';

const ROUNDS = 5;
const SANDBOX = 't-gw-bench-swap';
const IMAGES = ['caddy:2', 'sdp-bench/caddy-swap:t-gw'];
const RAW = { network: 't-gw-bench-raw', port: 28430, names: ['t-gw-bench-raw-a', 't-gw-bench-raw-b'] };

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const quiet = (...args: string[]) => {
  try {
    docker(...args);
  } catch {
    // already gone
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(' ')})`;

async function until(url: string): Promise<void> {
  for (let i = 0; i < 200 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 25));
}

/** The same swap with the docker CLI: a Caddy serving a static answer, replaced by another on its port. */
async function rawSwaps(dir: string): Promise<number[]> {
  writeFileSync(join(dir, 'caddy.json'), JSON.stringify({ ...caddyConfig({}, 80), apps: { http: { servers: { s: { listen: [':80'], routes: [{ handle: [{ handler: 'static_response', body: 'ok' }] }] } } } } }));
  for (const n of RAW.names) quiet('rm', '-f', n); // an interrupted earlier run's
  quiet('network', 'create', RAW.network);
  const create = (name: string, image: string) =>
    docker('create', '--name', name, '--init', '--network', RAW.network, '-p', `${RAW.port}:80`, '-v', `${dir}:${PROXY_CONTROL_DIR}`, '--entrypoint', PROXY_COMMAND[0]!, image, ...PROXY_COMMAND.slice(1));
  const url = `http://127.0.0.1:${RAW.port}/`;
  const gaps: number[] = [];
  try {
    let [live, next] = RAW.names as [string, string];
    create(live, IMAGES[0]!);
    docker('start', live);
    await until(url);
    for (let i = 0; i < ROUNDS; i++) {
      create(next, IMAGES[(i + 1) % 2]!);
      const outage = watchOutage(url);
      await new Promise((r) => setTimeout(r, 100));
      docker('stop', '-t', '5', live);
      docker('start', next);
      await until(url);
      gaps.push((await outage.stop()).longestMs);
      docker('rm', '-f', live);
      [live, next] = [next, live];
    }
  } finally {
    for (const n of RAW.names) quiet('rm', '-f', n);
    quiet('network', 'rm', RAW.network);
  }
  return gaps;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 't-gw-bench-'));
  const stack = new Stack({ prefix: 't-gw-bench-', port: 28400, ports: { gateway: [28410, 28419], services: [28420, 28429] } });
  docker('tag', IMAGES[0]!, IMAGES[1]!);
  try {
    const raw = await rawSwaps(dir);

    await stack.start();
    const repo = stack.repo('web');
    repo.commit('main', branchApp('main'));
    await stack.writeSpec('platform.yaml', stack.platformYaml({ web: repo.url }, { gatewayImage: IMAGES[0]! }));
    await stack.writeSpec('sb.yaml', sandboxYaml(SANDBOX, { web: 'main' }));
    await stack.waitSandbox(SANDBOX, (s) => s.drift.some((d) => d.resource === 'service/web'), 'service drift');
    await stack.syncAndWait(SANDBOX);
    const url = `${(await stack.detail(SANDBOX)).gatewayUrl}/web/`;
    await until(url);
    const sdp: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const image = IMAGES[(i + 1) % 2]!;
      await stack.writeSpec('platform.yaml', stack.platformYaml({ web: repo.url }, { gatewayImage: image }));
      await stack.waitSandbox(SANDBOX, (s) => s.drift.some((d) => d.resource === 'gateway' && d.field === 'image'), 'gateway image drift');
      const outage = watchOutage(url);
      await new Promise((r) => setTimeout(r, 100));
      await stack.syncAndWait(SANDBOX);
      await until(url);
      sdp.push((await outage.stop()).longestMs);
    }
    console.log(`gateway image swap, longest time the gateway port went without an answer, ${ROUNDS} swaps each:`);
    console.log(`  sdp (Sync of the new proxy image): ${fmt(sdp)}`);
    console.log(`  docker CLI (create, stop old, start new): ${fmt(raw)}`);
  } finally {
    await stack.stop();
    quiet('rmi', IMAGES[1]!);
    rmSync(dir, { recursive: true, force: true });
  }
}
