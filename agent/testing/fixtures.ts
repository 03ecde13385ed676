// Test fixtures: real git repositories made in a temp dir (bare remote + pushes), container specs,
// and Docker cleanup of everything a test sandbox created.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { LABELS, type ContainerSpec } from '../../schema/container.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

/** A bare repository plus a work clone to commit and push branches from. */
export class TestRepo {
  readonly bare: string;
  private readonly work: string;

  constructor(root: string, name = 'app') {
    this.bare = join(root, `${name}.git`);
    this.work = join(root, `${name}-work`);
    mkdirSync(this.bare, { recursive: true });
    mkdirSync(this.work, { recursive: true });
    git(this.bare, 'init', '--bare', '-q', '-b', 'main');
    git(this.work, 'init', '-q', '-b', 'main');
    git(this.work, 'remote', 'add', 'origin', this.bare);
  }

  get url(): string {
    return `file://${this.bare}`;
  }

  /** Commits `files` on `branch` (created from `from` when new) and pushes it; returns the commit. */
  commit(branch: string, files: Record<string, string>, from = 'main'): string {
    const has = (ref: string) => {
      try {
        git(this.work, 'rev-parse', '--verify', '-q', ref);
        return true;
      } catch {
        return false;
      }
    };
    if (has(branch)) git(this.work, 'checkout', '-q', branch);
    else if (has('HEAD')) git(this.work, 'checkout', '-q', '-b', branch, from);
    else git(this.work, 'checkout', '-q', '-b', branch); // first commit of the repository
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.work, path)), { recursive: true });
      writeFileSync(join(this.work, path), content);
    }
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '-m', `${branch}: ${Object.keys(files).join(', ')}`);
    git(this.work, 'push', '-q', '-f', 'origin', branch);
    return git(this.work, 'rev-parse', 'HEAD');
  }

  /** Deletes `branch` here and on the remote, as `git push --delete` from a clone does. */
  deleteBranch(branch: string): void {
    git(this.work, 'checkout', '-q', 'main');
    git(this.work, 'branch', '-q', '-D', branch);
    git(this.work, 'push', '-q', 'origin', '--delete', branch);
  }
}

/** A web app that answers its branch: build.sh writes public/index.html and public/health. */
export function branchApp(branch: string, opts: { healthy?: boolean; marker?: string } = {}): Record<string, string> {
  const health = opts.healthy === false ? '' : 'echo ok > public/health\n';
  return {
    'build.sh': `set -e\nmkdir -p public\nrm -f public/health\necho "branch=${branch}${opts.marker ? ` ${opts.marker}` : ''}" > public/index.html\n${health}`,
    'static/index.html': `static ${branch}\n`,
    Dockerfile: 'FROM sdp/busybox:local\nCOPY . /app\nWORKDIR /app\nRUN sh build.sh\nCMD ["httpd", "-f", "-p", "8080", "-h", "/app/public"]\n',
  };
}

export const HOST_BUILD = { type: 'host' as const, command: 'sh build.sh', image: 'sdp/busybox:local', run: ['httpd', '-f', '-v', '-p', '8080', '-h', '/src/public'] };
export const FAST_HEALTH = { path: '/health', timeoutMs: 1000, retries: 5, intervalMs: 200 };

/** A ContainerSpec as the reconciler would compile it, with its spec hash. */
export function serviceSpec(p: Partial<ContainerSpec> & { sandbox: string; service: string }): ContainerSpec {
  const spec: Omit<ContainerSpec, 'specHash'> = {
    name: `sandbox-${p.sandbox}-${p.service}`,
    kind: 'service',
    network: `sandbox-${p.sandbox}`,
    alias: p.service,
    build: HOST_BUILD,
    port: 8080,
    env: {},
    secretEnv: [],
    files: [],
    resources: {},
    ...p,
  };
  const { specHash: _ignored, ...hashed } = spec as ContainerSpec;
  return { ...spec, specHash: createHash('sha256').update(JSON.stringify(hashed)).digest('hex') };
}

/** Removes every container and network of sandboxes whose name starts with `prefix`. */
/**
 * Writes what `sh -c cmd` prints into the container's own log (its PID 1's stdout), run with the
 * container's env: `echo "x $KEY"` prints a secret's value as the app itself would.
 */
export async function writeToLog(container: string, cmd: string): Promise<void> {
  const exec = await new Docker().getContainer(container).exec({ Cmd: ['sh', '-c', `${cmd} > /proc/1/fd/1`], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise((resolve) => (stream.on('end', resolve), stream.resume()));
}

export async function cleanupSandboxes(prefix: string): Promise<void> {
  const docker = new Docker();
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  for (const c of containers) {
    if (c.Labels[LABELS.sandbox]?.startsWith(prefix)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  const networks = await docker.listNetworks({ filters: { label: [`${LABELS.managed}=true`] } });
  for (const n of networks) {
    if (n.Labels?.[LABELS.sandbox]?.startsWith(prefix)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}

/**
 * Removes the images sdp built for these commits, tagged or not (a commit built again in a later run
 * re-tags, leaving the earlier image untagged).
 */
export async function cleanupBuiltImages(commits: Iterable<string>): Promise<void> {
  const wanted = new Set(commits);
  const docker = new Docker();
  for (const img of await docker.listImages({ all: true, filters: { label: [`${LABELS.managed}=true`] } })) {
    if (wanted.has(img.Labels?.[LABELS.commit] ?? '')) await docker.getImage(img.Id).remove({ force: true }).catch(() => undefined);
  }
}

/** GET over HTTP: status and body, or status 0 when nothing answers. */
export async function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

let seq = 0;
export const jobId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++seq}`;
