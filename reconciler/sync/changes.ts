// "Something changed": the one signal every source of change (spec revision, inventory, event,
// branch head, secret, job end, agent up/down) raises, and the reconcile loop listens to. Made
// first, so the parts that raise it need nothing of the parts that react to it.
export type ChangeListener = (statusChanged: boolean) => void;

export class Changes {
  private readonly listeners: ChangeListener[] = [];

  /** `statusChanged`: the revision or the agents changed, so the full status is pushed too. */
  notify(statusChanged = false): void {
    for (const l of this.listeners) l(statusChanged);
  }

  subscribe(l: ChangeListener): void {
    this.listeners.push(l);
  }
}
