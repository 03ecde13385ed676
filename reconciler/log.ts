// The reconciler's logger (pino, JSON lines on stderr). Level from SDP_LOG_LEVEL (default info;
// tests set "silent"). Never log secret values, credentials or tokens: pass names, not values.
import { destination, pino, type Logger } from 'pino';

export type { Logger };

export const log: Logger = pino({
  name: 'sdp-reconciler',
  level: process.env.SDP_LOG_LEVEL ?? 'info',
  redact: { paths: ['*.password', '*.token', '*.secretValues', '*.credentials', 'authorization'], censor: '(redacted)' },
}, destination(2));
