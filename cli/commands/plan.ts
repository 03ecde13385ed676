// `sdp plan [SANDBOX]`. With --offline: compiles the local specs and shows what they mean (containers
// per node, images, branches, ports, env with secret names only, network, routes, gateway URL) so a
// PR author sees their YAML's effect without a server. Exit 0, or 2 on spec errors.
// Without --offline (`planOnline`): the server's drift and the actions a sync would take; exit 0
// none / 1 some / 2 error.
import { Option, type Command } from 'commander';
import { formatSpecErrors } from '../../reconciler/specs/format.ts';
import { renderDesired } from '../../reconciler/specs/render.ts';
import { compileFolder, shownPath, type SpecsOptions } from './validate.ts';
import type { Plan, SandboxSummary } from '../../schema/api.ts';
import { renderPlan, renderPlanComment } from '../../reconciler/present/plan.ts';
import { DEFAULT_SERVER, ServerError, api } from '../server-client.ts';

export type PlanFormat = 'text' | 'json' | 'markdown';

export interface PlanOptions extends SpecsOptions {
  offline?: boolean;
  server: string;
  prune?: boolean;
  format: PlanFormat;
}

export async function planOffline(sandbox: string | undefined, opts: PlanOptions, print = console.log): Promise<number> {
  const result = await compileFolder(opts.specs);
  if (!result.ok) {
    print(formatSpecErrors(result.errors, opts.format === 'json' ? 'json' : 'text', shownPath(opts.specs)));
    return 2;
  }
  const all = result.desired.sandboxes;
  const chosen = sandbox === undefined ? all : all.filter((s) => s.name === sandbox);
  if (sandbox !== undefined && chosen.length === 0) {
    print(`no sandbox ${sandbox} in ${opts.specs} (sandboxes: ${all.map((s) => s.name).join(', ') || 'none'})`);
    return 2;
  }
  if (opts.format === 'json') print(JSON.stringify({ sandboxes: chosen }, null, 2));
  else {
    print(renderDesired(chosen, opts.format).trimEnd());
    // Offline there is no store of earlier allocations: unfixed ports are shown as on a first start.
    print(`\n(offline: host ports not fixed in the specs are allocated as on a first start; a running sdp keeps earlier allocations)`);
  }
  return 0;
}

/**
 * Against the server: the drift and the actions a sync would take, for one sandbox or all.
 * Exit 0 when nothing would change, 1 when something would, 2 on an error (argocd app diff, flux diff).
 */
export async function planOnline(sandbox: string | undefined, opts: PlanOptions, print = console.log, printErr = console.error): Promise<number> {
  try {
    const names = sandbox !== undefined ? [sandbox] : (await api<SandboxSummary[]>(opts.server, 'GET', '/api/sandboxes')).map((s) => s.name);
    const plans: Plan[] = [];
    for (const name of names) {
      plans.push(await api<Plan>(opts.server, 'GET', `/api/sandboxes/${encodeURIComponent(name)}/plan${opts.prune ? '?prune=true' : ''}`));
    }
    if (opts.format === 'json') print(JSON.stringify(sandbox !== undefined ? plans[0] : plans, null, 2));
    else if (opts.format === 'markdown') print(renderPlanComment({ plans }).trimEnd());
    else if (plans.length === 0) print('no sandboxes');
    else print(plans.map((p) => renderPlan(p, opts.format).trimEnd()).join('\n\n'));
    return plans.every((p) => p.noop) ? 0 : 1;
  } catch (err) {
    printErr(`sdp plan: ${err instanceof ServerError ? err.message : (err as Error).message}`);
    return 2;
  }
}

export function register(program: Command): void {
  program
    .command('plan [sandbox]')
    .description('what a sync would do; with --offline, what the local specs compile to (exit 2 on spec errors)')
    .option('--offline', 'compile the local specs only; no server needed')
    .addOption(new Option('--server <url>', 'reconciler URL (token from env SDP_TOKEN)').default(DEFAULT_SERVER))
    .option('--prune', 'plan as a sync with prune would')
    .option('--specs <dir>', 'specs folder (with --offline)', './specs')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .action(async (sandbox: string | undefined, opts: PlanOptions) => {
      if (opts.offline) {
        process.exitCode = await planOffline(sandbox, opts);
        return;
      }
      process.exitCode = await planOnline(sandbox, opts);
    });
}
