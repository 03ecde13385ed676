// `sdp agent`: runs the agent alone on a Docker host, joining a reconciler started elsewhere.
import { hostname } from 'node:os';
import { CliError } from '../exit.ts';
import { startAgent } from '../../agent/index.ts';

export async function agent(o: { server: string; name?: string; token?: string; roles: string; address: string; workDir: string; dockerSocket?: string }): Promise<void> {
  const token = o.token ?? process.env.SDP_AGENT_TOKEN;
  if (!token) throw new CliError('a token is needed: --token or env SDP_AGENT_TOKEN (from `sdp token agent NODE`)');
  const agent = await startAgent({
    server: o.server,
    name: o.name ?? hostname().toLowerCase(),
    token,
    roles: o.roles.split(',').map((r) => r.trim()).filter(Boolean),
    address: o.address,
    workDir: o.workDir,
    ...(o.dockerSocket ? { dockerSocket: o.dockerSocket } : {}),
  });
  const shutdown = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
