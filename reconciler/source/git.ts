// A git repository as the spec source: cloned into the data dir, pulled on an interval and on the
// git webhook. The checkout is reset to the remote branch; local edits there are not kept.
import { existsSync } from 'node:fs';
import { simpleGit } from 'simple-git';

export interface GitSpecsOptions {
  url: string;
  /** default: the remote's default branch */
  branch?: string;
  /** specs folder inside the repository; default the root */
  path?: string;
  /** pull interval; default 60 s */
  intervalMs?: number;
}

/** Brings `dir` to the remote branch head; returns that commit. */
export async function pullSpecs(opts: GitSpecsOptions, dir: string): Promise<string> {
  if (!existsSync(dir)) {
    await simpleGit().clone(opts.url, dir, ['--no-tags', ...(opts.branch ? ['--branch', opts.branch] : [])]);
  } else {
    const git = simpleGit({ baseDir: dir });
    const branch = opts.branch ?? (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
    await git.fetch('origin', branch);
    await git.reset(['--hard', `origin/${branch}`]);
  }
  return (await simpleGit({ baseDir: dir }).revparse(['HEAD'])).trim();
}
