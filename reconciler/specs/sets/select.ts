// Which branches a SandboxSet follows: those matching its glob, newest commit first, at most `max`.
// Pure: the branch list (with commit times) comes from an agent's mirror of the repository.
import type { BranchTip } from '../../../schema/protocol.ts';
import { branchNameProblem } from '../gitref.ts';

/**
 * Why `glob` cannot match branches, or undefined. `*` and `?` stay within a path segment, `**`
 * crosses them (as in GitHub Actions' branch filters); whatever is left must read as a branch name.
 */
export function globProblem(glob: string): string | undefined {
  if (/\*{3,}/.test(glob)) return "has '***': write * (within a segment) or ** (across segments)";
  for (const m of glob.matchAll(/\*\*/g)) {
    const [before, after] = [glob[m.index - 1], glob[m.index + 2]];
    if ((before !== undefined && before !== '/') || (after !== undefined && after !== '/')) {
      return "uses ** inside a segment: ** must be a whole segment (feature/**), * matches within one";
    }
  }
  const literal = glob.replace(/\*\*|\*|\?/g, 'x');
  const problem = branchNameProblem(literal);
  return problem ? `cannot match a branch name: it ${problem.replace(', which is not allowed in a branch name', '')}` : undefined;
}

/** `glob` as a whole-name regular expression (call only when globProblem found nothing). */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` also matches no segment at all: feature/**/x matches feature/x
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface Selection {
  /** the branches the set makes sandboxes for, newest first */
  chosen: BranchTip[];
  /** how many matched in all (more than chosen.length when `max` cut some) */
  matched: number;
}

/** The matching branches, newest commit first (then by name, so equal times give a stable choice), at most `max`. */
export function selectBranches(branches: readonly BranchTip[], glob: string, max: number): Selection {
  const re = globRegExp(glob);
  const matching = branches.filter((b) => re.test(b.name)).sort((a, b) => b.time - a.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { chosen: matching.slice(0, max), matched: matching.length };
}
