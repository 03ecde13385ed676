// Login throttling: at most `max` failures per key (username + client IP) in a sliding window;
// beyond that the key is refused until its oldest failure leaves the window. Memory only: a restart
// forgets, which is acceptable for slowing password guessing.
export interface LimitCheck {
  allowed: boolean;
  /** seconds until the next attempt is allowed (when not allowed) */
  retryAfter: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  check(key: string): LimitCheck {
    const recent = this.recent(key);
    if (recent.length < this.max) return { allowed: true, retryAfter: 0 };
    const oldest = recent[recent.length - this.max] ?? this.now();
    return { allowed: false, retryAfter: Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000)) };
  }

  fail(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.set(key, recent);
    if (this.failures.size > 10_000) this.sweep();
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) {
      const recent = this.recent(key);
      if (recent.length === 0) this.failures.delete(key);
      else this.failures.set(key, recent);
    }
  }
}

/**
 * Rate-limits reports (log lines, audit rows) about what callers do: at most `max` per key in the
 * window; the rest are counted, and the next report let through carries that count. A caller who
 * sends 20,000 bad frames makes a few lines, not 20,000.
 */
export class ReportGate {
  private readonly limiter: FailureLimiter;
  private readonly dropped = new Map<string, number>();

  constructor(max = 5, windowMs = 60_000, now: () => number = Date.now) {
    this.limiter = new FailureLimiter(max, windowMs, now);
  }

  /** null: drop this report; else how many reports of `key` were dropped since the last one let through. */
  pass(key: string): { suppressed: number } | null {
    if (!this.limiter.check(key).allowed) {
      if (this.dropped.size < 10_000 || this.dropped.has(key)) this.dropped.set(key, (this.dropped.get(key) ?? 0) + 1);
      return null;
    }
    this.limiter.fail(key);
    const suppressed = this.dropped.get(key) ?? 0;
    this.dropped.delete(key);
    return { suppressed };
  }
}
