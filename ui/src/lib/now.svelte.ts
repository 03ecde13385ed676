// One ticking clock for relative times ("3m ago", TTL left), shared so pages do not each start timers.
class Now {
  value = $state(Date.now());
  constructor() {
    if (typeof window !== 'undefined') setInterval(() => (this.value = Date.now()), 15_000);
  }
}
export const now = new Now();
