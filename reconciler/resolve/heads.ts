// Branch heads: repo + ref -> commit, resolved by an online agent's `git ls-remote` (a `resolve`
// job), cached in memory and in branch_heads, refreshed on an interval, on the git webhook and on
// POST /api/refresh. A head that moves changes the bound commit, which the diff shows as drift.
import type { Credentials } from '../../schema/protocol.ts';
import type { DesiredState } from '../../schema/desired.ts';
import type { Store } from '../store/db.ts';
import { branchHeads } from '../store/tables/core.ts';
import type { AgentHub } from '../server/agent-hub.ts';
import type { Logger } from '../log.ts';

export interface RepoRef {
  repo: string;
  ref: string;
}

/** Every (repo, branch) the desired state follows; pinned commits need no resolution. */
export function branchRefs(desired: DesiredState): RepoRef[] {
  const seen = new Map<string, RepoRef>();
  for (const s of desired.sandboxes) {
    for (const c of [...s.services, s.gateway]) {
      const src = c.source;
      if (src?.branch) seen.set(`${src.repo}\0${src.branch}`, { repo: src.repo, ref: src.branch });
    }
  }
  return [...seen.values()];
}

/** Every repository the desired state deploys from (pinned commits included). */
export function reposOf(desired: DesiredState): Set<string> {
  const repos = new Set<string>();
  for (const s of desired.sandboxes) for (const c of [...s.services, s.gateway]) if (c.source) repos.add(c.source.repo);
  return repos;
}

export class BranchHeads {
  private readonly heads = new Map<string, string>();
  private readonly errors = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly hub: AgentHub,
    /** git credentials of the Platform (`git.credentials`), fetched only for the job that needs them */
    private readonly credentials: () => Promise<Credentials | undefined>,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {
    for (const row of store.db.select().from(branchHeads).all()) this.heads.set(key(row.repo, row.ref), row.commit);
  }

  commit(repo: string, ref: string): string | undefined {
    return this.heads.get(key(repo, ref));
  }

  /** Why a branch could not be resolved, if its last attempt failed (git's error, or the branch is absent). */
  error(repo: string, ref: string): string | undefined {
    return this.errors.get(key(repo, ref));
  }

  /**
   * Resolves the given refs through an online agent (all of them, or only those never resolved).
   * Without an online agent nothing happens; the next refresh (or agent hello) tries again.
   */
  async refresh(refs: RepoRef[], onlyMissing = false): Promise<void> {
    const wanted = onlyMissing ? refs.filter((r) => !this.heads.has(key(r.repo, r.ref))) : refs;
    if (wanted.length === 0) return;
    const results = await this.ask(wanted);
    if (!results) return;
    const errorsBefore = JSON.stringify([...this.errors]);
    let changed = false;
    const now = new Date().toISOString();
    for (const { repo, refs: asked, result } of results) {
      if (!result.ok) {
        for (const ref of asked) this.errors.set(key(repo, ref), result.error ?? 'resolve failed');
        this.log.warn({ repo, refs: asked, error: result.error }, 'branch resolution failed');
        continue;
      }
      for (const ref of asked) {
        if (result.commits?.[ref] === undefined) this.errors.set(key(repo, ref), `${repo} has no branch ${ref}`);
        else this.errors.delete(key(repo, ref));
      }
      for (const [ref, commit] of Object.entries(result.commits ?? {})) {
        const k = key(repo, ref);
        if (this.heads.get(k) === commit) continue;
        this.heads.set(k, commit);
        changed = true;
        this.store.db
          .insert(branchHeads)
          .values({ repo, ref, commit, resolvedAt: now })
          .onConflictDoUpdate({ target: [branchHeads.repo, branchHeads.ref], set: { commit, resolvedAt: now } })
          .run();
      }
    }
    // a new or cleared error is news too: the status names it
    if (changed || JSON.stringify([...this.errors]) !== errorsBefore) this.onChange();
  }

  /**
   * Heads of refs not followed yet (a pull request's new branches), resolved through an agent like
   * refresh() but neither cached nor stored: key -> commit, or the reason it has none.
   */
  async lookup(refs: RepoRef[]): Promise<{ commit: (repo: string, ref: string) => string | undefined; error: (repo: string, ref: string) => string | undefined }> {
    const commits = new Map<string, string>();
    const errors = new Map<string, string>();
    const results = (await this.ask(refs)) ?? [];
    if (refs.length > 0 && results.length === 0) for (const r of refs) errors.set(key(r.repo, r.ref), 'no agent is online to resolve the branch');
    for (const { repo, refs: asked, result } of results) {
      for (const ref of asked) {
        const commit = result.ok ? result.commits?.[ref] : undefined;
        if (commit !== undefined) commits.set(key(repo, ref), commit);
        else errors.set(key(repo, ref), result.ok ? `${repo} has no branch ${ref}` : (result.error ?? 'resolve failed'));
      }
    }
    return {
      commit: (repo, ref) => this.commit(repo, ref) ?? commits.get(key(repo, ref)),
      error: (repo, ref) => (this.commit(repo, ref) !== undefined ? this.error(repo, ref) : errors.get(key(repo, ref))),
    };
  }

  /** Runs `resolve` jobs on an online agent, one per repo (per ref after a failure); undefined without an agent. */
  private async ask(wanted: RepoRef[]) {
    if (wanted.length === 0) return [];
    const agent = this.hub.onlineNodes()[0];
    if (!agent) return;
    const byRepo = new Map<string, string[]>();
    for (const r of wanted) byRepo.set(r.repo, [...(byRepo.get(r.repo) ?? []), r.ref]);
    const credentials = await this.credentials();
    const run = (repo: string, refList: string[]) =>
      this.hub.run(agent.node, { id: `resolve-${Date.now().toString(36)}-${++this.seq}`, kind: 'resolve', repo, refs: refList, ...(credentials ? { credentials } : {}) });
    const results = await Promise.all(
      [...byRepo].map(async ([repo, refList]) => {
        const result = await run(repo, refList);
        // one bad branch must not keep the repo's other branches unresolved: ask for each alone
        if (result.ok || refList.length === 1) return [{ repo, refs: refList, result }];
        return Promise.all(refList.map(async (ref) => ({ repo, refs: [ref], result: await run(repo, [ref]) })));
      }),
    );
    return results.flat();
  }
}

function key(repo: string, ref: string): string {
  return `${repo}\0${ref}`;
}
