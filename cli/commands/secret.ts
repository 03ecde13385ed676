// `sdp secret set ENV KEY` (value on stdin, never echoed), `sdp secret list`, `sdp secret unset ENV KEY`.
// The value goes to the server once, over the API; the CLI never prints or stores it.
import { resolveRemote, type RemoteFlags } from '../context.ts';
import { CliError } from '../exit.ts';
import { chosenOutput, type OutputFlags } from '../output.ts';
import { structured } from '../structured.ts';
import { readHidden } from '../prompt.ts';
import { api } from '../server-client.ts';
import { state } from '../color.ts';
import { table } from '../table.ts';

export async function set(environment: string, key: string, o: RemoteFlags): Promise<void> {
  const remote = resolveRemote(o);
  const value = await readHidden(`value for ${environment}/${key}: `);
  if (value === '') throw new CliError('empty value: nothing set');
  await api(remote, 'PUT /api/secrets/{env}/{key}', { env: environment, key }, { value });
  console.log(`set ${environment}/${key}`);
}

export async function unset(environment: string, key: string, o: RemoteFlags): Promise<void> {
  await api(resolveRemote(o), 'DELETE /api/secrets/{env}/{key}', { env: environment, key });
  console.log(`unset ${environment}/${key}`);
}

export async function list(o: RemoteFlags & OutputFlags): Promise<void> {
  const { secrets } = await api(resolveRemote(o), 'GET /api/secrets', {});
  const output = chosenOutput(o);
  const data = structured(secrets, output);
  if (data !== undefined) return console.log(data);
  if (secrets.length === 0) return console.log('no secrets');
  const wide = output === 'wide';
  const rows = secrets.map((s) => [
    `${s.environment}/${s.key}`,
    state(s.set ? 'set' : 'UNSET'),
    s.referenced ? 'yes' : 'no (not in the specs)',
    ...(wide ? [s.updatedBy ?? '', s.updatedAt ?? ''] : []),
  ]);
  console.log(table(['secret', 'value', 'referenced', ...(wide ? ['updated by', 'updated at'] : [])], rows));
}
