// Roles are ordered: each one can do everything the ones before it can.
// viewer reads; qa syncs, rolls back, pins and unpins; lead syncs with prune and sets secrets; admin manages users and tokens.
import { ROLES, type Role } from '../../schema/api.ts';

export { ROLES, type Role };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** true when `role` is `needed` or above it */
export function atLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function lower(a: Role, b: Role): Role {
  return atLeast(a, b) ? b : a;
}

/** The role a sync needs: pruning removes resources, so it is a lead's decision. */
export function roleForSync(opts: { prune?: boolean }): Role {
  return opts.prune ? 'lead' : 'qa';
}
