// `sdp token create NAME [--role R] [--user U]` (prints the token once), `sdp token list`,
// `sdp token revoke ID`. Your own tokens; an admin manages everyone's. `sdp token agent NODE`
// (admin): a node's token for an agent started apart, printed once; the node's previous one stops working.
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { api } from '../server-client.ts';
import { table } from '../table.ts';

export async function create(name: string, o: RemoteFlags & { role?: string; user?: string }): Promise<void> {
  const res = await api(resolveRemote(o), 'POST /api/tokens', {}, {
    name,
    ...(o.role ? { role: o.role } : {}),
    ...(o.user ? { user: o.user } : {}),
  });
  console.error(`token ${res.id} "${res.name}" for ${res.user} (${res.role}); shown once:`);
  console.log(res.token);
}

export async function list(o: RemoteFlags & OutputFlags): Promise<void> {
  const { tokens } = await api(resolveRemote(o), 'GET /api/tokens', {});
  const output = chosenOutput(o);
  const data = structured(tokens, output);
  if (data !== undefined) return console.log(data);
  if (tokens.length === 0) return console.log('no tokens');
  const wide = output === 'wide';
  const head = ['id', 'user', 'name', 'role', 'state', ...(wide ? ['created'] : [])];
  const rows = tokens.map((t) => [
    t.id,
    t.user,
    t.name,
    t.role,
    t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`,
    ...(wide ? [t.createdAt] : []),
  ]);
  console.log(table(head, rows));
}

export async function revoke(id: string, o: RemoteFlags): Promise<void> {
  await api(resolveRemote(o), 'DELETE /api/tokens/{id}', { id });
  console.log(`revoked ${id}`);
}

export async function agent(node: string, o: RemoteFlags): Promise<void> {
  const res = await api(resolveRemote(o), 'POST /api/agents/{node}/token', { node });
  console.error(`token of node ${res.node} issued (any previous one stops working); shown once:`);
  console.log(res.token);
}
