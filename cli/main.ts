// `sdp` command line. This folder is the composition root: the only place that wires the
// reconciler and the agent together (for `sdp up`), since reconciler/ and agent/ never import each other.
import { Command } from 'commander';

const program = new Command('sdp')
  .description('Declarative GitOps reconciler for feature-branch sandboxes on plain Docker hosts')
  .version('0.1.0')
  .showHelpAfterError();

// Each command module adds itself to `program`; keep this list sorted.
const modules: Array<{ register: (program: Command) => void }> = [
  await import('./commands/agent.ts'),
  await import('./commands/login.ts'),
  await import('./commands/plan.ts'),
  await import('./commands/secret.ts'),
  await import('./commands/server.ts'),
  await import('./commands/status.ts'),
  await import('./commands/sync.ts'),
  await import('./commands/token.ts'),
  await import('./commands/up.ts'),
  await import('./commands/user.ts'),
  await import('./commands/validate.ts'),
];
for (const m of modules) m.register(program);

await program.parseAsync(process.argv);
