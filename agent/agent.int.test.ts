// The agent against a real Docker engine and real git repositories, driven through the protocol by a
// harness that plays the reconciler. Sandboxes t-agent-*, host ports 20001-20009.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, Inventory, Job } from '../schema/protocol.ts';
import { startAgent, type Agent } from './index.ts';
import { Harness } from './testing/harness.ts';
import { FAST_HEALTH, TestRepo, branchApp, cleanupBuiltImages, cleanupSandboxes, httpGet, jobId, serviceSpec, writeToLog } from './testing/fixtures.ts';

const PREFIX = 't-agent-core-';
const TOKEN = 'agent-test-token-1234';
const docker = new Docker();

let root: string;
let workDir: string;
let repo: TestRepo;
let harness: Harness;
let agent: Agent;
const commits: Record<string, string> = {};

beforeAll(async () => {
  await cleanupSandboxes(PREFIX);
  root = mkdtempSync(join(tmpdir(), 'sdp-agent-'));
  workDir = join(root, 'work');
  repo = new TestRepo(root);
  commits.main = repo.commit('main', branchApp('main'));
  commits.feature = repo.commit('feature/a', branchApp('feature/a'), 'main');
  harness = await Harness.start(TOKEN);
  agent = await startAgent({ server: harness.url, name: 'node-1', token: TOKEN, roles: ['micro', 'gateway'], address: '127.0.0.1', workDir, logger: pino({ level: 'warn' }) });
  await harness.waitFor((m) => m.type === 'inventory');
});

afterAll(async () => {
  await agent?.stop();
  await harness?.close();
  await cleanupSandboxes(PREFIX);
  await cleanupBuiltImages(Object.values(commits));
  if (root) rmSync(root, { recursive: true, force: true });
});

const sb = (s: string) => `${PREFIX}${s}`;
const run = (job: Job, timeoutMs?: number) => harness.runJob(job, timeoutMs);

