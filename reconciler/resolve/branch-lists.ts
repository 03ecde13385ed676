// Branch lists of the repositories SandboxSets follow: every branch with its head and commit time,
// from an online agent (a `list-branches` job: fetch into its mirror, for-each-ref), kept in memory
// and in branch_lists. Refreshed on the poll, the git webhook, POST /api/refresh and agent hello,
// and for a repository never listed as soon as a revision follows it. A list that changed is a
// recompile of the specs: the sets expand from it (reconciler/specs/sets/expand.ts).
import type { DesiredState } from '../../schema/desired.ts';
import type { BranchTip, Credentials } from '../../schema/protocol.ts';
import type { AgentHub } from '../server/agent-hub.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import { branchLists } from '../store/tables/core.ts';

/** Every repository a SandboxSet of the desired state follows. */
export function setRepos(desired: DesiredState): string[] {
  return [...new Set((desired.sets ?? []).map((s) => s.repo))].sort();
}

/** `set\0branch` -> the generated sandbox's name, as the desired state in force has them. */
export function generatedNames(desired: DesiredState | undefined): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of desired?.sandboxes ?? []) if (s.generatedBy) names.set(`${s.generatedBy.set}\0${s.generatedBy.branch}`, s.name);
  return names;
}

export class BranchLists {
  private readonly lists = new Map<string, BranchTip[]>();
  private readonly errors = new Map<string, string>();
  /** per repository: the listing running now, and whether another was asked for meanwhile */
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly hub: AgentHub,
    private readonly credentials: () => Promise<Credentials | undefined>,
    /** a list changed: the specs are compiled again */
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {
    for (const row of store.db.select().from(branchLists).all()) this.lists.set(row.repo, row.branches);
  }

  /** repo -> its branches, for the repositories listed so far. */
  snapshot(): Record<string, BranchTip[]> {
    return Object.fromEntries(this.lists);
  }

  /** Why the repository's last listing failed, if it did. */
  error(repo: string): string | undefined {
    return this.errors.get(repo);
  }

  /**
   * Lists the repositories (all, or only those never listed) through an online agent. A listing of
   * a repository asked for while one runs runs once more after it, so a burst of webhooks is two.
   */
  async refresh(repos: readonly string[], onlyMissing = false): Promise<void> {
    const wanted = onlyMissing ? repos.filter((r) => !this.lists.has(r)) : repos;
    await Promise.all(wanted.map((repo) => this.listOnce(repo)));
  }

  private listOnce(repo: string): Promise<void> {
    const current = this.running.get(repo);
    if (current) {
      this.again.add(repo);
      return current;
    }
    const run = (async () => {
      do {
        this.again.delete(repo);
        await this.list(repo);
      } while (this.again.has(repo));
    })().finally(() => this.running.delete(repo));
    this.running.set(repo, run);
    return run;
  }

  private async list(repo: string): Promise<void> {
    const agent = this.hub.onlineNodes()[0];
    if (!agent) return; // the next refresh or agent hello tries again
    const credentials = await this.credentials().catch((err: Error) => {
      this.errors.set(repo, err.message);
      return undefined;
    });
    const result = await this.hub
      .run(agent.node, { id: `branches-${Date.now().toString(36)}-${++this.seq}`, kind: 'list-branches', repo, ...(credentials ? { credentials } : {}) })
      .catch((err: Error) => ({ ok: false as const, error: err.message, branches: undefined }));
    if (!result.ok || !result.branches) {
      const error = result.error ?? 'listing the branches failed';
      if (this.errors.get(repo) !== error) this.log.warn({ repo, error }, 'listing branches failed; the last list stays in force');
      this.errors.set(repo, error);
      return;
    }
    this.errors.delete(repo);
    const branches = [...result.branches].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (JSON.stringify(this.lists.get(repo)) === JSON.stringify(branches)) return;
    this.lists.set(repo, branches);
    const listedAt = new Date().toISOString();
    this.store.db.insert(branchLists).values({ repo, branches, listedAt }).onConflictDoUpdate({ target: branchLists.repo, set: { branches, listedAt } }).run();
    this.onChange();
  }
}
