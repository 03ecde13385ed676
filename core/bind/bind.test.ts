import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DesiredContainer, DesiredSandbox } from '../../schema/desired.ts';
import { MI, desiredSandbox, fakeCommit, fakeDigest } from '../diff/fixtures.ts';
import { bindSandbox, canonicalJson, specHash } from './bind.ts';

const lookup = fakeCommit;

/** Rebuilds every object with its keys in reverse order (same data, other map order). */
function reverseKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reverseKeys) as T;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).reverse().map((k) => [k, reverseKeys(o[k])])) as T;
  }
  return v;
}

function hashes(s: DesiredSandbox, digest = fakeDigest()): string[] {
  return bindSandbox(s, lookup, digest).containers.map((c) => c.specHash);
}

function withAccount(edit: (d: DesiredContainer) => DesiredContainer): DesiredSandbox {
  const s = desiredSandbox();
  return { ...s, services: s.services.map((d) => (d.service === 'account' ? edit(d) : d)) };
}

describe('bindSandbox', () => {
  it('binds services sorted by name, then the gateway, to their commits', () => {
    const s = desiredSandbox({ services: ['orders', 'account'] });
    const { containers, unresolved } = bindSandbox(s, lookup, fakeDigest());
    expect(unresolved).toEqual([]);
    expect(containers.map((c) => c.service)).toEqual(['account', 'orders', 'gateway']);
    const account = containers[0]!;
    expect(account.source).toEqual({
      repo: 'https://git.example.com/app/account.git',
      commit: fakeCommit('https://git.example.com/app/account.git', 'feature/account'),
      branch: 'feature/account',
    });
    expect(account.secretEnv).toEqual(['DB_PASSWORD']);
    expect(account.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(containers[2]!.source).toBeUndefined();
    // the gateway's route adapter is not part of a ContainerSpec (the schema forbids extra keys)
    expect(Object.keys(containers[2]!)).not.toContain('adapter');
    expect(Object.keys(containers[2]!)).not.toContain('node');
  });

  it('takes a pinned commit as it is (lower-cased), without a lookup', () => {
    const s = withAccount((d) => ({ ...d, source: { repo: d.source!.repo, commit: 'ABCDEF1234567' } }));
    const asked: string[] = [];
    const { containers } = bindSandbox(s, (repo, ref) => (asked.push(`${repo}#${ref}`), fakeCommit(repo, ref)), fakeDigest());
    expect(containers.find((c) => c.service === 'account')!.source).toEqual({
      repo: 'https://git.example.com/app/account.git',
      commit: 'abcdef1234567',
    });
    expect(asked).toEqual(['https://git.example.com/app/orders.git#feature/orders']);
  });

  it('leaves out and lists a container whose branch does not resolve or resolves to a non-sha', () => {
    const s = desiredSandbox();
    const { containers, unresolved } = bindSandbox(
      s,
      (repo, ref) => (repo.endsWith('account.git') ? undefined : repo.endsWith('orders.git') ? 'not-a-sha' : fakeCommit(repo, ref)),
      fakeDigest(),
    );
    expect(unresolved).toEqual(['service/account', 'service/orders']);
    expect(containers.map((c) => c.service)).toEqual(['gateway']);
  });

  it('passes the secret refs sorted to the digest, and calls it only for containers with secrets', () => {
    const seen: string[][] = [];
    const s = withAccount((d) => ({
      ...d,
      secrets: [
        { key: 'TOKEN', environment: 'b' },
        { key: 'API_KEY', environment: 'a' },
      ],
    }));
    bindSandbox(s, lookup, (refs) => (seen.push(refs.map((r) => r.key)), 'd'));
    expect(seen).toEqual([['API_KEY', 'TOKEN'], ['DB_PASSWORD']]);
  });
});

describe('spec hash', () => {
  it('is the same for the same config, whatever the key order of maps and objects', () => {
    const s = desiredSandbox();
    expect(hashes(reverseKeys(s))).toEqual(hashes(s));
    const reordered = withAccount((d) => ({
      ...d,
      env: Object.fromEntries(Object.entries(d.env).reverse()),
    }));
    expect(hashes(reordered)).toEqual(hashes(s));
  });

  it('is the same whatever the order of secrets and files, and for spelling variants of the image', () => {
    const files = [
      { path: '/etc/a.yaml', content: 'a' },
      { path: '/etc/b.yaml', content: 'b' },
    ];
    const secrets = [
      { key: 'A', environment: 'x' },
      { key: 'B', environment: 'x' },
    ];
    const one = withAccount((d) => ({ ...d, files, secrets, build: { type: 'image', image: 'alpine' } }));
    const two = withAccount((d) => ({
      ...d,
      files: [...files].reverse(),
      secrets: [...secrets].reverse(),
      build: { type: 'image', image: 'docker.io/library/alpine:latest' },
    }));
    expect(hashes(two)).toEqual(hashes(one));
  });

  it('does not depend on anything but the desired config (no clock, no call count)', async () => {
    const s = desiredSandbox();
    const first = hashes(s);
    await new Promise((r) => setTimeout(r, 5));
    expect(hashes(s)).toEqual(first);
    expect(hashes(structuredClone(s))).toEqual(first);
  });

  const mutations: [string, (d: DesiredContainer) => DesiredContainer][] = [
    ['commit', (d) => ({ ...d, source: { repo: d.source!.repo, commit: '1234567890abcdef' } })],
    ['repo', (d) => ({ ...d, source: { ...d.source!, repo: 'https://git.example.com/app/other.git' } })],
    ['branch', (d) => ({ ...d, source: { ...d.source!, branch: 'feature/other' } })],
    ['image', (d) => ({ ...d, build: { type: 'image', image: 'sdp/busybox:2' } })],
    ['build command', (d) => ({ ...d, build: { type: 'host', command: 'make', image: 'sdp/busybox:local', run: ['/src/app'] } })],
    ['run', (d) => ({ ...d, build: { type: 'image', image: 'sdp/busybox:local', mount: '/src', run: ['sh'] } })],
    ['port', (d) => ({ ...d, port: 8081 })],
    ['host port', (d) => ({ ...d, hostPort: 9001 })],
    ['env value', (d) => ({ ...d, env: { ...d.env, DB_HOST: '10.0.0.6' } })],
    ['env key', (d) => ({ ...d, env: { ...d.env, EXTRA: '1' } })],
    ['secret key', (d) => ({ ...d, secrets: [...d.secrets, { key: 'TOKEN', environment: 'account-dev' }] })],
    ['file content', (d) => ({ ...d, files: [{ path: '/etc/x', content: '2' }] })],
    ['cpu', (d) => ({ ...d, resources: { ...d.resources, cpu: 1 } })],
    ['memory', (d) => ({ ...d, resources: { ...d.resources, memoryBytes: 1024 * MI } })],
    ['health', (d) => ({ ...d, health: { ...d.health!, path: '/ready' } })],
    ['alias', (d) => ({ ...d, alias: 'acct' })],
    ['network', (d) => ({ ...d, network: 'sandbox-other' })],
  ];
  it.each(mutations)('changes when the %s changes', (_field, edit) => {
    const before = hashes(desiredSandbox());
    const after = hashes(withAccount(edit));
    expect(after[0]).not.toEqual(before[0]);
    // the other containers are untouched
    expect(after.slice(1)).toEqual(before.slice(1));
  });

  it('changes when the secret digest changes (a secret value changed), and only for containers with secrets', () => {
    const s = desiredSandbox();
    const v1 = hashes(s, fakeDigest('v1'));
    const v2 = hashes(s, fakeDigest('v2'));
    expect(v2[0]).not.toEqual(v1[0]);
    expect(v2[1]).not.toEqual(v1[1]);
    expect(v2[2]).toEqual(v1[2]); // the gateway has no secrets
  });

  it('re-binding the same desired objects follows every change of commit and digest (the memo never serves a stale spec)', () => {
    const s = desiredSandbox();
    const at = (sha: string, version: string) =>
      bindSandbox(s, (repo, ref) => (repo.endsWith('account.git') ? sha : fakeCommit(repo, ref)), fakeDigest(version)).containers[0]!;
    const a = at('aaaaaaa1', 'v1');
    const b = at('bbbbbbb2', 'v1');
    const c = at('bbbbbbb2', 'v2');
    expect(new Set([a.specHash, b.specHash, c.specHash]).size).toBe(3);
    expect(b.source!.commit).toBe('bbbbbbb2');
    expect(at('aaaaaaa1', 'v1')).toEqual(a);
  });

  it("carries the Platform's name, and it is part of the hash", () => {
    const plain = bindSandbox(desiredSandbox(), lookup, () => 'digest').containers;
    const mine = bindSandbox(desiredSandbox(), lookup, () => 'digest', 't-bind').containers;
    expect(plain.every((c) => c.platform === undefined)).toBe(true);
    expect(mine.every((c) => c.platform === 't-bind')).toBe(true);
    expect(mine.map((c) => c.specHash)).not.toContain(plain[0]!.specHash);
  });

  it('is the sha256 of the canonical spec: specHash() agrees with bindSandbox', () => {
    const { containers } = bindSandbox(desiredSandbox(), lookup, () => 'digest');
    for (const c of containers) {
      const { specHash: h, ...rest } = c;
      expect(specHash(rest, c.secretEnv.length > 0 ? 'digest' : '')).toBe(h);
    }
  });
});

describe('spec hash, properties', () => {
  const envKey = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/);
  const env = fc.dictionary(envKey, fc.string({ maxLength: 20 }), { maxKeys: 12 });
  const shuffled = <T,>(xs: T[], seed: number): T[] =>
    xs
      .map((x, i) => ({ x, k: (i * 7919 + seed) % 104729 }))
      .sort((a, b) => a.k - b.k)
      .map((p) => p.x);

  it('any env, any secrets, in any order: one hash', () => {
    fc.assert(
      fc.property(env, fc.uniqueArray(envKey, { maxLength: 5 }), fc.nat(), (vars, secretKeys, seed) => {
        const make = (order: (xs: [string, string][]) => [string, string][], keys: string[]) =>
          hashes(
            withAccount((d) => ({
              ...d,
              env: Object.fromEntries(order(Object.entries(vars))),
              secrets: keys.map((key) => ({ key, environment: 'e' })),
            })),
          )[0];
        expect(make((xs) => shuffled(xs, seed), shuffled(secretKeys, seed + 1))).toBe(make((xs) => xs, secretKeys));
      }),
      { numRuns: 200 },
    );
  });

  it('any two different envs: two hashes', () => {
    fc.assert(
      fc.property(env, env, (a, b) => {
        fc.pre(canonicalJson(a) !== canonicalJson(b));
        const h = (vars: Record<string, string>) => hashes(withAccount((d) => ({ ...d, env: vars })))[0];
        expect(h(a)).not.toBe(h(b));
      }),
      { numRuns: 200 },
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, b: 'x' } })).toBe('{"a":{"b":"x","d":[2,1]},"b":1}');
    expect(canonicalJson([undefined, null])).toBe('[null,null]');
  });

  it('refuses numbers JSON cannot represent instead of hashing them as null', () => {
    expect(() => canonicalJson({ cpu: Number.NaN })).toThrow(/no JSON form/);
  });
});
