// Repository URLs may carry credentials in their userinfo (`https://user:TOKEN@host/...`). The agent
// stores and runs git only with the stripped URL; the userinfo is fed to git through askpass instead.
import { createHash } from 'node:crypto';

export interface SplitUrl {
  /** The URL without userinfo: safe to store, log and hash. */
  url: string;
  username?: string;
  password?: string;
}

export function splitRepoUrl(repo: string): SplitUrl {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@(.*)$/i.exec(repo);
  if (!m) return { url: repo };
  const [, scheme, userinfo, rest] = m as unknown as [string, string, string, string];
  const colon = userinfo.indexOf(':');
  const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  const out: SplitUrl = { url: scheme + rest };
  if (user) out.username = user;
  if (password !== undefined) out.password = password;
  return out;
}

/** Directory name of a repository's mirror: stable per stripped URL, so credentials never change it. */
export function mirrorKey(repo: string): string {
  return createHash('sha256').update(splitRepoUrl(repo).url).digest('hex').slice(0, 16);
}
