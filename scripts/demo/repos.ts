// The demo's git repositories: one real bare repo per service, with the branches the example specs
// deploy. Each service is a tiny HTTP server with no image of its own: `build.sh` writes static
// answers into public/ and the spec runs `httpd -f -p 8080 -h /src/public` in sdp/busybox:local.
//
//   node --import tsx scripts/demo/repos.ts [DIR]   (default <project>/.sdp/demo/repos)
//
// Idempotent: a missing repo or branch is created, existing ones are left exactly as they are (a
// commit pushed since, by a person or a test, stays). The end-to-end tests call these functions on
// a temp dir.
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { git } from './git.ts';

export const DEMO_SERVICES = ['account', 'payment', 'user', 'notification'] as const;
export const BASE_BRANCH = 'develop';

export interface DemoBranch {
  name: string;
  /** false: build.sh writes no public/health, so the health check fails and the deploy rolls back */
  healthy: boolean;
}

/** Branches besides `develop`, by service. */
export const DEMO_BRANCHES: Record<string, DemoBranch[]> = {
  account: [
    { name: 'feature/login-error', healthy: true },
    { name: 'feature/broken-health', healthy: false },
  ],
  payment: [{ name: 'feature/refund', healthy: true }],
};

/** Where `npm run demo` keeps its repos; the example specs name them `../.sdp/demo/repos/<name>.git`. */
export const DEFAULT_REPOS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../.sdp/demo/repos');

export function repoPath(reposDir: string, service: string): string {
  return join(reposDir, `${service}.git`);
}

/** What a service answers on every path but /health: its name, the branch and commit it was built from. */
export interface ServiceAnswer {
  service: string;
  branch: string;
  commit: string;
}

/** The files of `service` as committed on `branch`. */
export function serviceFiles(service: string, branch: DemoBranch): Record<string, string> {
  const health = branch.healthy
    ? 'echo ok > public/health\n'
    : '# This branch forgot its health endpoint: /health answers 404, the deploy fails its health\n' +
      '# check and sdp rolls back to the container that ran before.\n';
  const buildSh =
    `#!/bin/sh\n` +
    `# Builds the ${service} demo service: static answers for busybox httpd (-h /src/public).\n` +
    `# The worktree's HEAD is detached, so the branch comes from the BRANCH file committed on each\n` +
    `# branch, the commit from git (SDP_COMMIT where git is not at hand).\n` +
    `set -eu\n` +
    `commit=$(git rev-parse HEAD 2>/dev/null || echo "\${SDP_COMMIT:-unknown}")\n` +
    `branch=$(cat BRANCH)\n` +
    `rm -rf public\n` +
    `mkdir -p public\n` +
    `answer="{\\"service\\":\\"${service}\\",\\"branch\\":\\"$branch\\",\\"commit\\":\\"$commit\\"}"\n` +
    `echo "$answer" > public/index.html\n` +
    `# the gateway strips /${service}: /${service}/rest arrives here as /rest\n` +
    `echo "$answer" > public/rest\n` +
    health;
  return {
    'build.sh': buildSh,
    BRANCH: `${branch.name}\n`,
    '.gitignore': 'public/\n',
    'README.md':
      `# ${service} (sdp demo)\n\n` +
      `A stand-in service for the sdp demo. \`sh build.sh\` writes public/; busybox httpd serves it on\n` +
      `port 8080: \`/\` and \`/rest\` answer {service, branch, commit}, \`/health\` answers ok.\n`,
  };
}

/** The commit `branch` points at in the repo, or undefined when there is no such branch. */
export async function branchHead(repo: string, branch: string): Promise<string | undefined> {
  const out = await git(repo, 'for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`);
  return out || undefined;
}

/**
 * Commits `files` (path -> content; null deletes) on `branch` of the bare `repo` and pushes it, the
 * way a developer would. A missing branch starts from `from` (or as the first branch of an empty
 * repo). Answers the new commit.
 */
export async function commitFiles(
  repo: string,
  branch: string,
  files: Record<string, string | null>,
  message: string,
  opts: { from?: string } = {},
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'sdp-demo-commit-'));
  try {
    await git(work, 'clone', '-q', repo, '.');
    if (await branchHead(repo, branch)) await git(work, 'checkout', '-q', '-B', branch, `origin/${branch}`);
    else if (opts.from) await git(work, 'checkout', '-q', '-b', branch, `origin/${opts.from}`);
    else await git(work, 'checkout', '-q', '--orphan', branch);
    for (const [path, content] of Object.entries(files)) {
      const file = join(work, path);
      if (content === null) {
        if (existsSync(file)) await unlink(file);
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
      }
    }
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '--allow-empty', '-m', message);
    await git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return await git(work, 'rev-parse', 'HEAD');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Makes the bare repo of `service` under `reposDir` with its branches, where missing. Answers its path. */
export async function ensureDemoRepo(reposDir: string, service: string): Promise<string> {
  const repo = repoPath(reposDir, service);
  if (!existsSync(join(repo, 'HEAD'))) {
    await mkdir(repo, { recursive: true });
    await git(repo, 'init', '-q', '--bare', `--initial-branch=${BASE_BRANCH}`);
  }
  if (!(await branchHead(repo, BASE_BRANCH))) {
    await commitFiles(repo, BASE_BRANCH, serviceFiles(service, { name: BASE_BRANCH, healthy: true }), `${service}: first version`);
  }
  for (const branch of DEMO_BRANCHES[service] ?? []) {
    if (await branchHead(repo, branch.name)) continue;
    await commitFiles(repo, branch.name, serviceFiles(service, branch), `${service}: ${branch.name}`, { from: BASE_BRANCH });
  }
  return repo;
}

/** Every demo repo under `reposDir`, made where missing. Answers service -> bare repo path. */
export async function ensureDemoRepos(
  reposDir: string,
  services: readonly string[] = DEMO_SERVICES,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // one after the other: each is a handful of quick git commands, and the machine has 2 cores
  for (const service of services) out[service] = await ensureDemoRepo(reposDir, service);
  return out;
}

async function main(): Promise<void> {
  const reposDir = resolve(process.argv[2] ?? DEFAULT_REPOS_DIR);
  const repos = await ensureDemoRepos(reposDir);
  for (const [service, repo] of Object.entries(repos)) {
    const branches = await git(repo, 'for-each-ref', '--format=%(refname:short) %(objectname:short)', 'refs/heads');
    console.log(`  ${service.padEnd(13)} ${repo}\n${branches.split('\n').map((b) => `      ${b}`).join('\n')}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`[demo] repos: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
