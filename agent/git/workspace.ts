// Git on the agent: one bare mirror per repository (<workDir>/git/mirrors/<hash of url>) and one
// detached worktree per sandbox+service+commit (<workDir>/git/worktrees/<sandbox>/<service>/<commit12>).
// A worktree per commit keeps the previous container's files intact while a new commit is deployed
// next to it, so a rollback really brings the old code back; older ones go after a successful switch.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BranchTip, Credentials } from '../../schema/protocol.ts';
import { run, type RunResult } from '../exec.ts';
import { KeyedLock } from '../lock.ts';
import { gitAuth, writeAskpass, type GitAuth } from './credentials.ts';
import { mirrorKey } from './url.ts';

export class GitError extends Error {}

const FULL_COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export interface ResolveOutcome {
  commits: Record<string, string>;
  missing: string[];
}

export interface Checkout {
  path: string;
  commit: string;
}

export class GitWorkspace {
  private readonly root: string;
  private askpass: Promise<string> | undefined;
  /** Per mirror: concurrent fetches and worktree edits of one mirror would fight over git's lock files. */
  private readonly locks = new KeyedLock();
  private readonly background = new Set<Promise<void>>();

  constructor(workDir: string) {
    this.root = join(workDir, 'git');
  }

  mirrorPath(repo: string): string {
    return join(this.root, 'mirrors', mirrorKey(repo));
  }

  worktreeDir(sandbox: string, service: string): string {
    return join(this.root, 'worktrees', sandbox, service);
  }

  /** ref -> commit via `git ls-remote`; a full commit id resolves to itself. */
  async resolve(repo: string, refs: string[], creds?: Credentials): Promise<ResolveOutcome> {
    const auth = await this.auth(repo, creds);
    const res = await this.git(['ls-remote', auth.url], auth);
    const remote = parseLsRemote(res.stdout);
    const commits: Record<string, string> = {};
    const missing: string[] = [];
    for (const ref of refs) {
      const commit = pickRef(remote, ref);
      if (commit) commits[ref] = commit;
      else missing.push(ref);
    }
    return { commits, missing };
  }

  /**
   * Every branch with its head's commit time: the mirror is fetched (cloned the first time) and read
   * with for-each-ref; ls-remote alone cannot say when a head was committed. The fetch also puts the
   * heads in the mirror, so deploying one of them needs no fetch of its own.
   */
  async listBranches(repo: string, creds?: Credentials): Promise<BranchTip[]> {
    const auth = await this.auth(repo, creds);
    const mirror = this.mirrorPath(repo);
    return this.locks.run(mirror, async () => {
      await this.ensureMirror(mirror, auth, true);
      const res = await this.git(['--git-dir', mirror, 'for-each-ref', '--format=%(refname:strip=2)%00%(objectname)%00%(committerdate:unix)', 'refs/heads/'], noAuth(auth));
      return parseBranchList(res.stdout);
    });
  }

  /** Clones the mirror when absent; with `fetch`, brings an existing one up to date. */
  private async ensureMirror(mirror: string, auth: GitAuth, fetch: boolean): Promise<void> {
    if (!(await exists(join(mirror, 'HEAD')))) {
      await mkdir(join(this.root, 'mirrors'), { recursive: true });
      await this.git(['clone', '--mirror', '--quiet', auth.url, mirror], auth);
    } else if (fetch) {
      await this.git(['--git-dir', mirror, 'fetch', '--prune', '--quiet', 'origin'], auth);
    }
  }

