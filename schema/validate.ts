// Compiles the protocol schemas once with ajv; both ends validate every message they receive.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { AgentMessage, ServerMessage } from './protocol.ts';

const ajv = new Ajv({ allErrors: false, strict: false });
const agentMessage: ValidateFunction<AgentMessage> = ajv.compile(AgentMessage);
const serverMessage: ValidateFunction<ServerMessage> = ajv.compile(ServerMessage);

export type Checked<M> = { ok: true; message: M } | { ok: false; error: string };

function check<M>(fn: ValidateFunction<M>, raw: unknown): Checked<M> {
  let data: unknown = raw;
  if (typeof raw === 'string') {
    try {
      data = JSON.parse(raw);
    } catch {
      return { ok: false, error: 'message is not JSON' };
    }
  }
  if (fn(data)) return { ok: true, message: data };
  return { ok: false, error: describe(fn.errors ?? []) };
}

function describe(errors: ErrorObject[]): string {
  const first = errors[0];
  return first ? `${first.instancePath || '/'} ${first.message ?? 'is invalid'}` : 'invalid message';
}

export const validateAgentMessage = (raw: unknown): Checked<AgentMessage> => check(agentMessage, raw);
export const validateServerMessage = (raw: unknown): Checked<ServerMessage> => check(serverMessage, raw);
