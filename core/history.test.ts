import { describe, expect, it } from 'vitest';
import { bindSandbox } from './bind/bind.ts';
import { desiredSandbox, fakeCommit, fakeDigest } from './diff/fixtures.ts';
import { appliedState, envDigest, previousSuccessful, rollbackDesired, type SyncOutcome } from './history.ts';

const s = desiredSandbox();
const digest = fakeDigest();

describe('appliedState', () => {
  it('records per container its branch, commit, image and env digest', () => {
    const bound = bindSandbox(s, fakeCommit, digest);
    const state = appliedState(s, bound, digest, (name) => `image-of-${name}`);
    const account = state.containers.find((c) => c.service === 'account')!;
    expect(account).toMatchObject({ kind: 'service', branch: 'feature/account', commit: fakeCommit('https://git.example.com/app/account.git', 'feature/account'), image: 'image-of-sandbox-qa-account' });
    expect(account.envDigest).toMatch(/^[0-9a-f]{16}$/);
    expect(state.containers.map((c) => `${c.kind}/${c.service}`)).toEqual([...s.services.map((d) => `service/${d.service}`), 'gateway/gateway']);
    // the gateway runs its image as the spec names it (no build from git)
    expect(state.containers.at(-1)!.image).toBe((s.gateway.build as { image: string }).image);
  });

  it('the env digest changes with an env value and with a secret value (through its HMAC), not with key order', () => {
    const spec = { env: { A: '1', B: '2' }, secretEnv: ['DB_PASSWORD'] };
    const base = envDigest(spec, 'hmac-v1');
    expect(envDigest({ env: { B: '2', A: '1' }, secretEnv: ['DB_PASSWORD'] }, 'hmac-v1')).toBe(base);
    expect(envDigest({ ...spec, env: { A: '1', B: '3' } }, 'hmac-v1')).not.toBe(base);
    expect(envDigest(spec, 'hmac-v2')).not.toBe(base);
  });

  it('a container whose branch did not resolve is not in the record', () => {
    const bound = bindSandbox(s, (repo, ref) => (ref === 'feature/account' ? undefined : fakeCommit(repo, ref)), digest);
    expect(appliedState(s, bound, digest, () => undefined).containers.map((c) => c.service)).not.toContain('account');
  });
});

describe('rollbackDesired', () => {
  it('pins each container from git to its recorded commit: binding it gives the very specs (hashes) that sync deployed', () => {
    const then = bindSandbox(s, fakeCommit, digest);
    const state = appliedState(s, then, digest, () => undefined);
    const r = rollbackDesired(state, s);
    if (!r.ok) throw new Error(r.error);
    // the branch heads moved since: the rollback binds the recorded commits, not the heads
    const moved = (repo: string, ref: string) => fakeCommit(repo, `${ref}-moved`);
    const again = bindSandbox(r.sandbox, moved, digest);
    expect(again.containers.map((c) => c.specHash)).toEqual(then.containers.map((c) => c.specHash));
    expect(bindSandbox(s, moved, digest).containers.map((c) => c.specHash)).not.toEqual(then.containers.map((c) => c.specHash));
  });

  it('takes the host ports of now (the sandbox added back under other ports), the commits of then', () => {
    const then = bindSandbox(s, fakeCommit, digest);
    const state = appliedState(s, then, digest, () => undefined);
    const now = { ...s, gatewayPort: 9999, gatewayUrl: 'http://127.0.0.1:9999', services: s.services.map((d) => ({ ...d, hostPort: 9100 })), gateway: { ...s.gateway, hostPort: 9999 } };
    const r = rollbackDesired(state, now);
    if (!r.ok) throw new Error(r.error);
    expect(r.sandbox).toMatchObject({ gatewayPort: 9999, gatewayUrl: 'http://127.0.0.1:9999', gateway: { hostPort: 9999 } });
    expect(r.sandbox.services.map((d) => [d.hostPort, d.source?.commit])).toEqual(then.containers.filter((c) => c.kind === 'service').map((c) => [9100, c.source?.commit]));
  });

  it('refuses a record that used a secret the spec in force no longer gives the sandbox, naming it', () => {
    const state = appliedState(s, bindSandbox(s, fakeCommit, digest), digest, () => undefined);
    const now = desiredSandbox({ secrets: [] });
    expect(rollbackDesired(state, now)).toEqual({ ok: false, error: expect.stringContaining('secret account-dev/DB_PASSWORD, which the spec in force no longer gives sandbox') });
    // secrets the spec added since are no obstacle: the record simply did not use them
    expect(rollbackDesired(appliedState(now, bindSandbox(now, fakeCommit, digest), digest, () => undefined), s).ok).toBe(true);
  });

  it('refuses a record without the commit of a container from git, naming it', () => {
    const state = appliedState(s, bindSandbox(s, fakeCommit, digest), digest, () => undefined);
    const r = rollbackDesired({ ...state, containers: state.containers.filter((c) => c.service !== 'account') });
    expect(r).toEqual({ ok: false, error: expect.stringContaining('service account has no recorded commit') });
  });
});

describe('previousSuccessful', () => {
  const o = (job: string, ok: boolean, fingerprint: string, recorded = true): SyncOutcome => ({ job, ok, fingerprint, recorded });

  it('the newest successful sync that applied something other than what runs now', () => {
    expect(previousSuccessful([o('j4', true, 'b'), o('j3', true, 'b'), o('j2', false, 'c'), o('j1', true, 'a')])).toBe('j1');
  });

  it('skips failed and unrecorded syncs; none when every success applied the same state', () => {
    expect(previousSuccessful([o('j3', false, 'x'), o('j2', true, 'b'), o('j1', true, 'a', false)])).toBeUndefined();
    expect(previousSuccessful([o('j2', true, 'a'), o('j1', true, 'a')])).toBeUndefined();
    expect(previousSuccessful([])).toBeUndefined();
  });
});
