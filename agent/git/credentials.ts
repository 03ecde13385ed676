// One-shot git credentials: the password reaches git only through the environment of the one git
// process that needs it, read back by a GIT_ASKPASS script that holds no secret itself. Nothing is
// written to .git/config, the credential helpers are switched off, and the remote URL has no userinfo.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials } from '../../schema/protocol.ts';
import { splitRepoUrl } from './url.ts';

const ASKPASS = `#!/bin/sh
# sdp: answers git's prompts from the environment of this one git process; holds no secret.
case "$1" in
  Username*|username*) printf '%s\\n' "$SDP_GIT_USERNAME" ;;
  *) printf '%s\\n' "$SDP_GIT_PASSWORD" ;;
esac
`;

/** Username used with a token when neither the job nor the URL names one (most hosts accept any). */
const DEFAULT_USERNAME = 'git';

export interface GitAuth {
  /** The repository URL without userinfo. */
  url: string;
  /** Env for the git process (empty when there are no credentials). */
  env: Record<string, string>;
  /** Strings to redact from anything that leaves the agent. */
  secrets: string[];
}

/** Every credential string a job for this repository carries (URL userinfo and job credentials). */
export function credentialSecrets(repo: string, creds?: Credentials): string[] {
  const split = splitRepoUrl(repo);
  return [split.username, split.password, creds?.username, creds?.password].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
}

/** Username: the job's, else the URL's, else 'git'; password: the job's, else the URL's. */
export function gitAuth(repo: string, askpassPath: string, creds?: Credentials): GitAuth {
  const split = splitRepoUrl(repo);
  const secrets = credentialSecrets(repo, creds);
  const password = creds?.password ?? split.password ?? (split.username && !creds ? '' : undefined);
  if (password === undefined) return { url: split.url, env: {}, secrets };
  const username = creds?.username ?? split.username ?? DEFAULT_USERNAME;
  return {
    url: split.url,
    env: { GIT_ASKPASS: askpassPath, SDP_GIT_USERNAME: username, SDP_GIT_PASSWORD: password },
    secrets,
  };
}

export async function writeAskpass(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'askpass.sh');
  await writeFile(path, ASKPASS);
  await chmod(path, 0o700);
  return path;
}
