// Turns a container's build spec into something to run (image, command, worktree mount):
//   image       run the image as is; a git source's worktree is mounted at `mount` (default /src)
//               (an image not on the host is pulled when the create finds it missing)
//   dockerfile  docker build from the worktree, tagged by repo+commit so a commit is built once
//   host        `sh -c command` in the worktree on the host, then `image` with the worktree mounted
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerSpec } from '../../schema/container.ts';
import type { DockerHost } from '../docker/host.ts';
import type { RunPlan } from '../docker/spec.ts';
import { childEnv, run } from '../exec.ts';
import { splitRepoUrl } from '../git/url.ts';
import { BUILT_IMAGE_PREFIX } from './retention.ts';

const DEFAULT_MOUNT = '/src';
/** A hung build must not hold its container's deploys forever. */
const HOST_BUILD_TIMEOUT_MS = 30 * 60_000;

export interface BuildContext {
  docker: DockerHost;
  spec: ContainerSpec;
  /** Host path of the checked-out worktree, when the container has a git source. */
  worktree?: string;
  /** Full commit id of the worktree. */
  commit?: string;
  log: (line: string) => void;
}

export async function prepareRun(ctx: BuildContext): Promise<RunPlan> {
  const { build } = ctx.spec;
  switch (build.type) {
    case 'image': {
      const plan: RunPlan = { image: build.image, binds: ctx.worktree ? [`${ctx.worktree}:${build.mount ?? DEFAULT_MOUNT}`] : [] };
      if (build.run) plan.cmd = build.run;
      return plan;
    }
    case 'dockerfile': {
      const { worktree, commit } = needSource(ctx);
      const tag = builtImageTag(ctx.spec, commit);
      if (await ctx.docker.hasImage(tag)) {
        ctx.log(`reusing ${tag}: this commit is already built`);
        return { image: tag, binds: [] };
      }
      await dockerBuild(ctx, inside(worktree, build.context), build.dockerfile, tag, commit);
      return { image: tag, binds: [] };
    }
    case 'host': {
      const { worktree } = needSource(ctx);
      ctx.log(`$ ${build.command}`);
      const res = await run('sh', ['-c', build.command], { cwd: worktree, onLine: (l) => ctx.log(l), timeoutMs: HOST_BUILD_TIMEOUT_MS });
      if (res.code !== 0) throw new Error(`build command exited with ${res.code}`);
      return { image: build.image, cmd: build.run, binds: [`${worktree}:${build.mount ?? DEFAULT_MOUNT}`] };
    }
  }
}

/** One image per repo + build recipe + commit, whichever sandbox asks for it. */
export function builtImageTag(spec: ContainerSpec, commit: string): string {
  const build = spec.build;
  const recipe = build.type === 'dockerfile' ? `${build.context}\n${build.dockerfile}` : '';
  const repo = spec.source ? splitRepoUrl(spec.source.repo).url : '';
  const key = createHash('sha256').update(`${repo}\n${recipe}`).digest('hex').slice(0, 12);
  return `${BUILT_IMAGE_PREFIX}${key}:${commit.slice(0, 12)}`;
}

function needSource(ctx: BuildContext): { worktree: string; commit: string } {
  if (!ctx.worktree || !ctx.commit) throw new Error(`${ctx.spec.build.type} build of ${ctx.spec.name} needs a git source`);
  return { worktree: ctx.worktree, commit: ctx.commit };
}

function inside(root: string, rel: string): string {
  const path = resolve(root, rel);
  if (path !== resolve(root) && !path.startsWith(resolve(root) + sep)) throw new Error(`build context ${rel} is outside the repository`);
  return path;
}

async function dockerBuild(ctx: BuildContext, contextDir: string, dockerfile: string, tag: string, commit: string): Promise<void> {
  ctx.log(`docker build ${tag} (dockerfile ${dockerfile})`);
  const tar = spawn('tar', ['-C', contextDir, '--exclude=./.git', '-cf', '-', '.'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = (await ctx.docker.docker.buildImage(tar.stdout, {
    t: tag,
    dockerfile,
    labels: { 'sdp.managed': 'true', 'sdp.commit': commit },
    rm: true,
    forcerm: true,
  })) as Readable;
  await new Promise<void>((done, fail) => {
    let error: string | undefined;
    ctx.docker.docker.modem.followProgress(
      output,
      (err: Error | null) => (err || error ? fail(new Error(`docker build failed: ${error ?? err?.message}`)) : done()),
      (event: { stream?: string; status?: string; error?: string }) => {
        if (event.error) error = event.error.trim();
        for (const line of (event.stream ?? event.status ?? '').split('\n')) if (line.trim()) ctx.log(line.trimEnd());
      },
    );
  });
}
