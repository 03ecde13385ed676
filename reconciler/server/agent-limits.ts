// What /ws/agent allows a socket that has not said a valid hello yet (anyone with any bearer string
// gets that far), and how long an agent may stay silent after it. Pure: the hub does the I/O.
export interface AgentSocketLimits {
  /** a valid hello must arrive this soon after the upgrade */
  helloTimeoutMs: number;
  /** bytes a socket may send before its hello (a hello is well under 1 KiB) */
  preHelloBytes: number;
  /** largest frame after hello (an inventory of many containers) */
  maxPayloadBytes: number;
  /** a ping this often after hello; no pong by the next one closes the socket */
  pingIntervalMs: number;
  /** sockets waiting for their hello, per remote address and in all */
  pendingPerAddress: number;
  pendingTotal: number;
  /** log lines and audit rows about refused or misbehaving sockets, per address and kind, per minute */
  reportsPerMinute: number;
}

export const AGENT_SOCKET_LIMITS: AgentSocketLimits = {
  helloTimeoutMs: 10_000,
  preHelloBytes: 64 * 1024,
  maxPayloadBytes: 32 * 1024 * 1024,
  pingIntervalMs: 15_000,
  pendingPerAddress: 8,
  pendingTotal: 128,
  reportsPerMinute: 5,
};

/** Counts sockets waiting for their hello, by remote address. */
export class PendingSockets {
  private readonly byAddress = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: Pick<AgentSocketLimits, 'pendingPerAddress' | 'pendingTotal'>) {}

  /** Takes a slot for `address`; false (nothing taken) when its or the total cap is reached. */
  take(address: string): boolean {
    const n = this.byAddress.get(address) ?? 0;
    if (n >= this.limits.pendingPerAddress || this.total >= this.limits.pendingTotal) return false;
    this.byAddress.set(address, n + 1);
    this.total++;
    return true;
  }

  release(address: string): void {
    const n = this.byAddress.get(address) ?? 0;
    if (n <= 0) return;
    if (n === 1) this.byAddress.delete(address);
    else this.byAddress.set(address, n - 1);
    this.total--;
  }

  count(address?: string): number {
    return address === undefined ? this.total : (this.byAddress.get(address) ?? 0);
  }
}
