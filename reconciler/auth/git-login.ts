// Login against git: a user unknown here is let in when `git ls-remote` of a chosen repository
// succeeds with their username and password (they can read the team's code, so they may look at
// its sandboxes). The check is pluggable: `gitLoginVerifier(repo, lsRemote)` takes any ls-remote,
// e.g. one run as a `resolve` job on an agent; `lsRemoteWithGit` runs the local git binary.
import { execFile } from 'node:child_process';
import type { PasswordVerifier } from './routes.ts';
import { REDACTED } from '../../schema/names.ts';

export interface GitCredentials {
  username: string;
  password: string;
}

/** true: the credentials read the repo; false: refused; throws when git could not tell (unreachable, ...). */
export type LsRemote = (repo: string, credentials: GitCredentials) => Promise<boolean>;

export function gitLoginVerifier(repo: string, lsRemote: LsRemote = lsRemoteWithGit): PasswordVerifier {
  return (username, password) => lsRemote(repo, { username, password });
}

const AUTH_REFUSED = /Authentication failed|could not read (Username|Password)|HTTP[^\n]*\b40[13]\b|returned error: 40[13]|terminal prompts disabled/i;

/**
 * `git ls-remote --heads <repo>` with the credentials given as an Authorization header through
 * GIT_CONFIG_* environment variables: never in argv (visible in `ps`), in the URL, or on disk, and
 * no credential helper or prompt is consulted. http(s) repositories only.
 */
export function lsRemoteWithGit(repo: string, credentials: GitCredentials, timeoutMs = 15_000): Promise<boolean> {
  if (!/^https?:\/\//.test(repo)) return Promise.reject(new Error('git login needs an http(s) repository URL'));
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: '',
  };
  return new Promise((resolve, reject) => {
    execFile('git', ['ls-remote', '--heads', '--', repo], { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve(true);
      let said = String(stderr).split(basic).join(REDACTED);
      if (credentials.password.length >= 4) said = said.split(credentials.password).join(REDACTED);
      if (AUTH_REFUSED.test(said)) return resolve(false);
      reject(new Error(`git ls-remote ${repo} failed: ${said.trim().split('\n')[0] ?? 'no output'}`));
    });
  });
}
