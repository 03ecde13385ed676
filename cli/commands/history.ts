// `sdp history SANDBOX`, `sdp rollback SANDBOX [--to JOB|SNAPSHOT]`, `sdp pin` / `sdp unpin`,
// `sdp snapshot SANDBOX [NAME]`: a sandbox's syncs and what each applied, re-deploying one of them
// (which pins the sandbox: auto-sync and self-heal leave it alone until unpinned or its spec changes),
// and named snapshots of such a record to roll back to or recreate later.
import type { AppliedContainer, HistoryEntry, PinView, SnapshotView } from '../../schema/api.ts';
import { renderPlan } from '../../reconciler/present/plan.ts';
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { CliError, EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { api } from '../server-client.ts';
import { state } from '../color.ts';
import { table } from '../table.ts';
import { waitForJob, waitTimeout } from './sync.ts';

/** A job id as the reconciler makes them (yyyymmddhhmmss-8 hex); anything else given to --to is a snapshot name. */
const JOB_ID = /^\d{14}-[0-9a-f]{8}$/;

/** "account abc123def456 (feature/x) sdp/build-...:abc123 env 0a1b2c3d" per container, one a line. */
function containersCell(containers: AppliedContainer[], wide: boolean): string {
  if (containers.length === 0) return '(not recorded)';
  return containers
    .filter((c) => wide || c.kind === 'service')
    .map((c) => [c.service, c.commit?.slice(0, 12) ?? c.image ?? '', ...(wide ? [c.branch ? `(${c.branch})` : '', c.commit ? (c.image ?? '') : '', `env ${c.envDigest.slice(0, 8)}`] : [])].filter(Boolean).join(' '))
    .join('\n');
}

/** The pin as one line (its message names who, when, why and how to unpin), as `sdp get sandbox` shows it. */
function pinnedLine(p: PinView): string {
  return `PINNED: ${p.message}`;
}

export function renderHistory(sandbox: string, entries: HistoryEntry[], pinned: PinView | undefined, wide: boolean): string {
  const lines: string[] = [];
  if (pinned) lines.push(pinnedLine(pinned), '');
  if (entries.length === 0) lines.push(`no syncs of ${sandbox} on record`);
  else {
    const rows = entries.map((e) => [
      e.job,
      e.finishedAt ?? e.createdAt,
      e.user,
      e.revision,
      containersCell(e.containers, wide),
      `${state(e.status)}${e.trigger !== 'manual' ? ` (${e.trigger})` : ''}${e.error ? `\n${e.error}` : ''}`,
    ]);
    lines.push(table(['job', 'when', 'who', 'revision', wide ? 'commits / images / env' : 'commits / images', 'outcome'], rows));
  }
  return lines.join('\n');
}

export async function history(sandbox: string, o: OutputFlags & RemoteFlags & { limit?: string }): Promise<number> {
  const limit = o.limit === undefined ? undefined : Number(o.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) throw new CliError(`--limit ${o.limit}: a whole number from 1 to 500`);
  const res = await api(resolveRemote(o), 'GET /api/sandboxes/{name}/history', { name: sandbox }, undefined, limit !== undefined ? { limit: String(limit) } : undefined);
  const out = chosenOutput(o);
  console.log(structured(res, out) ?? renderHistory(sandbox, res.entries, res.pinned, out === 'wide'));
  return EXIT.ok;
}

export async function rollback(sandbox: string, o: RemoteFlags & { to?: string; reason?: string; prune?: boolean; wait?: boolean; timeout?: string }): Promise<number> {
  const timeoutMs = waitTimeout(o);
  const remote = resolveRemote(o);
  const to = o.to === undefined ? {} : JOB_ID.test(o.to) ? { job: o.to } : { snapshot: o.to };
  const res = await api(remote, 'POST /api/sandboxes/{name}/rollback', { name: sandbox }, { ...to, ...(o.reason !== undefined ? { reason: o.reason } : {}), prune: o.prune ?? false });
  console.log(renderPlan(res.plan, 'text').trimEnd());
  console.log(`job ${res.job.id} re-deploys ${res.pinned.snapshot !== undefined ? `snapshot ${res.pinned.snapshot} (job ${res.pinned.job})` : `job ${res.pinned.job}`}`);
  console.log(pinnedLine(res.pinned));
  if (!o.wait) return EXIT.ok;
  return waitForJob(remote, res.job.id, `rollback of ${sandbox}`, timeoutMs);
}

export async function pin(sandbox: string, o: RemoteFlags & { reason?: string }): Promise<number> {
  const p = await api(resolveRemote(o), 'POST /api/sandboxes/{name}/pin', { name: sandbox }, o.reason !== undefined ? { reason: o.reason } : {});
  console.log(pinnedLine(p));
  return EXIT.ok;
}

export async function unpin(sandbox: string, o: RemoteFlags): Promise<number> {
  const p = await api(resolveRemote(o), 'DELETE /api/sandboxes/{name}/pin', { name: sandbox });
  console.log(`${sandbox} unpinned (was pinned to job ${p.job} by ${p.by}: ${p.reason}); auto-sync and self-heal apply again`);
  return EXIT.ok;
}

function snapshotTable(list: SnapshotView[], wide: boolean): string {
  return table(
    ['name', 'job', 'revision', 'by', 'at', 'commits / images', 'reason'],
    list.map((s) => [s.name, s.job, s.revision, s.by, s.at, containersCell(s.containers, wide), s.reason ?? '']),
  );
}

/** With NAME: keep a snapshot (of --job, default the last successful sync); without: list them. */
export async function snapshot(sandbox: string, name: string | undefined, o: OutputFlags & RemoteFlags & { job?: string; reason?: string }): Promise<number> {
  const remote = resolveRemote(o);
  const out = chosenOutput(o);
  if (name === undefined) {
    if (o.job !== undefined || o.reason !== undefined) throw new CliError('--job and --reason go with a snapshot NAME to create');
    const { snapshots } = await api(remote, 'GET /api/sandboxes/{name}/snapshots', { name: sandbox });
    console.log(structured(snapshots, out) ?? (snapshots.length === 0 ? `no snapshots of ${sandbox} (sdp snapshot ${sandbox} NAME keeps one)` : snapshotTable(snapshots, out === 'wide')));
    return EXIT.ok;
  }
  const made = await api(remote, 'POST /api/sandboxes/{name}/snapshots', { name: sandbox }, { name, ...(o.job !== undefined ? { job: o.job } : {}), ...(o.reason !== undefined ? { reason: o.reason } : {}) });
  console.log(structured(made, out) ?? `snapshot ${made.name} of ${sandbox} keeps job ${made.job} (revision ${made.revision}); sdp rollback ${sandbox} --to ${made.name} re-deploys it`);
  return EXIT.ok;
}
