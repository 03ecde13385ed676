// Baseline stand-ins: in real life the shared dev environment (e.g. an OpenShift cluster) that a
// sandbox routes every service it does not deploy to. Here one busybox httpd container per service
// answers {"service":"<name>","env":"baseline"} on a host port published on 0.0.0.0, so sandbox
// containers reach it as http://host.docker.internal:<port>.
//
//   node --import tsx scripts/demo/baseline.ts          start (or reuse) the demo's four
//   node --import tsx scripts/demo/baseline.ts --stop   remove them
//
// They are not sdp.managed: sdp never sees them as its own, they stand for something outside it.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BASELINE_IMAGE = 'sdp/busybox:local';

export interface BaselineSet {
  /** container name prefix: <prefix><service> */
  namePrefix: string;
  /** value of the `sdp.demo` label, so a set can be listed and removed as one */
  label: string;
  /** service -> host port */
  ports: Record<string, number>;
}

/** The demo's set (ports from the ARCHITECTURE.md demo range's neighbourhood, fixed in specs/). */
export const DEMO_BASELINES: BaselineSet = {
  namePrefix: 'sdp-demo-baseline-',
  label: 'baseline',
  ports: { account: 9181, payment: 9182, user: 9183, notification: 9184 },
};

/** What a baseline answers on every path but /health. */
export function baselineAnswer(service: string): string {
  return JSON.stringify({ service, env: 'baseline' });
}

/** The URL a sandbox container uses for the baseline of a service on `port`. */
export function baselineUrl(port: number): string {
  return `http://host.docker.internal:${port}`;
}

async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { maxBuffer: 4 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args[0]}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/**
 * Starts the baseline container of every service in `set`, reusing one already running with the
 * same port. Answers service -> the URL sandbox containers use.
 */
export async function ensureBaselines(set: BaselineSet): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const [service, port] of Object.entries(set.ports)) {
    const name = `${set.namePrefix}${service}`;
    const state = await docker('ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.State}} {{.Label "sdp.baseline-port"}}');
    if (state !== `running ${port}`) {
      if (state) await docker('rm', '-f', name);
      const answer = baselineAnswer(service);
      const script =
        `mkdir -p /www && echo '${answer}' > /www/index.html && cp /www/index.html /www/rest && ` +
        `echo ok > /www/health && exec httpd -f -p 8080 -h /www`;
      await docker(
        'run', '-d', '--name', name,
        '--label', `sdp.demo=${set.label}`, '--label', `sdp.baseline-port=${port}`,
        '--restart', 'unless-stopped',
        '-p', `0.0.0.0:${port}:8080`,
        BASELINE_IMAGE, 'sh', '-c', script,
      );
    }
    await waitForHttp(`http://127.0.0.1:${port}/health`, 10_000);
    urls[service] = baselineUrl(port);
  }
  return urls;
}

/** Removes every container of the set (by its label). */
export async function removeBaselines(set: BaselineSet): Promise<void> {
  const ids = await docker('ps', '-aq', '--filter', `label=sdp.demo=${set.label}`);
  if (ids) await docker('rm', '-f', ...ids.split('\n'));
}

async function main(): Promise<void> {
  if (process.argv.includes('--stop')) {
    await removeBaselines(DEMO_BASELINES);
    console.log('  baselines removed');
    return;
  }
  await ensureBaselines(DEMO_BASELINES);
  for (const [service, port] of Object.entries(DEMO_BASELINES.ports)) {
    console.log(`  ${service.padEnd(13)} http://127.0.0.1:${port}  (from sandboxes: ${baselineUrl(port)})`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`[demo] baselines: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
