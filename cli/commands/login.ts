// `sdp login [-u USER]`: password from stdin (typed without echo, or piped); prints only the session
// token, so `export SDP_TOKEN=$(sdp login -u admin)` works. For CI, prefer `sdp token create`.
import type { Command } from 'commander';
import { api, serverOption, type ServerOptions } from '../server-client.ts';
import { action, readHidden } from './secret.ts';

export function register(program: Command): void {
  serverOption(
    program
      .command('login')
      .description('log in; prints a session token for SDP_TOKEN (password read from stdin)')
      .option('-u, --username <name>', 'user name', 'admin'),
  ).action(action(async (o: ServerOptions & { username: string }) => {
    const password = await readHidden(`password for ${o.username} at ${o.server}: `);
    const res = await api<{ token: string; expiresAt: string; user: { username: string; role: string } }>(o.server, 'POST', '/api/login', {
      username: o.username,
      password,
    });
    console.error(`logged in as ${res.user.username} (${res.user.role}) until ${res.expiresAt}`);
    console.log(res.token);
  }));
}
