// "Something changed": the one signal every source of change (spec revision, inventory, event,
// branch head, secret, job end, agent up/down) raises, and the reconcile loop listens to. Made
// first, so the parts that raise it need nothing of the parts that react to it.
export interface Change {
  /** the revision or the agents changed, so the full status is pushed too */
  status?: boolean;
  /**
   * only live state changed (an inventory or event): the loop then re-evaluates just the sandboxes
   * whose live objects changed. Anything else (revision, branch head, secret, agents) re-evaluates all.
   */
  liveOnly?: boolean;
  /**
   * a new revision and nothing else (branch heads, secrets and agents as they were): a sandbox whose
   * compiled object the revision kept (core/share.ts) and whose live objects did not change keeps
   * its evaluation, under the new revision's id
   */
  revision?: boolean;
}

export type ChangeListener = (change: Change) => void;

export class Changes {
  private readonly listeners: ChangeListener[] = [];

  notify(change: Change = {}): void {
    for (const l of this.listeners) l(change);
  }

  subscribe(l: ChangeListener): void {
    this.listeners.push(l);
  }
}
