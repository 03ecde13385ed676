// The real command line: `node bin/sdp.js validate|plan --offline` on temp folders: every output
// format, and the exit codes of cli/exit.ts (0 ok, 2 spec or usage error).
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlines, tableRows } from '../../reconciler/present/markdown-fixtures.ts';
import { baseFiles } from '../../reconciler/specs/fixtures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sdp(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'sdp.js'), ...args], { cwd: ROOT, timeout: 170_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function writeSpecs(dir: string, files: { path: string; text: string }[]): Promise<void> {
  for (const f of files) {
    await mkdir(dirname(join(dir, f.path)), { recursive: true });
    await writeFile(join(dir, f.path), f.text);
  }
}

type Run = Awaited<ReturnType<typeof sdp>>;

// All runs start at once; the tests read their results.
describe('sdp validate / sdp plan --offline', { timeout: 180_000 }, () => {
  let valid: string;
  let invalid: string;
  const runs: Record<string, Run> = {};
  beforeAll(async () => {
    valid = await mkdtemp(join(tmpdir(), 'sdp-cli-valid-'));
    invalid = await mkdtemp(join(tmpdir(), 'sdp-cli-invalid-'));
    await writeSpecs(valid, baseFiles());
    await writeSpecs(
      invalid,
      baseFiles().map((f) =>
        f.path === 'sandboxes/qa-two.yaml' ? { ...f, text: f.text.replace('feature/login', 'feature..login').replace('template: qa', 'template: qb') } : f,
      ),
    );
    const commands: Record<string, string[]> = {
      valid: ['validate', '--specs', valid],
      invalid: ['validate', '--specs', invalid],
      github: ['validate', '--specs', invalid, '-o', 'github'],
      json: ['validate', '--specs', invalid, '--output', 'json'],
      yaml: ['validate', '--specs', invalid, '-o', 'yaml'],
      validJson: ['validate', '--specs', valid, '-o', 'json'],
      legacyFormat: ['validate', '--specs', invalid, '--format', 'json'],
      unknownOutput: ['validate', '--specs', valid, '-o', 'xml'],
      unknownOption: ['validate', '--colour'],
      planJson: ['plan', '--offline', 'alpha', '--specs', valid, '-o', 'json'],
      planYaml: ['plan', '--offline', 'alpha', '--specs', valid, '-o', 'yaml'],
      planWide: ['plan', '--offline', 'alpha', '--specs', valid, '-o', 'wide'],
      missing: ['validate', '--specs', join(valid, 'nope')],
      plan: ['plan', '--offline', 'alpha', '--specs', valid],
      markdown: ['plan', '--offline', '--specs', valid, '-o', 'markdown'],
      planBad: ['plan', '--offline', '--specs', invalid],
      planUnknown: ['plan', '--offline', 'zeta', '--specs', valid],
    };
    await Promise.all(Object.entries(commands).map(async ([name, args]) => (runs[name] = await sdp(args))));
  }, 180_000);
  afterAll(async () => {
    await rm(valid, { recursive: true, force: true });
    await rm(invalid, { recursive: true, force: true });
  });

  it('valid specs: exit 0 and a one-line summary', () => {
    const r = runs.valid!;
    expect(r.stdout.trim()).toBe('specs valid: 2 sandboxes (3 service containers), 3 catalog services, 1 template, 2 environments, 2 nodes');
    expect(r.code).toBe(0);
  });

  it('invalid specs: exit 2, every error as file:line:col: field: message', () => {
    const r = runs.invalid!;
    const file = relative(ROOT, join(invalid, 'sandboxes/qa-two.yaml'));
    expect(r.stdout.trim().split('\n')).toEqual([
      `${file}:5:13: spec.template: unknown SandboxTemplate qb (known: qa)`,
      `${file}:8:24: spec.services.account.branch: "feature..login" is not a valid branch name: it contains '..'`,
      '2 errors: specs are not valid',
    ]);
    expect(r.code).toBe(2);
  });

  it('github format: workflow annotations', () => {
    const r = runs.github!;
    const file = relative(ROOT, join(invalid, 'sandboxes/qa-two.yaml'));
    expect(r.stdout.trim().split('\n')).toEqual([
      `::error file=${file},line=5,col=13,title=sdp validate::spec.template: unknown SandboxTemplate qb (known: qa)`,
      `::error file=${file},line=8,col=24,title=sdp validate::spec.services.account.branch: "feature..login" is not a valid branch name: it contains '..'`,
    ]);
    expect(r.code).toBe(2);
  });

  it('json format', () => {
    const r = runs.json!;
    const out = JSON.parse(r.stdout) as { ok: boolean; errors: { line: number; col: number; field: string }[] };
    expect(out.ok).toBe(false);
    expect(out.errors.map((e) => [e.line, e.col, e.field])).toEqual([
      [5, 13, 'spec.template'],
      [8, 24, 'spec.services.account.branch'],
    ]);
    expect(r.code).toBe(2);
  });

  it('a missing folder is an error, not a crash', () => {
    const r = runs.missing!;
    expect(r.stdout).toContain('cannot read specs folder');
    expect(r.code).toBe(2);
  });

  it('plan --offline shows what a sandbox compiles to', () => {
    const r = runs.plan!;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sandbox alpha');
    expect(r.stdout).toContain('gateway  http://10.0.0.1:8080');
    expect(r.stdout).toContain('n2  sandbox-alpha-payment');
    expect(r.stdout).toMatch(/payment\s+sandbox\s+http:\/\/10\.0\.0\.2:9001/);
    const md = runs.markdown!;
    // read back through a markdown renderer: values come out literally
    expect(inlines(md.stdout).map((l) => l.text)).toContain('Sandbox qa-two');
    const rows = tableRows(md.stdout).map((r) => r.map((c) => c.text));
    expect(rows).toContainEqual(['account', 'sandbox', 'http://account:8080']);
    expect(rows.some((r) => r.some((c) => c.includes('DB_PASSWORD (from account-dev)')))).toBe(true);
  });

  it('plan --offline: exit 2 on spec errors or an unknown sandbox', () => {
    const bad = runs.planBad!;
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain(':8:24: spec.services.account.branch');
    const unknown = runs.planUnknown!;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('sdp plan: no sandbox zeta');
  });

  it('yaml prints the same data as json; --format is the old name of -o', async () => {
    const { parse } = await import('yaml');
    expect(parse(runs.yaml!.stdout)).toEqual(JSON.parse(runs.json!.stdout));
    expect(runs.yaml!.code).toBe(2);
    expect(JSON.parse(runs.legacyFormat!.stdout)).toEqual(JSON.parse(runs.json!.stdout));
    expect(JSON.parse(runs.validJson!.stdout)).toMatchObject({ ok: true });
    expect(runs.validJson!.code).toBe(0);
  });

  it('an unknown output format or option is a usage error: exit 2, with the allowed choices', () => {
    expect(runs.unknownOutput!.code).toBe(2);
    expect(runs.unknownOutput!.stderr).toContain("argument 'xml' is invalid. Allowed choices are text, json, yaml, wide, github");
    expect(runs.unknownOption!.code).toBe(2);
    expect(runs.unknownOption!.stderr).toContain("unknown option '--colour'");
  });

  it('plan --offline in json, yaml and wide', async () => {
    const { parse } = await import('yaml');
    const json = JSON.parse(runs.planJson!.stdout) as { sandboxes: { name: string }[] };
    expect(json.sandboxes.map((s) => s.name)).toEqual(['alpha']);
    expect(parse(runs.planYaml!.stdout)).toEqual(json);
    expect(runs.planWide!.stdout).toContain('sandbox alpha');
    for (const r of [runs.planJson!, runs.planYaml!, runs.planWide!]) expect(r.code).toBe(0);
  });
});
