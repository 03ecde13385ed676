// Roles are ordered: each one can do everything the ones before it can.
// viewer reads; qa syncs; lead syncs with prune and sets secrets; admin manages users and tokens.
export const ROLES = ['viewer', 'qa', 'lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];

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
