// Plain git through the git binary, for the demo fixtures and the end-to-end tests. A fixed
// identity and no signing, so the fixtures build the same on any machine whatever its git config.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const IDENTITY = {
  GIT_AUTHOR_NAME: 'sdp demo',
  GIT_AUTHOR_EMAIL: 'demo@sdp.invalid',
  GIT_COMMITTER_NAME: 'sdp demo',
  GIT_COMMITTER_EMAIL: 'demo@sdp.invalid',
};

/** Runs `git args...` in `cwd` and answers its trimmed stdout; a failure carries git's stderr. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
      cwd,
      env: { ...process.env, ...IDENTITY, GIT_TERMINAL_PROMPT: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} (in ${cwd}): ${(e.stderr ?? '').trim() || e.message}`);
  }
}
