// What the agent keeps on its disk. Built images (sdp/build-*, one per repo + recipe + commit) are
// kept while any container uses them, plus the few most recently deployed per sandbox+service (what
// a rollback needs); the rest are removed. Worktrees no container mounts go too (a deleted
// sandbox's; the same sweep as at agent start, GitWorkspace.removeUnmounted). A pass runs a little after a successful deploy or remove, only while no job is running, and
// a job that arrives meanwhile waits for its removals (`idle`), so a pass never removes an image or a
// worktree a deploy is about to use. Then it reports the disk use.
// Which sandbox+service deployed which image is recorded in <workDir>/deploys.json: an image is
// shared by every sandbox on its commit, so Docker alone cannot tell. Only images this agent has
// deployed are ever removed: another sdp installation on the engine keeps its own.
import { readdir, readFile, rename, statfs, lstat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LABELS } from '../../schema/container.ts';
import type { DiskUse } from '../../schema/protocol.ts';
import type { DockerHost } from '../docker/host.ts';
import type { GitWorkspace } from '../git/workspace.ts';

export const BUILT_IMAGE_PREFIX = 'sdp/build-';

export interface AgentRetention {
  /** built images kept per sandbox+service besides those in use (env SDP_KEEP_IMAGES) */
  keepImages: number;
  /** a pass runs this long after the last deploy or remove */
  delayMs: number;
}

export const DEFAULT_AGENT_RETENTION: AgentRetention = { keepImages: 3, delayMs: 2_000 };

export interface DeployRecord {
  sandbox: string;
  service: string;
  image: string;
  at: string;
}

export interface BuiltImage {
  id: string;
  tags: string[];
  bytes: number;
}

/** deploys.json: the deploys kept, and tags deployed once and no longer kept, not removed yet. */
export interface DeployLog {
  deploys: DeployRecord[];
  unkept: string[];
}

/** The newest `keep` distinct images deployed per sandbox+service, oldest records dropped. */
export function recentDeploys(records: readonly DeployRecord[], keep: number): DeployRecord[] {
  const out: DeployRecord[] = [];
  const seen = new Map<string, Set<string>>();
  for (const r of [...records].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))) {
    const key = `${r.sandbox}/${r.service}`;
    const images = seen.get(key) ?? new Set<string>();
    seen.set(key, images);
    if (images.has(r.image) || images.size >= keep) continue;
    images.add(r.image);
    out.push(r);
  }
  return out.reverse();
}

/**
 * The log after trimming to `keep` per sandbox+service of live sandboxes: tags no deploy keeps any
 * more join `unkept` (the candidates for removal).
 */
export function trimLog(log: DeployLog, liveSandboxes: ReadonlySet<string>, keep: number): DeployLog {
  const deploys = recentDeploys(log.deploys.filter((r) => liveSandboxes.has(r.sandbox)), keep);
  const kept = new Set(deploys.map((r) => r.image));
  const unkept = new Set([...log.unkept, ...log.deploys.map((r) => r.image)].filter((t) => !kept.has(t)));
  return { deploys, unkept: [...unkept] };
}

/** Tags to remove: unkept ones that still exist and that no container uses. */
export function tagsToRemove(images: readonly BuiltImage[], inUse: ReadonlySet<string>, unkept: readonly string[]): string[] {
  const candidates = new Set(unkept);
  return images.filter((i) => !inUse.has(i.id)).flatMap((i) => i.tags.filter((t) => candidates.has(t)));
}