  /**
   * After a resolve: brings the resolved commits into the mirror in the background (a clone, or a
   * fetch when one is missing), so the deploy that usually follows a moved branch finds them there
   * and only adds its worktree. Under the mirror's lock like a checkout; a failure is left to that
   * checkout, which tries again and reports it.
   */
  prefetch(repo: string, commits: readonly string[], creds: Credentials | undefined): void {
    const mirror = this.mirrorPath(repo);
    const p = this.locks
      .run(mirror, async () => {
        const auth = await this.auth(repo, creds);
        if (!(await exists(join(mirror, 'HEAD')))) return this.ensureMirror(mirror, auth, false);
        for (const commit of commits) {
          if (await this.revParse(mirror, commit)) continue;
          await this.git(['--git-dir', mirror, 'fetch', '--prune', '--quiet', 'origin'], auth);
          return;
        }
      })
      .catch(() => undefined);
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Resolves when no prefetch runs, or after `timeoutMs` (the agent stops; a slow remote must not hold it). */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.background.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.all([...this.background]), new Promise((r) => setTimeout(r, deadline - Date.now()).unref())]);
    }
  }

  /**
   * Where `checkout` puts the worktree of `commit` (named by its first 12 digits), known before the
   * checkout: an image run's container can be created meanwhile.
   */
  worktreePath(sandbox: string, service: string, commit: string): string {
    return join(this.worktreeDir(sandbox, service), commit.slice(0, 12));
  }

  /**
   * A detached worktree of `commit` for sandbox+service, fetching into the mirror when needed. One
   * git run when the mirror has the commit (the usual case after a resolve prefetched it): the
   * `worktree add` itself says whether it is there, a fetch follows only when it is not, and
   * `--force` takes over a stale registration of the path (no prune first).
   */
  async checkout(
    repo: string,
    commit: string,
    sandbox: string,
    service: string,
    creds: Credentials | undefined,
    log: (line: string) => void,
  ): Promise<Checkout> {
    const auth = await this.auth(repo, creds);
    const mirror = this.mirrorPath(repo);
    return this.locks.run(mirror, async () => {
      if (!(await exists(join(mirror, 'HEAD')))) log(`cloning ${auth.url}`);
      await this.ensureMirror(mirror, auth, false);
      const path = this.worktreePath(sandbox, service, commit);
      if (await exists(join(path, '.git'))) {
        const head = await this.revParse(path, 'HEAD', true);
        if (head !== undefined && head.startsWith(commit)) {
          log(`worktree ${sandbox}/${service} already at ${head.slice(0, 12)}`);
          return { path, commit: head };
        }
      }
      await rm(path, { recursive: true, force: true });
      await mkdir(this.worktreeDir(sandbox, service), { recursive: true });
      // --force twice: also over a registration a killed `worktree add` left locked
      const add = () => this.git(['--git-dir', mirror, 'worktree', 'add', '--detach', '--force', '--force', '--quiet', path, commit], noAuth(auth));
      try {
        await add();
      } catch (err) {
        if (await this.revParse(mirror, commit)) throw err;
        log(`fetching ${auth.url}`);
        await this.git(['--git-dir', mirror, 'fetch', '--prune', '--quiet', 'origin'], auth);
        if (!(await this.revParse(mirror, commit))) throw new GitError(`commit ${commit} not found in ${auth.url}`);
        await add();
      }
      const full = FULL_COMMIT.test(commit) ? commit : await this.revParse(path, 'HEAD', true);
      if (!full) throw new GitError(`worktree ${path} has no HEAD after checking out ${commit}`);
      log(`worktree ${sandbox}/${service} checked out at ${full.slice(0, 12)}`);
      return { path, commit: full };
    });
  }

  /**
   * Removes the worktrees no container mounts (`mounted`: host paths of bind mounts), as an
   * interrupted deploy leaves its new commit's. Only while no deploy runs: a deploy checks out its
   * worktree before its container exists.
   */
  async removeUnmounted(mounted: ReadonlySet<string>): Promise<string[]> {
    const root = join(this.root, 'worktrees');
    const found: string[] = [];
    for (const sandbox of await readdir(root).catch(() => [] as string[])) {
      for (const service of await readdir(join(root, sandbox)).catch(() => [] as string[])) {
        for (const commit of await readdir(join(root, sandbox, service)).catch(() => [] as string[])) {
          const path = join(root, sandbox, service, commit);
          if (!mounted.has(resolve(path))) found.push(path);
        }
      }
    }
    for (const path of found) await rm(path, { recursive: true, force: true });
    if (found.length) await this.pruneMirrors();
    return found;
  }

  /** Removes a service's worktrees (all of a sandbox's when `service` is omitted) but `keep`. */
  async removeWorktrees(sandbox: string, service?: string, keep?: string): Promise<void> {
    const dir = service ? this.worktreeDir(sandbox, service) : join(this.root, 'worktrees', sandbox);
    if (!(await exists(dir))) return;
    const doomed = service
      ? (await readdir(dir)).filter((c) => !keep || !keep.startsWith(c)).map((c) => join(dir, c))
      : [dir];
    if (doomed.length === 0) return;
    for (const d of doomed) await rm(d, { recursive: true, force: true });
    await this.pruneMirrors();
  }

  /** Lets every mirror forget the worktrees whose directories are gone. */
  private async pruneMirrors(): Promise<void> {
    const mirrors = join(this.root, 'mirrors');
    if (!(await exists(mirrors))) return;
    for (const m of await readdir(mirrors)) {
      const path = join(mirrors, m);
      await this.locks.run(path, () => this.git(['--git-dir', path, 'worktree', 'prune'], { url: '', env: {}, secrets: [] }));
    }
  }

  private async revParse(dir: string, rev: string, worktree = false): Promise<string | undefined> {
    const args = worktree ? ['-C', dir] : ['--git-dir', dir];
    const res = await run('git', [...args, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return res.code === 0 ? res.stdout.trim() : undefined;
  }

  private async auth(repo: string, creds?: Credentials): Promise<GitAuth> {
    this.askpass ??= writeAskpass(join(this.root, 'bin'));
    return gitAuth(repo, await this.askpass, creds);
  }

  private async git(args: string[], auth: GitAuth): Promise<RunResult> {
    // credential.helper= drops every configured helper, so nothing stores what askpass answers
    const res = await run('git', ['-c', 'credential.helper=', ...args], {
      env: { GIT_TERMINAL_PROMPT: '0', ...auth.env },
      timeoutMs: 300_000,
    });
    const verb = args[0] === '--git-dir' ? args[2] : args[0];
    if (res.code !== 0) throw new GitError(`git ${verb} failed: ${lastLines(res.stderr)}`);
    return res;
  }
}

function noAuth(auth: GitAuth): GitAuth {
  return { ...auth, env: {} };
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ') || 'no output';
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** for-each-ref lines `name NUL commit NUL unix-time` -> branches (malformed lines left out). */
export function parseBranchList(out: string): BranchTip[] {
  const branches: BranchTip[] = [];
  for (const line of out.split('\n')) {
    const [name, commit, time] = line.split('\0');
    if (!name || !commit || !time || !/^[0-9a-f]{40,64}$/.test(commit) || !/^[0-9]+$/.test(time)) continue;
    branches.push({ name, commit, time: Number(time) });
  }
  return branches;
}

/** `git ls-remote` output -> ref name -> commit (peeled tags win over tag objects). */
export function parseLsRemote(out: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (!sha || !name) continue;
    if (name.endsWith('^{}')) refs.set(name.slice(0, -3), sha);
    else if (!refs.has(name)) refs.set(name, sha);
  }
  return refs;
}

/** A ref as a user writes it: a branch, a tag, a full ref name, or a full commit id. */
export function pickRef(remote: Map<string, string>, ref: string): string | undefined {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  return remote.get(ref) ?? remote.get(`refs/heads/${ref}`) ?? remote.get(`refs/tags/${ref}`);
}
