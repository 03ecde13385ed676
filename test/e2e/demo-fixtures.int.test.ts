// The demo's living parts, really run: the bare git repos (scripts/demo/repos.ts), what their
// build.sh produces when served exactly as the example specs run it, the baseline stand-ins
// (scripts/demo/baseline.ts), and that the example specs in specs/ refer to exactly these.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { baselineAnswer, DEMO_BASELINES, ensureBaselines, removeBaselines, type BaselineSet } from '../../scripts/demo/baseline.ts';
import { git } from '../../scripts/demo/git.ts';
import { BASE_BRANCH, branchHead, commitFiles, DEMO_BRANCHES, DEMO_SERVICES, ensureDemoRepos } from '../../scripts/demo/repos.ts';
import { curl, docker, PROJECT } from './harness.ts';
import { globRegExp } from '../../reconciler/specs/sets/select.ts';

const run = promisify(execFile);
const SERVE_PORT = 22950;
const FIXTURE_BASELINES: BaselineSet = {
  namePrefix: 't-e2e-fixture-baseline-',
  label: 'e2e-fixture-baseline',
  ports: { account: 22961, payment: 22962 },
};

let root: string;
let reposDir: string;
let repos: Record<string, string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sdp-e2e-fixtures-'));
  reposDir = join(root, 'repos');
  repos = await ensureDemoRepos(reposDir);
});

afterAll(async () => {
  await docker('rm', '-f', 't-e2e-fixture-serve').catch(() => undefined);
  await removeBaselines(FIXTURE_BASELINES);
  await rm(root, { recursive: true, force: true });
});

