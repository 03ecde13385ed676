// `sdp plan [SANDBOX]`. With --offline: compiles the local specs and shows what they mean (containers
// per node, images, branches, ports, env with secret names only, network, routes, gateway URL) so a
// PR author sees their YAML's effect without a server. Exit 0, or 2 on spec errors.
// The server mode (drift and the actions a sync would take: exit 0 none / 1 some / 2 error) is a
// second runner next to `planOffline`, chosen in the action below.
import { Option, type Command } from 'commander';
import { formatSpecErrors } from '../../reconciler/specs/format.ts';
import { renderDesired } from '../../reconciler/specs/render.ts';
import { compileFolder, shownPath, type SpecsOptions } from './validate.ts';

export type PlanFormat = 'text' | 'json' | 'markdown';

export interface PlanOptions extends SpecsOptions {
  offline?: boolean;
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
  else print(renderDesired(chosen, opts.format).trimEnd());
  return 0;
}

export function register(program: Command): void {
  program
    .command('plan [sandbox]')
    .description('what a sync would do; with --offline, what the local specs compile to (exit 2 on spec errors)')
    .option('--offline', 'compile the local specs only; no server needed')
    .option('--specs <dir>', 'specs folder (with --offline)', './specs')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .action(async (sandbox: string | undefined, opts: PlanOptions) => {
      if (opts.offline) {
        process.exitCode = await planOffline(sandbox, opts);
        return;
      }
      console.error('sdp plan: the server mode is not available in this build yet; use --offline');
      process.exitCode = 2;
    });
}
