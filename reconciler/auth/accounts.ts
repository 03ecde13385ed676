// Users, login sessions, API tokens and agent tokens in the store. No HTTP here: routes.ts and
// middleware.ts call these. Every credential is kept hashed (scrypt for passwords, sha256 for
// random tokens); the plain value exists only in the return value of the call that made it.
import { and, count, eq, isNull, lt } from 'drizzle-orm';
import type { Store } from '../store/db.ts';
import { agentTokens, apiTokens, sessions, users } from '../store/tables/auth.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import { atLeast, lower, type Role } from './roles.ts';
import { matchesHash, newToken, newTokenId, sha256 } from './tokens.ts';
import type { TokenView, UserView } from '../../schema/api.ts';

export interface User {
  id: number;
  username: string;
  role: Role;
  source: 'local' | 'git';
}

export type { TokenView, UserView } from '../../schema/api.ts';

export interface SessionGrant {
  /** the session id: cookie value, and a bearer token for the CLI */
  token: string;
  /** give back in X-SDP-CSRF on state-changing cookie requests */
  csrf: string;
  expiresAt: string;
}

export interface SessionMatch {
  user: User;
  idHash: string;
  csrfHash: string;
}

export interface TokenMatch {
  user: User;
  tokenId: string;
  /** the lower of the token's role and its owner's current role */
  role: Role;
}

/** A refusal the API turns into its status code. */
export class AccountError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export const ADMIN_USERNAME = 'admin';
const LAST_USED_EVERY_MS = 60_000;

