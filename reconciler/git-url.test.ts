import { describe, expect, it } from 'vitest';
import { hasPasswordInUrl } from './git-url.ts';

describe('hasPasswordInUrl', () => {
  it('finds a password in the userinfo of any scheme', () => {
    expect(hasPasswordInUrl('https://ci:s3cr3t@git.example.com/app/account.git')).toBe(true);
    expect(hasPasswordInUrl('http://user:@host/x.git')).toBe(true);
  });
  it('accepts URLs without a password', () => {
    expect(hasPasswordInUrl('https://git.example.com/app/account.git')).toBe(false);
    expect(hasPasswordInUrl('ssh://git@git.example.com/app/account.git')).toBe(false);
    expect(hasPasswordInUrl('file:///srv/repos/account.git')).toBe(false);
    expect(hasPasswordInUrl('https://git.example.com:8443/app/account.git')).toBe(false);
  });
});
