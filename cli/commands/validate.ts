// `sdp validate [--specs DIR] [-o text|json|yaml|wide|github]`: compiles the specs folder as the
// reconciler would and prints every error at once (file:line:col: field: message). Exit 2 on errors.
import { join, relative } from 'node:path';
import { compileSpecsDir } from '../../reconciler/specs/compile.ts';
import { formatSpecErrors, summarize, type ErrorFormat } from '../../reconciler/specs/format.ts';
import type { CompileResult } from '../../schema/desired.ts';
import { EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';

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

/** Exit 0 when the specs are valid, 2 (a spec error, cli/exit.ts) when not. */
export async function runValidate(opts: SpecsOptions & { output: string }, print = console.log): Promise<number> {
  const result = await compileFolder(opts.specs);
  const errorFormat: ErrorFormat = opts.output === 'github' ? 'github' : 'text';
  if (!result.ok) {
    const errors = result.errors.map((e) => ({ ...e, file: shownPath(opts.specs)(e.file) }));
    const data = structured({ ok: false, errors }, opts.output);
    if (data !== undefined) print(data);
    else print(formatSpecErrors(result.errors, errorFormat, shownPath(opts.specs)));
    if (data === undefined && errorFormat === 'text') print(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'}: specs are not valid`);
    return EXIT.error;
  }
  const summary = summarize(result.desired);
  print((structured({ ok: true, summary }, opts.output)) ?? `specs valid: ${summary}`);
  return EXIT.ok;
}

export function validate(o: SpecsOptions & OutputFlags): Promise<number> {
  return runValidate({ specs: o.specs, output: chosenOutput(o) });
}
