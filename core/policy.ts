// The auto-sync policy: which sandboxes to sync now without being asked, from their evaluation and
// their last sync attempt. Pure: the caller owns the clock, the timers and the executor.
// - ttl: an expired sandbox is suspended (once per desired state);
// - automated: the bound desired state (revision + commits) differs from the last sync attempt;
//   a state whose sync failed is never re-applied automatically (cf. argo-cd#9570);
// - selfHeal: live drifted from a state that was synced successfully; retried with backoff;
// - pinned (a rollback, `sdp pin`): neither automated nor selfHeal touch it, whatever drifts, until
//   it is unpinned (cf. argo-cd#5351, where auto-sync undoes a rollback); its ttl still applies,
//   pinning holds versions, not a forgotten sandbox's lifetime.
import type { SyncStatus } from '../schema/api.ts';
import type { DesiredSandbox } from '../schema/desired.ts';

export type AutoTrigger = 'automated' | 'self-heal' | 'ttl';

export interface AutoSyncRequest {
  sandbox: string;
  trigger: AutoTrigger;
  prune: boolean;
}

/** What the policy reads of one sandbox. */
export interface PolicySandbox {
  name: string;
  /** undefined for an orphan: nothing asks for it, only a manual sync with prune removes it */
  syncPolicy: DesiredSandbox['syncPolicy'] | undefined;
  sync: SyncStatus;
  /** a branch did not resolve: its desired state is not known, so nothing is applied */
  unresolved: boolean;
  expired: boolean;
  /** pinned to a recorded state (a rollback): only its ttl may sync it */
  pinned: boolean;
  /** a sync of it is running */
  syncing: boolean;
  /** identity of what a sync would apply now */
  fingerprint: string;
  /** the last finished sync attempt */
  lastAttempt: { fingerprint: string; ok: boolean } | undefined;
}

/** Self-heal backoff of one sandbox: attempts made since it was last Synced, and when the next may start. */
export interface HealBackoff {
  attempts: number;
  nextAt: number;
}

export interface PolicyDecision {
  start: AutoSyncRequest[];
  /** the backoff state to keep for the next decision */
  heal: Map<string, HealBackoff>;
  /** when to decide again for a self-heal waiting out its backoff (epoch ms) */
  wakeAt: number | undefined;
}

export const HEAL_BACKOFF_MS = { first: 5_000, max: 5 * 60_000 } as const;

export function decideAutoSyncs(sandboxes: Iterable<PolicySandbox>, heal: ReadonlyMap<string, HealBackoff>, now: number): PolicyDecision {
  const start: AutoSyncRequest[] = [];
  const next = new Map(heal);
  let wakeAt: number | undefined;
  for (const s of sandboxes) {
    const policy = s.syncPolicy;
    if (!policy) continue;
    if (s.sync === 'Synced') next.delete(s.name);
    if (s.sync !== 'OutOfSync' || s.unresolved || s.syncing) continue;
    const sameAsLast = s.lastAttempt?.fingerprint === s.fingerprint;
    if (s.expired) {
      if (!sameAsLast) start.push({ sandbox: s.name, trigger: 'ttl', prune: false });
      continue;
    }
    if (s.pinned) {
      next.delete(s.name);
      continue;
    }
    if (policy.automated && !sameAsLast) {
      start.push({ sandbox: s.name, trigger: 'automated', prune: policy.prune });
      continue;
    }
    if (policy.selfHeal && sameAsLast && s.lastAttempt?.ok) {
      const h = next.get(s.name) ?? { attempts: 0, nextAt: 0 };
      if (now >= h.nextAt) {
        const delay = Math.min(HEAL_BACKOFF_MS.first * 2 ** h.attempts, HEAL_BACKOFF_MS.max);
        next.set(s.name, { attempts: h.attempts + 1, nextAt: now + delay });
        start.push({ sandbox: s.name, trigger: 'self-heal', prune: policy.prune });
      } else {
        wakeAt = Math.min(wakeAt ?? Infinity, h.nextAt);
      }
    }
  }
  return { start, heal: next, wakeAt };
}
