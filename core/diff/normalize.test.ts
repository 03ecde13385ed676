import { describe, expect, it } from 'vitest';
import { cpuNano, formatMemory, memoryBytes, normImage, normPorts, normUrl, sameCommit, sameUrl } from './normalize.ts';

describe('normImage', () => {
  it.each([
    ['alpine', 'alpine:latest'],
    ['alpine:latest', 'alpine:latest'],
    ['docker.io/library/alpine', 'alpine:latest'],
    ['index.docker.io/library/alpine:3.20', 'alpine:3.20'],
    ['docker.io/caddy/caddy:2', 'caddy/caddy:2'],
    [' sdp/busybox:local ', 'sdp/busybox:local'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost:5000/app:1', 'localhost:5000/app:1'],
    ['alpine@sha256:abcd', 'alpine@sha256:abcd'],
  ])('%s -> %s', (input, out) => {
    expect(normImage(input)).toBe(out);
  });

  it('keeps different tags different', () => {
    expect(normImage('alpine:3.19')).not.toBe(normImage('alpine:3.20'));
  });
});

describe('normUrl / sameUrl', () => {
  it.each([
    ['http://account:8080/', 'http://account:8080'],
    ['HTTP://Account:8080', 'http://account:8080'],
    ['http://account:80', 'http://account'],
    ['https://account-dev.example.com:443/', 'https://account-dev.example.com'],
    ['https://x.example.com/api//', 'https://x.example.com/api'],
    ['  http://a:1  ', 'http://a:1'],
  ])('%s == %s', (a, b) => {
    expect(sameUrl(a, b)).toBe(true);
    expect(normUrl(a)).toBe(normUrl(b));
  });

  it('keeps real differences', () => {
    expect(sameUrl('http://account:8080', 'http://account:8081')).toBe(false);
    expect(sameUrl('http://account:8080/a', 'http://account:8080/b')).toBe(false);
    expect(sameUrl('http://account', 'https://account')).toBe(false);
    expect(sameUrl('http://account:8080/?q=1', 'http://account:8080/?q=2')).toBe(false);
  });

  it('trims a string that is not a URL', () => {
    expect(normUrl(' not a url/ ')).toBe('not a url');
  });
});

describe('sameCommit', () => {
  const full = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
  it('matches case-insensitively and a short sha against its full sha', () => {
    expect(sameCommit(full, full.toUpperCase())).toBe(true);
    expect(sameCommit(full.slice(0, 7), full)).toBe(true);
    expect(sameCommit(full, full.slice(0, 12))).toBe(true);
  });
  it('does not match too short a prefix, another sha, or one side absent', () => {
    expect(sameCommit(full.slice(0, 6), full)).toBe(false);
    expect(sameCommit('1a2b3c4', full)).toBe(false);
    expect(sameCommit(undefined, full)).toBe(false);
    expect(sameCommit(undefined, undefined)).toBe(true);
  });
});

describe('cpuNano', () => {
  it('reads cores and NanoCpus, numbers and strings, as one value', () => {
    expect(cpuNano(0.5)).toBe(500_000_000);
    expect(cpuNano(500_000_000)).toBe(500_000_000);
    expect(cpuNano('0.5')).toBe(500_000_000);
    expect(cpuNano(2)).toBe(2_000_000_000);
  });
  it('treats no limit (0, undefined, garbage) as undefined', () => {
    expect(cpuNano(0)).toBeUndefined();
    expect(cpuNano(undefined)).toBeUndefined();
    expect(cpuNano('lots')).toBeUndefined();
  });
  it('absorbs float noise', () => {
    expect(cpuNano(0.1 + 0.2)).toBe(cpuNano(0.3));
  });
});

describe('memoryBytes / formatMemory', () => {
  it('reads bytes and quantities as one value', () => {
    expect(memoryBytes(536870912)).toBe(536870912);
    expect(memoryBytes('512Mi')).toBe(536870912);
    expect(memoryBytes('536870912')).toBe(536870912);
    expect(memoryBytes('1Gi')).toBe(2 ** 30);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('0.5Gi')).toBe(2 ** 29);
  });
  it('treats no limit and garbage as undefined', () => {
    expect(memoryBytes(0)).toBeUndefined();
    expect(memoryBytes(undefined)).toBeUndefined();
    expect(memoryBytes('12 parsecs')).toBeUndefined();
  });
  it('formats whole binary units', () => {
    expect(formatMemory(536870912)).toBe('512Mi');
    expect(formatMemory(2 ** 30)).toBe('1Gi');
    expect(formatMemory(1000)).toBe('1000');
  });
});

describe('normPorts', () => {
  it('drops the second address family, unpublished ports, and sorts numerically', () => {
    expect(
      normPorts([
        { container: 8080, host: 9010 },
        { container: 8080, host: 9010 },
        { container: 80, host: 0 },
        { container: 8080, host: 9002 },
        { container: '81', host: '9002' },
      ]),
    ).toEqual(['9002:81', '9002:8080', '9010:8080']);
  });
});
