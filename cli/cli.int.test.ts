// The real `sdp` CLI (node bin/sdp.js, the compiled build) against a real reconciler and agent:
// every read command in every output format, the exit-code table of cli/exit.ts, and
// `sync --wait --timeout` ending a wait on a job that outlives it with its documented code (1).
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, Plan, SandboxDetail, SandboxSummary, StatusView } from '../schema/api.ts';
import { branchApp, sandboxYaml, startStack, type Stack } from '../test/support/reconciler.ts';

const PREFIX = 't-cli-';
const SB = 't-cli-a';
const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..');
let stack: Stack;

beforeAll(async () => {
  process.env['SDP_LOG_LEVEL'] ??= 'warn';
  stack = await startStack({ prefix: PREFIX, port: 27000, ports: { gateway: [27100, 27149], services: [27200, 27299] } });
  const account = stack.repo('account');
  account.commit('develop', branchApp('develop'));
  // a health check that never passes, retried long enough that a sync outlives a short --timeout
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: account.url }, { health: '{ path: /nope, timeout: 1s, retries: 40, interval: 500ms }' }));
  await stack.writeSpec('sb.yaml', sandboxYaml(SB, { account: 'develop' }));
  await stack.waitSandbox(SB, (s) => s.sync === 'OutOfSync' && s.drift.length > 0, 'drift');
});

afterAll(async () => {
  await stack?.stop();
});

type Run = { code: number; stdout: string; stderr: string };

function sdp(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/sdp.js', ...args], { cwd: PROJECT, env: { ...process.env, SDP_SERVER: stack.url, SDP_TOKEN: stack.token } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** json, and yaml that parses to the same; text and wide exit 0 too. */
async function everyFormat(...args: string[]): Promise<{ json: unknown; text: Run; wide: Run }> {
  const [json, yaml, text, wide] = await Promise.all([sdp(...args, '-o', 'json'), sdp(...args, '-o', 'yaml'), sdp(...args), sdp(...args, '-o', 'wide')]);
  for (const r of [json, yaml, text, wide]) expect(r.code, r.stderr).toBe(0);
  const data = JSON.parse(json.stdout) as unknown;
  expect(parse(yaml.stdout)).toEqual(data);
  return { json: data, text, wide };
}

describe('sdp against a reconciler', () => {
  it('status in every format', async () => {
    const { json, text } = await everyFormat('status');
    expect((json as StatusView).sandboxes.map((s) => s.name)).toContain(SB);
    expect(text.stdout).toMatch(new RegExp(`${SB} +OutOfSync`));
  });

  it('get sandboxes, sandbox NAME, agents in every format; unknown kinds and names exit 2', async () => {
    const list = await everyFormat('get', 'sandboxes');
    expect((list.json as SandboxSummary[]).map((s) => s.name)).toEqual([SB]);
    expect(list.text.stdout).toMatch(/^NAME +SYNC +HEALTH +DRIFT +GATEWAY$/m);
    expect(list.wide.stdout).toMatch(/^NAME +SYNC +HEALTH +DRIFT +GATEWAY +OWNER +TEMPLATE +REVISION +LAST SYNC +EXPIRES$/m);

    const one = await everyFormat('get', 'sandbox', SB);
    expect(one.json as SandboxDetail).toMatchObject({ name: SB, desired: { name: SB }, live: { containers: [] } });
    expect(one.text.stdout).toMatch(/^services:\n +SERVICE +NODE +BRANCH/m);
    expect(one.text.stdout).toMatch(/^ +account +local +develop /m);

    const agents = await everyFormat('get', 'agents');
    expect(agents.text.stdout).toMatch(/^local +yes +127\.0\.0\.1/m);

    const missing = await sdp('get', 'sandbox', 't-cli-nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sdp get: GET \/api\/sandboxes\/t-cli-nope: 404 no sandbox t-cli-nope/m);
    const kind = await sdp('get', 'pods');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('unknown kind pods');
  });

  it('plan and sync --dry-run exit 1 when something would change; -o json is the API plan', async () => {
    const plan = await sdp('plan', SB);
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toContain(`sandbox ${SB}:`);
    const json = await sdp('plan', SB, '-o', 'json');
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as Plan).noop).toBe(false);
    const dry = await sdp('sync', SB, '--dry-run');
    expect(dry.code, dry.stderr).toBe(1);
  });

  it('usage errors exit 2: --timeout without --wait, a bad duration, an unknown -o', async () => {
    const [noWait, bad, output] = await Promise.all([sdp('sync', SB, '--timeout', '5m'), sdp('sync', SB, '--wait', '--timeout', 'soon'), sdp('status', '-o', 'xml')]);
    expect(noWait.code).toBe(2);
    expect(noWait.stderr).toContain('--timeout needs --wait');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout soon: not a duration');
    expect(output.code).toBe(2);
    expect(output.stderr).toContain("argument 'xml' is invalid");
  });

  it('sync --wait --timeout ends the wait with exit 1 while the job goes on; get job shows it', async () => {
    const started = Date.now();
    const r = await sdp('sync', SB, '--wait', '--timeout', '2s');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const id = /job (\S+) started/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stdout).toContain(`still running after the --timeout; job ${id} goes on`);

    const job = await stack.waitJob(id ?? '');
    expect(job.status).toBe('failed');
    const shown = await everyFormat('get', 'job', id ?? '');
    expect((shown.json as JobView).status).toBe('failed');
    expect(shown.text.stdout).toMatch(new RegExp(`^job ${id}: failed, sandbox ${SB}`, 'm'));
  });

  it('GET /api/openapi.json is the generated document, public', async () => {
    const served = await fetch(`${stack.url}/api/openapi.json`);
    expect(served.status).toBe(200);
    const { readFile } = await import('node:fs/promises');
    expect(await served.json()).toEqual(JSON.parse(await readFile(join(PROJECT, 'schema', 'openapi.json'), 'utf8')));
  });

  it('refresh and version', async () => {
    const refresh = await sdp('refresh');
    expect(refresh.code, refresh.stderr).toBe(0);
    const version = await sdp('version');
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^client: sdp 0\.1\.0 \(node v\d+/m);
    expect(version.stdout).toMatch(new RegExp(`^server: sdp 0\\.1\\.0 at ${stack.url.replace(/[.]/g, '\\.')}$`, 'm'));
  });

  it('a server that does not answer is exit 2, naming it and what to do', async () => {
    const r = await new Promise<Run>((resolve) =>
      execFile(process.execPath, ['bin/sdp.js', 'status', '--server', 'http://127.0.0.1:1'], { cwd: PROJECT }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      ),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot reach the reconciler at http:\/\/127\.0\.0\.1:1: .*--server or SDP_SERVER/);
  });
});
