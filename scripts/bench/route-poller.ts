// The versus bench's stopwatch, in a process of its own: polls every route through a gateway until
// each answers 200. Out of process so that it takes no turns of the event loop of what it measures
// (the sdp stack runs inside the bench process; docker and compose run outside it): every contender
// is polled the same way. Driven over IPC by versus.bench.ts: {port, services, budgetMs} -> {ok} | {error}.
import { httpGet } from '../../agent/testing/fixtures.ts';

interface Ask {
  port: number;
  services: string[];
  budgetMs: number;
}

async function allAnswer({ port, services, budgetMs }: Ask): Promise<void> {
  const pending = new Set(services);
  const deadline = performance.now() + budgetMs;
  while (pending.size > 0) {
    if (performance.now() > deadline) throw new Error(`routes ${[...pending].join(', ')} did not answer on :${port} within ${budgetMs} ms`);
    await Promise.all(
      [...pending].map(async (s) => {
        if ((await httpGet(`http://127.0.0.1:${port}/${s}/health`, 500)).status === 200) pending.delete(s);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
}

process.on('message', (ask: Ask) => {
  allAnswer(ask).then(
    () => process.send?.({ ok: true }),
    (err: Error) => process.send?.({ ok: false, error: err.message }),
  );
});
process.send?.({ ready: true });
