// Measures how long a URL goes without an answer, as a client sees it: polls it back to back until
// stop() and reports the longest time between two answers (a request that hangs, then fails or
// succeeds, counts in full).
import { request } from 'node:http';

export interface Outage {
  /** the longest time between two answers, in ms (a few ms when the URL always answered) */
  longestMs: number;
  requests: number;
  failed: number;
}

export function watchOutage(url: string, pollMs = 5): { stop(): Promise<Outage> } {
  let running = true;
  let longestMs = 0;
  let requests = 0;
  let failed = 0;
  let lastAnswer = performance.now();
  const loop = (async () => {
    while (running) {
      requests++;
      const ok = await answers(url);
      const now = performance.now();
      if (ok) {
        longestMs = Math.max(longestMs, now - lastAnswer);
        lastAnswer = now;
      } else {
        failed++;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    longestMs = Math.max(longestMs, performance.now() - lastAnswer);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { longestMs, requests, failed };
    },
  };
}

/**
 * One GET on a fresh connection: true for any 2xx answer within a second. node:http rather than fetch:
 * a pending fetch does not keep the process alive on its own (a bench outside vitest exits with 13).
 */
export function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
