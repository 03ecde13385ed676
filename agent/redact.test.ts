import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.ts';

describe('Redactor', () => {
  it('masks every known secret and URL userinfo', () => {
    const r = new Redactor(['hunter2-token']);
    expect(r.text('auth failed for hunter2-token at https://bob:hunter2-token@git.example.com/a.git')).toBe(
      'auth failed for *** at https://***@git.example.com/a.git',
    );
    expect(r.text('fatal: could not read from http://tok123@host/x')).toBe('fatal: could not read from http://***@host/x');
  });

  it('masks URL-encoded and JSON-escaped forms, longest secret first', () => {
    const r = new Redactor(['p@ss/word"x', 'abcd', 'abcdefgh']);
    expect(r.text('u=p%40ss%2Fword%22x')).toBe('u=***');
    expect(r.text('{"p":"p@ss/word\\"x"}')).toBe('{"p":"***"}');
    expect(r.text('abcdefgh abcd')).toBe('*** ***');
  });

  it('leaves very short strings alone rather than mangling every message', () => {
    expect(new Redactor(['ab']).text('a tab')).toBe('a tab');
  });

  it('redacts deep values but not keys', () => {
    const r = new Redactor(['s3cret-value']);
    expect(r.value({ s3cret: ['x s3cret-value', { n: 1, t: 's3cret-value' }] })).toEqual({ s3cret: ['x ***', { n: 1, t: '***' }] });
  });
});