export function createAccounts(store: Store, now: () => Date = () => new Date()) {
  const { db } = store;
  const iso = (): string => now().toISOString();
  const toUser = (r: typeof users.$inferSelect): User => ({ id: r.id, username: r.username, role: r.role, source: r.source });
  const row = (username: string) => db.select().from(users).where(eq(users.username, username)).get();
  const adminCount = (): number => db.select({ n: count() }).from(users).where(eq(users.role, 'admin')).get()?.n ?? 0;

  const accounts = {
    userCount(): number {
      return db.select({ n: count() }).from(users).get()?.n ?? 0;
    },

    getUser(username: string): User | undefined {
      const r = row(username);
      return r && toUser(r);
    },

    listUsers(): UserView[] {
      return db
        .select({ username: users.username, role: users.role, source: users.source, createdAt: users.createdAt, updatedAt: users.updatedAt })
        .from(users)
        .orderBy(users.username)
        .all();
    },

    async createUser(input: { username: string; role: Role; password?: string; source?: 'local' | 'git' }): Promise<User> {
      const source = input.source ?? 'local';
      if (source === 'local' && !input.password) throw new AccountError(400, 'a local user needs a password');
      const passwordHash = input.password && source === 'local' ? await hashPassword(input.password) : null;
      if (row(input.username)) throw new AccountError(409, `user ${input.username} exists`);
      const r = db
        .insert(users)
        .values({ username: input.username, role: input.role, source, passwordHash, createdAt: iso(), updatedAt: iso() })
        .returning()
        .get();
      return toUser(r);
    },

    /** A password change ends the user's sessions; a role change applies to the next request. */
    async updateUser(username: string, change: { role?: Role; password?: string }): Promise<User> {
      const r = row(username);
      if (!r) throw new AccountError(404, `no user ${username}`);
      if (change.role && r.role === 'admin' && change.role !== 'admin' && adminCount() <= 1) {
        throw new AccountError(409, `${username} is the last admin`);
      }
      if (change.password && r.source !== 'local') throw new AccountError(400, `${username} logs in with git; it has no password here`);
      const passwordHash = change.password ? await hashPassword(change.password) : r.passwordHash;
      const updated = db
        .update(users)
        .set({ role: change.role ?? r.role, passwordHash, updatedAt: iso() })
        .where(eq(users.id, r.id))
        .returning()
        .get();
      if (change.password) db.delete(sessions).where(eq(sessions.userId, r.id)).run();
      return toUser(updated);
    },

    /** Sessions and tokens go with the user (ON DELETE CASCADE). */
    deleteUser(username: string): void {
      const r = row(username);
      if (!r) throw new AccountError(404, `no user ${username}`);
      if (r.role === 'admin' && adminCount() <= 1) throw new AccountError(409, `${username} is the last admin`);
      db.delete(users).where(eq(users.id, r.id)).run();
    },

    /** The user when `password` is theirs; null otherwise, in the same time whether or not the user exists. */
    async checkPassword(username: string, password: string): Promise<User | null> {
      const r = row(username);
      if (!r?.passwordHash) {
        await burnPasswordCheck(password);
        return null;
      }
      return (await verifyPassword(password, r.passwordHash)) ? toUser(r) : null;
    },

    createSession(userId: number, ttlMs: number): SessionGrant {
      const token = newToken('session');
      const csrf = newToken('csrf');
      const expiresAt = new Date(now().getTime() + ttlMs).toISOString();
      db.delete(sessions).where(lt(sessions.expiresAt, iso())).run();
      db.insert(sessions).values({ idHash: sha256(token), userId, csrfHash: sha256(csrf), createdAt: iso(), expiresAt }).run();
      return { token, csrf, expiresAt };
    },

    sessionFor(token: string): SessionMatch | null {
      const idHash = sha256(token);
      const r = db.select().from(sessions).innerJoin(users, eq(sessions.userId, users.id)).where(eq(sessions.idHash, idHash)).get();
      if (!r) return null;
      if (r.sessions.expiresAt <= iso()) {
        db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
        return null;
      }
      return { user: toUser(r.users), idHash, csrfHash: r.sessions.csrfHash };
    },

    endSession(idHash: string): void {
      db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
    },

    /** `role` defaults to the owner's and may not exceed it. */
    createApiToken(owner: User, name: string, role: Role = owner.role): { token: string; view: TokenView } {
      if (!atLeast(owner.role, role)) throw new AccountError(403, `a token cannot have role ${role} above its owner's (${owner.role})`);
      const existing = db.select().from(apiTokens).where(and(eq(apiTokens.userId, owner.id), eq(apiTokens.name, name))).get();
      if (existing) throw new AccountError(409, `${owner.username} already has a token named ${name}`);
      const token = newToken('api');
      const r = db
        .insert(apiTokens)
        .values({ id: newTokenId(), userId: owner.id, name, role, tokenHash: sha256(token), createdAt: iso() })
        .returning()
        .get();
      return { token, view: { id: r.id, name, role, user: owner.username, createdAt: r.createdAt, lastUsedAt: null, revokedAt: null } };
    },

    /** All tokens, or only those of `ownerId`. */
    listApiTokens(ownerId?: number): TokenView[] {
      return db
        .select({
          id: apiTokens.id,
          name: apiTokens.name,
          role: apiTokens.role,
          user: users.username,
          createdAt: apiTokens.createdAt,
          lastUsedAt: apiTokens.lastUsedAt,
          revokedAt: apiTokens.revokedAt,
        })
        .from(apiTokens)
        .innerJoin(users, eq(apiTokens.userId, users.id))
        .where(ownerId === undefined ? undefined : eq(apiTokens.userId, ownerId))
        .orderBy(users.username, apiTokens.name)
        .all();
    },

    /** Revoked tokens stay listed (with revokedAt) so the audit trail's ids keep meaning. */
    revokeApiToken(id: string, ownerId?: number): TokenView {
      const r = db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
      if (!r || (ownerId !== undefined && r.userId !== ownerId)) throw new AccountError(404, `no token ${id}`);
      db.update(apiTokens).set({ revokedAt: iso() }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).run();
      const view = accounts.listApiTokens(r.userId).find((t) => t.id === id);
      if (!view) throw new AccountError(404, `no token ${id}`);
      return view;
    },

    tokenFor(token: string): TokenMatch | null {
      const r = db
        .select()
        .from(apiTokens)
        .innerJoin(users, eq(apiTokens.userId, users.id))
        .where(eq(apiTokens.tokenHash, sha256(token)))
        .get();
      if (!r || r.api_tokens.revokedAt) return null;
      const t = now().getTime();
      if (!r.api_tokens.lastUsedAt || t - Date.parse(r.api_tokens.lastUsedAt) > LAST_USED_EVERY_MS) {
        db.update(apiTokens).set({ lastUsedAt: iso() }).where(eq(apiTokens.id, r.api_tokens.id)).run();
      }
      const user = toUser(r.users);
      return { user, tokenId: r.api_tokens.id, role: lower(r.api_tokens.role, user.role) };
    },

    /** The plain token when one was created now; null when the node already has one. */
    ensureAgentToken(node: string): string | null {
      if (db.select().from(agentTokens).where(eq(agentTokens.node, node)).get()) return null;
      return accounts.rotateAgentToken(node);
    },

    /** A new token for the node; the old one stops working at once. */
    rotateAgentToken(node: string): string {
      const token = newToken('agent');
      db.insert(agentTokens)
        .values({ node, tokenHash: sha256(token), createdAt: iso() })
        .onConflictDoUpdate({ target: agentTokens.node, set: { tokenHash: sha256(token), createdAt: iso() } })
        .run();
      return token;
    },

    /** 'ok', or why not (for the log; the caller answers the same refusal either way). */
    checkAgent(node: string, token: string): 'ok' | 'unknown-node' | 'bad-token' {
      const r = db.select().from(agentTokens).where(eq(agentTokens.node, node)).get();
      if (!r) return 'unknown-node';
      return matchesHash(token, r.tokenHash) ? 'ok' : 'bad-token';
    },
  };
  return accounts;
}

export type Accounts = ReturnType<typeof createAccounts>;
