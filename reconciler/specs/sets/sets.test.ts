import { describe, expect, it } from 'vitest';
import type { BranchTip } from '../../../schema/protocol.ts';
import { compileDocuments } from '../compile.ts';
import { baseFiles } from '../fixtures.ts';
import { assignNames, nameForms, parseNameTemplate, slugOf, type NameTemplate } from './naming.ts';
import { globProblem, globRegExp, selectBranches } from './select.ts';

const tip = (name: string, time: number): BranchTip => ({ name, commit: name.length.toString(16).padStart(40, 'a'), time });

describe('branch globs', () => {
  it('* stays within a segment, ** crosses them, ? is one character', () => {
    expect(globRegExp('feature/*').test('feature/login')).toBe(true);
    expect(globRegExp('feature/*').test('feature/a/b')).toBe(false);
    expect(globRegExp('feature/**').test('feature/a/b')).toBe(true);
    expect(globRegExp('**/fix').test('fix')).toBe(true);
    expect(globRegExp('**/fix').test('a/b/fix')).toBe(true);
    expect(globRegExp('v?').test('v1')).toBe(true);
    expect(globRegExp('v?').test('v10')).toBe(false);
    expect(globRegExp('a.b').test('axb')).toBe(false);
  });

  it('refuses globs that cannot match a branch name', () => {
    expect(globProblem('feature/*')).toBeUndefined();
    expect(globProblem('feature/**')).toBeUndefined();
    expect(globProblem('feature/a**')).toMatch(/\*\* must be a whole segment/);
    expect(globProblem('feature/***')).toMatch(/\*\*\*/);
    expect(globProblem('feature//*')).toMatch(/contains '\/\/'/);
    expect(globProblem('feature/[ab]')).toMatch(/'\['/);
    expect(globProblem('feature/ *')).toMatch(/a space/);
  });
});

describe('selection', () => {
  it('takes the newest matching branches, at most max, ties by name', () => {
    const branches = [tip('feature/a', 10), tip('feature/b', 30), tip('main', 99), tip('feature/c', 20), tip('feature/d', 20)];
    const { chosen, matched } = selectBranches(branches, 'feature/*', 3);
    expect(chosen.map((b) => b.name)).toEqual(['feature/b', 'feature/c', 'feature/d']);
    expect(matched).toBe(4);
  });
});

describe('names', () => {
  const t = (s: string): NameTemplate => parseNameTemplate(s) as NameTemplate;

  it('slugs branches into labels', () => {
    expect(slugOf('feature/Login_Page')).toBe('feature-login-page');
    expect(slugOf('--x..y--')).toBe('x-y');
    expect(slugOf('___')).toBe('');
  });

  it('refuses name templates that cannot yield a label', () => {
    expect(parseNameTemplate('account-{{slug}}')).toEqual({ prefix: 'account-', suffix: '' });
    expect(parseNameTemplate('Account-{{slug}}')).toMatch(/"A"/);
    expect(parseNameTemplate('account')).toMatch(/no \{\{slug\}\}/);
    expect(parseNameTemplate('{{branch}}')).toMatch(/\{\{branch\}\}/);
    expect(parseNameTemplate('-{{slug}}')).toMatch(/starts with '-'/);
    expect(parseNameTemplate('{{slug}}-')).toMatch(/ends with '-'/);
    expect(parseNameTemplate(`${'a'.repeat(60)}{{slug}}`)).toMatch(/no room/);
  });

  it('hashes names that would be too long, stably, within 63 characters', () => {
    const long = `feature/${'x'.repeat(80)}`;
    const a = nameForms({ set: 's', branch: long, template: t('account-{{slug}}') });
    expect(a.plain).toBeUndefined();
    expect(a.hashed.length).toBeLessThanOrEqual(63);
    expect(a.hashed).toMatch(/^account-feature-x+-[0-9a-f]{6}$/);
    expect(nameForms({ set: 's', branch: long, template: t('account-{{slug}}') }).hashed).toBe(a.hashed);
  });

  it('gives clashing branches distinct hashed names, and keeps names given before', () => {
    const template = t('p-{{slug}}');
    const req = (branch: string) => ({ set: 's', branch, template });
    const both = assignNames([req('feature/a_b'), req('feature/a-b'), req('feature/c')], new Map());
    const [x, y, z] = ['feature/a_b', 'feature/a-b', 'feature/c'].map((b) => both.get(`s\0${b}`)!);
    expect(x).not.toBe(y);
    expect(x).toMatch(/^p-feature-a-b-[0-9a-f]{6}$/);
    expect(y).toMatch(/^p-feature-a-b-[0-9a-f]{6}$/);
    expect(z).toBe('p-feature-c');
    // feature/a-b came first and has the plain name: a later clashing branch does not take it away
    const later = assignNames([req('feature/a_b'), req('feature/a-b')], new Map([['s\0feature/a-b', 'p-feature-a-b']]));
    expect(later.get('s\0feature/a-b')).toBe('p-feature-a-b');
    expect(later.get('s\0feature/a_b')).toMatch(/^p-feature-a-b-[0-9a-f]{6}$/);
  });
});

