import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatLine, readableDestination } from './log.ts';

describe('readable log lines', () => {
  it('formats a pino entry as HH:MM:SS level msg key=value', () => {
    const time = new Date(2026, 10, 25, 4, 5, 6).getTime();
    const line = JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', name: 'sdp-reconciler', part: 'agents', node: 'micro-1', reason: 'bad token', n: 3, msg: 'agent refused' });
    expect(formatLine(line)).toBe('04:05:06 warn  agent refused part=agents node=micro-1 reason="bad token" n=3');
  });

  it('passes a non-JSON line through', () => {
    expect(formatLine('plain text\n')).toBe('plain text');
  });

  it('writes through pino with the same redaction as the JSON logs', () => {
    const out: string[] = [];
    const logger = pino({ level: 'info', redact: { paths: ['*.token'], censor: '(redacted)' } }, readableDestination({ write: (s: string) => out.push(s) }));
    logger.info({ agent: { node: 'local', token: 'sdp-agent-secret-123' } }, 'token issued');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d info  token issued agent=\{"node":"local","token":"\(redacted\)"\}\n$/);
    expect(out[0]).not.toContain('sdp-agent-secret-123');
  });
});
