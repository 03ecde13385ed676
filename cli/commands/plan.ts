// `sdp plan [SANDBOX]`. With --offline: compiles the local specs and shows what they mean (containers
// per node, images, branches, ports, env with secret names only, network, routes, gateway URL) so a
// PR author sees their YAML's effect without a server. Exit 0, or 2 on spec errors.
// Without --offline (`planOnline`): the server's drift and the actions a sync would take; exit 0
// none / 1 some / 2 error (argocd app diff, flux diff, terraform plan -detailed-exitcode). With
// --specs DIR against a server (`planProposed`): DIR's specs planned as if merged (POST /api/plan).
import { formatSpecErrors } from '../../reconciler/specs/format.ts';
import { renderDesired } from '../../reconciler/specs/render.ts';
import { compileFolder, shownPath, type SpecsOptions } from './validate.ts';
import { PLAN_REQUEST_LIMITS, type Plan, type PlanRequest } from '../../schema/api.ts';
import type { SpecError } from '../../schema/desired.ts';
import { readSpecFiles, type SpecFile } from '../../reconciler/specs/compile.ts';
import { renderPlan, renderPlanComment } from '../../reconciler/present/plan.ts';
import { resolveRemote, type Remote, type RemoteFlags } from '../context.ts';
import { CliError, EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { api } from '../server-client.ts';

export interface PlanOptions extends SpecsOptions {
  offline?: boolean;
  prune?: boolean;
  /** text | json | yaml | wide | markdown */
  output: string;
}

const textFormat = (output: string): 'text' | 'markdown' => (output === 'markdown' ? 'markdown' : 'text');

export async function planOffline(sandbox: string | undefined, opts: PlanOptions, print = console.log): Promise<number> {
  const result = await compileFolder(opts.specs);
  if (!result.ok) {
    const data = structured({ ok: false, errors: result.errors.map((e) => ({ ...e, file: shownPath(opts.specs)(e.file) })) }, opts.output);
    print(data ?? formatSpecErrors(result.errors, 'text', shownPath(opts.specs)));
    return EXIT.error;
  }
  const all = result.desired.sandboxes;
  const chosen = sandbox === undefined ? all : all.filter((s) => s.name === sandbox);
  if (sandbox !== undefined && chosen.length === 0) {
    throw new CliError(`no sandbox ${sandbox} in ${opts.specs} (sandboxes: ${all.map((s) => s.name).join(', ') || 'none'})`);
  }
  const data = structured({ sandboxes: chosen }, opts.output);
  if (data !== undefined) print(data);
  else {
    print(renderDesired(chosen, textFormat(opts.output)).trimEnd());
    // Offline there is no store of earlier allocations: unfixed ports are shown as on a first start.
    print(`\n(offline: host ports not fixed in the specs are allocated as on a first start; a running sdp keeps earlier allocations)`);
  }
  return EXIT.ok;
}

/** Against the server: the drift and the actions a sync would take, for one sandbox or all. */
export async function planOnline(sandbox: string | undefined, opts: PlanOptions, remote: Remote, print = console.log): Promise<number> {
  const names = sandbox !== undefined ? [sandbox] : (await api(remote, 'GET /api/sandboxes', {})).map((s) => s.name);
  const plans: Plan[] = [];
  for (const name of names) {
    plans.push(await api(remote, 'GET /api/sandboxes/{name}/plan', { name }, undefined, { prune: opts.prune ? 'true' : undefined }));
  }
  const data = structured(sandbox !== undefined ? plans[0] : plans, opts.output);
  if (data !== undefined) print(data);
  else if (opts.output === 'markdown') print(renderPlanComment({ plans }).trimEnd());
  else if (plans.length === 0) print('no sandboxes');
  else print(plans.map((p) => renderPlan(p, textFormat(opts.output)).trimEnd()).join('\n\n'));
  return plans.every((p) => p.noop) ? EXIT.ok : EXIT.changedOrFailed;
}

/**
 * A pull request's specs (`--specs DIR`) planned by the server as if they were merged: per sandbox
 * its drift and actions against what runs, and the sandboxes added and removed. Exit 0 nothing would
 * change, 1 something would, 2 spec errors (file:line:col as `sdp validate` prints them) or a refusal.
 */
export async function planProposed(sandbox: string | undefined, opts: PlanOptions, remote: Remote, print = console.log): Promise<number> {
  const read = await readFolder(opts.specs);
  const body: PlanRequest = { files: read.files, ...(opts.prune ? { prune: true } : {}) };
  // said here rather than by a 413 the server sends while the body is still on its way
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes > PLAN_REQUEST_LIMITS.bytes) throw new CliError(`the specs in ${opts.specs} are ${bytes} bytes as a request; POST /api/plan takes at most ${PLAN_REQUEST_LIMITS.bytes}`);
  const answer = read.errors.length > 0 ? ({ ok: false, errors: read.errors } as const) : await api(remote, 'POST /api/plan', {}, body);
  if (!answer.ok) {
    const data = structured({ ok: false, errors: answer.errors.map((e) => ({ ...e, file: shownPath(opts.specs)(e.file) })) }, opts.output);
    print(data ?? formatSpecErrors(answer.errors, 'text', shownPath(opts.specs)));
    return EXIT.error;
  }
  const only = <T>(names: T[], name: (t: T) => string) => (sandbox === undefined ? names : names.filter((t) => name(t) === sandbox));
  const plans = only(answer.plans, (p) => p.sandbox);
  const added = only(answer.added, (n) => n);
  const removed = only(answer.removed, (n) => n);
  const specChanged = only(answer.specChanged, (n) => n);
  if (sandbox !== undefined && plans.length === 0 && removed.length === 0) {
    throw new CliError(`no sandbox ${sandbox} in ${opts.specs} nor in the revision in force (sandboxes: ${answer.plans.map((p) => p.sandbox).join(', ') || 'none'})`);
  }
  const data = structured({ ...answer, plans, added, removed, specChanged }, opts.output);
  if (data !== undefined) print(data);
  else if (opts.output === 'markdown') print(renderPlanComment({ plans, added, removed, specChanged }).trimEnd());
  else {
    const lines = [`${opts.specs} against revision ${answer.against ?? '(none in force)'}: ${added.length} added, ${removed.length} removed`];
    for (const name of added) lines.push(`  + sandbox ${name} (new)`);
    for (const name of removed) lines.push(`  - sandbox ${name} (no longer in the specs)`);
    for (const name of specChanged) lines.push(`  ~ sandbox ${name} (spec changed)`);
    print([lines.join('\n'), ...plans.map((p) => renderPlan(p, 'text').trimEnd())].join('\n\n'));
  }
  return plans.every((p) => p.noop) && added.length === 0 && removed.length === 0 ? EXIT.ok : EXIT.changedOrFailed;
}

/** The folder's spec files as the server is sent them; unreadable ones are errors before any request. */
async function readFolder(dir: string): Promise<{ files: SpecFile[]; errors: SpecError[] }> {
  try {
    return await readSpecFiles(dir);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message;
    return { files: [], errors: [{ file: '.', line: 1, col: 1, message: `cannot read specs folder ${dir}: ${reason}` }] };
  }
}

export function plan(sandbox: string | undefined, o: Partial<SpecsOptions> & OutputFlags & RemoteFlags & { offline?: boolean; prune?: boolean }): Promise<number> {
  const opts: PlanOptions = { specs: o.specs ?? './specs', output: chosenOutput(o), ...(o.offline ? { offline: true } : {}), ...(o.prune ? { prune: true } : {}) };
  if (opts.offline) return planOffline(sandbox, opts);
  return o.specs !== undefined ? planProposed(sandbox, opts, resolveRemote(o)) : planOnline(sandbox, opts, resolveRemote(o));
}
