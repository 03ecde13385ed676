// `sdp agent` through the real bin: joins a harness playing the reconciler with the token from env.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Harness } from '../../agent/testing/harness.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

it('sdp agent connects with the env token, says hello, sends an inventory, exits 0 on SIGTERM', async () => {
  const h = await Harness.start('cli-token-123');
  const workDir = mkdtempSync(join(tmpdir(), 'sdp-cli-agent-'));
  dirs.push(workDir);
  const child = spawn('node', ['bin/sdp.js', 'agent', '--server', h.url, '--name', 'cli-node', '--roles', 'micro,gateway', '--address', '10.1.2.3', '--work-dir', workDir], {
    env: { ...process.env, SDP_AGENT_TOKEN: 'cli-token-123', SDP_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    expect(await h.waitFor((m) => m.type === 'hello', 30_000)).toMatchObject({ node: 'cli-node', roles: ['micro', 'gateway'], address: '10.1.2.3' });
    await h.waitFor((m) => m.type === 'inventory', 10_000);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await h.close();
  }
});

it('sdp agent without a token says so and exits non-zero', async () => {
  const env = { ...process.env };
  delete env.SDP_AGENT_TOKEN;
  const child = spawn('node', ['bin/sdp.js', 'agent', '--server', 'ws://127.0.0.1:1/ws/agent', '--name', 'x'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).not.toBe(0);
  expect(stderr).toContain('SDP_AGENT_TOKEN');
});
