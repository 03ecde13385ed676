// A plan for people: text for the terminal (`sdp plan`), markdown for a pull-request comment, JSON
// for machines. Drift values are already redacted by the diff; nothing here reads a secret.
import type { DriftEntry, Plan } from '../../schema/api.ts';
import type { GeneratedBy } from '../../schema/desired.ts';
import type { PlannedStep } from '../../core/plan/index.ts';
import { formatMemory } from '../../core/quantities.ts';
import { mdCode, mdDetails, mdTable, mdText } from './markdown.ts';

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

const madeBy = (g: GeneratedBy): string => `${g.set}${g.branch ? ` (branch ${g.branch})` : ''}`;

function text(plan: Plan): string {
  const lines = [`${headline(plan)} (revision ${plan.revision})${plan.generatedBy ? `, made by SandboxSet ${madeBy(plan.generatedBy)}` : ''}`];
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

/** Tables and lists longer than this are folded in <details>. */
const FOLD_AFTER = 10;
/** Hidden in the rendered comment; CI finds its own earlier comment by it and updates that one. */
export const PLAN_MARKER = '<!-- sdp-plan -->';

/** What a pull-request comment covers: the plans, and what the specs add, drop or get wrong. */
export interface PlanReport {
  plans: readonly Plan[];
  /** sandboxes the specs add (their plans are in `plans`) */
  added?: readonly string[];
  /** sandboxes no longer in the specs */
  removed?: readonly string[];
  /** sandboxes whose spec the change edits (the others differ from what runs only) */
  specChanged?: readonly string[];
  /** spec errors, each already `file:line:col: message` */
  errors?: readonly string[];
}

/** A PR comment: marker, one summary line, a section per sandbox that would change, the rest folded. */
export function renderPlanComment(report: PlanReport): string {
  const added = new Set(report.added ?? []);
  const removed = report.removed ?? [];
  const errors = report.errors ?? [];
  const unknown = report.plans.filter((p) => p.sync?.status === 'Unknown');
  const shown = report.plans.filter((p) => !p.noop || p.drift.length > 0 || p.sync?.status === 'Unknown');
  const quiet = report.plans.filter((p) => !shown.includes(p));
  const changed = report.plans.filter((p) => !p.noop && !added.has(p.sandbox)).length;
  const summary = [
    count(changed, 'sandbox changed', 'sandboxes changed'),
    `${added.size} added`,
    `${removed.length} removed`,
    count(errors.length + unknown.length, 'error', 'errors'),
    `${quiet.length} in sync`,
  ].join(', ');
  const out = [PLAN_MARKER, `**sdp plan**: ${summary}`];
  if (errors.length > 0) out.push('', '### Spec errors', '', ...fold(count(errors.length, 'error', 'errors'), errors.map((e) => `- ${mdText(e)}`)));
  const edited = new Set(report.specChanged ?? []);
  for (const plan of shown) out.push('', ...section(plan, added.has(plan.sandbox), edited.has(plan.sandbox)));
  if (removed.length > 0) {
    out.push('', '### Removed', '', ...removed.map((name) => `- ${mdCode(name)}: no longer in the specs; a sync removes its containers, network and routes`));
  }
  if (quiet.length > 0) out.push('', ...mdDetails(`In sync: ${quiet.length}`, quiet.map((p) => `- ${mdCode(p.sandbox)}`)));
  return `${out.join('\n')}\n`;
}

function markdown(plan: Plan): string {
  return `${section(plan, false).join('\n')}\n`;
}

function section(plan: Plan, added: boolean, edited = false): string[] {
  const out = [`### ${added ? 'New sandbox' : 'sdp plan:'} ${mdCode(plan.sandbox)}`, '', `**${mdText(headline(plan))}** (revision ${mdCode(plan.revision)})`];
  if (plan.generatedBy) out.push('', `_made by SandboxSet ${mdCode(plan.generatedBy.set)}${plan.generatedBy.branch ? ` for branch ${mdCode(plan.generatedBy.branch)}` : ''}_`);
  if (edited) out.push('', '_its spec differs from the revision in force_');
  if (plan.drift.length > 0) {
    const rows = plan.drift.map((e) => [mdText(e.resource), e.change, mdText(e.field ?? ''), cellValue(e.desired), cellValue(e.live)]);
    out.push('', ...fold(`Drift: ${count(plan.drift.length, 'entry', 'entries')}`, mdTable(['Resource', 'Change', 'Field', 'Desired', 'Live'], rows), 2));
  }
  if (plan.actions.length > 0) {
    const list = plan.actions.map((a, i) => `${i + 1}. **${a.kind}** ${mdCode(a.resource)} on ${mdCode(a.node)} (wave ${a.wave}): ${mdText(a.reason)}`);
    out.push('', '**Actions**', '', ...fold(count(plan.actions.length, 'action', 'actions'), list));
  } else if (plan.drift.length > 0) {
    out.push('', 'No actions.');
  }
  const hint = pruneHint(plan);
  if (hint) out.push('', `_${hint}_`);
  return out;
}

/** `lines` as they are, or folded when longer than FOLD_AFTER (not counting `header` lines such as a table's). */
function fold(summary: string, lines: string[], header = 0): string[] {
  return lines.length - header > FOLD_AFTER ? mdDetails(summary, lines) : lines;
}

const cellValue = (v: unknown): string => (v === undefined ? '' : mdCode(format(v)));

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