async function branches(repo: string): Promise<string[]> {
  return (await git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads')).split('\n').sort();
}

/** Checks out `branch` detached (as the agent does), runs build.sh, serves public/ with the spec's command. */
async function buildAndServe(service: string, branch: string): Promise<string> {
  const work = join(root, `wt-${service}-${branch.replace(/\W/g, '-')}`);
  await git(root, 'clone', '-q', repos[service] as string, work);
  await git(work, 'checkout', '-q', '--detach', `origin/${branch}`);
  await run('sh', ['build.sh'], { cwd: work });
  await docker('rm', '-f', 't-e2e-fixture-serve').catch(() => undefined);
  await docker(
    'run', '-d', '--name', 't-e2e-fixture-serve', '-v', `${work}:/src:ro`, '-p', `127.0.0.1:${SERVE_PORT}:8080`,
    'sdp/busybox:local', 'httpd', '-f', '-p', '8080', '-h', '/src/public',
  );
  const url = `http://127.0.0.1:${SERVE_PORT}`;
  for (let i = 0; i < 50; i++) {
    if (await fetch(`${url}/`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return url;
}

describe('demo repositories', () => {
  it('has develop plus the feature branches in each service repo', async () => {
    for (const service of DEMO_SERVICES) {
      const expected = [BASE_BRANCH, ...(DEMO_BRANCHES[service] ?? []).map((b) => b.name)].sort();
      expect(await branches(repos[service] as string)).toEqual(expected);
    }
    expect(await branches(repos.account as string)).toContain('feature/broken-health');
  });

  it('is idempotent: a second run keeps every head, including a commit pushed since', async () => {
    const pushed = await commitFiles(repos.payment as string, 'feature/refund', { 'NOTES.md': 'refunds\n' }, 'notes');
    const before = await Promise.all(DEMO_SERVICES.map((s) => git(repos[s] as string, 'show-ref')));
    await ensureDemoRepos(reposDir);
    const after = await Promise.all(DEMO_SERVICES.map((s) => git(repos[s] as string, 'show-ref')));
    expect(after).toEqual(before);
    expect(await branchHead(repos.payment as string, 'feature/refund')).toBe(pushed);
  });

  it('builds a service that answers its name, branch and commit on / and /rest, and ok on /health', async () => {
    const head = await branchHead(repos.account as string, 'feature/login-error');
    const url = await buildAndServe('account', 'feature/login-error');
    const expected = { service: 'account', branch: 'feature/login-error', commit: head };
    expect((await curl(`${url}/`)).json).toEqual(expected);
    expect((await curl(`${url}/rest`)).json).toEqual(expected);
    const health = await curl(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.trim()).toBe('ok');
  });

  it('has a broken-health branch whose /health fails while / still answers', async () => {
    const url = await buildAndServe('account', 'feature/broken-health');
    expect((await curl(`${url}/`)).json).toMatchObject({ service: 'account', branch: 'feature/broken-health' });
    expect((await curl(`${url}/health`)).status).toBe(404);
  });
});

describe('baseline stand-ins', () => {
  it('answer {service, env: baseline} on the host port, reached from a container as host.docker.internal', async () => {
    const urls = await ensureBaselines(FIXTURE_BASELINES);
    expect(urls).toEqual({ account: 'http://host.docker.internal:22961', payment: 'http://host.docker.internal:22962' });
    expect((await curl('http://127.0.0.1:22961/')).json).toEqual({ service: 'account', env: 'baseline' });
    expect((await curl('http://127.0.0.1:22962/rest')).json).toEqual({ service: 'payment', env: 'baseline' });
    // as a sandbox container reaches it: sdp adds --add-host host.docker.internal:host-gateway
    const { stdout } = await run('docker', [
      'run', '--rm', '--add-host', 'host.docker.internal:host-gateway', 'sdp/busybox:local',
      'wget', '-q', '-O', '-', 'http://host.docker.internal:22962/rest',
    ]);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(baselineAnswer('payment')));
  });

  it('reuses running containers on a second start and carries no sdp.managed label', async () => {
    const ids = async (): Promise<string> =>
      docker('ps', '-q', '--no-trunc', '--filter', `label=sdp.demo=${FIXTURE_BASELINES.label}`);
    const before = await ids();
    await ensureBaselines(FIXTURE_BASELINES);
    expect(await ids()).toBe(before);
    expect(before.split('\n')).toHaveLength(2);
    const managed = await docker('inspect', '-f', '{{index .Config.Labels "sdp.managed"}}', 't-e2e-fixture-baseline-account');
    expect(managed).toBe('');
  });
});

describe('example specs (specs/)', () => {
  const docs = (readdirSync(join(PROJECT, 'specs'), { recursive: true }) as string[])
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => parseAllDocuments(readFileSync(join(PROJECT, 'specs', f), 'utf8')).map((d) => d.toJS() as SpecDoc));
  interface SpecDoc {
    kind?: string;
    spec?: { services?: Record<string, { repo?: string; baseline?: string; branch?: string } | null> };
  }

  it('deploy the demo repos from .sdp/demo/repos and route to the demo baselines', () => {
    const platform = docs.find((d) => d?.kind === 'Platform');
    expect(platform, 'specs/ holds a Platform').toBeDefined();
    const catalog = platform?.spec?.services ?? {};
    for (const service of DEMO_SERVICES) {
      expect(catalog[service]?.repo, `catalog service ${service}`).toBe(`../.sdp/demo/repos/${service}.git`);
      expect(catalog[service]?.baseline).toBe(`http://host.docker.internal:${DEMO_BASELINES.ports[service]}`);
    }
  });

  it('ask only for branches the demo repos have', () => {
    const known = (service: string): string[] => [BASE_BRANCH, ...(DEMO_BRANCHES[service] ?? []).map((b) => b.name)];
    const asked = docs
      .filter((d) => d?.kind === 'Sandbox' || d?.kind === 'SandboxTemplate')
      .flatMap((d) => Object.entries(d.spec?.services ?? {}))
      .filter(([, s]) => s?.branch);
    expect(asked.length).toBeGreaterThan(0);
    for (const [service, s] of asked) expect(known(service), `${service} branch ${s?.branch}`).toContain(s?.branch);
  });

  it("have a SandboxSet whose glob matches the demo's account feature branches", () => {
    const set = docs.find((d) => d?.kind === 'SandboxSet') as { spec?: { generator?: { service: string; branches: string } } } | undefined;
    const generator = set?.spec?.generator;
    expect(generator?.service).toBe('account');
    const re = globRegExp(generator?.branches ?? '');
    expect((DEMO_BRANCHES['account'] ?? []).map((b) => b.name).filter((b) => re.test(b))).toEqual(['feature/login-error', 'feature/broken-health']);
  });
});
