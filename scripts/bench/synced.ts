// The starting point several benchmarks share: a started stack with one sandbox of one service
// `web` (branch main), synced and Synced.
import { branchApp, sandboxYaml, type Stack } from '../../test/support/reconciler.ts';

export async function syncedSandbox(stack: Stack, sandbox: string): Promise<void> {
  const repo = stack.repo('web');
  repo.commit('main', branchApp('main'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ web: repo.url }));
  await stack.writeSpec('sb.yaml', sandboxYaml(sandbox, { web: 'main' }));
  await stack.waitSandbox(sandbox, (s) => s.drift.some((d) => d.resource === 'service/web'), 'service drift');
  await stack.syncAndWait(sandbox);
  await stack.waitSandbox(sandbox, (s) => s.sync === 'Synced', 'Synced');
}
