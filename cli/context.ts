// Where the CLI finds its reconciler and token: flags, then env SDP_SERVER / SDP_TOKEN, then the
// login saved by `sdp login` (like argocd's contexts), then http://127.0.0.1:3452 without a token.
// Saved logins live in $XDG_CONFIG_HOME/sdp/config.json (~/.config/sdp), mode 600: they hold tokens.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './exit.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:3452';

export interface SavedLogin {
  server: string;
  user: string;
  token: string;
  expiresAt?: string;
}

export interface Config {
  /** the server of the login used when neither --server nor SDP_SERVER says otherwise */
  current?: string;
  /** by server URL */
  logins: Record<string, SavedLogin>;
}

/** A reconciler to talk to: its URL and the bearer token, if any. */
export interface Remote {
  server: string;
  token?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(base, 'sdp', 'config.json');
}

export function readConfig(path = configPath()): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { logins: {} };
  }
  try {
    const c = JSON.parse(text) as Partial<Config>;
    return { ...(c.current ? { current: c.current } : {}), logins: c.logins ?? {} };
  } catch (err) {
    throw new CliError(`${path}: not valid JSON (${(err as Error).message}); fix or delete it, then run sdp login again`);
  }
}

/** Writes the config readable by its owner only (the file holds tokens), replacing it whole. */
export function writeConfig(config: Config, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The server URL without a trailing slash, so one server is one saved login. */
export function normalizeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--server ${url}: not a URL (e.g. http://127.0.0.1:3452)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--server ${url}: use an http:// or https:// URL`);
  return parsed.href.replace(/\/+$/, '');
}

export interface RemoteFlags {
  server?: string;
  token?: string;
}

/** Flags win over env, env over the saved login; a saved token is only sent to its own server. */
export function resolveRemote(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env, config: Config = readConfig(configPath(env))): Remote {
  const server = normalizeServer(flags.server ?? (env['SDP_SERVER'] || undefined) ?? config.current ?? DEFAULT_SERVER);
  const token = flags.token ?? (env['SDP_TOKEN'] || undefined) ?? config.logins[server]?.token;
  return token ? { server, token } : { server };
}
