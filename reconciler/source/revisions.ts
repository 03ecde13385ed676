// Spec revisions: each compile of the specs folder that differs from the last one is a revision,
// stored with its errors. The last good revision's desired state stays in force while newer ones
// are rejected. Port allocations are persisted from each good revision and fed back into the next
// compile, so a port stays with its sandbox; allocations a good revision no longer has are released.
// A desired state is stored once (spec_contents, by hash), however many revisions compile to it, and
// old revisions are pruned by count and age (store/retention.ts) as new ones come.
import { createHash } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import type { RevisionView } from '../../schema/api.ts';
import type { CompileResult, DesiredState } from '../../schema/desired.ts';
import { shareDesired } from '../../core/share.ts';
import type { Store } from '../store/db.ts';
import { DEFAULT_RETENTION, pruneRevisions, type Retention } from '../store/retention.ts';
import { portAllocations, specContents, specRevisions } from '../store/tables/core.ts';
import type { SpecsCommit } from './git-info.ts';

export interface GoodRevision {
  view: RevisionView;
  desired: DesiredState;
}


export class Revisions {
  private good: GoodRevision | null = null;
  private rejectedView: RevisionView | null = null;
  private lastDigest: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly source: string,
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {
    const latest = store.db.select().from(specRevisions).orderBy(desc(specRevisions.id)).limit(1).get();
    const good = store.db.select().from(specRevisions).where(eq(specRevisions.ok, true)).orderBy(desc(specRevisions.id)).limit(1).get();
    const desired = good ? this.desiredOf(good) : undefined;
    if (good && desired) this.good = { view: toView(good), desired };
    if (latest && !latest.ok) this.rejectedView = toView(latest);
    this.lastDigest = latest?.digest ?? null;
  }

  get current(): GoodRevision | null {
    return this.good;
  }

  get rejected(): RevisionView | null {
    return this.rejectedView;
  }

  ports(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.store.db.select().from(portAllocations).all()) out[row.key] = row.port;
    return out;
  }

  /**
   * Records a compile result as a new revision unless it is the same as the newest one.
   * Returns the new revision's view, or null when nothing changed.
   */
  record(result: CompileResult, tag: SpecsCommit): RevisionView | null {
    const digest = createHash('sha256')
      .update(JSON.stringify([result, tag.commit ?? null, tag.dirty]))
      .digest('hex');
    if (digest === this.lastDigest) return null;
    this.lastDigest = digest;
    const now = new Date();
    const at = now.toISOString();
    const contentHash = result.ok ? createHash('sha256').update(JSON.stringify(result.desired)).digest('hex') : null;
    const row = this.store.sqlite.transaction(() => {
      if (result.ok && contentHash) this.store.db.insert(specContents).values({ hash: contentHash, desired: result.desired }).onConflictDoNothing().run();
      const inserted = this.store.db
        .insert(specRevisions)
        .values({
          source: this.source,
          specCommit: tag.commit ?? null,
          dirty: tag.dirty,
          at,
          ok: result.ok,
          errors: result.ok ? [] : result.errors,
          desired: null,
          contentHash,
          digest,
        })
        .returning()
        .get();
      if (result.ok) this.savePorts(result.desired.ports, inserted.id, at);
      return inserted;
    })();
    const view = toView(row);
    if (result.ok) {
      // what did not change stays the same objects, so the evaluation's caches keep hitting
      this.good = { view, desired: shareDesired(this.good?.desired, result.desired) };
      this.rejectedView = null;
    } else {
      this.rejectedView = view;
    }
    this.prune(now);
    return view;
  }

  /** Drops revisions past the retention's count or age; never the good one in force, nor the newest. */
  prune(now = new Date()): number {
    return pruneRevisions(this.store, this.retention, now, this.good ? [Number(this.good.view.id)] : []);
  }

  /** A stored revision's desired state: its shared content, or (stored before contents were shared) its own column. */
  private desiredOf(row: typeof specRevisions.$inferSelect): DesiredState | undefined {
    if (row.contentHash) return this.store.db.select().from(specContents).where(eq(specContents.hash, row.contentHash)).get()?.desired;
    return row.desired ?? undefined;
  }

  list(limit = 100): RevisionView[] {
    return this.store.db.select().from(specRevisions).orderBy(desc(specRevisions.id)).limit(limit).all().map(toView);
  }

  private savePorts(ports: Record<string, number>, revision: number, at: string): void {
    const existing = new Map(this.store.db.select().from(portAllocations).all().map((r) => [r.key, r.port]));
    for (const [key, port] of existing) {
      if (ports[key] !== port) this.store.db.delete(portAllocations).where(eq(portAllocations.key, key)).run();
    }
    for (const [key, port] of Object.entries(ports)) {
      if (existing.get(key) === port) continue;
      this.store.db.insert(portAllocations).values({ key, port, revision, allocatedAt: at }).run();
    }
  }
}

function toView(row: typeof specRevisions.$inferSelect): RevisionView {
  return {
    id: String(row.id),
    ...(row.specCommit ? { commit: row.specCommit } : {}),
    dirty: row.dirty,
    at: row.at,
    ok: row.ok,
    errors: row.errors,
  };
}
