// Bearer credentials: high-entropy random strings with a prefix that says what they are, so a
// leaked one is recognisable (and secret scanners can match it). Only their sha256 is stored.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = {
  /** API token for the CLI and CI, created by a user */
  api: 'sdp_',
  /** login session; the same string is the cookie value and the `{token}` login answers */
  session: 'sdps_',
  /** a node's agent token */
  agent: 'sdpa_',
  /** CSRF token given at login, sent back in the X-SDP-CSRF header */
  csrf: 'sdpc_',
} as const;

export function newToken(kind: keyof typeof TOKEN_PREFIX): string {
  return TOKEN_PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored sha256 hex digest in constant time. */
export function matchesHash(presented: string, storedHash: string): boolean {
  const a = Buffer.from(sha256(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A short public id for listing and revoking tokens without showing them. */
export function newTokenId(): string {
  return 'tok_' + randomBytes(6).toString('hex');
}
