// `sdp get sandboxes | sandbox NAME | sets | agents | job ID | notifications [SANDBOX]` (kubectl get): the API's shapes as tables,
// or as they are with -o json|yaml. `sdp refresh`: POST /api/refresh, instead of curl.
import type { SandboxSummary } from '../../schema/api.ts';
import { NOTIFICATION_EVENTS } from '../../schema/notifications.ts';
import { formatMemoryUsage } from '../../core/quantities.ts';
import { resolveRemote, type Remote, type RemoteFlags } from '../context.ts';
import { CliError, EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { api } from '../server-client.ts';
import { state } from '../color.ts';
import { table } from '../table.ts';

type Getter = (remote: Remote, name: string | undefined) => Promise<{ data: unknown; text: (wide: boolean) => string }>;

const sandboxes: Getter = async (remote) => {
  const list = await api(remote, 'GET /api/sandboxes', {});
  return { data: list, text: (wide) => (list.length === 0 ? 'no sandboxes' : sandboxTable(list, wide)) };
};

function sandboxTable(list: SandboxSummary[], wide: boolean): string {
  // the set column only when a SandboxSet made one of them: generated sandboxes are edited in their set
  const sets = list.some((s) => s.generatedBy);
  const head = ['name', ...(sets ? ['set'] : []), 'sync', 'health', 'drift', 'gateway', ...(wide ? ['owner', 'template', 'revision', 'last sync', 'expires'] : [])];
  const rows = list.map((s) => [
    s.name,
    ...(sets ? [generatedBy(s)] : []),
    `${state(s.sync)}${s.pinned ? ' (pinned)' : ''}`,
    state(s.health),
    s.drift.length,
    s.gatewayUrl,
    ...(wide ? [s.owner ?? '', s.template ?? '', s.revision, s.lastSync ? `${s.lastSync.status} ${s.lastSync.at}` : '', s.expiresAt ?? ''] : []),
  ]);
  return table(head, rows);
}

/** `previews (feature/login)`: the set that made it and for which branch. */
export const generatedBy = (s: Pick<SandboxSummary, 'generatedBy'>): string =>
  s.generatedBy ? `${s.generatedBy.set}${s.generatedBy.branch ? ` (${s.generatedBy.branch})` : ''}` : '';

const sets: Getter = async (remote) => {
  const list = await api(remote, 'GET /api/sets', {});
  return {
    data: list,
    text: (wide) =>
      list.length === 0
        ? 'no sandbox sets'
        : table(
            ['name', 'service', 'branches', 'sandboxes', 'matched', 'max', 'listed', ...(wide ? ['auto', 'prune', 'made'] : [])],
            list.map((x) => [
              x.name,
              x.service,
              x.branches,
              x.sandboxes.length,
              x.matched,
              x.max,
              x.error ? state('FAILED') : x.listed ? 'yes' : 'not yet',
              ...(wide ? [x.syncPolicy.automated ? 'yes' : 'no', x.syncPolicy.prune ? 'yes' : 'no', x.sandboxes.map((m) => m.name).join(',')] : []),
            ]),
          ) + list.flatMap((x) => [...(x.error ? [`\n${x.name}: listing ${x.repo} failed: ${x.error}`] : []), ...x.skipped.map((k) => `\n${x.name}: branch ${k.branch} left out: ${k.reason}`)]).join(''),
  };
};

const sandbox: Getter = async (remote, name) => {
  if (!name) throw new CliError('which sandbox? sdp get sandbox NAME (sdp get sandboxes lists them)');
  const d = await api(remote, 'GET /api/sandboxes/{name}', { name });
  return {
    data: d,
    text: (wide) => {
      const parts = [sandboxTable([d], wide), ...(d.pinned ? ['', `PINNED: ${d.pinned.message}`] : [])];
      if (d.health !== 'Healthy') parts.push(`health ${d.health} (${d.healthStatus.reason}): ${d.healthStatus.message}`);
      parts.push('', 'services:');
      parts.push(
        d.services.length === 0
          ? '  none'
          : table(
              ['service', 'node', 'branch', 'desired', 'live', 'state', 'health', 'restarts', 'cpu', 'memory', ...(wide ? ['check', 'image', 'port'] : [])],
              d.services.map((s) => [
                s.service,
                s.node,
                s.branch ?? '',
                s.desiredCommit?.slice(0, 12) ?? '',
                s.liveCommit?.slice(0, 12) ?? '',
                s.state ?? '',
                state(s.health ?? '') + (s.probe?.failure ? ` (${s.probe.failure.message})` : ''),
                s.restarts ?? '',
                s.cpu ?? '',
                s.memoryBytes !== undefined ? formatMemoryUsage(s.memoryBytes) : '',
                ...(wide ? [s.probe?.check ?? '', s.image ?? '', s.hostPort ?? ''] : []),
              ]),
              '  ',
            ),
        '',
        'routes:',
        d.routes.length === 0 ? '  none' : table(['service', 'mode', 'target', 'live'], d.routes.map((r) => [r.service, r.mode, r.target, r.live ?? '-']), '  '),
      );
      if (d.drift.length > 0) {
        parts.push('', 'drift:', table(['resource', 'change', 'field'], d.drift.map((e) => [e.resource, e.change, e.field ?? '']), '  '));
      }
      return parts.join('\n');
    },
  };
};

const agents: Getter = async (remote) => {
  const list = await api(remote, 'GET /api/agents', {});
  return {
    data: list,
    text: (wide) =>
      list.length === 0
        ? 'no agents'
        : table(
            ['name', 'online', 'address', 'roles', 'containers', ...(wide ? ['version', 'last seen'] : [])],
            list.map((a) => [a.name, state(a.online ? 'yes' : 'NO'), a.address, a.roles.join(','), a.containers, ...(wide ? [a.version ?? '', a.lastSeen ?? ''] : [])]),
          ),
  };
};

const job: Getter = async (remote, id) => {
  if (!id) throw new CliError('which job? sdp get job ID (the id `sdp sync` printed)');
  const j = await api(remote, 'GET /api/jobs/{id}', { id });
  return {
    data: j,
    text: (wide) => {
      const lines = [`job ${j.id}: ${state(j.status)}, sandbox ${j.sandbox}, by ${j.user}, revision ${j.revision}, ${j.createdAt}${j.finishedAt ? ` - ${j.finishedAt}` : ''}`];
      if (j.error) lines.push(`error: ${j.error}`);
      if (j.steps.length > 0) lines.push('', table(['wave', 'step', 'resource', 'node', 'status', 'message'], j.steps.map((s) => [s.wave, s.kind, s.resource, s.node, state(s.status), s.message ?? ''])));
      const logs = wide ? j.logs : j.logs.slice(-20);
      if (logs.length > 0) lines.push('', `log${wide || j.logs.length <= 20 ? '' : ` (last 20 of ${j.logs.length} lines; -o wide for all)`}:`, ...logs.map((l) => `  ${l.at} ${l.line}`));
      return lines.join('\n');
    },
  };
};

const notifications: Getter = async (remote, sandbox) => {
  const v = await api(remote, 'GET /api/notifications', {}, undefined, sandbox ? { sandbox } : {});
  return {
    data: v,
    text: (wide) => {
      if (v.targets.length === 0 && v.deliveries.length === 0) return 'no notification targets (the Platform spec lists them under notifications:)';
      const targets = table(
        ['target', 'url', 'format', 'signed', 'events'],
        v.targets.map((t) => [t.name, t.url, t.format, t.secret ? (t.secret.set ? t.secret.name : `${t.secret.name} (${state('UNSET')}: sdp secret set ${t.secret.name} hmac)`) : 'no', t.events.length === NOTIFICATION_EVENTS.length ? 'all' : t.events.join(',')]),
      );
      const deliveries = v.deliveries.length === 0
        ? 'no deliveries'
        : table(
            ['created', 'target', 'event', 'sandbox', 'status', 'attempts', 'last error', ...(wide ? ['next attempt', 'id'] : [])],
            v.deliveries.map((d) => [d.createdAt, d.target, d.event, d.sandbox, state(d.status), d.attempts, d.lastError ?? '', ...(wide ? [d.nextAttemptAt ?? '', d.id] : [])]),
          );
      return `${targets}

${deliveries}`;
    },
  };
};

const KINDS: Record<string, Getter> = { sandboxes, sandbox, sets, set: sets, agents, agent: agents, job, jobs: job, notifications };

export async function get(kind: string, name: string | undefined, o: RemoteFlags & OutputFlags): Promise<number> {
  const getter = KINDS[kind];
  if (!getter) throw new CliError(`unknown kind ${kind} (sandboxes, sandbox NAME, sets, agents, job ID, notifications [SANDBOX])`);
  const output = chosenOutput(o);
  const { data, text } = await getter(resolveRemote(o), name);
  console.log((structured(data, output)) ?? text(output === 'wide'));
  return EXIT.ok;
}

export async function refresh(o: RemoteFlags): Promise<number> {
  await api(resolveRemote(o), 'POST /api/refresh', {});
  console.log('refreshed: branches re-resolved, inventories re-read, specs recompiled');
  return EXIT.ok;
}
