// `sdp login [--server URL] [-u USER]`: password from stdin (typed without echo, or piped); saves the
// server and the session token as the login later commands use (cli/context.ts), or with
// --print-token prints only the token (`export SDP_TOKEN=$(sdp login --print-token)`).
// `sdp logout`: ends that session on the server and forgets it. For CI, prefer `sdp token create`.
import { configPath, readConfig, resolveRemote, writeConfig, type RemoteFlags } from '../context.ts';
import { readHidden } from '../prompt.ts';
import { ServerError, api } from '../server-client.ts';

export async function login(o: RemoteFlags & { username: string; printToken?: boolean }): Promise<void> {
  const { server } = resolveRemote({ ...o, token: '' });
  const password = await readHidden(`password for ${o.username} at ${server}: `);
  const res = await api({ server }, 'POST /api/login', {}, { username: o.username, password });
  if (o.printToken) {
    console.error(`logged in as ${res.user.username} (${res.user.role}) until ${res.expiresAt}`);
    console.log(res.token);
    return;
  }
  const config = readConfig();
  config.logins[server] = { server, user: res.user.username, token: res.token, expiresAt: res.expiresAt };
  config.current = server;
  writeConfig(config);
  console.log(`logged in to ${server} as ${res.user.username} (${res.user.role}) until ${res.expiresAt}; saved in ${configPath()}`);
}

export async function logout(o: RemoteFlags): Promise<void> {
  const config = readConfig();
  const { server } = resolveRemote({ ...o, token: '' }, process.env, config);
  const saved = config.logins[server];
  if (!saved) {
    console.log(`no saved login for ${server}`);
    return;
  }
  try {
    await api({ server, token: saved.token }, 'POST /api/logout', {});
  } catch (err) {
    // an expired session, or a server gone for good: forget the login all the same
    if (!(err instanceof ServerError)) throw err;
    console.error(`sdp logout: ${err.message}; forgetting the login anyway`);
  }
  delete config.logins[server];
  if (config.current === server) delete config.current;
  writeConfig(config);
  console.log(`logged out of ${server}`);
}