export interface RetentionDeps {
  docker: DockerHost;
  git: GitWorkspace;
  workDir: string;
  /** true while any job runs */
  busy: () => boolean;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  onDisk: (disk: DiskUse) => void;
}

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  /** the removal part of the running pass, which jobs wait for */
  private removing: Promise<void> | null = null;
  private records: Promise<DeployLog> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly opts: AgentRetention = DEFAULT_AGENT_RETENTION,
  ) {}

  private get recordsFile(): string {
    return join(this.deps.workDir, 'deploys.json');
  }

  /** Notes that sandbox+service now runs `image` (only built images are recorded). */
  recordDeploy(sandbox: string, service: string, image: string): void {
    if (!image.startsWith(BUILT_IMAGE_PREFIX)) return;
    void this.updateRecords((l) => ({ ...l, deploys: [...l.deploys, { sandbox, service, image, at: new Date().toISOString() }] }));
  }

  /** A pass after `delayMs`; postponed while a job runs. */
  schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.deps.busy() || this.running) return this.schedule();
      this.running = this.pass()
        .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'retention pass failed'))
        .finally(() => (this.running = null));
    }, this.opts.delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Resolves when no removal is under way (a job waits for this before it starts). */
  async idle(): Promise<void> {
    await this.removing?.catch(() => undefined);
  }

  /** Removes what is not kept, then reports the disk use. */
  async pass(): Promise<void> {
    this.removing = this.removeUnkept();
    try {
      await this.removing;
    } finally {
      this.removing = null;
    }
    await this.reportDisk();
  }

  private async removeUnkept(): Promise<void> {
    const { docker, git, log } = this.deps;
    const containers = await docker.docker.listContainers({ all: true });
    const inUse = new Set(containers.map((c) => c.ImageID));
    const liveSandboxes = new Set(containers.flatMap((c) => (c.Labels?.[LABELS.managed] === 'true' && c.Labels[LABELS.sandbox] ? [c.Labels[LABELS.sandbox]!] : [])));
    // a deleted sandbox's deploys no longer keep its images
    const trimmed = await this.updateRecords((l) => trimLog(l, liveSandboxes, this.opts.keepImages));
    const images = await this.builtImages();
    const removed: string[] = [];
    for (const tag of tagsToRemove(images, inUse, trimmed.unkept)) {
      try {
        await docker.docker.getImage(tag).remove();
        removed.push(tag);
      } catch (err) {
        // e.g. a container was made from it since: it is in use now; tried again next pass
        log.warn({ image: tag, err: (err as Error).message }, 'built image not removed');
      }
    }
    // forget unkept tags that are gone (removed now, or by someone else)
    const left = new Set(images.flatMap((i) => i.tags).filter((t) => !removed.includes(t)));
    await this.updateRecords((l) => ({ ...l, unkept: l.unkept.filter((t) => left.has(t)) }));
    // as at agent start: a worktree no container mounts (a deleted sandbox's, an interrupted deploy's)
    const mounted = new Set(containers.flatMap((c) => (c.Mounts ?? []).filter((m) => m.Type === 'bind').map((m) => resolve(m.Source))));
    const gone = await git.removeUnmounted(mounted);
    if (removed.length + gone.length > 0) log.info({ images: removed, worktrees: gone }, 'removed built images and worktrees no longer kept');
  }

  async reportDisk(): Promise<void> {
    const images = await this.builtImages();
    const free = await statfs(this.deps.workDir).then(
      (s) => s.bavail * s.bsize,
      () => undefined,
    );
    this.deps.onDisk({
      builtImages: images.length,
      builtImagesBytes: images.reduce((n, i) => n + i.bytes, 0),
      workDirBytes: await du(this.deps.workDir),
      ...(free !== undefined ? { freeBytes: free } : {}),
      at: new Date().toISOString(),
    });
  }

  private async builtImages(): Promise<BuiltImage[]> {
    const list = await this.deps.docker.docker.listImages({ filters: { reference: [`${BUILT_IMAGE_PREFIX}*`] } });
    return list
      .map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t.startsWith(BUILT_IMAGE_PREFIX)), bytes: i.Size }))
      .filter((i) => i.tags.length > 0);
  }

  /** Read-modify-write of deploys.json, one at a time; returns what was written. */
  private updateRecords(change: (l: DeployLog) => DeployLog): Promise<DeployLog> {
    const prev = this.records ?? this.readRecords();
    const next = prev.then(async (l) => {
      const out = change(l);
      const tmp = `${this.recordsFile}.tmp`;
      await writeFile(tmp, JSON.stringify(out));
      await rename(tmp, this.recordsFile);
      return out;
    });
    this.records = next.catch(() => prev);
    return next;
  }

  private async readRecords(): Promise<DeployLog> {
    try {
      const parsed = JSON.parse(await readFile(this.recordsFile, 'utf8')) as Partial<DeployLog>;
      const deploys = Array.isArray(parsed.deploys) ? parsed.deploys.filter((r) => typeof r?.image === 'string' && typeof r.sandbox === 'string') : [];
      const unkept = Array.isArray(parsed.unkept) ? parsed.unkept.filter((t) => typeof t === 'string') : [];
      return { deploys, unkept };
    } catch {
      return { deploys: [], unkept: [] };
    }
  }
}

/** Bytes of the files under `dir` (not following links); a bounded walk, so a huge tree cannot stall a pass. */
async function du(dir: string, maxEntries = 200_000): Promise<number> {
  let bytes = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0 && seen < maxEntries) {
    const d = stack.pop()!;
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      seen++;
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) bytes += await lstat(p).then((s) => s.size, () => 0);
    }
  }
  return bytes;
}
