// Crash recovery at agent start when agents share one Docker engine (several sdp installations, or a
// test suite beside a running demo): an agent clears only its own interrupted deploys. Another
// agent's `.next` container may be a deploy in flight and must survive. Sandboxes t-agent-rec-*.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LABELS } from '../schema/container.ts';
import { startAgent, type Agent } from './index.ts';
import { Harness } from './testing/harness.ts';
import { cleanupSandboxes, jobId, serviceSpec } from './testing/fixtures.ts';

const PREFIX = 't-agent-rec-';
const TOKEN = 'agent-recovery-token-1234';
const OURS = '0123456789abcdef';
const docker = new Docker();
let root = '';
let harness: Harness;
let agent: Agent | undefined;

/** A managed `.next` container as an interrupted (or running) deploy leaves it. */
async function nextContainer(sandbox: string, agentLabel: string | undefined): Promise<string> {
  const name = `sandbox-${sandbox}-web.next`;
  const labels: Record<string, string> = { [LABELS.managed]: 'true', [LABELS.platform]: 't-agent-rec', [LABELS.sandbox]: sandbox, [LABELS.service]: 'web', [LABELS.kind]: 'service' };
  if (agentLabel) labels[LABELS.agent] = agentLabel;
  await docker.createContainer({ name, Image: 'sdp/busybox:local', Cmd: ['sleep', '600'], Labels: labels });
  return name;
}

const exists = (name: string) => docker.getContainer(name).inspect().then(() => true, () => false);

beforeAll(async () => {
  await cleanupSandboxes(PREFIX);
  root = mkdtempSync(join(tmpdir(), 'sdp-agent-rec-'));
  harness = await Harness.start(TOKEN);
});

afterAll(async () => {
  await agent?.stop();
  await harness?.close();
  await cleanupSandboxes(PREFIX);
  if (root) rmSync(root, { recursive: true, force: true });
});

it("removes its own interrupted deploys at start, not another agent's deploy in flight", async () => {
  const mine = await nextContainer(`${PREFIX}mine`, OURS);
  const legacy = await nextContainer(`${PREFIX}legacy`, undefined);
  const theirs = await nextContainer(`${PREFIX}theirs`, 'fedcba9876543210');
  const workDir = join(root, 'work');
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, 'agent-id'), OURS);
  agent = await startAgent({ server: harness.url, name: 'node-rec', token: TOKEN, roles: ['micro'], address: '127.0.0.1', workDir, logger: pino({ level: 'warn' }) });
  expect(await exists(mine), mine).toBe(false);
  expect(await exists(legacy), `${legacy} (made before agents labelled theirs)`).toBe(false);
  expect(await exists(theirs), theirs).toBe(true);
});

it('labels what it creates with its id', async () => {
  const sandbox = `${PREFIX}made`;
  const network = `sandbox-${sandbox}`;
  expect((await harness.runJob({ id: jobId('net'), kind: 'ensure-network', sandbox, platform: 't-agent-rec', network })).ok).toBe(true);
  const build = { type: 'image' as const, image: 'sdp/busybox:local', run: ['httpd', '-f', '-p', '8080', '-h', '/tmp'] };
  const spec = serviceSpec({ sandbox, service: 'web', platform: 't-agent-rec', build });
  const res = await harness.runJob({ id: jobId('deploy'), kind: 'deploy', container: spec });
  expect(res.ok, res.error).toBe(true);
  expect((await docker.getContainer(spec.name).inspect()).Config.Labels[LABELS.agent]).toBe(OURS);
});
