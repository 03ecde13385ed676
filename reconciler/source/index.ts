// The spec source: a watched folder, or a git repository pulled on an interval and on webhook.
// Each change compiles the specs (with the persisted port allocations) into a revision;
// compiles never overlap, and a change during a compile triggers exactly one more.
import { join } from 'node:path';
import type { RevisionView } from '../../schema/api.ts';
import { compileSpecsDir, type CompileOptions } from '../specs/compile.ts';
import type { Logger } from '../log.ts';
import { watchFolder, type FolderWatch } from './folder.ts';
import { specsCommit } from './git-info.ts';
import { pullSpecs, type GitSpecsOptions } from './git.ts';
import type { Revisions } from './revisions.ts';

export type { GitSpecsOptions };

export interface SpecSourceOptions {
  /** the watched specs folder (ignored when `git` is set) */
  specsDir: string;
  git?: GitSpecsOptions;
  /** where a git source is cloned */
  checkoutDir: string;
  revisions: Revisions;
  /** what SandboxSets expand from, read at each compile */
  setInputs: () => NonNullable<CompileOptions['sets']>;
  onRevision: (rev: RevisionView) => void;
  /** every compile, whether or not it made a revision: its outcome and how long it took (metrics) */
  onCompiled?: (ok: boolean, seconds: number) => void;
  log: Logger;
}

export class SpecSource {
  private watch: FolderWatch | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly opts: SpecSourceOptions) {}

  get dir(): string {
    const { git, checkoutDir, specsDir } = this.opts;
    return git ? join(checkoutDir, git.path ?? '.') : specsDir;
  }

  async start(): Promise<void> {
    if (this.opts.git) {
      await this.pull();
      this.timer = setInterval(() => void this.pull(), this.opts.git.intervalMs ?? 60_000);
    } else {
      this.watch = watchFolder(this.opts.specsDir, () => void this.reload());
      await this.reload();
    }
  }

  /** Pulls the git source (no-op for a folder) and compiles; called by the webhook too. */
  async pull(): Promise<void> {
    const { git, checkoutDir, log } = this.opts;
    if (git) {
      try {
        await pullSpecs(git, checkoutDir);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'pulling the specs repository failed; keeping the last checkout');
      }
    }
    await this.reload();
  }

  /** Compiles the specs now; resolves when a compile that saw the current files has finished. */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.compileOnce();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async compileOnce(): Promise<void> {
    const { revisions, onRevision, log, setInputs } = this.opts;
    try {
      const started = performance.now();
      const compiled = compileSpecsDir(this.dir, { ports: revisions.ports(), sets: setInputs() }).then((r) => {
        this.opts.onCompiled?.(r.ok, (performance.now() - started) / 1000);
        return r;
      });
      const [result, tag] = await Promise.all([compiled, specsCommit(this.dir)]);
      const rev = revisions.record(result, tag);
      if (!rev) return;
      if (rev.ok) log.info({ revision: rev.id, commit: rev.commit, dirty: rev.dirty }, 'new spec revision');
      else log.warn({ revision: rev.id, errors: rev.errors.length }, 'spec revision rejected; last good desired state stays in force');
      onRevision(rev);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'compiling the specs failed');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.watch?.close();
    await this.running;
  }
}
