// `sdp plan [SANDBOX]`. With --offline: compiles the local specs and shows what they mean (containers
// per node, images, branches, ports, env with secret names only, network, routes, gateway URL) so a
// PR author sees their YAML's effect without a server. Exit 0, or 2 on spec errors.
// Without --offline (`planOnline`): the server's drift and the actions a sync would take; exit 0
// none / 1 some / 2 error (argocd app diff, flux diff, terraform plan -detailed-exitcode).
import { formatSpecErrors } from '../../reconciler/specs/format.ts';
import { renderDesired } from '../../reconciler/specs/render.ts';
import { compileFolder, shownPath, type SpecsOptions } from './validate.ts';
import type { Plan } from '../../schema/api.ts';
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

export function plan(sandbox: string | undefined, o: SpecsOptions & OutputFlags & RemoteFlags & { offline?: boolean; prune?: boolean }): Promise<number> {
  const opts: PlanOptions = { specs: o.specs, output: chosenOutput(o), ...(o.offline ? { offline: true } : {}), ...(o.prune ? { prune: true } : {}) };
  return opts.offline ? planOffline(sandbox, opts) : planOnline(sandbox, opts, resolveRemote(o));
}
