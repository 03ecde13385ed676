// Drizzle declaration of the notification deliveries; the schema on disk is migrations/0416_notifications.sql.
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { DeliveryStatus } from '../../../schema/api.ts';
import type { NotificationBody, NotificationEvent } from '../../../schema/notifications.ts';

export const notificationDeliveries = sqliteTable('notification_deliveries', {
  id: text('id').primaryKey(),
  target: text('target').notNull(),
  event: text('event').$type<NotificationEvent>().notNull(),
  sandbox: text('sandbox').notNull(),
  body: text('body', { mode: 'json' }).$type<NotificationBody>().notNull(),
  status: text('status').$type<DeliveryStatus>().notNull(),
  attempts: integer('attempts').notNull().default(0),
  createdAt: text('created_at').notNull(),
  nextAttemptAt: text('next_attempt_at'),
  lastAttemptAt: text('last_attempt_at'),
  deliveredAt: text('delivered_at'),
  lastError: text('last_error'),
  responseStatus: integer('response_status'),
});
