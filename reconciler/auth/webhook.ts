// Git webhooks arrive without a user, so they prove themselves with an HMAC of the body under a
// shared secret: `X-Hub-Signature-256: sha256=<hex>` (GitHub, Gitea, Bitbucket Server). A webhook
// without a valid signature should be refused (401) before it triggers anything.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'X-Hub-Signature-256';

export function signWebhook(secret: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time check of `header` against the HMAC of the raw body (read it before parsing). */
export function webhookSignatureOk(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (!secret || !header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const want = Buffer.from(signWebhook(secret, body).slice(7), 'hex');
  const got = Buffer.from(header.slice(7), 'hex');
  return timingSafeEqual(want, got);
}
