// The worst a specs folder can cost within the bounds (reconciler/specs/limits.ts): 16 files of
// 255 KiB of junk YAML (`- [ unclosed: { a: b` lines; 4 MiB, the total limit) compiled with
// compileSpecsDir as the reconciler does. Figures: the whole compile, the longest the event loop is
// blocked (the API answers between files; budget < 2 s), the errors kept, and resident memory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compileSpecsDir } from '../../reconciler/specs/compile.ts';
import { SPEC_LIMITS } from '../../reconciler/specs/limits.ts';

const FILES = 16;
const STALL_BUDGET_MS = 2000;
const LINE = '- [ unclosed: { a: b\n';

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sdp-bench-hostile-'));
  try {
    const text = LINE.repeat(Math.floor((SPEC_LIMITS.fileBytes - 1024) / LINE.length));
    for (let i = 0; i < FILES; i++) await writeFile(join(dir, `junk-${String(i).padStart(2, '0')}.yaml`), text);
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const t0 = performance.now();
    const result = await compileSpecsDir(dir);
    const ms = performance.now() - t0;
    delay.disable();
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const stall = delay.max / 1e6;
    const errors = result.ok ? 0 : result.errors.length;
    console.log(
      `hostile specs: ${FILES} x ${Math.round(text.length / 1024)} KiB of junk YAML compiled in ${ms.toFixed(0)} ms; ` +
        `longest event-loop stall ${stall.toFixed(0)} ms (budget < ${STALL_BUDGET_MS} ms) ${stall < STALL_BUDGET_MS ? 'OK' : 'OVER BUDGET'}; ` +
        `${errors} errors kept; RSS ${Math.round(rss0 / 1e6)} -> peak ${Math.round(rssPeak / 1e6)} MB (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );
    if (result.ok || errors > SPEC_LIMITS.errors + 1) throw new Error(`expected a rejected compile with at most ${SPEC_LIMITS.errors + 1} errors, got ${errors}`);
    if (stall >= STALL_BUDGET_MS) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
