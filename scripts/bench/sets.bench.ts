// SandboxSet push-to-URL, with the demo's services (scripts/demo/repos.ts: busybox httpd, build.sh,
// the demo's health check) on a real reconciler, agent, Docker and Caddy gateway:
// - push -> the new commit answering behind the sandbox's gateway, through the signed webhook and
//   automated sync (from the push having landed to the first answer naming the new commit); p50/p95
//   over PUSHES pushes (nearest rank). Target p95 < 3 s.
// - new branch -> a sandbox answering behind its own gateway port, the same way. Target < 5 s.
// Sandboxes t-set-bench-*, Platform t-set-bench, ports 30010+ / 30150-30199 / 30300-30399.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../../reconciler/auth/index.ts';
import type { SandboxSummary } from '../../schema/api.ts';
import { Stack, httpGet } from '../../test/support/reconciler.ts';
import { commitFiles, ensureDemoRepos, serviceFiles } from '../demo/repos.ts';

const PUSHES = 20;
const NEW_BRANCHES = 4;
const SECRET = 'bench-webhook-secret-5d1';
const PREFIX = 't-set-bench-';

/** nearest-rank percentile */
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((xs.length * p) / 100) - 1)] ?? NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function run(): Promise<void> {
  const saved = process.env['SDP_WEBHOOK_SECRET'];
  process.env['SDP_WEBHOOK_SECRET'] = SECRET;
  const root = await mkdtemp(join(tmpdir(), `${PREFIX}repos-`));
  const stack = new Stack({ prefix: PREFIX, port: 30010, ports: { gateway: [30150, 30199], services: [30300, 30399] }, resolveIntervalMs: 3_600_000 });
  try {
    const { account } = await ensureDemoRepos(join(root, 'repos'), ['account']);
    const platform = stack.platformYaml({ account: account! }, { health: '{ path: /health, timeout: 5s, retries: 10, interval: 500ms }' });
    await stack.writeSpec('platform.yaml', platform);
    await stack.writeSpec(
      'set.yaml',
      `apiVersion: sdp/v1
kind: SandboxSet
metadata: { name: bench }
spec:
  generator: { service: account, branches: "bench/*" }
  name: "${PREFIX}{{slug}}"
  services:
    account: { branch: "{{branch}}" }
  max: 20
  syncPolicy: { automated: true, prune: true }
`,
    );
    await stack.start();

    const webhook = async () => {
      const body = JSON.stringify({ ref: 'push' });
      const res = await fetch(`${stack.url}/api/webhooks/git`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signWebhook(SECRET, body) },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    };
    /** ms from `t0` until the sandbox's gateway answers `commit` on /account/ */
    const answered = async (name: string, commit: string, t0: number, timeoutMs = 60_000): Promise<number> => {
      let url = '';
      for (;;) {
        if (performance.now() - t0 > timeoutMs) throw new Error(`${name} did not answer ${commit} within ${timeoutMs} ms`);
        if (!url) url = (await stack.api<SandboxSummary[]>('GET', '/api/sandboxes')).find((x) => x.name === name)?.gatewayUrl ?? '';
        if (url && (await httpGet(`${url}/account/`, 1000)).body.includes(commit)) return performance.now() - t0;
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    const created: number[] = [];
    for (let i = 0; i < NEW_BRANCHES; i++) {
      const branch = `bench/b${i}`;
      const commit = await commitFiles(account!, branch, serviceFiles('account', { name: branch, healthy: true }), branch, { from: 'develop' });
      const t0 = performance.now();
      await webhook();
      created.push(await answered(`${PREFIX}bench-b${i}`, commit, t0));
    }

    const pushes: number[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const commit = await commitFiles(account!, 'bench/b0', { 'CHANGELOG.md': `push ${i}\n` }, `push ${i}`);
      const t0 = performance.now();
      await webhook();
      pushes.push(await answered(`${PREFIX}bench-b0`, commit, t0));
    }

    const [p50, p95] = [pct(pushes, 50), pct(pushes, 95)];
    console.log(`push -> new commit answering behind the gateway (webhook, automated sync): ${PUSHES} pushes, p50 ${s(p50)}, p95 ${s(p95)}, max ${s(Math.max(...pushes))} (target p95 < 3 s: ${p95 < 3000 ? 'met' : 'MISSED'})`);
    const worst = Math.max(...created);
    console.log(`new branch -> sandbox answering on its own gateway port: ${NEW_BRANCHES} branches, p50 ${s(pct(created, 50))}, max ${s(worst)} (target < 5 s: ${worst < 5000 ? 'met' : 'MISSED'})`);
  } finally {
    await stack.stop();
    await rm(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env['SDP_WEBHOOK_SECRET'];
    else process.env['SDP_WEBHOOK_SECRET'] = saved;
  }
}
