// `sdp agent`: runs the agent alone on a Docker host, joining a reconciler started elsewhere.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { startAgent } from '../../agent/index.ts';

export function register(program: Command): void {
  program
    .command('agent')
    .description('run the agent on this Docker host and join a reconciler')
    .requiredOption('--server <url>', 'reconciler WebSocket, e.g. ws://HOST:3452/ws/agent')
    .option('--name <node>', 'node name, as in the Platform spec', hostname().toLowerCase())
    .option('--token <token>', 'node token (default: env SDP_AGENT_TOKEN)')
    .option('--roles <roles>', 'comma-separated roles', '')
    .option('--address <ip>', 'address other nodes reach this host at', '127.0.0.1')
    .option('--work-dir <dir>', 'git mirrors and worktrees', '.sdp/agent')
    .option('--docker-socket <path>', 'Docker engine socket (default: DOCKER_HOST or /var/run/docker.sock)')
    .action(async (o: { server: string; name: string; token?: string; roles: string; address: string; workDir: string; dockerSocket?: string }) => {
      const token = o.token ?? process.env.SDP_AGENT_TOKEN;
      if (!token) program.error('sdp agent: a token is needed: --token or env SDP_AGENT_TOKEN');
      const agent = await startAgent({
        server: o.server,
        name: o.name,
        token,
        roles: o.roles.split(',').map((r) => r.trim()).filter(Boolean),
        address: o.address,
        workDir: o.workDir,
        ...(o.dockerSocket ? { dockerSocket: o.dockerSocket } : {}),
      });
      const shutdown = () => void agent.stop().then(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
