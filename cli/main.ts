// `sdp` command line. This folder is the composition root: the only place that wires the
// reconciler and the agent together (for `sdp up`), since reconciler/ and agent/ never import each other.
//
// Every command, with its options and help, is declared here; its module (commands/*.ts, with the
// Docker, HTTP and SQLite clients it needs) is imported only when it runs, so `sdp --help` and
// `sdp validate` load none of the others. Exit codes follow cli/exit.ts for every command.
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './exit.ts';
import { outputOption } from './output.ts';
import { VERSION } from './version.ts';
import { ROLES } from '../reconciler/auth/roles.ts';


const program = new Command('sdp')
  .description('Declarative GitOps reconciler for feature-branch sandboxes on plain Docker hosts')
  .version(VERSION, '-V, --version', 'the client version (`sdp version` adds the server\'s)')
  .showHelpAfterError()
  // usage errors (unknown option, bad -o value, missing argument) exit 2, like every other error
  .exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.error);
  })
  .addHelpText(
    'after',
    `
Examples:
  sdp validate                          check ./specs (exit 2 on errors)
  sdp login --server http://sdp:3452    save a login for the commands below
  sdp status -o wide                    revision, agents, sandboxes with their drift
  sdp plan qa-login-error               what a sync would do (exit 1 when something would change)
  sdp sync qa-login-error --wait --timeout 5m
  sdp rollback qa-login-error --wait    back to the previous good sync, pinned there

Exit codes: 0 ok / nothing to change, 1 something would change or the change failed, 2 usage,
spec or server error. Server and token: --server/--token, else SDP_SERVER/SDP_TOKEN, else the
saved login (sdp login). Colour on a terminal only; NO_COLOR=1 turns it off, FORCE_COLOR=1 on.`,
  );

type Action = (...args: never[]) => Promise<number | void>;

/** Loads a command's module when it runs, runs it, and turns its result or error into the exit code. */
function run<M>(load: () => Promise<M>, pick: (m: M) => Action) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    try {
      const code = await (pick(await load()) as (...a: unknown[]) => Promise<number | void>)(...args.slice(0, -1), command);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      const { ServerError } = await import('./server-client.ts');
      // an error sdp expects is one line; anything else is a bug, shown with its stack
      const expected = err instanceof CliError || err instanceof ServerError;
      console.error(`sdp ${fullName(command)}: ${expected ? err.message : err instanceof Error ? err.stack : String(err)}`);
      process.exitCode = EXIT.error;
    }
  };
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** --server and --token on every command that talks to a reconciler. */
function remote(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'reconciler URL (default: env SDP_SERVER, the saved login, http://127.0.0.1:3452)')
    .option('--token <token>', 'API or session token (default: env SDP_TOKEN, the saved login; visible to `ps`, prefer those)');
}

/** -o/--output, and the old --format as a hidden alias of it. */
function output(cmd: Command, extra: readonly string[] = []): Command {
  const o = outputOption(extra);
  return cmd.addOption(o).addOption(new Option('--format <format>', 'same as --output').choices(o.argChoices ?? []).hideHelp());
}


// --- running sdp ------------------------------------------------------------------------------
program
  .command('up')
  .description('reconciler + UI + a local agent in one process')
  .option('--specs <dir>', 'specs folder, watched', './specs')
  .option('--data <dir>', 'data folder (SQLite, keys, agent work dir)', '.sdp')
  .option('--port <n>', 'HTTP port', '3452')
  .option('--node <name>', 'node name of the local agent', 'local')
  .addHelpText('after', '\nExample:\n  sdp up --specs specs --port 3460')
  .action(run(() => import('./commands/up.ts'), (m) => m.up));

