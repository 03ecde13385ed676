import { describe, expect, it } from 'vitest';
import { signWebhook, webhookSignatureOk } from './webhook.ts';

describe('webhook signatures', () => {
  const body = '{"ref":"refs/heads/main"}';
  it('accepts the HMAC-SHA256 of the exact body under the shared secret', () => {
    // the GitHub documentation's example value for secret "It's a Secret to Everybody" and body "Hello, World!"
    expect(signWebhook("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    expect(webhookSignatureOk('s3cret', body, signWebhook('s3cret', body))).toBe(true);
    expect(webhookSignatureOk('s3cret', body, signWebhook('s3cret', body).toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
  });
  it('refuses another secret, another body, a missing or malformed header, an empty secret', () => {
    expect(webhookSignatureOk('s3cret', body, signWebhook('other', body))).toBe(false);
    expect(webhookSignatureOk('s3cret', body + ' ', signWebhook('s3cret', body))).toBe(false);
    expect(webhookSignatureOk('s3cret', body, undefined)).toBe(false);
    expect(webhookSignatureOk('s3cret', body, 'sha1=abc')).toBe(false);
    expect(webhookSignatureOk('', body, signWebhook('', body))).toBe(false);
  });
});