const SET = `apiVersion: sdp/v1
kind: SandboxSet
metadata: { name: previews, labels: { team: web } }
spec:
  generator: { service: account, branches: "feature/*" }
  name: "acct-{{slug}}"
  template: qa
  services:
    account: { branch: "{{branch}}" }
  max: 2
  ttl: 3d
  syncPolicy: { automated: true, prune: true }
`;
const REPO = 'file:///specs/repos/account.git';

describe('expansion', () => {
  const compile = (branches?: BranchTip[], names?: Map<string, string>) =>
    compileDocuments([...baseFiles(), { path: 'sets/previews.yaml', text: SET }], {
      baseDir: '/specs',
      sets: { ...(branches ? { branches: { [REPO]: branches } } : {}), ...(names ? { names } : {}) },
    });

  it('makes one sandbox per chosen branch, marked with its set, the branch on the generator service', () => {
    const result = compile([tip('feature/login', 3), tip('feature/old', 1), tip('feature/pay', 2), tip('main', 9)]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const made = result.desired.sandboxes.filter((s) => s.generatedBy);
    expect(made.map((s) => [s.name, s.generatedBy])).toEqual([
      ['acct-feature-login', { set: 'previews', branch: 'feature/login' }],
      ['acct-feature-pay', { set: 'previews', branch: 'feature/pay' }],
    ]);
    const login = made[0]!;
    expect(login.services.find((c) => c.service === 'account')?.source).toEqual({ repo: REPO, branch: 'feature/login' });
    expect(login.template).toBe('qa');
    expect(login.ttlSeconds).toBe(3 * 86400);
    expect(login.syncPolicy).toEqual({ automated: true, prune: true, selfHeal: false });
    expect(login.labels).toEqual({ team: 'web' });
    expect(login.source).toEqual({ file: 'sets/previews.yaml', line: 1, col: 1 });
    expect(result.desired.ports['gateway/acct-feature-login']).toBeGreaterThan(0);
    expect(result.desired.sets).toEqual([
      expect.objectContaining({ name: 'previews', repo: REPO, branches: 'feature/*', max: 2, listed: true, matched: 3, sandboxes: [{ name: 'acct-feature-login', branch: 'feature/login' }, { name: 'acct-feature-pay', branch: 'feature/pay' }] }),
    ]);
  });

  it('makes nothing before the branch list is known, and still checks the set', () => {
    const result = compile();
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.desired.sandboxes.some((s) => s.generatedBy)).toBe(false);
    expect(result.desired.sets?.[0]).toMatchObject({ listed: false, sandboxes: [] });
  });

  it('leaves out branches whose names sdp does not pass to git, saying so', () => {
    const result = compile([tip('feature/a;b', 1), tip('feature/ok', 1)]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.desired.sets?.[0]?.sandboxes.map((s) => s.branch)).toEqual(['feature/ok']);
    expect(result.desired.sets?.[0]?.skipped).toEqual([{ branch: 'feature/a;b', reason: expect.stringMatching(/';'/) }]);
  });
});
