// Spec revisions: each compile of the specs folder that differs from the last one is a revision,
// stored with its errors. The last good revision's desired state stays in force while newer ones
// are rejected. Port allocations are persisted from each good revision and fed back into the next
// compile, so a port stays with its sandbox; allocations a good revision no longer has are released.
import { createHash } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import type { RevisionView } from '../../schema/api.ts';
import type { CompileResult, DesiredState } from '../../schema/desired.ts';
import type { Store } from '../store/db.ts';
import { portAllocations, specRevisions } from '../store/tables/core.ts';
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
  ) {
    const latest = store.db.select().from(specRevisions).orderBy(desc(specRevisions.id)).limit(1).get();
    const good = store.db.select().from(specRevisions).where(eq(specRevisions.ok, true)).orderBy(desc(specRevisions.id)).limit(1).get();
    if (good?.desired) this.good = { view: toView(good), desired: good.desired };
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
    const at = new Date().toISOString();
    const row = this.store.sqlite.transaction(() => {
      const inserted = this.store.db
        .insert(specRevisions)
        .values({
          source: this.source,
          specCommit: tag.commit ?? null,
          dirty: tag.dirty,
          at,
          ok: result.ok,
          errors: result.ok ? [] : result.errors,
          desired: result.ok ? result.desired : null,
          digest,
        })
        .returning()
        .get();
      if (result.ok) this.savePorts(result.desired.ports, inserted.id, at);
      return inserted;
    })();
    const view = toView(row);
    if (result.ok) {
      this.good = { view, desired: result.desired };
      this.rejectedView = null;
    } else {
      this.rejectedView = view;
    }
    return view;
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
