// Prints the demo's "what to try first", once `sdp up` answers: the UI, the login, each sandbox
// with its status and gateway, and the commands to poke it. Run by scripts/demo.sh beside `sdp up`.
//
//   node --import tsx scripts/demo/welcome.ts --server http://127.0.0.1:3452   (login: SDP_ADMIN_PASSWORD)
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SandboxSummary } from '../../schema/api.ts';
import { colors } from '../../cli/color.ts';

// on a terminal only, honouring NO_COLOR and FORCE_COLOR (cli/color.ts)
const bold = colors.bold;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function waitForHealth(server: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${server}/api/health`, { signal: AbortSignal.timeout(1000) })).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function login(server: string, password: string): Promise<string | undefined> {
  const res = await fetch(`${server}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  return res.ok ? ((await res.json()) as { token: string }).token : undefined;
}

async function sandboxes(server: string, token: string): Promise<SandboxSummary[] | undefined> {
  const res = await fetch(`${server}/api/sandboxes`, { headers: { authorization: `Bearer ${token}` } });
  return res.ok ? ((await res.json()) as SandboxSummary[]) : undefined;
}

/**
 * The example specs name secrets (e.g. account-dev/DB_PASSWORD) that a team would set with
 * `sdp secret set`; the demo sets each one still unset to a random value so its first sync works.
 * Answers the names it set.
 */
async function setDemoSecrets(server: string, token: string): Promise<string[]> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const res = await fetch(`${server}/api/secrets`, { headers });
  if (!res.ok) return [];
  const { secrets } = (await res.json()) as { secrets: { environment: string; key: string; set: boolean }[] };
  const done: string[] = [];
  for (const s of secrets.filter((x) => !x.set)) {
    const put = await fetch(`${server}/api/secrets/${s.environment}/${s.key}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ value: randomBytes(12).toString('hex') }),
    });
    if (put.ok) done.push(`${s.environment}/${s.key}`);
  }
  return done;
}

/** The gateway URL as someone on this machine reaches it. */
function localUrl(gatewayUrl: string): string {
  const port = URL.canParse(gatewayUrl) ? new URL(gatewayUrl).port : '';
  return `http://127.0.0.1:${port || 80}`;
}

export function welcomeText(
  server: string,
  password: string | undefined,
  list: SandboxSummary[] | undefined,
  secretsSet: string[] = [],
): string {
  const lines = [
    '',
    bold('sdp demo is up'),
    `  UI        ${server}`,
    password
      ? `  login     admin / ${password}`
      : '  login     admin / the password printed on the first start (or SDP_ADMIN_PASSWORD)',
    ...(secretsSet.length ? [`  secrets   set to random demo values: ${secretsSet.join(', ')} (sdp secret set ENV KEY to change)`] : []),
    '',
  ];
  if (list?.length) {
    lines.push(bold('Sandboxes'));
    for (const s of list) {
      const features = s.routes.filter((r) => r.mode === 'sandbox').map((r) => r.service);
      lines.push(
        `  ${s.name.padEnd(22)} ${s.sync.padEnd(10)} ${s.health.padEnd(12)} ${localUrl(s.gatewayUrl)}` +
          `   (from branches: ${features.join(', ') || 'none'}; the rest from baseline)`,
      );
    }
    lines.push('');
  }
  // the example specs' showcase first, else any sandbox with something to do
  const first = list?.find((s) => s.name === 'qa-login-error') ?? list?.find((s) => s.sync === 'OutOfSync') ?? list?.[0];
  const gw = first ? localUrl(first.gatewayUrl) : 'http://127.0.0.1:<gateway port>';
  const feature = first?.routes.find((r) => r.mode === 'sandbox')?.service ?? 'account';
  const baseline = first?.routes.find((r) => r.mode === 'baseline')?.service ?? 'payment';
  lines.push(
    bold('Try this first'),
    `  1. open ${server}, log in; sandbox ${first?.name ?? 'qa-login-error'} is ${first?.sync ?? 'OutOfSync'}: open it,`,
    '     read its drift, press Sync and watch the job (build, health check, gateway, routes).',
    `  2. curl ${`${gw}/${feature}/`.padEnd(40)} -> answers from its feature branch (service, branch, commit)`,
    `     curl ${`${gw}/${baseline}/rest`.padEnd(40)} -> answers from the baseline`,
    '  3. or from a shell (the password on stdin):',
    `     node bin/sdp.js login --server ${server}    # saves the login for the commands below`,
    `     node bin/sdp.js status;  node bin/sdp.js plan ${first?.name ?? 'qa-login-error'};  node bin/sdp.js sync ${first?.name ?? 'qa-login-error'} --wait`,
    '  4. edit a file in specs/ (e.g. route a service to baseline): the sandbox turns OutOfSync with a',
    '     field-by-field drift; an invalid edit is rejected with file:line and nothing changes.',
    '  Ctrl-C stops sdp; sandboxes keep running, and the next `npm run demo` finds them in sync.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const server = arg('--server') ?? 'http://127.0.0.1:3452';
  const password = process.env.SDP_ADMIN_PASSWORD || undefined;
  if (!(await waitForHealth(server, 120_000))) return; // sdp up says why it did not start
  // give the local agent a moment to join and report, so statuses are not all Unknown
  await new Promise((r) => setTimeout(r, 3000));
  const token = password ? await login(server, password).catch(() => undefined) : undefined;
  const secretsSet = token ? await setDemoSecrets(server, token).catch(() => []) : [];
  // sandboxes with no gateway are leftovers no spec asks for (orphans): not part of the tour
  const list = token ? (await sandboxes(server, token).catch(() => undefined))?.filter((s) => s.gatewayUrl) : undefined;
  console.log(welcomeText(server, password, list, secretsSet));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`));
}
