// The demo's git "host": a post-receive hook in each demo repository that tells sdp about every push
// with a signed POST /api/webhooks/git, as GitHub or GitLab would. With it, a push to a feature
// branch of account reaches its preview sandbox (SandboxSet account-previews) without a refresh.
//
//   node --import tsx scripts/demo/push-hook.ts REPOS_DIR SERVER_URL SECRET_FILE
//
// The hook reads the secret from SECRET_FILE at each push (never copies it into the repository) and
// does nothing when the file is gone or sdp does not answer: a push never fails because of it.
import { chmod, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEMO_SERVICES, repoPath } from './repos.ts';

// plain node (no tsx): the hook runs on every push, so it must start fast
const SIGN_AND_POST = [
  "const [file, url] = process.argv.slice(1);",
  "const secret = require('fs').readFileSync(file, 'utf8').trim();",
  "const body = JSON.stringify({ ref: 'push' });",
  "const sig = 'sha256=' + require('crypto').createHmac('sha256', secret).update(body).digest('hex');",
  "fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, body, signal: AbortSignal.timeout(3000) }).catch(() => {});",
].join(' ');

export function hookScript(server: string, secretFile: string): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
# Installed by the sdp demo (scripts/demo/push-hook.ts): tells sdp about this push, signed with the
# webhook secret, as a git host's webhook would. Never fails the push.
[ -f ${quote(secretFile)} ] || exit 0
node -e ${quote(SIGN_AND_POST)} ${quote(secretFile)} ${quote(`${server}/api/webhooks/git`)} >/dev/null 2>&1 || true
`;
}

/** Writes the hook into every demo repository (again on each demo start: the server URL may differ). */
export async function installPushHooks(reposDir: string, server: string, secretFile: string): Promise<void> {
  const script = hookScript(server, resolve(secretFile));
  for (const service of DEMO_SERVICES) {
    const hook = join(repoPath(reposDir, service), 'hooks', 'post-receive');
    await writeFile(hook, script);
    await chmod(hook, 0o755);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [reposDir, server, secretFile] = process.argv.slice(2);
  if (!reposDir || !server || !secretFile) {
    console.error('usage: push-hook.ts REPOS_DIR SERVER_URL SECRET_FILE');
    process.exit(2);
  }
  await installPushHooks(reposDir, server, secretFile);
}
