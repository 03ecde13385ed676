// Drizzle declaration of the audit trail; the schema on disk is migrations/0102_audit.sql
// (append-only: triggers refuse UPDATE and DELETE).
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const auditEvents = sqliteTable('audit_events', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: text('at').notNull(),
  actor: text('actor'),
  action: text('action').notNull(),
  target: text('target'),
  outcome: text('outcome').notNull(),
  ip: text('ip'),
  detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});
