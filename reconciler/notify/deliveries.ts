// The notification_deliveries table: the queue's persisted state (a restart resumes what is pending)
// and what GET /api/notifications shows. The only SQL on that table.
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { DeliveryStatus, DeliveryView } from '../../schema/api.ts';
import type { NotificationBody } from '../../schema/notifications.ts';
import type { Store } from '../store/db.ts';
import { notificationDeliveries as t } from '../store/tables/notifications.ts';

/** Finished deliveries kept (newest first); older ones are pruned as new ones finish. */
export const KEEP_DELIVERIES = 1000;

export interface Delivery {
  id: string;
  target: string;
  body: NotificationBody;
  attempts: number;
  nextAttemptAt: string;
}

export interface AttemptResult {
  at: string;
  /** delivered, or tried again at `retryAt`, or failed for good (no retryAt) */
  delivered: boolean;
  retryAt?: string;
  error?: string;
  responseStatus?: number;
}

export class Deliveries {
  constructor(private readonly store: Store) {}

  add(d: { id: string; target: string; body: NotificationBody; at: string }): void {
    this.store.db
      .insert(t)
      .values({ id: d.id, target: d.target, event: d.body.event, sandbox: d.body.sandbox, body: d.body, status: 'pending', createdAt: d.at, nextAttemptAt: d.at })
      .run();
  }

  /** Pending deliveries, soonest due first. */
  pending(): Delivery[] {
    return this.store.db
      .select({ id: t.id, target: t.target, body: t.body, attempts: t.attempts, nextAttemptAt: t.nextAttemptAt })
      .from(t)
      .where(eq(t.status, 'pending'))
      .orderBy(asc(t.nextAttemptAt))
      .all()
      .map((r) => ({ ...r, nextAttemptAt: r.nextAttemptAt ?? '' }));
  }

  attempted(id: string, r: AttemptResult): void {
    const row = this.store.db.select({ attempts: t.attempts }).from(t).where(eq(t.id, id)).get();
    if (!row) return;
    const status: DeliveryStatus = r.delivered ? 'delivered' : r.retryAt ? 'pending' : 'failed';
    this.store.db
      .update(t)
      .set({
        status,
        attempts: row.attempts + 1,
        lastAttemptAt: r.at,
        nextAttemptAt: r.retryAt ?? null,
        deliveredAt: r.delivered ? r.at : null,
        lastError: r.error ?? null,
        responseStatus: r.responseStatus ?? null,
      })
      .where(eq(t.id, id))
      .run();
    if (status !== 'pending') this.prune();
  }

  /** A pending delivery that can never be sent (its target left the Platform): failed, without an attempt. */
  abandon(id: string, error: string): void {
    this.store.db.update(t).set({ status: 'failed', nextAttemptAt: null, lastError: error }).where(eq(t.id, id)).run();
    this.prune();
  }

  list(q: { limit: number; status?: DeliveryStatus; sandbox?: string }): DeliveryView[] {
    const where: SQL[] = [];
    if (q.status) where.push(eq(t.status, q.status));
    if (q.sandbox) where.push(eq(t.sandbox, q.sandbox));
    return this.store.db
      .select()
      .from(t)
      .where(and(...where))
      .orderBy(desc(t.createdAt), desc(t.id))
      .limit(q.limit)
      .all()
      .map((r) => ({
        id: r.id,
        target: r.target,
        event: r.event,
        sandbox: r.sandbox,
        status: r.status,
        attempts: r.attempts,
        createdAt: r.createdAt,
        ...(r.lastAttemptAt ? { lastAttemptAt: r.lastAttemptAt } : {}),
        ...(r.status === 'pending' && r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt } : {}),
        ...(r.deliveredAt ? { deliveredAt: r.deliveredAt } : {}),
        ...(r.lastError ? { lastError: r.lastError } : {}),
        ...(r.responseStatus !== null ? { responseStatus: r.responseStatus } : {}),
      }));
  }

  /** Keeps the newest KEEP_DELIVERIES finished deliveries; pending ones are always kept. */
  private prune(): void {
    this.store.sqlite
      .prepare(
        `DELETE FROM notification_deliveries WHERE status != 'pending' AND id NOT IN
           (SELECT id FROM notification_deliveries WHERE status != 'pending' ORDER BY created_at DESC, id DESC LIMIT ?)`,
      )
      .run(KEEP_DELIVERIES);
  }
}
