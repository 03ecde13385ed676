// `sdp validate [--specs DIR] [--format text|json|github]`: compiles the specs folder as the
// reconciler would and prints every error at once (file:line:col: field: message). Exit 1 on errors.
import { Option, type Command } from 'commander';
import { join, relative } from 'node:path';
import { compileSpecsDir } from '../../reconciler/specs/compile.ts';
import { formatSpecErrors, summarize, type ErrorFormat } from '../../reconciler/specs/format.ts';
import type { CompileResult } from '../../schema/desired.ts';

export interface SpecsOptions {
  specs: string;
}

/** Compiles `dir`; a folder that cannot be read is one error, reported like the others. */
export async function compileFolder(dir: string): Promise<CompileResult> {
  try {
    return await compileSpecsDir(dir);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message;
    return { ok: false, errors: [{ file: '.', line: 1, col: 1, message: `cannot read specs folder ${dir}: ${reason}` }] };
  }
}

/** Shows spec files relative to the working directory, so terminals, editors and GitHub find them. */
export const shownPath =
  (dir: string) =>
  (file: string): string =>
    relative(process.cwd(), join(dir, file)) || file;

export async function runValidate(opts: SpecsOptions & { format: ErrorFormat }, print = console.log): Promise<number> {
  const result = await compileFolder(opts.specs);
  if (!result.ok) {
    print(formatSpecErrors(result.errors, opts.format, shownPath(opts.specs)));
    if (opts.format === 'text') print(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'}: specs are not valid`);
    return 1;
  }
  const summary = summarize(result.desired);
  print(opts.format === 'json' ? JSON.stringify({ ok: true, summary }, null, 2) : `specs valid: ${summary}`);
  return 0;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check every spec in the folder; prints all errors as file:line:col, exit 1 on any')
    .option('--specs <dir>', 'specs folder', './specs')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .action(async (opts: SpecsOptions & { format: ErrorFormat }) => {
      process.exitCode = await runValidate(opts);
    });
}
