// `sdp version`: this client's version and the server's (GET /api/health, public).
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { EXIT } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { ServerError, api } from '../server-client.ts';
import { VERSION } from '../version.ts';

export async function version(o: RemoteFlags & OutputFlags): Promise<number> {
  const remote = resolveRemote(o);
  let server: { url: string; version?: string; error?: string };
  try {
    server = { url: remote.server, version: (await api(remote, 'GET /api/health', {})).version };
  } catch (err) {
    if (!(err instanceof ServerError)) throw err;
    server = { url: remote.server, error: err.message };
  }
  const data = { client: { version: VERSION, node: process.version }, server };
  console.log(
    (structured(data, chosenOutput(o))) ??
      [`client: sdp ${VERSION} (node ${process.version})`, `server: ${server.version ? `sdp ${server.version} at ${server.url}` : server.error}`].join('\n'),
  );
  return server.version ? EXIT.ok : EXIT.error;
}
