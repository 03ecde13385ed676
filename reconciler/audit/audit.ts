// The audit trail: who did what, when, from where, with what outcome. Append-only — this module has
// no update or delete, and SQLite triggers (migrations/0102_audit.sql) refuse both.
// Never put a secret value, password or token in an event: names and ids only.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Store } from '../store/db.ts';
import { auditEvents } from '../store/tables/audit.ts';
import type { AuditView } from '../../schema/api.ts';

export type AuditAction =
  | 'login'
  | 'logout'
  | 'sync'
  | 'secret.set'
  | 'secret.delete'
  | 'user.create'
  | 'user.update'
  | 'user.delete'
  | 'token.create'
  | 'token.revoke'
  | 'agent.token'
  | 'agent.refused'
  | 'rollback'
  | 'pin'
  | 'unpin'
  | 'snapshot'
  | 'snapshot.delete';

export type AuditOutcome = 'success' | 'failure' | 'started';

/** What the executor records for a sync (once when it starts, once with its outcome). */
export interface SyncAuditDetail {
  revision: string;
  jobId: string;
  prune: boolean;
  dryRun: boolean;
  /** per service (and 'gateway'): the branch asked for and the commit deployed */
  services: { service: string; branch?: string; commit?: string }[];
  error?: string;
}

export type AuditEvent =
  | { action: 'sync'; actor: string; target: string; outcome: AuditOutcome; ip?: string; detail: SyncAuditDetail }
  | {
      action: Exclude<AuditAction, 'sync'>;
      /** username; null when nobody is known (a failed login of an unknown name still names it) */
      actor: string | null;
      target?: string;
      outcome: AuditOutcome;
      ip?: string;
      detail?: Record<string, string | number | boolean | null>;
    };

export type { AuditView };

export interface AuditQuery {
  /** events with an id below this (the `next` of the previous page) */
  before?: number;
  limit?: number;
  action?: string;
  actor?: string;
}

export const AUDIT_PAGE_MAX = 200;

export interface Audit {
  record(event: AuditEvent): number;
  /** newest first; `next` is the `before` for the following page, null on the last one */
  list(query?: AuditQuery): { events: AuditView[]; next: number | null };
}

export function createAudit(store: Store, now: () => Date = () => new Date()): Audit {
  const { db } = store;
  return {
    record(event) {
      const row = db
        .insert(auditEvents)
        .values({
          at: now().toISOString(),
          actor: event.actor,
          action: event.action,
          target: event.target ?? null,
          outcome: event.outcome,
          ip: event.ip ?? null,
          detail: { ...(event.detail ?? {}) },
        })
        .returning({ id: auditEvents.id })
        .get();
      return row.id;
    },
    list(query = {}) {
      const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 50)), AUDIT_PAGE_MAX);
      const where: SQL[] = [];
      if (query.before !== undefined) where.push(lt(auditEvents.id, query.before));
      if (query.action) where.push(eq(auditEvents.action, query.action));
      if (query.actor) where.push(eq(auditEvents.actor, query.actor));
      const rows = db
        .select()
        .from(auditEvents)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(auditEvents.id))
        .limit(limit + 1)
        .all();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { events: page, next: rows.length > limit && last ? last.id : null };
    },
  };
}
