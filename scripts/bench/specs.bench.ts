// Spec compile throughput: 1,000 sandboxes x 10 services (templates, environments with service URL
// interpolation, half the gateway ports fixed) in a few multi-document files, compiled from disk with
// compileSpecsDir as the reconciler does on every revision. Budget: < 1 s (median of several runs).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSpecsDir } from '../../reconciler/specs/compile.ts';

const SANDBOXES = 1000;
const SERVICES = 10;
const FILES = 4;
const RUNS = 5;
const BUDGET_MS = 1000;

const services = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`);

function platform(): string {
  const catalog = services
    .map(
      (s, i) => `    ${s}:
      repo: https://git.example.com/app/${s}.git
      role: ${i % 2 === 0 ? 'micro' : 'batch'}
      build: { type: host, command: "make build", image: "alpine:3.20", run: ["/src/app"] }
      port: 8080
      health: { path: /health, timeout: 5s, retries: 5, interval: 1s }
      baseline: https://${s}.dev.example.com`,
    )
    .join('\n');
  return `apiVersion: sdp/v1
kind: Platform
metadata: { name: default }
spec:
  nodes:
    - { name: micro-1, roles: [micro, batch], address: 10.0.0.1 }
    - { name: micro-2, roles: [micro], address: 10.0.0.2 }
    - { name: gateway-1, roles: [gateway, batch], address: 10.0.0.3 }
  ports: { gateway: 30000-31999, services: 40000-59999 }
  services:
${catalog}
  gateway:
    role: gateway
    proxy: { image: "caddy:2" }
`;
}

const shared = `apiVersion: sdp/v1
kind: SandboxTemplate
metadata: { name: qa-default }
spec:
  gateway: { branch: develop }
  services:
${services.map((s) => `    ${s}: { branch: develop }`).join('\n')}
  env: [common]
  resources: { cpu: 0.5, memory: 256Mi }
  ttl: 14d
---
apiVersion: sdp/v1
kind: Environment
metadata: { name: common }
spec:
  variables:
    LOG_LEVEL: debug
${services.map((s) => `    ${s.toUpperCase().replace('-', '_')}_URL: \${services.${s}.url}`).join('\n')}
---
apiVersion: sdp/v1
kind: Environment
metadata: { name: db }
spec:
  variables: { DB_HOST: 10.0.0.5, DB_PORT: "5432" }
  secrets: [DB_PASSWORD]
  files: [ { path: /etc/app/db.yaml, content: "pool: 5" } ]
`;

function sandbox(i: number): string {
  const lines = services.map((s, j) =>
    (i + j) % 3 === 0
      ? `    ${s}: { branch: feature/t-${i}-${j}, env: [db], resources: { memory: 512Mi } }`
      : `    ${s}: { branch: feature/t-${i}-${j} }`,
  );
  return `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: sb-${i}, owner: dev${i % 17}, labels: { team: t${i % 5} } }
spec:
  template: qa-default
${i % 2 === 0 ? `  gateway: { port: ${30000 + i} }\n` : ''}  services:
${lines.join('\n')}
`;
}

/** Writes the spec set; `stamp` changes every file's first line, so nothing parsed before is reused. */
export async function generate(dir: string, stamp = ''): Promise<void> {
  const header = `# bench ${stamp}\n`;
  await writeFile(join(dir, 'platform.yaml'), header + platform());
  await writeFile(join(dir, 'shared.yaml'), header + shared);
  const per = SANDBOXES / FILES;
  for (let f = 0; f < FILES; f++) {
    const docs = Array.from({ length: per }, (_, k) => sandbox(f * per + k));
    await writeFile(join(dir, `sandboxes-${f}.yaml`), header + docs.join('---\n'));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(dir: string, prepare: (run: number) => Promise<void>): Promise<{ ms: number; cpu: number; containers: number }> {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let containers = 0;
  for (let r = 0; r < RUNS + 1; r++) {
    await prepare(r);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await compileSpecsDir(dir);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    if (!result.ok) throw new Error(`bench specs do not compile: ${result.errors.slice(0, 3).map((e) => `${e.file}:${e.line}: ${e.message}`).join('; ')}`);
    containers = result.desired.sandboxes.reduce((n, s) => n + s.services.length + 1, 0);
    // the first run warms up the JIT and compiles the schemas
    if (r > 0) {
      times.push(ms);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
  }
  return { ms: median(times), cpu: median(cpuTimes), containers };
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sdp-bench-specs-'));
  try {
    // Every file new to the compiler: the budget case (a first start, or a checkout that touched all).
    const cold = await measure(dir, (r) => generate(dir, `cold ${r}`));
    // One file edited: what the reconciler does on a typical change (the others are not parsed again).
    const per = SANDBOXES / FILES;
    const second = Array.from({ length: per }, (_, k) => sandbox(per + k)).join('---\n');
    const edited = await measure(dir, (r) => writeFile(join(dir, 'sandboxes-1.yaml'), `# edit ${r}\n${second}`));
    const load = `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
    console.log(
      `specs: ${SANDBOXES} sandboxes x ${SERVICES} services (${cold.containers} containers, ${FILES + 2} files) compiled from disk, every file new: ` +
        `median ${cold.ms.toFixed(0)} ms over ${RUNS} runs (budget < ${BUDGET_MS} ms) ${cold.ms < BUDGET_MS ? 'OK' : 'OVER BUDGET'}; ` +
        `CPU time median ${cold.cpu.toFixed(0)} ms (${load})`,
    );
    console.log(
      `specs: the same after an edit of one file (${edited.containers} containers): median ${edited.ms.toFixed(0)} ms, CPU time median ${edited.cpu.toFixed(0)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