program
  .command('server')
  .description('run the reconciler (API, UI, agent hub) without a local agent')
  .option('--specs <dir>', 'specs folder, watched', './specs')
  .option('--specs-git <url>', 'follow a git repository instead of a folder (pulled every minute and on POST /api/webhooks/git)')
  .option('--specs-branch <branch>', 'branch of --specs-git')
  .option('--specs-path <path>', 'specs folder inside --specs-git')
  .option('--data <dir>', 'data folder (SQLite, keys)', '.sdp')
  .option('--port <n>', 'HTTP port', '3452')
  .option('--host <addr>', 'listen address', '127.0.0.1')
  .option('--webhook-secret-file <path>', 'file holding the secret git signs POST /api/webhooks/git with (default: env SDP_WEBHOOK_SECRET; none: the webhook is off)')
  .addHelpText('after', '\nExample:\n  sdp server --host 0.0.0.0 --specs-git https://git.example/specs.git --specs-path specs')
  .action(run(() => import('./commands/server.ts'), (m) => m.server));

program
  .command('agent')
  .description('run the agent on this Docker host and join a reconciler')
  .requiredOption('--server <url>', 'reconciler WebSocket, e.g. ws://HOST:3452/ws/agent')
  .option('--name <node>', 'node name, as in the Platform spec (default: the host name)')
  .option('--token <token>', 'node token (default: env SDP_AGENT_TOKEN)')
  .option('--roles <roles>', 'comma-separated roles', '')
  .option('--address <ip>', 'address other nodes reach this host at', '127.0.0.1')
  .option('--work-dir <dir>', 'git mirrors and worktrees', '.sdp/agent')
  .option('--docker-socket <path>', 'Docker engine socket (default: DOCKER_HOST or /var/run/docker.sock)')
  .addHelpText('after', '\nExample:\n  SDP_AGENT_TOKEN=... sdp agent --server ws://rec:3452/ws/agent --name micro-1 --roles micro --address 10.0.0.5')
  .action(run(() => import('./commands/agent.ts'), (m) => m.agent));

// --- specs --------------------------------------------------------------------------------------
output(
  program
    .command('validate')
    .description('check every spec in the folder; prints all errors as file:line:col (exit 2 on any)')
    .option('--specs <dir>', 'specs folder', './specs')
    .addHelpText('after', '\nExamples:\n  sdp validate --specs specs\n  sdp validate -o github     annotations on the lines, in a GitHub Actions step'),
  ['github'],
).action(run(() => import('./commands/validate.ts'), (m) => m.validate));

output(
  remote(
    program
      .command('plan [sandbox]')
      .description('what a sync would do (exit 0 nothing, 1 something, 2 error); --offline: what the local specs compile to')
      .option('--offline', 'compile the local specs only; no server needed')
      .option('--prune', 'plan as a sync with prune would')
      .option('--specs <dir>', "specs folder: with --offline compiled here (default ./specs); against a server planned as if merged (a pull request's specs)")
      .addHelpText('after', '\nExamples:\n  sdp plan qa-login-error\n  sdp plan --specs specs -o markdown   a pull-request comment: what merging would change\n  sdp plan --offline account-smoke'),
  ),
  ['markdown'],
).action(run(() => import('./commands/plan.ts'), (m) => m.plan));

// --- a reconciler -------------------------------------------------------------------------------
output(
  remote(
    program
      .command('status')
      .description('revision in force, agents, and every sandbox with its drift')
      .addHelpText('after', '\nExamples:\n  sdp status\n  sdp status -o json | jq \'.sandboxes[] | select(.sync != "Synced") | .name\''),
  ),
).action(run(() => import('./commands/status.ts'), (m) => m.status));

output(
  remote(
    program
      .command('get <kind> [name]')
      .description('sandboxes, one sandbox (desired and live), sandbox sets, agents, a job, or notification deliveries')
      .addHelpText(
        'after',
        '\nKinds: sandboxes | sandbox NAME | sets | agents | job ID | notifications [SANDBOX]\n\nExamples:\n  sdp get sandboxes -o wide\n  sdp get sandbox qa-login-error -o yaml\n  sdp get sets\n  sdp get job 42\n  sdp get notifications qa-login-error',
      ),
  ),
).action(run(() => import('./commands/get.ts'), (m) => m.get));

