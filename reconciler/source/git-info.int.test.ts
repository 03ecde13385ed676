// specsCommit on real git repositories: no repo, a clean checkout, an edited file, a new file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { specsCommit } from './git-info.ts';

const root = mkdtempSync(join(tmpdir(), 't-rec-gitinfo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

it('tags the specs folder with HEAD and dirty', async () => {
  const specs = join(root, 'specs');
  mkdirSync(specs);
  writeFileSync(join(specs, 'a.yaml'), 'a: 1\n');
  expect(await specsCommit(specs)).toEqual({ dirty: false });

  git('init', '-q', '-b', 'main');
  expect(await specsCommit(specs)).toEqual({ dirty: true }); // no commit yet, untracked file
  git('add', '-A');
  git('commit', '-q', '-m', 'specs');
  const head = git('rev-parse', 'HEAD');
  expect(await specsCommit(specs)).toEqual({ commit: head, dirty: false });

  writeFileSync(join(specs, 'a.yaml'), 'a: 2\n');
  expect(await specsCommit(specs)).toEqual({ commit: head, dirty: true });
  git('checkout', '-q', '--', 'specs/a.yaml');
  writeFileSync(join(specs, 'b.yaml'), 'b: 1\n');
  expect(await specsCommit(specs)).toEqual({ commit: head, dirty: true });
  rmSync(join(specs, 'b.yaml'));
  // an edit outside the specs folder does not make the specs dirty
  writeFileSync(join(root, 'README'), 'x\n');
  expect(await specsCommit(specs)).toEqual({ commit: head, dirty: false });
});
