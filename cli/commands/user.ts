// `sdp user list | create NAME --role R | set-role NAME R | passwd NAME | delete NAME` (admin).
// Passwords are read from stdin (typed without echo, or piped), never taken as arguments.
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { readHidden } from '../prompt.ts';
import { api } from '../server-client.ts';
import { table } from '../table.ts';

export async function list(o: RemoteFlags & OutputFlags): Promise<void> {
  const { users } = await api(resolveRemote(o), 'GET /api/users', {});
  const output = chosenOutput(o);
  const data = structured(users, output);
  if (data !== undefined) return console.log(data);
  const wide = output === 'wide';
  console.log(table(['user', 'role', 'source', ...(wide ? ['created', 'updated'] : [])], users.map((u) => [u.username, u.role, u.source, ...(wide ? [u.createdAt, u.updatedAt] : [])])));
}

export async function create(username: string, o: RemoteFlags & { role: string }): Promise<void> {
  const remote = resolveRemote(o);
  const password = await readHidden(`password for ${username}: `);
  await api(remote, 'POST /api/users', {}, { username, role: o.role, password });
  console.log(`created ${username} (${o.role})`);
}

export async function setRole(username: string, role: string, o: RemoteFlags): Promise<void> {
  await api(resolveRemote(o), 'PATCH /api/users/{username}', { username }, { role });
  console.log(`${username} is now ${role}`);
}

export async function passwd(username: string, o: RemoteFlags): Promise<void> {
  const remote = resolveRemote(o);
  const password = await readHidden(`new password for ${username}: `);
  await api(remote, 'PATCH /api/users/{username}', { username }, { password });
  console.log(`password of ${username} changed`);
}

export async function remove(username: string, o: RemoteFlags): Promise<void> {
  await api(resolveRemote(o), 'DELETE /api/users/{username}', { username });
  console.log(`deleted ${username}`);
}
