// `sdp up`: everything in one process on one port: the reconciler, the UI, and a local agent that
// joins as node `local` (or --node) with every role of the Platform, at 127.0.0.1.
import { join } from 'node:path';
import { startAgent } from '../../agent/index.ts';
import { newLogger } from '../../reconciler/log.ts';
import { onSignal, printAdmin, startOrExit } from './server.ts';

export async function up(o: { specs: string; data: string; port: string; node: string }): Promise<void> {
  const rec = await startOrExit({ specsDir: o.specs, dataDir: o.data, port: Number(o.port) });
  const agent = await startAgent({
    server: `${rec.url.replace(/^http/, 'ws')}/ws/agent`,
    name: o.node,
    token: rec.addLocalAgentToken(o.node),
    roles: rec.platformRoles(),
    address: '127.0.0.1',
    workDir: join(o.data, 'agent'),
    logger: newLogger('sdp-agent'),
  });
  printAdmin(rec.initialAdmin);
  console.log(`sdp up on ${rec.url} (agent ${o.node})`);
  onSignal(async () => {
    await agent.stop();
    await rec.stop();
  });
}
