// What the reconcile loop tells the notifications: a sync started or finished (the executor), a
// sandbox's published status changed (the publisher). One small interface, so the loop does not
// know who listens; a listener must return at once and never throw into the loop.
import type { SyncEvent } from '../../core/notify/events.ts';
import type { SandboxSummary } from '../../schema/api.ts';

export type { SyncEvent };

export interface EventSink {
  sync(e: SyncEvent): void;
  /** a sandbox's summary as published changed; `prev` undefined: first seen; `next` undefined: gone */
  sandbox(prev: SandboxSummary | undefined, next: SandboxSummary | undefined): void;
}
