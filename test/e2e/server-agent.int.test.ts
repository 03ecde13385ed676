// The reconciler and the agent as separate processes, as on two machines (README "Agents on other
// VMs", docs/agents.md): `sdp server`, a node token issued with `sdp token agent NODE`, and
// `sdp agent --server ws://... --name local` with SDP_AGENT_TOKEN. Real Docker, git and Caddy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxDetail } from '../../schema/api.ts';
import { branchHead } from '../../scripts/demo/repos.ts';
import { curl, E2E, localGateway, sandboxYaml } from './harness.ts';

const SPLIT = 't-e2e-split';
let e: E2E;

beforeAll(async () => {
  e = await E2E.start({ 'split.yaml': sandboxYaml(SPLIT, { account: 'feature/login-error' }) }, { split: true });
});

afterAll(async () => {
  await e?.stop();
});

const synced = (s: SandboxDetail): boolean => s.sync === 'Synced' && s.health === 'Healthy';

describe('sdp server and sdp agent apart', () => {
  it('an agent with a wrong token is refused and audited, without the token', async () => {
    const wrong = 'sdpa_not-the-token-of-this-node-0000000000000';
    const intruder = e.startAgent(wrong, 'local');
    const refusal = await e.wait('the refusal in the audit trail', async () => {
      const { events } = await e.api<{ events: { action: string; target?: string; detail?: unknown }[] }>('GET', '/api/audit?action=agent.refused');
      return events.find((ev) => ev.target === 'local');
    });
    expect(JSON.stringify(refusal)).not.toContain(wrong);
    const agents = await e.api<{ name: string; online: boolean }[]>('GET', '/api/agents');
    // the node's real agent stays connected
    expect(agents.find((a) => a.name === 'local')?.online).toBe(true);
    await e.stopProcess(intruder);
  });

  it('syncs a sandbox through the remote agent; its gateway answers from the branch and the baseline', async () => {
    const r = await e.cli('sync', SPLIT, '--wait');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const s = await e.waitForSandbox(SPLIT, 'Synced and Healthy', synced);
    const gw = localGateway(s);
    expect((await curl(`${gw}/account/`)).json).toEqual({
      service: 'account',
      branch: 'feature/login-error',
      commit: await branchHead(e.repos.account as string, 'feature/login-error'),
    });
    expect((await curl(`${gw}/payment/rest`)).json).toEqual({ service: 'payment', env: 'baseline' });
  });

  it('an agent gone offline makes its sandboxes Unknown; back online they are Synced again', async () => {
    await e.stopProcess(e.agent!);
    await e.waitForAgent('local', false);
    const away = await e.waitForSandbox(SPLIT, 'sync Unknown while its agent is offline', (s) => s.sync === 'Unknown');
    expect(away.sync).toBe('Unknown');
    // the containers do not need the agent: the sandbox keeps answering
    expect((await curl(`${localGateway(away)}/account/`)).json).toMatchObject({ service: 'account' });

    e.agent = e.startAgent(await e.issueNodeToken('local'));
    await e.waitForAgent('local', true);
    await e.waitForSandbox(SPLIT, 'Synced again', synced);
  });
});