remote(
  program
    .command('sync <sandbox>')
    .description('sync a sandbox to its specs (exit 0 done, 1 failed, timed out or --dry-run with changes, 2 error)')
    .option('--prune', 'also remove what no spec asks for (role lead)')
    .option('--dry-run', 'show the plan only')
    .option('--wait', 'follow the job until it ends')
    .option('--timeout <duration>', 'with --wait: give up after this long, e.g. 90s, 5m (exit 1; the job goes on)')
    .addHelpText('after', '\nExamples:\n  sdp sync qa-login-error --wait --timeout 5m\n  sdp sync qa-login-error --dry-run'),
).action(run(() => import('./commands/sync.ts'), (m) => m.sync));

// --- history and rollback ------------------------------------------------------------------------
output(
  remote(
    program
      .command('history <sandbox>')
      .description('its syncs, newest first: job, when, who, revision, commits / images (-o wide: branches, env digests), outcome')
      .option('--limit <n>', 'at most this many syncs (default 50)')
      .addHelpText('after', '\nExample:\n  sdp history qa-login-error -o wide'),
  ),
).action(run(() => import('./commands/history.ts'), (m) => m.history));

remote(
  program
    .command('rollback <sandbox>')
    .description('re-deploy exactly what an earlier sync applied (same commits and images) and pin the sandbox there: auto-sync and self-heal leave it alone until `sdp unpin` or its spec changes')
    .option('--to <job|snapshot>', 'a job id (sdp history) or a snapshot name (sdp snapshot); default: the previous successful sync')
    .option('--reason <text>', 'why, shown with the pin')
    .option('--prune', 'also remove what that state does not have (role lead)')
    .option('--wait', 'follow the job until it ends')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 1; the job goes on)')
    .addHelpText('after', '\nExamples:\n  sdp rollback qa-login-error --reason "login broke at 4f2a" --wait\n  sdp rollback qa-login-error --to 20261201093000-1a2b3c4d\n  sdp rollback qa-login-error --to before-demo'),
).action(run(() => import('./commands/history.ts'), (m) => m.rollback));

remote(
  program
    .command('pin <sandbox>')
    .description('hold the sandbox at its last successful sync: auto-sync and self-heal leave it alone until `sdp unpin` or its spec changes')
    .option('--reason <text>', 'why, shown with the pin')
    .addHelpText('after', '\nExample:\n  sdp pin qa-login-error --reason "release test until 15:00"'),
).action(run(() => import('./commands/history.ts'), (m) => m.pin));

remote(program.command('unpin <sandbox>').description('lift the pin: auto-sync and self-heal apply again (an automated sandbox then syncs to its branch heads)')).action(
  run(() => import('./commands/history.ts'), (m) => m.unpin),
);

output(
  remote(
    program
      .command('snapshot <sandbox> [name]')
      .description('keep what a sync applied under NAME, to roll back to or recreate later (sdp rollback SANDBOX --to NAME); without NAME: list the snapshots')
      .option('--job <id>', 'the sync to keep (default: the last successful one)')
      .option('--reason <text>', 'a note kept with it')
      .addHelpText('after', '\nExamples:\n  sdp snapshot qa-login-error before-demo --reason "what QA signed off"\n  sdp snapshot qa-login-error'),
  ),
).action(run(() => import('./commands/history.ts'), (m) => m.snapshot));
output(
  remote(
    program
      .command('logs <sandbox> <service>')
      .description("a service's container log, secret values masked (role qa); -f follows it until the container stops or Ctrl-C")
      .option('-f, --follow', 'keep printing new lines')
      .option('--since <when>', 'only lines after this: a duration ago (90s, 10m, 2h, 1d) or an RFC 3339 time')
      .option('--tail <n>', 'lines of history first (0..5000, default 100)')
      .addHelpText(
        'after',
        '\nOutput: text the lines (stderr\'s on stderr), wide with time and stream, json one API LogEvent a line.\n\nExamples:\n  sdp logs qa-login-error account --tail 50\n  sdp logs qa-login-error account -f --since 10m\n  sdp logs qa-login-error account -o json | jq -r \'select(.type == "line") | .text\'',
      ),
  ),
).action(run(() => import('./commands/logs.ts'), (m) => m.logs));

remote(
  program
    .command('refresh')
    .description('re-resolve branches, re-read the agents\' inventories and recompile the specs now')
    .addHelpText('after', '\nExample:\n  git push && sdp refresh && sdp plan qa-login-error'),
).action(run(() => import('./commands/get.ts'), (m) => m.refresh));

