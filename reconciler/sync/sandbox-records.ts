// The sandbox_status table: each sandbox's last published status, when its spec last changed and
// when it was last synced (the two clocks its ttl runs from). The only SQL on that table.
import { eq } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import type { SandboxSummary } from '../../schema/api.ts';
import type { DesiredSandbox } from '../../schema/desired.ts';
import { canonicalJson } from '../../core/bind/bind.ts';
import type { Store } from '../store/db.ts';
import { sandboxStatus } from '../store/tables/core.ts';

type Row = { specDigest: string | null; specChangedAt: string | null; lastSyncedAt: string | null };

export class SandboxRecords {
  // read for every sandbox on every evaluation: rows kept in memory (this class is their only writer),
  // the digest of a compiled (immutable) sandbox computed once
  private readonly rows = new Map<string, Row>();
  private readonly digests = new WeakMap<DesiredSandbox, string>();

  constructor(private readonly store: Store) {
    for (const r of store.db.select().from(sandboxStatus).all()) this.rows.set(r.name, { specDigest: r.specDigest, specChangedAt: r.specChangedAt, lastSyncedAt: r.lastSyncedAt });
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
      const base = { specDigest: digest, specChangedAt, updatedAt: specChangedAt };
      this.store.db
        .insert(sandboxStatus)
        .values({ name: s.name, sync: 'Unknown', health: 'Unknown', drift: [], revision: '', ...base })
        .onConflictDoUpdate({ target: sandboxStatus.name, set: base })
        .run();
    }
    if (s.ttlSeconds === undefined) return undefined;
    const from = Math.max(Date.parse(specChangedAt ?? ''), row?.lastSyncedAt ? Date.parse(row.lastSyncedAt) : 0);
    return from + s.ttlSeconds * 1000;
  }

  /** Identity of a sandbox's compiled spec: what "its spec changed" means (for its ttl and its pin). */
  specDigest(s: DesiredSandbox): string {
    let digest = this.digests.get(s);
    if (digest === undefined) this.digests.set(s, (digest = createHash('sha256').update(canonicalJson(s)).digest('hex')));
    return digest;
  }

  /** A manual or automated sync renews the ttl. */
  renew(sandbox: string, at: string): void {
    const row = this.rows.get(sandbox);
    if (row) row.lastSyncedAt = at;
    this.store.db.update(sandboxStatus).set({ lastSyncedAt: at }).where(eq(sandboxStatus.name, sandbox)).run();
  }

  save(s: SandboxSummary, at: string): void {
    const { sync, health, drift, revision } = s;
    this.store.db
      .insert(sandboxStatus)
      .values({ name: s.name, sync, health, drift, revision, updatedAt: at })
      .onConflictDoUpdate({ target: sandboxStatus.name, set: { sync, health, drift, revision, updatedAt: at } })
      .run();
  }
}
