// `sdp up` idle memory: the demo specs (specs/), a fresh data dir, the local agent connected, no
// sync; RSS read from /proc after it settles. Target: at most 150 MB.
// Uses port 26610 (t-core range); creates no Docker objects (nothing is synced).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SETTLE_MS = 15_000;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function run(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 't-core-bench-up-'));
  const child = spawn('node', ['bin/sdp.js', 'up', '--specs', 'specs', '--data', data, '--port', '26610'], {
    cwd: ROOT,
    env: { ...process.env, SDP_ADMIN_PASSWORD: 'bench-admin-password-1', SDP_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sdp up did not start within 30 s')), 30_000);
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('sdp up on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`sdp up exited with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rss = rssMb(child.pid ?? 0);
    console.log(`sdp up idle on the demo specs: RSS ${rss.toFixed(0)} MB after ${SETTLE_MS / 1000} s (target <= 150 MB: ${rss <= 150 ? 'met' : 'MISSED'})`);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}
