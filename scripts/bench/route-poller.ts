// The versus bench's stopwatch, in a process of its own: polls every route through a gateway until
// each answers 200. Out of process so that it takes no turns of the event loop of what it measures
// (the sdp stack runs inside the bench process; docker and compose run outside it): every contender
// is polled the same way. Driven over IPC by versus.bench.ts: {port, services, gateway, budgetMs} ->
// {ok} | {error}.
//
// The routes are polled once the gateway's container runs (asked of Docker's API every few ms), not
// before: until then a request to the published port makes docker-proxy dial an address no container
// answers yet, the host's ARP entry for it goes unresolved, and the kernel asks again only a second
// later, so every contender would get up to a second added at random by its own stopwatch.
import { request } from 'node:http';
import { httpGet } from '../../agent/testing/fixtures.ts';

interface Ask {
  port: number;
  services: string[];
  /** the gateway's possible container names (one of them runs once it has started) */
  gateway: string[];
  budgetMs: number;
}

function running(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: '/var/run/docker.sock', path: `/containers/${encodeURIComponent(name)}/json` }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { State?: { Running?: boolean } }).State?.Running === true);
        } catch {
          resolve(false);
        }
      });
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function allAnswer({ port, services, gateway, budgetMs }: Ask): Promise<void> {
  const pending = new Set(services);
  const deadline = performance.now() + budgetMs;
  while (!(await Promise.all(gateway.map(running))).some(Boolean)) {
    if (performance.now() > deadline) throw new Error(`no gateway container (${gateway.join(', ')}) ran within ${budgetMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
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
