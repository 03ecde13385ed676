// Child processes (git, host builds) get the agent's environment without its SDP_ settings (the agent
// token must never reach a build script or a git hook), plus what a run adds.
import { describe, expect, it } from 'vitest';
import { run } from './exec.ts';

describe('run', () => {
  it("gives the child the agent's environment minus SDP_ settings, plus the run's own variables", async () => {
    process.env['SDP_EXEC_TEST_TOKEN'] = 'must-not-leak-3f9a';
    try {
      const { code, stdout } = await run('sh', ['-c', 'env'], { env: { EXEC_TEST_EXTRA: 'added' } });
      expect(code).toBe(0);
      expect(stdout).not.toContain('must-not-leak-3f9a');
      expect(stdout).toContain('EXEC_TEST_EXTRA=added');
      expect(stdout).toMatch(/^PATH=/m);
    } finally {
      delete process.env['SDP_EXEC_TEST_TOKEN'];
    }
  });

  it('reports the exit code and output of a failing command', async () => {
    const r = await run('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });
});
