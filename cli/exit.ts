// One exit-code table for every `sdp` command (README "Exit codes"), like `terraform plan
// -detailed-exitcode` and `argocd app diff`: a CI step can tell "changed" from "broken".
export const EXIT = {
  /** done; nothing to change */
  ok: 0,
  /** something would change (plan, sync --dry-run), or the change failed (sync --wait: the job failed or timed out) */
  changedOrFailed: 1,
  /** usage error, invalid specs, or the server refused or could not be reached */
  error: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the user can act on: printed as one line `sdp <command>: <message>`, exit 2. */
export class CliError extends Error {}
