// `sdp token create NAME [--role R] [--user U]` (prints the token once), `sdp token list`,
// `sdp token revoke ID`. Your own tokens; an admin manages everyone's. `sdp token agent NODE`
// (admin): a node's token for an agent started apart, printed once; the node's previous one stops working.
import { Option, type Command } from 'commander';
import { ROLES } from '../../reconciler/auth/roles.ts';
import type { AgentTokenResponse } from '../../schema/api.ts';
import { api, serverOption, type ServerOptions } from '../server-client.ts';
import { action } from './secret.ts';

interface TokenView {
  id: string;
  name: string;
  role: string;
  user: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function register(program: Command): void {
  const token = program.command('token').description('API tokens for the CLI and CI');

  serverOption(
    token
      .command('create <name>')
      .description('create an API token; it is printed once, keep it (e.g. as the CI secret SDP_TOKEN)')
      .addOption(new Option('--role <role>', 'at most your own role (default: yours)').choices(ROLES))
      .option('--user <username>', 'owner (admin only; default: you)'),
  ).action(action(async (name: string, o: ServerOptions & { role?: string; user?: string }) => {
    const res = await api<TokenView & { token: string }>(o.server, 'POST', '/api/tokens', {
      name,
      ...(o.role ? { role: o.role } : {}),
      ...(o.user ? { user: o.user } : {}),
    });
    console.error(`token ${res.id} "${res.name}" for ${res.user} (${res.role}); shown once:`);
    console.log(res.token);
  }));

  serverOption(token.command('list').description('tokens (never their values)').option('--format <format>', 'text | json', 'text')).action(
    action(async (o: ServerOptions & { format: string }) => {
      const { tokens } = await api<{ tokens: TokenView[] }>(o.server, 'GET', '/api/tokens');
      if (o.format === 'json') return console.log(JSON.stringify(tokens, null, 2));
      if (tokens.length === 0) return console.log('no tokens');
      for (const t of tokens) {
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`;
        console.log(`${t.id}\t${t.user}\t${t.name}\t${t.role}\t${state}`);
      }
    }),
  );

  serverOption(token.command('revoke <id>').description('revoke a token by id (from `sdp token list`)')).action(action(async (id: string, o: ServerOptions) => {
    await api(o.server, 'DELETE', `/api/tokens/${encodeURIComponent(id)}`);
    console.log(`revoked ${id}`);
  }));

  serverOption(
    token
      .command('agent <node>')
      .description('issue the token of agent node NODE (admin); printed once, give it to `sdp agent` as SDP_AGENT_TOKEN; the previous one stops working'),
  ).action(action(async (node: string, o: ServerOptions) => {
    const res = await api<AgentTokenResponse>(o.server, 'POST', `/api/agents/${encodeURIComponent(node)}/token`);
    console.error(`token of node ${res.node} issued (any previous one stops working); shown once:`);
    console.log(res.token);
  }));
}