output(remote(program.command('version').description('the client\'s version and the server\'s'))).action(
  run(() => import('./commands/version.ts'), (m) => m.version),
);

// --- login ----------------------------------------------------------------------------------------
remote(
  program
    .command('login')
    .description('log in and save the login (server + session token, mode 600) for later commands; password from stdin')
    .option('-u, --username <name>', 'user name', 'admin')
    .option('--print-token', 'print the session token instead of saving it: export SDP_TOKEN=$(sdp login --print-token)')
    .addHelpText('after', '\nExamples:\n  sdp login --server https://sdp.example -u achmad\n  printf %s "$PASSWORD" | sdp login -u ci --print-token'),
).action(run(() => import('./commands/login.ts'), (m) => m.login));

remote(program.command('logout').description('end the saved session and forget it')).action(run(() => import('./commands/login.ts'), (m) => m.logout));

program
  .command('completion <shell>')
  .description('shell completion script: bash, zsh or fish')
  .addHelpText('after', '\nExamples:\n  source <(sdp completion bash)\n  sdp completion fish > ~/.config/fish/completions/sdp.fish')
  .action(run(() => import('./commands/completion.ts'), (m) => async (shell: string) => m.completion(program, shell)));

// --- tokens, secrets, users ------------------------------------------------------------------------
const token = program.command('token').description('API tokens for the CLI and CI');
remote(
  token
    .command('create <name>')
    .description('create an API token; it is printed once, keep it (e.g. as the CI secret SDP_TOKEN)')
    .addOption(new Option('--role <role>', 'at most your own role (default: yours)').choices(ROLES))
    .option('--user <username>', 'owner (admin only; default: you)'),
).action(run(() => import('./commands/token.ts'), (m) => m.create));
output(remote(token.command('list').description('tokens (never their values)'))).action(run(() => import('./commands/token.ts'), (m) => m.list));
remote(token.command('revoke <id>').description('revoke a token by id (from `sdp token list`)')).action(run(() => import('./commands/token.ts'), (m) => m.revoke));
remote(
  token
    .command('agent <node>')
    .description('issue the token of agent node NODE (admin); printed once, give it to `sdp agent` as SDP_AGENT_TOKEN; the previous one stops working'),
).action(run(() => import('./commands/token.ts'), (m) => m.agent));

const secret = program.command('secret').description("secrets in the reconciler's encrypted store (values go in, never come out)");
remote(
  secret
    .command('set <environment> <key>')
    .description('set a secret; the value is read from stdin (typed without echo, or piped)')
    .addHelpText('after', '\nExample:\n  printf %s "$DB_PASSWORD" | sdp secret set account-dev DB_PASSWORD'),
).action(run(() => import('./commands/secret.ts'), (m) => m.set));
remote(secret.command('unset <environment> <key>').description('remove a secret')).action(run(() => import('./commands/secret.ts'), (m) => m.unset));
output(remote(secret.command('list').description('secret names, set or not (never values)'))).action(run(() => import('./commands/secret.ts'), (m) => m.list));

const user = program.command('user').description('users and roles: viewer < qa (sync, rollback, pin) < lead (prune, secrets) < admin (users, tokens)');
output(remote(user.command('list').description('users and their roles'))).action(run(() => import('./commands/user.ts'), (m) => m.list));
remote(
  user
    .command('create <username>')
    .description('create a user; the password is read from stdin')
    .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory()),
).action(run(() => import('./commands/user.ts'), (m) => m.create));
remote(user.command('set-role <username> <role>').description(`change a user's role (${ROLES.join(', ')})`)).action(
  run(() => import('./commands/user.ts'), (m) => m.setRole),
);
remote(user.command('passwd <username>').description("set a user's password (read from stdin); ends their sessions")).action(
  run(() => import('./commands/user.ts'), (m) => m.passwd),
);
remote(user.command('delete <username>').description('delete a user with their sessions and tokens')).action(
  run(() => import('./commands/user.ts'), (m) => m.remove),
);

await program.parseAsync(process.argv);
