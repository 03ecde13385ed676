import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../schema/api.ts';
import { printable, renderLogEvent } from './logs.ts';

const yaml = (d: unknown) => `yaml:${JSON.stringify(d)}`;
const line: LogEvent = { type: 'line', ts: '2026-12-01T10:00:00.5Z', stream: 'stdout', text: 'hello' };

describe('sdp logs output', () => {
  it('text: the line on its stream; wide: with time and stream; json: the event as the API has it', () => {
    expect(renderLogEvent(line, 'text', yaml)).toEqual({ out: 'hello' });
    expect(renderLogEvent({ ...line, stream: 'stderr' }, 'text', yaml)).toEqual({ err: 'hello' });
    expect(renderLogEvent(line, 'wide', yaml)).toEqual({ out: '2026-12-01T10:00:00.5Z stdout hello' });
    expect(renderLogEvent(line, 'json', yaml)).toEqual({ out: JSON.stringify(line) });
    expect(renderLogEvent(line, 'yaml', yaml).out).toBe(`---\nyaml:${JSON.stringify(line)}`);
  });

  it('says on stderr why lines were left out and why a stream ended, unless it simply finished', () => {
    expect(renderLogEvent({ type: 'start', sandbox: 's', service: 'a', container: 'c', node: 'n', follow: true, tail: 0 }, 'text', yaml)).toEqual({});
    expect(renderLogEvent({ type: 'dropped', lines: 3, message: '3 lines left out' }, 'text', yaml)).toEqual({ err: 'sdp logs: 3 lines left out' });
    expect(renderLogEvent({ type: 'end', reason: 'completed', message: 'the last 5 lines' }, 'text', yaml)).toEqual({});
    expect(renderLogEvent({ type: 'end', reason: 'container-stopped', message: 'container c stopped' }, 'text', yaml)).toEqual({ err: 'sdp logs: container c stopped' });
  });

  it("on a terminal shows a line's control characters instead of letting them drive it", () => {
    expect(printable('a\x1b]52;c;ZXZpbA==\x07b\tc')).toBe('a\\x1b]52;c;ZXZpbA==\\x07b\tc');
    expect(renderLogEvent({ ...line, text: '\x1b[2J' }, 'text', yaml, { out: true })).toEqual({ out: '\\x1b[2J' });
    expect(renderLogEvent({ ...line, text: '\x1b[31mred' }, 'text', yaml, { err: true })).toEqual({ out: '\x1b[31mred' });
    // wide prints stderr's lines on stdout: a terminal there gets them printable whatever stderr is
    expect(renderLogEvent({ ...line, stream: 'stderr', text: '\x1b[2J' }, 'wide', yaml, { out: true, err: false }).out).toBe('2026-12-01T10:00:00.5Z stderr \\x1b[2J');
    expect(renderLogEvent({ ...line, stream: 'stderr', text: '\x1b[2J' }, 'text', yaml, { out: true, err: false })).toEqual({ err: '\x1b[2J' });
  });
});