describe('agent on a real Docker host', () => {
  it('says hello with its name, roles, address, version and protocol, then sends an inventory', async () => {
    const hello = await harness.waitFor((m) => m.type === 'hello');
    expect(hello).toMatchObject({ node: 'node-1', roles: ['micro', 'gateway'], address: '127.0.0.1', protocol: 1 });
    expect(harness.of('inventory').length).toBeGreaterThan(0);
    expect(harness.invalid).toEqual([]);
  });

  it('keeps retrying (with backoff) when the server refuses its token', async () => {
    const wrong = await startAgent({ server: harness.url, name: 'node-x', token: 'wrong-token', roles: [], address: '127.0.0.1', workDir: join(root, 'wrong'), logger: pino({ level: 'silent' }) });
    const refusedBefore = harness.refused;
    await expect.poll(() => harness.refused - refusedBefore, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await wrong.stop();
    expect(harness.of('hello').filter((h) => h.node === 'node-x')).toEqual([]);
  });

  it('resolves refs to commits with git ls-remote, and names the refs it cannot find', async () => {
    const ok = await run({ id: jobId('resolve'), kind: 'resolve', repo: repo.url, refs: ['main', 'feature/a', commits.main!] });
    expect(ok).toMatchObject({ ok: true, commits: { main: commits.main, 'feature/a': commits.feature, [commits.main!]: commits.main } });
    const missing = await run({ id: jobId('resolve'), kind: 'resolve', repo: repo.url, refs: ['main', 'no-such-branch'] });
    expect(missing.ok).toBe(false);
    expect(missing.error).toContain('no-such-branch');
    expect(missing.commits).toEqual({ main: commits.main });
  });

  it('creates a sandbox network once and reports it in the inventory', async () => {
    const job = { kind: 'ensure-network' as const, sandbox: sb('a'), network: `sandbox-${sb('a')}` };
    expect((await run({ id: jobId('net'), ...job })).ok).toBe(true);
    expect((await run({ id: jobId('net'), ...job })).ok).toBe(true);
    const inv = await harness.inventory();
    expect(inv.networks.filter((n) => n.name === `sandbox-${sb('a')}`)).toMatchObject([{ sandbox: sb('a') }]);
    // Docker accepts duplicate network names: concurrent jobs for one sandbox must still make one
    const b = { kind: 'ensure-network' as const, sandbox: sb('b'), network: `sandbox-${sb('b')}` };
    const results = await Promise.all([1, 2, 3].map(() => run({ id: jobId('net'), ...b })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect((await docker.listNetworks({ filters: { name: [`sandbox-${sb('b')}`] } })).length).toBe(1);
  });

  const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
  const specA = () =>
    serviceSpec({
      sandbox: sb('a'),
      service: 'web',
      source: { repo: repo.url, commit: commits.main!, branch: 'main' },
      hostPort: 20001,
      health: FAST_HEALTH,
      env: { GREETING: 'hi' },
      secretEnv: ['API_KEY'],
      files: [{ path: '/etc/app/config.yaml', content: 'mode: test\n' }],
      resources: { cpu: 0.5, memoryBytes: 64 * 1024 * 1024 },
    });

  it('deploys a service from a branch (host build) that answers its branch name', async () => {
    const id = jobId('deploy');
    const since = harness.messages.length;
    const res = await run({ id, kind: 'deploy', container: specA(), secretValues: { API_KEY: secret } });
    expect(res, res.error).toMatchObject({ ok: true, kind: 'deploy', image: 'sdp/busybox:local' });
    expect(res.durationMs).toBeGreaterThan(0);
    const steps = harness.of('progress', since).filter((p) => p.jobId === id && p.status === 'done').map((p) => p.step);
    expect(steps).toEqual(['git', 'build', 'create', 'start', 'health', 'switch']);
    expect(harness.of('log', since).some((l) => l.jobId === id && l.stream === 'build')).toBe(true);
    expect((await httpGet('http://127.0.0.1:20001/')).body).toContain('branch=main');

    // inventory is read back from Docker: labels, env (secret redacted), ports, resources, state
    const inv = await harness.inventory();
    const live = inv.containers.find((c) => c.name === `sandbox-${sb('a')}-web`);
    expect(live).toMatchObject({
      id: res.containerId,
      sandbox: sb('a'),
      service: 'web',
      kind: 'service',
      commit: commits.main,
      branch: 'main',
      specHash: specA().specHash,
      state: 'running',
      env: { GREETING: 'hi', API_KEY: '(redacted)' },
      ports: [{ container: 8080, host: 20001 }],
      resources: { cpu: 0.5, memoryBytes: 64 * 1024 * 1024 },
    });
    expect(live?.env.PATH).toBeUndefined(); // inherited from the image, not part of the spec
    // the container really has the secret, the spec's file, and the host alias
    const c = docker.getContainer(res.containerId!);
    const info = await c.inspect();
    expect(info.Config.Env).toContain(`API_KEY=${secret}`);
    expect(info.HostConfig.ExtraHosts).toContain('host.docker.internal:host-gateway');
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(info.NetworkSettings.Networks[`sandbox-${sb('a')}`]?.Aliases).toContain('web');
    const exec = await c.exec({ Cmd: ['cat', '/etc/app/config.yaml'], AttachStdout: true });
    const out = await new Promise<string>((resolve) => {
      void exec.start({}).then((s) => {
        let buf = '';
        s.on('data', (d: Buffer) => (buf += d.toString()));
        s.on('end', () => resolve(buf));
      });
    });
    expect(out).toContain('mode: test');
    // the secret value went nowhere but into the container
    expect(JSON.stringify(harness.messages)).not.toContain(secret);
  });

  it('does nothing when the same spec already runs', async () => {
    const before = await docker.getContainer(`sandbox-${sb('a')}-web`).inspect();
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: specA(), secretValues: { API_KEY: secret } });
    expect(res).toMatchObject({ ok: true, containerId: before.Id });
    expect(res.durationMs).toBeLessThan(1000);
  });

  it('reports a network disconnect as an event, and the same deploy reattaches the container in place', async () => {
    const name = `sandbox-${sb('a')}-web`;
    const network = `sandbox-${sb('a')}`;
    const before = await docker.getContainer(name).inspect();
    const since = harness.messages.length;
    await docker.getNetwork(network).disconnect({ Container: name });
    const ev = await harness.waitFor<AgentEvent>((m) => m.type === 'event' && m.name === name && m.action === 'network-disconnect', 3000, since);
    expect(ev.container?.networks?.[network]).toBeUndefined();

    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: specA(), secretValues: { API_KEY: secret } });
    expect(res, res.error).toMatchObject({ ok: true, containerId: before.Id });
    const after = await docker.getContainer(name).inspect();
    expect(after.State.StartedAt).toBe(before.State.StartedAt); // not restarted
    expect(after.NetworkSettings.Networks[network]?.Aliases).toContain('web');
    const inv = await harness.inventory();
    expect(inv.containers.find((c) => c.name === name)?.networks?.[network]).toEqual(['web']);
  });

  it('runs two branches of one repository in two sandboxes at once', async () => {
    const specB = serviceSpec({ sandbox: sb('b'), service: 'web', source: { repo: repo.url, commit: commits.feature!, branch: 'feature/a' }, hostPort: 20002, health: FAST_HEALTH });
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: specB });
    expect(res.ok, res.error).toBe(true);
    expect((await httpGet('http://127.0.0.1:20001/')).body).toContain('branch=main');
    expect((await httpGet('http://127.0.0.1:20002/')).body).toContain('branch=feature/a');
    expect(existsSync(join(workDir, 'git', 'worktrees', sb('a'), 'web', commits.main!.slice(0, 12)))).toBe(true);
    expect(existsSync(join(workDir, 'git', 'worktrees', sb('b'), 'web', commits.feature!.slice(0, 12)))).toBe(true);
  });

  it('resolves and deploys a commit pushed after the first deploy', async () => {
    const next = repo.commit('main', branchApp('main', { marker: 'v2' }));
    const resolved = await run({ id: jobId('resolve'), kind: 'resolve', repo: repo.url, refs: ['main'] });
    expect(resolved.commits).toEqual({ main: next });
    const spec = { ...specA(), source: { repo: repo.url, commit: next, branch: 'main' } };
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: { ...spec, specHash: `${spec.specHash}-v2` }, secretValues: { API_KEY: secret } });
    expect(res.ok, res.error).toBe(true);
    expect((await httpGet('http://127.0.0.1:20001/')).body).toContain('branch=main v2');
    commits.main = next;
    // the previous commit's worktree went with the previous container
    const dir = join(workDir, 'git', 'worktrees', sb('a'), 'web');
    expect(existsSync(join(dir, next.slice(0, 12)))).toBe(true);
    expect((await import('node:fs')).readdirSync(dir)).toEqual([next.slice(0, 12)]);
  });

  it('rolls back when the new commit fails its health check: the previous container keeps answering', async () => {
    const bad = repo.commit('feature/a', branchApp('feature/a', { healthy: false, marker: 'broken' }));
    const spec = serviceSpec({ sandbox: sb('b'), service: 'web', source: { repo: repo.url, commit: bad, branch: 'feature/a' }, hostPort: 20002, health: { ...FAST_HEALTH, retries: 2 } });
    const before = await docker.getContainer(`sandbox-${sb('b')}-web`).inspect();
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: spec });
    expect(res.ok).toBe(false);
    expect(res.rolledBack).toBe(true);
    expect(res.error).toMatch(/health check GET \/health failed after 3 attempts: HTTP 404/);
    expect(res.lines?.join('\n')).toContain('response:404'); // httpd -v logged the failed probes
    expect((await httpGet('http://127.0.0.1:20002/')).body).toContain('branch=feature/a');
    expect((await httpGet('http://127.0.0.1:20002/')).body).not.toContain('broken');
    const after = await docker.getContainer(`sandbox-${sb('b')}-web`).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.Running).toBe(true);
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`sdp.sandbox=${sb('b')}`] } });
    expect(leftovers.map((c) => c.Names[0])).toEqual([`/sandbox-${sb('b')}-web`]);
  });

  it('a new container takes the alias only once it passed its health check, while the previous one keeps running', async () => {
    const spec = (commit: string, extra: Partial<Parameters<typeof serviceSpec>[0]> = {}) =>
      serviceSpec({ sandbox: sb('alias'), service: 'web', source: { repo: repo.url, commit, branch: 'main' }, health: FAST_HEALTH, ...extra });
    const name = `sandbox-${sb('alias')}-web`;
    const aliases = async (container: string) => (await docker.getContainer(container).inspect()).NetworkSettings.Networks[`sandbox-${sb('alias')}`]?.Aliases ?? [];
    const first = await run({ id: jobId('deploy'), kind: 'deploy', container: spec(commits.main!) });
    expect(first.ok, first.error).toBe(true);
    const before = await docker.getContainer(name).inspect();
    expect(await aliases(name)).toContain('web');

    // a broken commit: while it is checked, its container is on the network without the alias
    const bad = repo.commit('main', branchApp('main', { healthy: false, marker: 'broken' }));
    const seen: string[][] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        const a = await aliases(`${name}.next`).catch(() => undefined);
        if (a) seen.push(a);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const failed = await run({ id: jobId('deploy'), kind: 'deploy', container: spec(bad, { health: { ...FAST_HEALTH, retries: 2 } }) });
    done = true;
    await watching;
    expect(failed.ok).toBe(false);
    expect(failed.rolledBack).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.flat()).not.toContain('web');
    expect((await docker.getContainer(name).inspect()).Id).toBe(before.Id);
    expect(await aliases(name)).toContain('web');

    // a good one takes the alias at the switch
    const good = repo.commit('main', branchApp('main', { marker: 'v3' }));
    const ok = await run({ id: jobId('deploy'), kind: 'deploy', container: spec(good) });
    expect(ok.ok, ok.error).toBe(true);
    const after = await docker.getContainer(name).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(await aliases(name)).toContain('web');
    commits.main = good;
  });

  it('builds a Dockerfile once per commit and reuses the image', async () => {
    const base = { sandbox: sb('c'), service: 'df', source: { repo: repo.url, commit: commits.feature!, branch: 'feature/a' }, build: { type: 'dockerfile' as const, dockerfile: 'Dockerfile', context: '.' }, hostPort: 20003, health: FAST_HEALTH };
    const first = await run({ id: jobId('deploy'), kind: 'deploy', container: serviceSpec(base) });
    expect(first.ok, first.error).toBe(true);
    expect(first.image).toMatch(/^sdp\/build-[0-9a-f]{12}:[0-9a-f]{12}$/);
    expect((await httpGet('http://127.0.0.1:20003/')).body).toContain('branch=feature/a');
    const id = jobId('deploy');
    const since = harness.messages.length;
    const second = await run({ id, kind: 'deploy', container: serviceSpec({ ...base, env: { CHANGED: '1' } }) });
    expect(second.ok, second.error).toBe(true);
    expect(second.image).toBe(first.image);
    expect(harness.of('log', since).some((l) => l.jobId === id && l.line.includes('already built'))).toBe(true);
    await docker.getImage(first.image!).remove({ force: true }).catch(() => undefined);
  });

  it('runs an image with the worktree mounted, and tails its logs', async () => {
    const spec = serviceSpec({
      sandbox: sb('c'),
      service: 'img',
      source: { repo: repo.url, commit: commits.feature!, branch: 'feature/a' },
      build: { type: 'image', image: 'sdp/busybox:local', mount: '/site', run: ['sh', '-c', 'echo hello-from-img; echo "key=$IMG_KEY"; exec httpd -f -p 8080 -h /site/static'] },
      hostPort: 20004,
      secretEnv: ['IMG_KEY'],
    });
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: spec, secretValues: { IMG_KEY: 'img-secret-42' } });
    expect(res.ok, res.error).toBe(true);
    expect((await httpGet('http://127.0.0.1:20004/')).body).toBe('static feature/a\n');
    const tail = harness.logs({ stream: jobId('logs'), sandbox: sb('c'), container: spec.name, tail: 5, follow: false });
    // the app printed its secret; the stream masks it before it leaves the agent
    expect(await tail.end).toMatchObject({ reason: 'completed' });
    expect(tail.lines().map((l) => l.text)).toEqual(['hello-from-img', 'key=***']);
    expect(tail.lines()[0]).toMatchObject({ stream: 'stdout', ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // followed: a line written after it opened comes through (masked), and a cancel ends it
    const followId = jobId('logs');
    const followed = harness.logs({ stream: followId, sandbox: sb('c'), container: spec.name, tail: 0, follow: true });
    await new Promise((r) => setTimeout(r, 300));
    await writeToLog(spec.name, 'echo "later $IMG_KEY"');
    await expect.poll(() => followed.lines().map((l) => l.text), { timeout: 5000 }).toEqual(['later ***']);
    harness.send({ type: 'logs-cancel', stream: followId });
    expect(await followed.end).toMatchObject({ reason: 'cancelled' });
    // another sandbox's container is refused
    const wrong = harness.logs({ stream: jobId('logs'), sandbox: sb('a'), container: spec.name, tail: 1, follow: false });
    expect(await wrong.end).toMatchObject({ reason: 'failed', message: expect.stringContaining('does not belong to sandbox') });
  });

  it('stops (suspends) and starts (resumes) containers, reported as events', async () => {
    const name = `sandbox-${sb('a')}-web`;
    const since = harness.messages.length;
    expect((await run({ id: jobId('stop'), kind: 'stop', sandbox: sb('a'), containers: [name] })).ok).toBe(true);
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(false);
    const stopped = await harness.waitFor<AgentEvent>((m) => m.type === 'event' && m.name === name && m.action === 'die', 5000, since);
    expect(stopped.container?.state).toBe('exited');
    expect((await httpGet('http://127.0.0.1:20001/', 500)).status).toBe(0);
    expect((await run({ id: jobId('start'), kind: 'start', sandbox: sb('a'), containers: [name] })).ok).toBe(true);
    await harness.waitFor((m) => m.type === 'event' && m.name === name && m.action === 'start', 5000, since);
    await expect.poll(async () => (await httpGet('http://127.0.0.1:20001/')).body, { timeout: 5000 }).toContain('branch=main v2');
    // the agent refuses containers of another sandbox
    const wrong = await run({ id: jobId('stop'), kind: 'stop', sandbox: sb('b'), containers: [name] });
    expect(wrong).toMatchObject({ ok: false, error: expect.stringContaining('does not belong to sandbox') });
  });

  it('reports a killed container as an event within a second', async () => {
    const name = `sandbox-${sb('c')}-img`;
    const since = harness.messages.length;
    const t0 = Date.now();
    await docker.getContainer(name).kill();
    const ev = await harness.waitFor<AgentEvent>((m) => m.type === 'event' && m.name === name && m.action === 'die', 3000, since);
    const at = harness.messages.find((m) => m.msg === ev)!.at;
    expect(at - t0).toBeLessThan(1000);
    expect(ev.container?.state).toBe('exited');
  });

  it('keeps a job through a dropped connection and sends its result after reconnecting; a repeated id is not re-run', async () => {
    const spec = serviceSpec({ sandbox: sb('d'), service: 'slow', source: { repo: repo.url, commit: commits.main!, branch: 'main' }, build: { ...serviceSpec({ sandbox: 'x', service: 'x' }).build, type: 'host', command: 'sleep 2 && sh build.sh' } as never, hostPort: 20005, health: FAST_HEALTH });
    const id = jobId('deploy');
    const since = harness.messages.length;
    harness.send({ type: 'job', job: { id, kind: 'deploy', container: spec } });
    await harness.waitFor((m) => m.type === 'progress' && m.jobId === id && m.step === 'build', 10_000, since);
    await harness.drop();
    await new Promise((r) => setTimeout(r, 800));
    await harness.restart();
    const res = await harness.waitFor((m) => m.type === 'result' && m.jobId === id, 30_000, since);
    expect(res).toMatchObject({ ok: true });
    expect(harness.of('hello', since).length).toBe(1); // it reconnected and said hello again
    // the same job id again: the result comes back, nothing runs twice
    const again = harness.messages.length;
    harness.send({ type: 'job', job: { id, kind: 'deploy', container: spec } });
    const resent = await harness.waitFor((m) => m.type === 'result' && m.jobId === id, 5000, again);
    expect(resent).toEqual(res);
    harness.send({ type: 'ack', jobId: id });
    await new Promise((r) => setTimeout(r, 300));
    expect(harness.of('progress', again).filter((p) => p.jobId === id)).toEqual([]);
    expect((await httpGet('http://127.0.0.1:20005/')).body).toContain('branch=main');
  });

  it("labels what it creates with the platform; deploy and remove touch only the job's platform", async () => {
    const s = sb('p');
    const network = `sandbox-${s}`;
    expect((await run({ id: jobId('net'), kind: 'ensure-network', sandbox: s, platform: 'p-one', network })).ok).toBe(true);
    const build = { type: 'image' as const, image: 'sdp/busybox:local', run: ['httpd', '-f', '-p', '8080', '-h', '/tmp'] };
    const spec = serviceSpec({ sandbox: s, service: 'web', platform: 'p-one', build });
    const res = await run({ id: jobId('deploy'), kind: 'deploy', container: spec });
    expect(res.ok, res.error).toBe(true);
    const inv = await harness.inventory();
    expect(inv.containers.filter((c) => c.sandbox === s)).toMatchObject([{ name: spec.name, platform: 'p-one' }]);
    expect(inv.networks.filter((n) => n.sandbox === s)).toMatchObject([{ name: network, platform: 'p-one' }]);
    // another installation (platform p-two) must not take over p-one's objects of the same name
    const net2 = await run({ id: jobId('net'), kind: 'ensure-network', sandbox: s, platform: 'p-two', network });
    expect(net2).toMatchObject({ ok: false, error: expect.stringContaining('belongs to platform p-one') });
    const dep2 = await run({ id: jobId('deploy'), kind: 'deploy', container: serviceSpec({ sandbox: s, service: 'web', platform: 'p-two', build }) });
    expect(dep2).toMatchObject({ ok: false, error: expect.stringContaining('belongs to platform p-one') });
    // nor remove them: p-two's sandbox of the same name stays when p-one removes all of its own
    const twin = await docker.createContainer({
      name: `${s}-twin`,
      Image: 'sdp/busybox:local',
      Cmd: ['sleep', '600'],
      Labels: { 'sdp.managed': 'true', 'sdp.platform': 'p-two', 'sdp.sandbox': s, 'sdp.service': 'web', 'sdp.kind': 'service' },
    });
    try {
      const rm = await run({ id: jobId('rm'), kind: 'remove', sandbox: s, platform: 'p-one', containers: [spec.name], all: true });
      expect(rm.ok, rm.error).toBe(true);
      const left = await docker.listContainers({ all: true, filters: { label: [`sdp.sandbox=${s}`] } });
      expect(left.map((c) => c.Names[0])).toEqual([`/${s}-twin`]);
      expect(await docker.listNetworks({ filters: { name: [network] } })).toEqual([]);
    } finally {
      await twin.remove({ force: true });
    }
  });

  it('removes containers, and with `all` the network and worktrees too', async () => {
    for (const s of ['a', 'b', 'c', 'd', 'alias']) {
      const containers = (await docker.listContainers({ all: true, filters: { label: [`sdp.sandbox=${sb(s)}`] } })).map((c) => c.Names[0]!.slice(1));
      const res = await run({ id: jobId('rm'), kind: 'remove', sandbox: sb(s), containers, all: true });
      expect(res.ok, res.error).toBe(true);
      expect(existsSync(join(workDir, 'git', 'worktrees', sb(s)))).toBe(false);
    }
    const inv: Inventory = await harness.inventory();
    expect(inv.containers.filter((c) => c.sandbox.startsWith(PREFIX))).toEqual([]);
    expect(inv.networks.filter((n) => n.sandbox.startsWith(PREFIX))).toEqual([]);
    expect(harness.invalid).toEqual([]);
  });
});
