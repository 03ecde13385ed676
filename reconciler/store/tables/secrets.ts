// Drizzle declarations of the secret store tables; the schema on disk is migrations/0101_secrets.sql.
import { blob, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const secrets = sqliteTable(
  'secrets',
  {
    environment: text('environment').notNull(),
    key: text('key').notNull(),
    iv: blob('iv', { mode: 'buffer' }).notNull(),
    ciphertext: blob('ciphertext', { mode: 'buffer' }).notNull(),
    tag: blob('tag', { mode: 'buffer' }).notNull(),
    updatedAt: text('updated_at').notNull(),
    updatedBy: text('updated_by'),
  },
  (t) => [primaryKey({ columns: [t.environment, t.key] })],
);

export const secretsKeyCheck = sqliteTable('secrets_key_check', {
  id: integer('id').primaryKey(),
  checkMac: text('check_mac').notNull(),
});
