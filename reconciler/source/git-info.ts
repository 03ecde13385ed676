// Tags a revision with the specs folder's git commit: `git rev-parse HEAD` of the repository the
// folder is in, and dirty when the folder has uncommitted edits. No repository: no commit, not dirty.
import { simpleGit } from 'simple-git';

export interface SpecsCommit {
  commit?: string;
  dirty: boolean;
}

export async function specsCommit(dir: string): Promise<SpecsCommit> {
  const git = simpleGit({ baseDir: dir });
  try {
    if (!(await git.checkIsRepo())) return { dirty: false };
    const commit = (await git.revparse(['HEAD'])).trim();
    const status = await git.raw(['status', '--porcelain', '--untracked-files=all', '--', '.']);
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    // a repository without commits yet: every file is an uncommitted edit
    return { dirty: true };
  }
}
