// The logs suites' fixture (test/e2e/logs, test/ui/logs): a stack with one sandbox whose `account`
// service has the Environment secret LOGS_TOKEN in its env, synced and running.
import { Stack, branchApp, cleanupSandboxes, sandboxYaml, writeToLog } from './reconciler.ts';

export interface LogsFixture {
  stack: Stack;
  sandbox: string;
  /** the account service's container */
  container: string;
  /** LOGS_TOKEN's value: must never appear in a stream */
  secret: string;
  /** Writes `sh -c cmd`'s output into the container's log; `$LOGS_TOKEN` is the secret. */
  writeLine(cmd: string): Promise<void>;
}

/** `port`: the first of the suite's range; the API, gateways and services take 0-99, 100-149, 200-299 past it. */
export async function startLogsFixture(prefix: string, port: number): Promise<LogsFixture> {
  const stack = new Stack({ prefix, port, ports: { gateway: [port + 100, port + 149], services: [port + 200, port + 299] } });
  const sandbox = `${prefix}a`;
  const env = `${prefix}env`;
  const secret = `logs-secret-${prefix.replace(/-/g, '')}-8d1f2c`;
  const container = `sandbox-${sandbox}-account`;
  // what a crashed run left behind first; a fixture that fails half-way removes what it made
  await cleanupSandboxes(prefix);
  try {
    await setUp(stack, sandbox, env, secret);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return { stack, sandbox, container, secret, writeLine: (cmd) => writeToLog(container, cmd) };
}

async function setUp(stack: Stack, sandbox: string, env: string, secret: string): Promise<void> {
  await stack.start();
  const repo = stack.repo('account');
  repo.commit('develop', branchApp('develop'));
  await stack.writeSpec('platform.yaml', stack.platformYaml({ account: repo.url }));
  await stack.writeSpec('env.yaml', `apiVersion: sdp/v1\nkind: Environment\nmetadata: { name: ${env} }\nspec:\n  secrets: [LOGS_TOKEN]\n`);
  await stack.writeSpec('sandbox.yaml', sandboxYaml(sandbox, { account: 'develop' }, { env: `[${env}]` }));
  const set = await fetch(`${stack.url}/api/secrets/${env}/LOGS_TOKEN`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${stack.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ value: secret }),
  });
  if (set.status !== 200) throw new Error(`setting the secret: ${set.status} ${await set.text()}`);
  await stack.waitSandbox(sandbox, (s) => s.sync === 'OutOfSync', 'OutOfSync with its branch resolved');
  await stack.syncAndWait(sandbox);
  await stack.waitSandbox(sandbox, (s) => s.sync === 'Synced', 'Synced');
}
