// `sdp status [-o text|json|yaml|wide]`: the spec revision in force (and a rejected newer one, with its
// errors), the agents, and every sandbox's sync, health (each with its reason) and drift, from the server.
import type { RevisionView, StatusView } from '../../schema/api.ts';
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { api } from '../server-client.ts';
import { table } from '../table.ts';
import { generatedBy } from './get.ts';

export function renderStatus(st: StatusView): string {
  const rev = (r: RevisionView) => `revision ${r.id}${r.commit ? ` (commit ${r.commit.slice(0, 12)}${r.dirty ? ', dirty' : ''})` : r.dirty ? ' (dirty)' : ''} at ${r.at}`;
  const lines: string[] = [];
  lines.push(st.current ? `specs: ${rev(st.current)}` : 'specs: no valid revision yet');
  if (st.rejected) {
    lines.push(`REJECTED: ${rev(st.rejected)} — the revision above stays in force`);
    for (const e of st.rejected.errors) lines.push(`  ${e.file}:${e.line}:${e.col}: ${e.message}${e.field ? ` (${e.field})` : ''}`);
  }
  lines.push('', 'agents:');
  if (st.agents.length === 0) lines.push('  none');
  else lines.push(table(['name', 'status', 'address', 'roles', 'containers'], st.agents.map((a) => [a.name, a.online ? 'online' : 'OFFLINE', a.address, a.roles.join(','), a.containers]), '  '));
  lines.push('', 'sandboxes:');
  if (st.sandboxes.length === 0) lines.push('  none');
  else {
    // generated sandboxes say which SandboxSet made them (the column only when there are some)
    const sets = st.sandboxes.some((s) => s.generatedBy);
    const rows = st.sandboxes.map((s) => [s.name, ...(sets ? [generatedBy(s)] : []), s.sync, s.health, s.drift.length, s.gatewayUrl, s.lastSync ? `${s.lastSync.status} ${s.lastSync.at}` : '']);
    lines.push(table(['name', ...(sets ? ['set'] : []), 'sync', 'health', 'drift', 'gateway', 'last sync'], rows, '  '));
  }
  // why, whenever it is not plainly fine (never guessed: the reasons come from the server)
  const why = st.sandboxes.flatMap((s) => whyLines(s).map((l) => `  ${s.name}: ${l}`));
  if (why.length > 0) lines.push('', 'why:', ...why);
  return lines.join('\n');
}

function whyLines(s: StatusView['sandboxes'][number]): string[] {
  const out: string[] = [];
  if (s.pinned) out.push(`pinned: ${s.pinned.message}`);
  if (s.syncStatus && s.sync !== 'Synced') out.push(`sync ${s.sync} (${s.syncStatus.reason}): ${s.syncStatus.message}`);
  if (s.healthStatus && s.health !== 'Healthy' && s.healthStatus.message !== s.syncStatus?.message) {
    out.push(`health ${s.health} (${s.healthStatus.reason}): ${s.healthStatus.message}`);
  }
  if (s.lastApplied && s.lastAttempted && !s.lastAttempted.ok) {
    out.push(`last applied revision ${s.lastApplied.revision} (job ${s.lastApplied.jobId}); last attempted ${s.lastAttempted.revision} failed (job ${s.lastAttempted.jobId})`);
  }
  for (const d of s.drift) out.push(`${d.change} ${d.resource}${d.field ? ` ${d.field}` : ''}`);
  return out;
}

export async function status(o: OutputFlags & RemoteFlags): Promise<number> {
  const st = await api(resolveRemote(o), 'GET /api/status', {});
  console.log((structured(st, chosenOutput(o))) ?? renderStatus(st));
  return EXIT.ok;
}
