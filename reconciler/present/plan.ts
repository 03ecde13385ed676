// A plan for people: text for the terminal (`sdp plan`), markdown for a pull-request comment, JSON
// for machines. Drift values are already redacted by the diff; nothing here reads a secret.
import type { DriftEntry, Plan } from '../../schema/api.ts';
import type { PlannedStep } from '../../core/plan/index.ts';
import { formatMemory } from '../../core/quantities.ts';

export type PlanFormat = 'text' | 'markdown' | 'json';

/** The API's Plan: drift (rendered by present/drift.ts) and the actions, without their jobs. */
export function planView(sandbox: string, revision: string, drift: DriftEntry[], steps: readonly PlannedStep[]): Plan {
  const actions = steps.map(({ job: _job, ...action }) => action);
  return { sandbox, revision, drift, actions, noop: actions.length === 0 };
}

export function renderPlan(plan: Plan, format: PlanFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(plan, null, 2)}\n`;
    case 'markdown':
      return markdown(plan);
    case 'text':
      return text(plan);
  }
}

const SIGN: Record<DriftEntry['change'], string> = { missing: '+', extra: '-', changed: '~' };

function headline(plan: Plan): string {
  if (plan.sync?.status === 'Unknown') return `sandbox ${plan.sandbox} is Unknown (${plan.sync.reason}): ${plan.sync.message}`;
  if (plan.drift.length === 0 && plan.noop) return `sandbox ${plan.sandbox} is in sync: nothing to do`;
  return `sandbox ${plan.sandbox}: ${count(plan.drift.length, 'drift entry', 'drift entries')}, ${count(plan.actions.length, 'action', 'actions')}`;
}

function pruneHint(plan: Plan): string | undefined {
  const extra = plan.drift.some((e) => e.change === 'extra');
  const removes = plan.actions.some((a) => a.kind === 'remove');
  return extra && !removes ? 'extra resources are removed only by a sync with prune' : undefined;
}

function text(plan: Plan): string {
  const lines = [`${headline(plan)} (revision ${plan.revision})`];
  if (plan.drift.length > 0) {
    lines.push('', 'Drift:');
    const width = Math.max(...plan.drift.map((e) => e.resource.length));
    const fieldWidth = Math.max(...plan.drift.map((e) => (e.field ?? e.change).length));
    for (const e of plan.drift) {
      const line = `  ${SIGN[e.change]} ${e.resource.padEnd(width)}  ${(e.field ?? e.change).padEnd(fieldWidth)}  ${valuePair(e)}`;
      lines.push(line.trimEnd());
    }
  }
  if (plan.actions.length > 0) {
    lines.push('', 'Actions:');
    plan.actions.forEach((a, i) => {
      lines.push(`  ${i + 1}. [wave ${a.wave}] ${a.kind} ${a.resource} on ${a.node}: ${a.reason}`);
    });
  } else if (plan.drift.length > 0) {
    lines.push('', 'No actions.');
  }
  const hint = pruneHint(plan);
  if (hint) lines.push(`(${hint})`);
  return `${lines.join('\n')}\n`;
}

function valuePair(e: DriftEntry): string {
  const parts: string[] = [];
  if (e.live !== undefined) parts.push(`live: ${format(e.live)}`);
  if (e.desired !== undefined) parts.push(`desired: ${format(e.desired)}`);
  return parts.join('  ');
}

function markdown(plan: Plan): string {
  const out = [`### sdp plan: \`${plan.sandbox}\``, '', `**${headline(plan)}** (revision \`${plan.revision}\`)`];
  if (plan.drift.length > 0) {
    out.push('', '| Resource | Change | Field | Desired | Live |', '| --- | --- | --- | --- | --- |');
    for (const e of plan.drift) {
      out.push(`| ${cell(e.resource)} | ${e.change} | ${e.field ?? ''} | ${cellValue(e.desired)} | ${cellValue(e.live)} |`);
    }
  }
  if (plan.actions.length > 0) {
    out.push('', '**Actions**', '');
    plan.actions.forEach((a, i) => {
      out.push(`${i + 1}. **${a.kind}** \`${a.resource}\` on \`${a.node}\` (wave ${a.wave}): ${escapeMd(a.reason)}`);
    });
  } else if (plan.drift.length > 0) {
    out.push('', 'No actions.');
  }
  const hint = pruneHint(plan);
  if (hint) out.push('', `_${hint}_`);
  return `${out.join('\n')}\n`;
}

function cellValue(v: unknown): string {
  return v === undefined ? '' : `\`${cell(format(v)).replace(/`/g, "'")}\``;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Escapes what would turn a reason into markup (emphasis, code, links, HTML); `->` and `KEY_NAME` stay readable. */
function escapeMd(s: string): string {
  return s.replace(/([\\*`|<[\]])/g, '\\$1');
}

/** Drift values: strings as they are, lists joined, resources as "cpu 0.5, memory 512Mi". */
function format(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(format).join(', ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const parts = Object.keys(o)
      .sort()
      .map((k) => (k === 'memoryBytes' && typeof o[k] === 'number' ? `memory ${formatMemory(o[k])}` : `${k} ${format(o[k])}`));
    return parts.length === 0 ? 'unlimited' : parts.join(', ');
  }
  return String(v);
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
