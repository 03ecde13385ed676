import { describe, expect, it } from 'vitest';
import { credentialSecrets, gitAuth } from './credentials.ts';
import { mirrorKey, splitRepoUrl } from './url.ts';
import { parseBranchList, parseLsRemote, pickRef } from './workspace.ts';

describe('repository URLs', () => {
  it('strips userinfo and decodes it', () => {
    expect(splitRepoUrl('https://bob:p%40ss@git.example.com/app/a.git')).toEqual({ url: 'https://git.example.com/app/a.git', username: 'bob', password: 'p@ss' });
    expect(splitRepoUrl('https://TOKEN@host/a.git')).toEqual({ url: 'https://host/a.git', username: 'TOKEN' });
    expect(splitRepoUrl('file:///tmp/a.git')).toEqual({ url: 'file:///tmp/a.git' });
  });

  it('keys the mirror by the URL without credentials', () => {
    expect(mirrorKey('https://bob:one@host/a.git')).toBe(mirrorKey('https://host/a.git'));
    expect(mirrorKey('https://host/a.git')).not.toBe(mirrorKey('https://host/b.git'));
  });
});

describe('git auth', () => {
  it('feeds job credentials through askpass env, never through the URL', () => {
    const auth = gitAuth('https://host/a.git', '/w/askpass.sh', { username: 'u', password: 'pw-1234' });
    expect(auth).toEqual({ url: 'https://host/a.git', env: { GIT_ASKPASS: '/w/askpass.sh', SDP_GIT_USERNAME: 'u', SDP_GIT_PASSWORD: 'pw-1234' }, secrets: ['u', 'pw-1234'] });
  });

  it('moves URL userinfo into askpass; job credentials win', () => {
    expect(gitAuth('https://bob:tok@host/a.git', '/a').env).toMatchObject({ SDP_GIT_USERNAME: 'bob', SDP_GIT_PASSWORD: 'tok' });
    expect(gitAuth('https://TOKEN@host/a.git', '/a').env).toMatchObject({ SDP_GIT_USERNAME: 'TOKEN', SDP_GIT_PASSWORD: '' });
    expect(gitAuth('https://bob:tok@host/a.git', '/a', { password: 'job' }).env).toMatchObject({ SDP_GIT_USERNAME: 'bob', SDP_GIT_PASSWORD: 'job' });
    expect(gitAuth('https://host/a.git', '/a', { password: 'job' }).env).toMatchObject({ SDP_GIT_USERNAME: 'git', SDP_GIT_PASSWORD: 'job' });
    expect(gitAuth('file:///a.git', '/a').env).toEqual({});
  });

  it('lists every credential string for redaction', () => {
    expect(credentialSecrets('https://bob:tok@host/a.git', { password: 'job' })).toEqual(['bob', 'tok', 'job']);
  });
});

describe('ls-remote', () => {
  const out = [
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\tHEAD',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\trefs/heads/main',
    'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\trefs/heads/feature/x',
    'cccccccccccccccccccccccccccccccccccccccc\trefs/tags/v1',
    'dddddddddddddddddddddddddddddddddddddddd\trefs/tags/v1^{}',
  ].join('\n');
  const refs = parseLsRemote(out);

  it('finds branches, tags (peeled), full refs and commit ids', () => {
    expect(pickRef(refs, 'main')).toBe('a'.repeat(40));
    expect(pickRef(refs, 'feature/x')).toBe('b'.repeat(40));
    expect(pickRef(refs, 'v1')).toBe('d'.repeat(40));
    expect(pickRef(refs, 'refs/heads/main')).toBe('a'.repeat(40));
    expect(pickRef(refs, 'e'.repeat(40))).toBe('e'.repeat(40));
    expect(pickRef(refs, 'nope')).toBeUndefined();
  });
});

describe('branch list', () => {
  it('reads for-each-ref lines of name, commit and committer time, leaving out malformed ones', () => {
    const sha = 'a'.repeat(40);
    const out = `feature/x\0${sha}\x001700000000\nmain\0${sha}\x001700000001\nbroken\0nothex\x001\n\n`;
    expect(parseBranchList(out)).toEqual([
      { name: 'feature/x', commit: sha, time: 1700000000 },
      { name: 'main', commit: sha, time: 1700000001 },
    ]);
  });
});
