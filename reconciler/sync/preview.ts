// POST /api/plan: a pull request's spec files compiled as if they were the revision in force (its
// port allocations, secret digests and branch heads; branches not followed yet are resolved through
// an agent) and planned against what runs. Nothing is stored, allocated or applied: the compile's
// allocations and looked-up heads live in this call only, and the files' contents are never logged.
import { isDeepStrictEqual } from 'node:util';
import { evaluateWorld } from '../../core/evaluate.ts';
import type { PlanPreview, PlanRequest } from '../../schema/api.ts';
import { planView } from '../present/plan.ts';
import { sandboxSummary } from '../present/summary.ts';
import { branchRefs } from '../resolve/heads.ts';
import { compileDocuments } from '../specs/compile.ts';
import type { ControllerDeps } from './controller.ts';

/** The revision id plans of files not in force carry. */
export const PREVIEW_REVISION = 'proposed';

/** What the controller evaluates with, and the specs folder in force: relative repos in the files resolve against it, as on a merge. */
export type PreviewDeps = Pick<ControllerDeps, 'revisions' | 'heads' | 'live' | 'hub' | 'jobs' | 'records' | 'secretDigest'> & { specsDir: () => string };

export async function previewPlan(d: PreviewDeps, req: PlanRequest): Promise<PlanPreview> {
  const result = compileDocuments(req.files, { ports: d.revisions.ports(), baseDir: d.specsDir(), cache: false });
  if (!result.ok) return { ok: false, errors: result.errors };
  const desired = result.desired;
  const heads = await d.heads.lookup(branchRefs(desired).filter((r) => d.heads.commit(r.repo, r.ref) === undefined));
  const now = Date.now();
  const world = evaluateWorld({
    revision: { id: PREVIEW_REVISION, desired },
    live: d.live.all(),
    ctx: { commits: heads.commit, branchError: heads.error, secretDigest: d.secretDigest, online: d.hub.onlineNodes().map((h) => h.node) },
    now,
    expiresAt: (s) => d.records.expiresAt(s, now),
    syncs: (name) => d.jobs.syncRecord(name),
  });
  const inForce = new Map((d.revisions.current?.desired.sandboxes ?? []).map((s) => [s.name, s]));
  const proposed = new Set(desired.sandboxes.map((s) => s.name));
  const removed = [...inForce.keys()].filter((name) => !proposed.has(name));
  const plans = [...world.values()]
    .filter((st) => proposed.has(st.name) || removed.includes(st.name))
    .map((st) => planView(st.name, PREVIEW_REVISION, sandboxSummary(st).drift, st.evaluated.plan(req.prune ?? false)));
  return {
    ok: true,
    against: d.revisions.current?.view.id ?? null,
    plans,
    added: desired.sandboxes.filter((s) => !inForce.has(s.name)).map((s) => s.name),
    removed,
    specChanged: desired.sandboxes.filter((s) => inForce.has(s.name) && !isDeepStrictEqual(inForce.get(s.name), s)).map((s) => s.name),
  };
}
