// Who is signed in and what their role lets them do (DESIGN: viewer < qa (sync) < lead (prune) < admin).
import { ROLES as ORDER } from '../../../schema/api.ts';
import type { Me, Role } from './api.ts';

class Session {
  me = $state<Me | null>(null);

  atLeast(role: Role): boolean {
    return this.me !== null && ORDER.indexOf(this.me.role) >= ORDER.indexOf(role);
  }
  /** null when allowed, else the reason shown next to the disabled control */
  get syncBlocked(): string | null {
    return this.atLeast('qa') ? null : `Your role (${this.me?.role ?? 'none'}) may not sync; qa or above can.`;
  }
  /** rollback, pin, unpin and snapshots need qa, as a sync does */
  get rollbackBlocked(): string | null {
    return this.atLeast('qa') ? null : `Your role (${this.me?.role ?? 'none'}) may not roll back, pin or unpin; qa or above can.`;
  }
  get pruneBlocked(): string | null {
    return this.atLeast('lead') ? null : `Your role (${this.me?.role ?? 'none'}) may not prune; lead or above can.`;
  }
}

export const session = new Session();
