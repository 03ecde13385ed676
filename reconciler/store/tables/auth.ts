// Drizzle declarations of the auth tables; the schema on disk is migrations/0100_auth.sql.
import { integer, sqliteTable, text, unique } from 'drizzle-orm/sqlite-core';
import type { Role } from '../../auth/roles.ts';

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull().unique(),
  role: text('role').$type<Role>().notNull(),
  source: text('source').$type<'local' | 'git'>().notNull().default('local'),
  passwordHash: text('password_hash'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

export const sessions = sqliteTable('sessions', {
  idHash: text('id_hash').primaryKey(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  csrfHash: text('csrf_hash').notNull(),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
});

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role').$type<Role>().notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: text('created_at').notNull(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
  },
  (t) => [unique().on(t.userId, t.name)],
);

export const agentTokens = sqliteTable('agent_tokens', {
  node: text('node').primaryKey(),
  tokenHash: text('token_hash').notNull(),
  createdAt: text('created_at').notNull(),
});

