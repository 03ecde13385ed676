// Tags a revision with the specs folder's git commit: HEAD of the repository the folder is in, and
// dirty when the folder has uncommitted edits. No repository: no commit, not dirty. One `git status`
// answers both (it runs on every save, so one process rather than three).
import { simpleGit } from 'simple-git';

export interface SpecsCommit {
  commit?: string;
  dirty: boolean;
}

export async function specsCommit(dir: string): Promise<SpecsCommit> {
  let out: string;
  try {
    out = await simpleGit({ baseDir: dir }).raw(['status', '--porcelain=v2', '--branch', '--untracked-files=all', '--', '.']);
  } catch {
    return { dirty: false }; // not in a git repository
  }
  let commit: string | undefined;
  let dirty = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('# branch.oid ')) {
      const oid = line.slice('# branch.oid '.length).trim();
      if (/^[0-9a-f]{40,64}$/.test(oid)) commit = oid; // "(initial)": no commit yet
    } else if (line && !line.startsWith('#')) {
      dirty = true;
    }
  }
  return { ...(commit ? { commit } : {}), dirty };
}
