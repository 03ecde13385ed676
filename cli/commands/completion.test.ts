// The completion scripts, run in the real shells where they are installed: bash completes commands,
// subcommands, options and -o values from the command tree.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sdp = (...args: string[]): string => execFileSync(process.execPath, [join(ROOT, 'bin', 'sdp.js'), ...args], { encoding: 'utf8' });

/** What bash offers after `words` (the last one being completed). */
function complete(script: string, words: string[]): string[] {
  const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _sdp; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', line], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('sdp completion', () => {
  const bash = sdp('completion', 'bash');

  it('bash: commands, subcommands, options and choices', () => {
    expect(complete(bash, ['sdp', 'to'])).toEqual(['token']);
    expect(complete(bash, ['sdp', 'token', ''])).toEqual(expect.arrayContaining(['create', 'list', 'revoke', 'agent']));
    expect(complete(bash, ['sdp', 'status', '--o'])).toEqual(['--output']);
    expect(complete(bash, ['sdp', 'token', 'list', '-o', 'y'])).toEqual(['yaml']);
    expect(complete(bash, ['sdp', 'sync', 'x', '--ti'])).toEqual(['--timeout']);
  });

  it('zsh loads the bash script through bashcompinit; fish gets its own', () => {
    expect(sdp('completion', 'zsh')).toContain('autoload -U +X bashcompinit && bashcompinit');
    const fish = sdp('completion', 'fish');
    const commands = fish.match(/complete -c sdp -n '__fish_use_subcommand' -a '([^']+)'/)?.[1]?.split(' ');
    expect(commands).toEqual(expect.arrayContaining(['up', 'server', 'agent', 'validate', 'plan', 'status', 'get', 'sync', 'logs', 'history', 'rollback', 'token', 'secret', 'user']));
    expect(fish).toMatch(/complete -c sdp -n '__fish_seen_subcommand_from list; and __fish_seen_subcommand_from token' -l output -s o -x -a 'text json yaml wide'/);
  });
});
