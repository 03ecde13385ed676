// What a spec means, for `sdp plan --offline`: per sandbox the containers by node (image, source,
// ports, env with secret names only, limits, health), the network, the routes and the gateway URL.
import type { BuildSpec } from '../../schema/container.ts';
import type { DesiredContainer, DesiredSandbox } from '../../schema/desired.ts';
import { mdCode, mdTable, mdText } from '../present/markdown.ts';
import { formatBytes } from './units.ts';

export type DesiredFormat = 'text' | 'markdown';

export function renderDesired(sandboxes: readonly DesiredSandbox[], format: DesiredFormat): string {
  const render = format === 'markdown' ? markdown : text;
  return sandboxes.map(render).join('\n');
}

function headline(s: DesiredSandbox): string {
  const policy = s.syncPolicy.automated ? 'automated' : 'manual';
  const extras = [s.syncPolicy.prune && 'prune', s.syncPolicy.selfHeal && 'self-heal'].filter(Boolean).join(', ');
  return [
    s.owner && `owner ${s.owner}`,
    s.template && `template ${s.template}`,
    s.ttlSeconds !== undefined && `ttl ${duration(s.ttlSeconds)}`,
    `sync ${policy}${extras ? ` (${extras})` : ''}`,
    s.suspended && 'SUSPENDED (containers stopped, config and ports kept)',
  ]
    .filter(Boolean)
    .join(' · ');
}

function text(s: DesiredSandbox): string {
  const lines = [`sandbox ${s.name}  ${headline(s)}`];
  lines.push(`  gateway  ${s.gatewayUrl}  (${gatewayKind(s)}, node ${s.gateway.node}, host port ${s.gatewayPort} -> ${s.gateway.port})`);
  lines.push(`  network  ${s.network} on ${s.nodes.join(', ')}`);
  lines.push('  containers');
  for (const c of [...s.services, s.gateway]) {
    lines.push(`    ${c.node}  ${c.name}`);
    for (const [label, value] of details(c)) lines.push(`      ${label.padEnd(8)} ${value}`);
  }
  lines.push('  routes');
  const width = Math.max(0, ...s.routes.map((r) => r.service.length));
  for (const r of s.routes) lines.push(`    ${r.service.padEnd(width)}  ${r.mode.padEnd(8)}  ${r.target}`);
  if (s.routes.length === 0) lines.push('    (none)');
  return `${lines.join('\n')}\n`;
}

function markdown(s: DesiredSandbox): string {
  const lines = [`### Sandbox ${mdCode(s.name)}`, '', mdText(headline(s)), '', `Gateway: ${mdText(s.gatewayUrl)} (${mdText(gatewayKind(s))}) · network ${mdCode(s.network)}`, ''];
  const containers = [...s.services, s.gateway].map((c) => {
    const d = new Map(details(c));
    const field = (label: string) => mdText(d.get(label) ?? '');
    return [mdText(c.node), mdCode(c.name), field('source'), field('build'), field('ports'), field('env'), field('secrets'), field('limits')];
  });
  lines.push(...mdTable(['Node', 'Container', 'Source', 'Build', 'Ports', 'Env', 'Secrets', 'Limits'], containers));
  lines.push('', ...mdTable(['Service', 'Mode', 'Target'], s.routes.map((r) => [mdText(r.service), mdText(r.mode), mdText(r.target)])));
  return `${lines.join('\n')}\n`;
}

function gatewayKind(s: DesiredSandbox): string {
  return s.gateway.adapter.adapter === 'proxy' ? `built-in proxy ${imageOf(s.gateway.build)}` : `gateway app, routes via ${s.gateway.adapter.adapter}`;
}

function details(c: DesiredContainer): [string, string][] {
  const out: [string, string][] = [];
  if (c.source) out.push(['source', `${c.source.repo} @ ${c.source.branch ?? c.source.commit ?? ''}`]);
  out.push(['build', describeBuild(c.build)]);
  out.push(['ports', c.hostPort === undefined ? `${c.port}` : `host ${c.hostPort} -> ${c.port}`]);
  const env = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
  if (env.length > 0) out.push(['env', env.join(', ')]);
  if (c.secrets.length > 0) out.push(['secrets', c.secrets.map((s) => `${s.key} (from ${s.environment})`).join(', ')]);
  if (c.files.length > 0) out.push(['files', c.files.map((f) => f.path).join(', ')]);
  const limits = [c.resources.cpu !== undefined && `cpu ${c.resources.cpu}`, c.resources.memoryBytes !== undefined && `memory ${formatBytes(c.resources.memoryBytes)}`].filter(Boolean);
  if (limits.length > 0) out.push(['limits', limits.join(', ')]);
  if (c.health) out.push(['health', `GET ${c.health.path} every ${c.health.intervalMs}ms, timeout ${c.health.timeoutMs}ms, ${c.health.retries} retries`]);
  return out;
}

function imageOf(build: BuildSpec): string {
  return build.type === 'dockerfile' ? `${build.dockerfile} (${build.context})` : build.image;
}

function describeBuild(build: BuildSpec): string {
  switch (build.type) {
    case 'host':
      return `${build.image}: build \`${build.command}\`, run \`${build.run.join(' ')}\``;
    case 'dockerfile':
      return `docker build -f ${build.dockerfile} ${build.context}`;
    case 'image':
      return build.run ? `${build.image}, run \`${build.run.join(' ')}\`` : build.image;
  }
}

function duration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
