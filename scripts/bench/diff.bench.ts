// Diff throughput: 1,000 sandboxes x 10 services (plus their gateways and routes), half in sync and
// half drifted in the usual ways, diffed from live grouped per sandbox as the runtime does on every
// inventory. Budget: all of them in < 50 ms (median of several runs). Also prints what binding
// (spec hashes) costs, first and when nothing changed (memoised per desired container).
import { availableParallelism, loadavg } from 'node:os';
import type { LiveContainer } from '../../schema/protocol.ts';
import { diffSandbox } from '../../core/diff/diff.ts';
import type { DiffInput } from '../../core/diff/compare.ts';
import { bind, desiredSandbox, fakeCommit, fakeDigest, liveInSync } from '../../core/diff/fixtures.ts';
import { bindSandbox, type CommitLookup, type SecretDigest } from '../../core/bind/bind.ts';
import { groupLiveBySandbox, type NodeLive } from '../../core/diff/live.ts';

const SANDBOXES = 1000;
const SERVICES = 10;
const RUNS = 9;
const BUDGET_MS = 50;
const NODES = ['micro-1', 'micro-2', 'micro-3', 'micro-4'];

/** Drifts sandbox i's live side: a moved branch head, an env change, a stopped container, a route. */
function drift(c: LiveContainer, i: number, j: number): LiveContainer {
  switch ((i + j) % 5) {
    case 0:
      return { ...c, specHash: 'old', commit: '0123456789abcdef0123' };
    case 1:
      return { ...c, specHash: 'old', env: { ...c.env, DB_HOST: '10.9.9.9' } };
    case 2:
      return { ...c, state: 'exited', health: 'none' };
    default:
      return c;
  }
}

function build(): { inputs: DiffInput[]; counts: { containers: number } } {
  const inventories = new Map<string, { containers: LiveContainer[]; networks: NodeLive['networks'][number][]; gateways: NodeLive['gateways'][number][] }>(
    NODES.map((n) => [n, { containers: [], networks: [], gateways: [] }]),
  );
  const desired = [];
  let containers = 0;
  for (let i = 0; i < SANDBOXES; i++) {
    const node = NODES[i % NODES.length]!;
    const s = desiredSandbox({
      name: `bench-${i}`,
      services: Array.from({ length: SERVICES }, (_, j) => `svc-${j}`),
      serviceNode: node,
    });
    const bound = bind(s);
    for (const ln of liveInSync(s, bound)) {
      const inv = inventories.get(ln.node)!;
      const drifted = i % 2 === 1;
      inv.containers.push(...ln.containers.map((c, j) => (drifted ? drift(c, i, j) : c)));
      inv.networks.push(...ln.networks);
      inv.gateways.push(
        ...ln.gateways.map((g) => (drifted ? { ...g, routes: { ...g.routes, 'svc-0': 'https://svc-0-dev.example.com/' } } : g)),
      );
      containers += ln.containers.length;
    }
    desired.push({ s, bound });
  }
  const grouped = groupLiveBySandbox(inventories);
  const inputs = desired.map(({ s, bound }) => ({ sandbox: s, bound, live: grouped.get(s.name) ?? [], online: NODES }));
  return { inputs, counts: { containers } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  const { inputs, counts } = build();
  let outOfSync = 0;
  let entries = 0;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let r = 0; r < RUNS + 2; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let o = 0;
    let e = 0;
    for (const input of inputs) {
      const d = diffSandbox(input);
      if (d.sync === 'OutOfSync') o++;
      e += d.drift.length;
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    // the first two runs warm up the JIT
    if (r >= 2) {
      times.push(ms);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
    outOfSync = o;
    entries = e;
  }
  const m = median(times);

  // binding (spec hashes) is not part of the diff budget, but the runtime re-binds on every change
  // lookups as the runtime has them: commits and secret digests already known (maps)
  const desired = inputs.map((i) => structuredClone(i.sandbox));
  const commitCache = new Map<string, string>();
  const commits: CommitLookup = (repo, ref) => {
    const k = `${repo}#${ref}`;
    let c = commitCache.get(k);
    if (c === undefined) commitCache.set(k, (c = fakeCommit(repo, ref)));
    return c;
  };
  const digest = fakeDigest();
  const digestCache = new Map<string, string>();
  const secretDigest: SecretDigest = (refs) => {
    const k = refs.map((r) => `${r.environment}/${r.key}`).join(',');
    let d = digestCache.get(k);
    if (d === undefined) digestCache.set(k, (d = digest(refs)));
    return d;
  };
  for (const s of inputs) bindSandbox(s.sandbox, commits, secretDigest); // fills the lookup caches
  const timeBind = () => {
    const t0 = performance.now();
    for (const s of desired) bindSandbox(s, commits, secretDigest);
    return performance.now() - t0;
  };
  const cold = timeBind();
  const warm = median(Array.from({ length: 5 }, timeBind));
  console.log(
    `diff: ${SANDBOXES} sandboxes x ${SERVICES} services (${counts.containers} containers, ${outOfSync} out of sync, ${entries} drift entries): ` +
      `median ${m.toFixed(1)} ms over ${RUNS} runs (budget < ${BUDGET_MS} ms) ${m < BUDGET_MS ? 'OK' : 'OVER BUDGET'}; ` +
      `fastest ${Math.min(...times).toFixed(1)} ms; CPU time median ${median(cpuTimes).toFixed(1)} ms ` +
      `(load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores: wall time on a busy machine includes waiting for a core)`,
  );
  console.log(
    `bind: ${SANDBOXES} sandboxes (${counts.containers} spec hashes): first ${cold.toFixed(1)} ms, again with nothing changed ${warm.toFixed(1)} ms (median of 5)`,
  );
}
