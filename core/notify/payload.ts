// The bytes a webhook target gets: sdp's JSON body or a Slack-compatible `{ text }`, signed with
// HMAC-SHA256 when the target names a secret; known secret values replaced before anything is
// rendered; target URLs shown without their credentials.
import { createHmac } from 'node:crypto';
import { REDACTED } from '../../schema/names.ts';
import type { NotificationBody, NotificationFormat, NotificationPayload } from '../../schema/notifications.ts';

/** Shorter values are not searched for (they would match ordinary words); the same bound as git-login's. */
export const MIN_REDACTED_LENGTH = 4;

/** Every string in `value` with each of `secrets` replaced by REDACTED. */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  const known = secrets.filter((s) => s.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
  if (known.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return known.reduce((text, s) => text.split(s).join(REDACTED), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

export function renderPayload(format: NotificationFormat, body: NotificationBody, meta: { delivery: string; platform: string }): string {
  if (format === 'slack') return JSON.stringify({ text: slackEscape(`[sdp ${meta.platform}] ${body.message}`) });
  const payload: NotificationPayload = { delivery: meta.delivery, platform: meta.platform, ...body };
  return JSON.stringify(payload);
}

/**
 * Slack's three control characters as entities: a message carries text sandbox code can influence
 * (an error, a health message), which must not turn into a link or an @channel mention.
 */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The X-Sdp-Signature-256 value: `sha256=` + hex HMAC of the raw body. */
export function signature(key: string, raw: string): string {
  return `sha256=${createHmac('sha256', key).update(raw).digest('hex')}`;
}

/**
 * A target URL as the API shows it: scheme, host and port only. User info and query may carry a
 * credential, and so may the path (a Slack webhook's path is its token).
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname !== '/' || u.search ? '/…' : '/'}`;
  } catch {
    return REDACTED;
  }
}

/** Delay before attempt `attempt + 1` (attempt >= 1): doubling from `baseMs`, at most `maxMs`, ±20% by `jitter` in [0, 1). */
export function retryDelayMs(attempt: number, o: { baseMs: number; maxMs: number }, jitter: number): number {
  const plain = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + 0.4 * jitter));
}
