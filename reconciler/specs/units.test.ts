import { describe, expect, it } from 'vitest';
import { branchNameProblem } from './gitref.ts';
import { allocatePorts } from './ports.ts';
import { formatBytes, parseDuration, parseMemory, parsePortRange, parseTtl } from './units.ts';

describe('units', () => {
  it('durations to milliseconds', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('10 s')).toBeUndefined();
  });

  it('ttls to seconds', () => {
    expect(parseTtl('14d')).toBe(14 * 86_400);
    expect(parseTtl('12h')).toBe(43_200);
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('2w')).toBe(1_209_600);
    expect(parseTtl('1d12h')).toBe(129_600);
    expect(parseTtl('14days')).toBeUndefined();
  });

  it('memory sizes to bytes', () => {
    expect(parseMemory('512Mi')).toBe(512 * 2 ** 20);
    expect(parseMemory('1Gi')).toBe(2 ** 30);
    expect(parseMemory('1G')).toBe(1e9);
    expect(parseMemory('256M')).toBe(256e6);
    expect(parseMemory('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseMemory('1048576')).toBe(1_048_576);
    expect(parseMemory(4096)).toBe(4096);
    expect(parseMemory('0Mi')).toBeUndefined();
    expect(parseMemory('1GB')).toBeUndefined();
    expect(parseMemory(0.5)).toBeUndefined();
    expect(formatBytes(512 * 2 ** 20)).toBe('512Mi');
    expect(formatBytes(1000)).toBe('1000');
  });

  it('port ranges', () => {
    expect(parsePortRange('8080-8099')).toEqual([8080, 8099]);
    expect(parsePortRange('8080-8080')).toEqual([8080, 8080]);
    expect(parsePortRange('0-10')).toBe('0-10 is outside 1-65535');
    expect(parsePortRange('9-8')).toBe('9-8 starts after it ends');
    expect(parsePortRange('8080')).toBe('is not a port range such as 8080-8099');
  });
});

describe('branch names (git check-ref-format --branch, and nothing a shell acts on)', () => {
  it.each(['develop', 'feature/login-error', 'release/1.2.3', 'user/JIRA-12_fix', 'a+b', 'v1@2', 'x=y,z%'])('accepts %s', (name) => {
    expect(branchNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'is empty'],
    ['a..b', "contains '..'"],
    ['-x', "starts with '-'"],
    ['@', "is '@'"],
    ['/a', "starts or ends with '/'"],
    ['a//b', "contains '//'"],
    ['a.', "ends with '.'"],
    ['a/.b', "has a component starting with '.' (.b)"],
    ['.a', "has a component starting with '.' (.a)"],
    ['a.lock', "has a component ending with '.lock' (a.lock)"],
    ['a b', 'contains a space, which is not allowed in a branch name'],
    ['a~1', "contains '~', which is not allowed in a branch name"],
    ['a^', "contains '^', which is not allowed in a branch name"],
    ['a:b', "contains ':', which is not allowed in a branch name"],
    ['a?', "contains '?', which is not allowed in a branch name"],
    ['a*', "contains '*', which is not allowed in a branch name"],
    ['a[1]', "contains '[', which is not allowed in a branch name"],
    ['a\\b', "contains '\\', which is not allowed in a branch name"],
    ['a@{1}', "contains '{', which is not allowed in a branch name"],
    ['a;b', "contains ';', which is not allowed in a branch name"],
    ['$(x)', "contains '$', which is not allowed in a branch name"],
    ['`x`', "contains '`', which is not allowed in a branch name"],
    ['a|b', "contains '|', which is not allowed in a branch name"],
    ['a&b', "contains '&', which is not allowed in a branch name"],
    ['a>b', "contains '>', which is not allowed in a branch name"],
    ["a'b", "contains ''', which is not allowed in a branch name"],
    ['a\nb', 'contains a control character (U+000A), which is not allowed in a branch name'],
    ['a\u007fb', 'contains a control character (U+007F), which is not allowed in a branch name'],
    ['ünï', 'contains a non-ASCII character (ü), which is not allowed in a branch name'],
    ['x'.repeat(256), 'is longer than 255 characters'],
  ])('rejects %j: %s', (name, problem) => {
    expect(branchNameProblem(name)).toBe(problem);
  });
});

describe('allocatePorts', () => {
  const range = [10, 14] as const;
  it('fixed first, then kept, then the lowest free', () => {
    const { ports, exhausted } = allocatePorts(
      [
        { key: 'a', range },
        { key: 'b', range, fixed: 11 },
        { key: 'c', range },
        { key: 'd', range },
      ],
      { a: 11, c: 13, x: 10 },
    );
    expect(ports).toEqual({ a: 10, b: 11, c: 13, d: 12 });
    expect(exhausted).toEqual([]);
  });

  it('reports the claims a full range cannot serve', () => {
    const claims = ['a', 'b', 'c'].map((key) => ({ key, range: [1, 2] as const }));
    expect(allocatePorts(claims, {}).exhausted.map((c) => c.key)).toEqual(['c']);
  });
});
