// The contract check itself: it passes answers the document describes and fails the others.
import { describe, expect, it } from 'vitest';
import { checkAnswer } from './contract.ts';

describe('checkAnswer', () => {
  it('passes a body of the documented shape, errors as ErrorResponse, and 405s', () => {
    expect(() => checkAnswer('GET', '/api/health', 200, JSON.stringify({ ok: true, version: '0.1.0' }))).not.toThrow();
    expect(() => checkAnswer('GET', '/api/sandboxes/x', 404, JSON.stringify({ error: 'no sandbox x' }))).not.toThrow();
    expect(() => checkAnswer('DELETE', '/api/status', 405, JSON.stringify({ error: 'DELETE is not allowed' }))).not.toThrow();
  });

  it('fails a body of another shape, and a route the document lacks', () => {
    expect(() => checkAnswer('GET', '/api/health', 200, JSON.stringify({ ok: 'yes' }))).toThrow(/GET \/api\/health answered 200 with a body that is not #\/components\/schemas\/HealthView/);
    expect(() => checkAnswer('GET', '/api/users', 200, JSON.stringify({ users: [{ username: 'a', role: 'root' }] }))).toThrow(/UsersResponse/);
    expect(() => checkAnswer('POST', '/api/status', 200, '{}')).toThrow(/POST \/api\/status \(200\) is not in schema\/openapi.json/);
  });
});
