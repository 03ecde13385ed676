// POST /api/plan: a pull request's spec files compiled as if they were the revision in force (its
// port allocations, secret digests and branch heads; branches not followed yet are resolved through
// an agent) and planned against what runs. Nothing is stored, allocated or applied: the compile's
// allocations and looked-up heads live in this call only, and the files' contents are never logged.
import { isDeepStrictEqual } from 'node:util';
import { evaluateWorld } from '../../core/evaluate.ts';
import type { PlanPreview, PlanRequest } from '../../schema/api.ts';
import { planView } from '../present/plan.ts';
import { sandboxSummary } from '../present/summary.ts';
import { branchRefs, reposOf } from '../resolve/heads.ts';
import { compileDocuments, type CompileOptions } from '../specs/compile.ts';
import type { ControllerDeps } from './controller.ts';

/** The revision id plans of files not in force carry. */
export const PREVIEW_REVISION = 'proposed';

/** What the controller evaluates with, and the specs folder in force: relative repos in the files resolve against it, as on a merge. */
export type PreviewDeps = Pick<ControllerDeps, 'revisions' | 'heads' | 'live' | 'hub' | 'jobs' | 'records' | 'secretDigest'> & {
  specsDir: () => string;
  /** the branch lists SandboxSets expand from (those already listed: a plan lists no repository itself) */
  setInputs: () => NonNullable<CompileOptions['sets']>;
};

export async function previewPlan(d: PreviewDeps, req: PlanRequest): Promise<PlanPreview> {
  const result = compileDocuments(req.files, { ports: d.revisions.ports(), sets: d.setInputs(), baseDir: d.specsDir(), cache: false });
  if (!result.ok) return { ok: false, errors: result.errors };
  const desired = result.desired;
  // Branches are looked up only in repositories the revision in force already deploys from: a
  // viewer's files must not make an agent contact a URL of their choosing, with the Platform's git
  // credentials, from inside the network.
  const followed = d.revisions.current ? reposOf(d.revisions.current.desired) : new Set<string>();
  const unknown = branchRefs(desired).filter((r) => d.heads.commit(r.repo, r.ref) === undefined);
  const heads = await d.heads.lookup(unknown.filter((r) => followed.has(r.repo)));
  const notFollowed = (repo: string) => `${repo} is not a repository the specs in force deploy from: a plan resolves branches only there (merge the Platform change first)`;
  const branchError = (repo: string, ref: string) => heads.error(repo, ref) ?? (followed.has(repo) ? undefined : notFollowed(repo));
  const now = Date.now();
  const world = evaluateWorld({
    revision: { id: PREVIEW_REVISION, desired },
    live: d.live.all(),
    ctx: { commits: heads.commit, branchError, secretDigest: d.secretDigest, online: d.hub.onlineNodes().map((h) => h.node) },
    now,
    expiresAt: (s) => d.records.expiresAt(s, now),
    syncs: (name) => d.jobs.syncRecord(name),
  });
  const inForce = new Map((d.revisions.current?.desired.sandboxes ?? []).map((s) => [s.name, s]));
  const proposed = new Set(desired.sandboxes.map((s) => s.name));
  const removed = [...inForce.keys()].filter((name) => !proposed.has(name));
  const plans = [...world.values()]
    .filter((st) => proposed.has(st.name) || removed.includes(st.name))
    .map((st) => {
      const summary = sandboxSummary(st);
      return { ...planView(st.name, PREVIEW_REVISION, summary.drift, st.evaluated.plan(req.prune ?? false)), sync: summary.syncStatus, ...(summary.generatedBy ? { generatedBy: summary.generatedBy } : {}) };
    });
  return {
    ok: true,
    against: d.revisions.current?.view.id ?? null,
    plans,
    added: desired.sandboxes.filter((s) => !inForce.has(s.name)).map((s) => s.name),
    removed,
    specChanged: desired.sandboxes.filter((s) => inForce.has(s.name) && !isDeepStrictEqual(inForce.get(s.name), s)).map((s) => s.name),
  };
}
