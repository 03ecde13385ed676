// The pins repository: which sandboxes are held at a recorded state (sandbox_pins), with who, when,
// why and the digest of the sandbox's spec when pinned (a revision that changes it unpins). Read on
// every evaluation: rows kept in memory (this class is their only writer), each pin the same object
// until it changes, so an evaluation can tell a changed pin by identity.
import { eq } from 'drizzle-orm';
import type { Pin } from '../../core/history.ts';
import type { Store } from './db.ts';
import { sandboxPins } from './tables/history.ts';

export interface StoredPin {
  pin: Pin;
  specDigest: string;
}

export class Pins {
  private readonly rows = new Map<string, StoredPin>();

  constructor(private readonly store: Store) {
    for (const r of store.db.select().from(sandboxPins).all()) {
      const pin: Pin = { job: r.jobId, ...(r.snapshot !== null ? { snapshot: r.snapshot } : {}), by: r.pinnedBy, at: r.pinnedAt, reason: r.reason };
      this.rows.set(r.sandbox, { pin, specDigest: r.specDigest });
    }
  }

  get(sandbox: string): Pin | undefined {
    return this.rows.get(sandbox)?.pin;
  }

  all(): ReadonlyMap<string, StoredPin> {
    return this.rows;
  }

  /** Pins (or re-pins) the sandbox. */
  set(sandbox: string, pin: Pin, specDigest: string): void {
    const row = { jobId: pin.job, snapshot: pin.snapshot ?? null, pinnedBy: pin.by, pinnedAt: pin.at, reason: pin.reason, specDigest };
    this.store.db.insert(sandboxPins).values({ sandbox, ...row }).onConflictDoUpdate({ target: sandboxPins.sandbox, set: row }).run();
    this.rows.set(sandbox, { pin: { ...pin }, specDigest });
  }

  /** Unpins; the pin it lifted, if there was one. */
  remove(sandbox: string): Pin | undefined {
    const had = this.rows.get(sandbox);
    if (!had) return undefined;
    this.store.db.delete(sandboxPins).where(eq(sandboxPins.sandbox, sandbox)).run();
    this.rows.delete(sandbox);
    return had.pin;
  }
}
