// SandboxSets at run time: a sandbox whose branch is gone is an orphan like any deleted Sandbox, but
// its containers still say which set made it (the sdp.set label). With that set's automated prune it
// is removed without anyone asking; without, it shows as prunable.
import type { DesiredSet, GeneratedBy } from '../schema/desired.ts';
import type { LiveNodeState } from './diff/live.ts';
import type { PolicySandbox } from './policy.ts';

/** The set (and branch, from the branch label of one of its services) an orphan's containers name. */
export function generatedByLive(live: readonly LiveNodeState[]): GeneratedBy | undefined {
  const containers = live.flatMap((n) => n.containers);
  const set = containers.find((c) => c.set !== undefined)?.set;
  if (set === undefined) return undefined;
  const branch = containers.find((c) => c.kind === 'service' && c.set === set && c.branch !== undefined)?.branch ?? '';
  return { set, branch };
}

/** The sync policy an orphan follows: its set's, when that set is in force and prunes automatically. */
export function orphanPolicy(live: readonly LiveNodeState[], sets: readonly DesiredSet[]): PolicySandbox['syncPolicy'] {
  const made = generatedByLive(live);
  const set = made && sets.find((s) => s.name === made.set);
  return set?.syncPolicy.automated && set.syncPolicy.prune ? { automated: true, prune: true, selfHeal: false } : undefined;
}
