// `sdp` command line. This folder is the composition root: the only place that wires the
// reconciler and the agent together (for `sdp up`), since reconciler/ and agent/ never import each other.
import { Command } from 'commander';

const program = new Command('sdp')
  .description('Declarative GitOps reconciler for feature-branch sandboxes on plain Docker hosts')
  .version('0.1.0')
  .showHelpAfterError();

// Each command module adds itself to `program`. Only the module of the command being run is loaded
// (a CI job running `sdp validate` should not pay for Docker, HTTP and SQLite clients); help loads all.
const COMMANDS: Record<string, () => Promise<{ register: (program: Command) => void }>> = {
  agent: () => import('./commands/agent.ts'),
  login: () => import('./commands/login.ts'),
  plan: () => import('./commands/plan.ts'),
  secret: () => import('./commands/secret.ts'),
  server: () => import('./commands/server.ts'),
  status: () => import('./commands/status.ts'),
  sync: () => import('./commands/sync.ts'),
  token: () => import('./commands/token.ts'),
  up: () => import('./commands/up.ts'),
  user: () => import('./commands/user.ts'),
  validate: () => import('./commands/validate.ts'),
};

const requested = process.argv[2];
const loaders = requested !== undefined && requested in COMMANDS ? [COMMANDS[requested]!] : Object.values(COMMANDS);
for (const load of loaders) (await load()).register(program);

await program.parseAsync(process.argv);
