// `sdp secret set ENV KEY` (value on stdin, never echoed), `sdp secret list`, `sdp secret unset ENV KEY`.
// The value goes to the server once, over the API; the CLI never prints or stores it.
import type { Command } from 'commander';
import { api, serverOption, type ServerOptions } from '../server-client.ts';

/** Runs a command's action; a failure prints `sdp: <reason>` (no stack) and exits 1. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (err) {
      console.error(`sdp: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  };
}

/**
 * Reads a secret: typed at a terminal without echo, or piped (`printf %s "$V" | sdp secret set ...`).
 * One trailing newline of piped input is dropped, as `echo` adds one.
 */
export async function readHidden(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (buf: Buffer): void => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            input.off('data', onData);
            return resolve(value);
          }
          if (ch === '\u0003') {
            input.off('data', onData);
            return reject(new Error('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    process.stderr.write('\n');
  }
}

interface SecretListing {
  environment: string;
  key: string;
  set: boolean;
  referenced: boolean;
  updatedAt?: string;
  updatedBy?: string;
}

export function register(program: Command): void {
  const secret = program.command('secret').description('secrets in the reconciler\'s encrypted store (values go in, never come out)');

  serverOption(
    secret
      .command('set <environment> <key>')
      .description('set a secret; the value is read from stdin (typed without echo, or piped)'),
  ).action(action(async (environment: string, key: string, o: ServerOptions) => {
    const value = await readHidden(`value for ${environment}/${key}: `);
    if (value === '') throw new Error('empty value: nothing set');
    await api(o.server, 'PUT', `/api/secrets/${encodeURIComponent(environment)}/${encodeURIComponent(key)}`, { value });
    console.log(`set ${environment}/${key}`);
  }));

  serverOption(secret.command('unset <environment> <key>').description('remove a secret')).action(
    action(async (environment: string, key: string, o: ServerOptions) => {
      await api(o.server, 'DELETE', `/api/secrets/${encodeURIComponent(environment)}/${encodeURIComponent(key)}`);
      console.log(`unset ${environment}/${key}`);
    }),
  );

  serverOption(secret.command('list').description('secret names, set or not (never values)').option('--format <format>', 'text | json', 'text')).action(
    action(async (o: ServerOptions & { format: string }) => {
      const { secrets } = await api<{ secrets: SecretListing[] }>(o.server, 'GET', '/api/secrets');
      if (o.format === 'json') return console.log(JSON.stringify(secrets, null, 2));
      if (secrets.length === 0) return console.log('no secrets');
      for (const s of secrets) {
        const state = s.set ? `set${s.updatedBy ? ` by ${s.updatedBy}` : ''}${s.updatedAt ? ` at ${s.updatedAt}` : ''}` : 'UNSET';
        console.log(`${s.environment}/${s.key}\t${state}${s.referenced ? '' : '\t(not referenced by the specs)'}`);
      }
    }),
  );
}
