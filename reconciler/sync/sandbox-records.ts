// The sandbox_status table: each sandbox's last published status, when its spec last changed and
// when it was last synced (the two clocks its ttl runs from). The only SQL on that table.
import { eq, sql } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import type { SandboxSummary } from '../../schema/api.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import { canonicalJson } from '../../core/bind/bind.ts';
import type { Store } from '../store/db.ts';
import { sandboxStatus } from '../store/tables/core.ts';

type Row = { specDigest: string | null; specChangedAt: string | null; lastSyncedAt: string | null };

const p = (name: string) => sql.placeholder(name);

export class SandboxRecords {
  // read for every sandbox on every evaluation: rows kept in memory (this class is their only writer),
  // the digest of a compiled (immutable) sandbox computed once
  private readonly rows = new Map<string, Row>();
  private readonly digests = new WeakMap<DesiredSandbox, string>();
  /** spec changes the evaluation recorded, written with its summaries (save) */
  private readonly specChanges = new Map<string, { specDigest: string; specChangedAt: string }>();
  // prepared once: a new revision writes a row per sandbox, and building a query costs more than running it
  private readonly upsertStatus;
  private readonly upsertSpecChange;

  constructor(private readonly store: Store) {
    for (const r of store.db.select().from(sandboxStatus).all()) this.rows.set(r.name, { specDigest: r.specDigest, specChangedAt: r.specChangedAt, lastSyncedAt: r.lastSyncedAt });
    this.upsertStatus = store.db
      .insert(sandboxStatus)
      .values({ name: p('name'), sync: p('sync'), health: p('health'), drift: p('drift'), revision: p('revision'), updatedAt: p('updatedAt') })
      .onConflictDoUpdate({
        target: sandboxStatus.name,
        set: { sync: sql`excluded.sync`, health: sql`excluded.health`, drift: sql`excluded.drift`, revision: sql`excluded.revision`, updatedAt: sql`excluded.updated_at` },
      })
      .prepare();
    this.upsertSpecChange = store.db
      .insert(sandboxStatus)
      .values({ name: p('name'), sync: 'Unknown', health: 'Unknown', drift: [], revision: '', specDigest: p('specDigest'), specChangedAt: p('specChangedAt'), updatedAt: p('specChangedAt') })
      .onConflictDoUpdate({
        target: sandboxStatus.name,
        set: { specDigest: sql`excluded.spec_digest`, specChangedAt: sql`excluded.spec_changed_at`, updatedAt: sql`excluded.updated_at` },
      })
      .prepare();
  }

  /**
   * When the sandbox's ttl runs out (epoch ms), if it has a ttl: from its last spec change or last
   * sync, whichever is later. A spec that differs from the one seen last records a spec change now.
   */
  expiresAt(s: DesiredSandbox, now: number): number | undefined {
    const digest = this.specDigest(s);
    const row = this.rows.get(s.name);
    let specChangedAt = row?.specChangedAt ?? null;
    if (!row || row.specDigest !== digest) {
      specChangedAt = new Date(now).toISOString();
      this.rows.set(s.name, { specDigest: digest, specChangedAt, lastSyncedAt: row?.lastSyncedAt ?? null });
      this.specChanges.set(s.name, { specDigest: digest, specChangedAt });
    }
    if (s.ttlSeconds === undefined) return undefined;
    const from = Math.max(Date.parse(specChangedAt ?? ''), row?.lastSyncedAt ? Date.parse(row.lastSyncedAt) : 0);
    return from + s.ttlSeconds * 1000;
  }

  /**
   * Identity of a sandbox's compiled spec: what "its spec changed" means (for its ttl and its pin).
   * Where it is written (file, line) is left out: moving a document or editing one above it is no change.
   */
  specDigest(s: DesiredSandbox): string {
    let digest = this.digests.get(s);
    if (digest === undefined) this.digests.set(s, (digest = createHash('sha256').update(canonicalJson({ ...s, source: undefined })).digest('hex')));
    return digest;
  }

  /** A manual or automated sync renews the ttl. */
  renew(sandbox: string, at: string): void {
    const row = this.rows.get(sandbox);
    if (row) row.lastSyncedAt = at;
    this.store.db.update(sandboxStatus).set({ lastSyncedAt: at }).where(eq(sandboxStatus.name, sandbox)).run();
  }

  /**
   * The evaluation's changed summaries and the spec changes it recorded, in one transaction: a new
   * revision changes every sandbox's status, and one commit for all is far cheaper than one each.
   */
  save(summaries: readonly SandboxSummary[], at: string): void {
    if (summaries.length === 0 && this.specChanges.size === 0) return;
    this.store.sqlite.transaction(() => {
      for (const [name, c] of this.specChanges) this.upsertSpecChange.run({ name, ...c });
      for (const s of summaries) this.upsertStatus.run({ name: s.name, sync: s.sync, health: s.health, drift: s.drift, revision: s.revision, updatedAt: at });
    })();
    this.specChanges.clear();
  }
}
