// `sdp user list | create NAME --role R | set-role NAME R | passwd NAME | delete NAME` (admin).
// Passwords are read from stdin (typed without echo, or piped), never taken as arguments.
import { Option, type Command } from 'commander';
import { ROLES } from '../../reconciler/auth/roles.ts';
import { api, serverOption, type ServerOptions } from '../server-client.ts';
import { action, readHidden } from './secret.ts';

interface UserView {
  username: string;
  role: string;
  source: string;
}

export function register(program: Command): void {
  const user = program.command('user').description('users and roles: viewer < qa (sync) < lead (prune, secrets) < admin (users, tokens)');
  const path = (name: string): string => `/api/users/${encodeURIComponent(name)}`;

  serverOption(user.command('list').description('users and their roles').option('--format <format>', 'text | json', 'text')).action(
    action(async (o: ServerOptions & { format: string }) => {
      const { users } = await api<{ users: UserView[] }>(o.server, 'GET', '/api/users');
      if (o.format === 'json') return console.log(JSON.stringify(users, null, 2));
      for (const u of users) console.log(`${u.username}\t${u.role}\t${u.source}`);
    }),
  );

  serverOption(
    user
      .command('create <username>')
      .description('create a user; the password is read from stdin')
      .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory()),
  ).action(action(async (username: string, o: ServerOptions & { role: string }) => {
    const password = await readHidden(`password for ${username}: `);
    await api(o.server, 'POST', '/api/users', { username, role: o.role, password });
    console.log(`created ${username} (${o.role})`);
  }));

  serverOption(
    user
      .command('set-role <username> <role>')
      .description(`change a user's role (${ROLES.join(', ')})`),
  ).action(action(async (username: string, role: string, o: ServerOptions) => {
    await api(o.server, 'PATCH', path(username), { role });
    console.log(`${username} is now ${role}`);
  }));

  serverOption(user.command('passwd <username>').description("set a user's password (read from stdin); ends their sessions")).action(
    action(async (username: string, o: ServerOptions) => {
      const password = await readHidden(`new password for ${username}: `);
      await api(o.server, 'PATCH', path(username), { password });
      console.log(`password of ${username} changed`);
    }),
  );

  serverOption(user.command('delete <username>').description('delete a user with their sessions and tokens')).action(
    action(async (username: string, o: ServerOptions) => {
      await api(o.server, 'DELETE', path(username));
      console.log(`deleted ${username}`);
    }),
  );
}
