// The corpus of invalid specs: one case per rule. Each case changes the valid fixture set a little and
// asserts every error it gets: file, line, column (where the offending key or value starts) and text.
import { describe, expect, it } from 'vitest';
import type { SpecError } from '../../schema/desired.ts';
import { compileDocuments, type CompileOptions, type SpecFile } from './compile.ts';
import { ALPHA, PLATFORM, baseFiles, pos } from './fixtures.ts';

type Edit = (files: SpecFile[]) => SpecFile[];

/** Replaces the nth occurrence of `from` in the file at `path`. */
const edit =
  (path: string, from: string, to: string, nth = 1): Edit =>
  (files) =>
    files.map((f) => {
      if (f.path !== path) return f;
      let index = -1;
      for (let i = 0; i < nth; i++) index = f.text.indexOf(from, index + 1);
      if (index < 0) throw new Error(`case setup: ${JSON.stringify(from)} not in ${path}`);
      return { path, text: f.text.slice(0, index) + to + f.text.slice(index + from.length) };
    });
const add =
  (path: string, text: string): Edit =>
  (files) => [...files, { path, text }];
const remove =
  (path: string): Edit =>
  (files) =>
    files.filter((f) => f.path !== path);

interface Expected {
  file: string;
  /** where the error points: the nth occurrence of this text in the (edited) file, or a line:col */
  at: string | { line: number; col: number };
  nth?: number;
  /** the whole message, or a RegExp it must match */
  message: string | RegExp;
  /** text the message must not contain (e.g. a secret value) */
  not?: string;
}

interface Case {
  name: string;
  edits: Edit[];
  errors: Expected[];
  /** the branch lists SandboxSets expand from */
  sets?: CompileOptions['sets'];
}

/** The Platform with these `notifications:` list items (YAML lines) after its gateway. */
const withHooks = (items: string): Edit => edit('platform.yaml', '    proxy: { image: "caddy:2" }\n', `    proxy: { image: "caddy:2" }\n  notifications:\n${items}\n`);

const SANDBOX = (name: string, extra = ''): string =>
  `apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: ${name} }\nspec:\n  services:\n    account: { branch: develop }\n${extra}`;

const CUSTOM_GATEWAY = `    repo: ./gw.git
    build: { type: image, image: "php:8" }
    port: 80`;

const SET = (spec: string): string =>
  `apiVersion: sdp/v1\nkind: SandboxSet\nmetadata: { name: previews }\nspec:\n${spec}`;
const SET_SPEC = '  generator: { service: account, branches: "feature/*" }\n  services:\n    account: { branch: "{{branch}}" }\n';
const ACCOUNT_BRANCHES = { branches: { 'file:///specs/repos/account.git': [{ name: 'feature/login', commit: 'a'.repeat(40), time: 1 }] } };

const cases: Case[] = [
  // ---- YAML itself
  {
    name: 'YAML syntax error',
    edits: [edit('sandboxes/alpha.yaml', 'payment: { commit: 0123abcd }', 'payment: { commit: 0123abcd')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: { line: 7, col: 3 }, message: /^YAML: Flow map in block collection must be sufficiently indented and end with a \}/ }],
  },
  {
    name: 'duplicate key in one mapping',
    edits: [edit('sandboxes/alpha.yaml', '  syncPolicy: { automated: true }', '  syncPolicy: { automated: true }\n  syncPolicy: { prune: true }')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'syncPolicy', nth: 2, message: 'YAML: Map keys must be unique' }],
  },
  {
    name: 'aliases that expand without bound ("billion laughs")',
    edits: [
      add(
        'bomb.yaml',
        'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      ),
    ],
    errors: [{ file: 'bomb.yaml', at: { line: 1, col: 1 }, message: /^YAML: Excessive alias count/ }],
  },
  {
    name: 'a document that is not a mapping',
    edits: [add('list.yaml', '- a\n- b\n')],
    errors: [{ file: 'list.yaml', at: { line: 1, col: 1 }, message: 'a spec document must be a mapping with apiVersion, kind, metadata and spec' }],
  },
  // ---- document shape
  {
    name: 'unknown kind',
    edits: [edit('sandboxes/alpha.yaml', 'kind: Sandbox', 'kind: Sandbx')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'Sandbx', message: 'kind: must be one of Platform, SandboxTemplate, Sandbox, Environment, SandboxSet' }],
  },
  {
    name: 'wrong apiVersion',
    edits: [edit('sandboxes/alpha.yaml', 'sdp/v1', 'sdp/v2')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'sdp/v2', message: 'apiVersion: must be "sdp/v1"' }],
  },
  {
    name: 'missing metadata',
    edits: [edit('sandboxes/alpha.yaml', 'metadata: { name: alpha }\n', '')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: { line: 1, col: 1 }, message: 'metadata: is required' }],
  },
  {
    name: 'unknown key (a typo)',
    edits: [edit('sandboxes/qa-two.yaml', 'audit: { branch: main }', 'audit: { brnch: main }')],
    errors: [
      {
        file: 'sandboxes/qa-two.yaml',
        at: 'brnch',
        message: 'spec.services.audit.brnch: unknown key (allowed: branch, commit, baseline, env, resources)',
      },
    ],
  },
  {
    name: 'a template cannot fix a gateway port',
    edits: [edit('templates.yaml', 'gateway: { branch: develop }', 'gateway: { branch: develop, port: 8082 }')],
    errors: [{ file: 'templates.yaml', at: 'port', message: 'spec.gateway.port: unknown key (allowed: branch, commit)' }],
  },
  {
    name: 'a boolean written as yes (YAML 1.2: a string)',
    edits: [edit('sandboxes/alpha.yaml', '  syncPolicy', '  suspended: yes\n  syncPolicy')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'yes', message: 'spec.suspended: must be a boolean' }],
  },
  // ---- names
  {
    name: 'a name that is not an RFC 1123 label',
    edits: [edit('sandboxes/alpha.yaml', 'name: alpha', 'name: Alpha_1')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'Alpha_1', message: /^metadata\.name: must be an RFC 1123 label .* \(got "Alpha_1"\)$/ }],
  },
  {
    name: 'a name longer than 63 characters',
    edits: [edit('sandboxes/alpha.yaml', 'name: alpha', `name: ${'a'.repeat(64)}`)],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'aaaa', message: /^metadata\.name: must be an RFC 1123 label \(.*at most 63 characters/ }],
  },
  {
    name: 'a catalog key that is not a label (and the reference to it)',
    edits: [edit('platform.yaml', '    audit:', '    Audit:')],
    errors: [
      {
        file: 'environments.yaml',
        at: '"${services.audit.url}/v1"',
        message: 'spec.variables.AUDIT: ${services.audit.url} names unknown service audit (catalog: Audit, account, payment)',
      },
      { file: 'platform.yaml', at: 'Audit', message: /^spec\.services\.Audit: is not an RFC 1123 label/ },
      {
        file: 'sandboxes/qa-two.yaml',
        at: 'audit',
        message: 'spec.services.audit: unknown service audit: not in the Platform catalog (catalog: Audit, account, payment)',
      },
    ],
  },
  {
    name: 'a role that is not a label',
    edits: [edit('platform.yaml', 'role: micro', 'role: Micro')],
    errors: [{ file: 'platform.yaml', at: 'Micro', message: /^spec\.services\.account\.role: must be an RFC 1123 label/ }],
  },
  {
    name: 'duplicate sandbox names',
    edits: [add('sandboxes/alpha-copy.yaml', ALPHA)],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'alpha', message: 'metadata.name: Sandbox alpha is defined twice (first at sandboxes/alpha-copy.yaml:3)' }],
  },
  {
    name: 'duplicate environment names',
    edits: [add('zz-env.yaml', 'apiVersion: sdp/v1\nkind: Environment\nmetadata: { name: common }\nspec: {}\n')],
    errors: [{ file: 'zz-env.yaml', at: 'common', message: 'metadata.name: Environment common is defined twice (first at environments.yaml:3)' }],
  },
  // ---- references
  {
    name: 'unknown template',
    edits: [edit('sandboxes/qa-two.yaml', 'template: qa', 'template: qa-x')],
    errors: [{ file: 'sandboxes/qa-two.yaml', at: 'qa-x', message: 'spec.template: unknown SandboxTemplate qa-x (known: qa)' }],
  },
  {
    name: 'unknown environment (sandbox env)',
    edits: [edit('sandboxes/alpha.yaml', '  syncPolicy', '  env: [common, commons]\n  syncPolicy')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'commons', message: 'spec.env[1]: unknown Environment commons (known: account-dev, common)' }],
  },
  {
    name: 'unknown environment (service env)',
    edits: [edit('sandboxes/qa-two.yaml', 'env: [account-dev]', 'env: [account-devel]')],
    errors: [{ file: 'sandboxes/qa-two.yaml', at: 'account-devel', message: 'spec.services.account.env[0]: unknown Environment account-devel (known: account-dev, common)' }],
  },
  {
    name: 'unknown service in a sandbox',
    edits: [edit('sandboxes/alpha.yaml', 'payment: { commit', 'billing: { commit')],
    errors: [
      {
        file: 'sandboxes/alpha.yaml',
        at: 'billing',
        message: 'spec.services.billing: unknown service billing: not in the Platform catalog (catalog: account, audit, payment)',
      },
    ],
  },
  {
    name: 'unknown service in a template',
    edits: [edit('templates.yaml', 'account: { branch: develop }', 'acount: { branch: develop }')],
    errors: [{ file: 'templates.yaml', at: 'acount', message: /^spec\.services\.acount: unknown service acount: not in the Platform catalog/ }],
  },
  {
    name: 'a catalog service whose role no node has',
    edits: [edit('platform.yaml', 'role: micro', 'role: batch', 3)],
    errors: [{ file: 'platform.yaml', at: 'batch', message: 'spec.services.audit.role: no node has role batch (nodes: n1 [micro, gateway], n2 [micro])' }],
  },
  {
    name: 'a gateway role no node has',
    edits: [edit('platform.yaml', 'role: gateway', 'role: edge')],
    errors: [{ file: 'platform.yaml', at: 'edge', message: /^spec\.gateway\.role: no node has role edge/ }],
  },
  {
    name: '${services.x.url} naming an unknown service',
    edits: [edit('environments.yaml', '${services.payment.url}', '${services.billing.url}')],
    errors: [
      {
        file: 'environments.yaml',
        at: '"${services.billing.url}"',
        message: 'spec.variables.PAYMENT_URL: ${services.billing.url} names unknown service billing (catalog: account, audit, payment)',
      },
    ],
  },
  {
    name: 'a malformed service reference',
    edits: [edit('environments.yaml', '${services.payment.url}', '${services.payment}')],
    errors: [{ file: 'environments.yaml', at: '"${services.payment}"', message: 'spec.variables.PAYMENT_URL: has a malformed service reference; write ${services.<name>.url}' }],
  },
  {
    name: 'a baseline URL without a host',
    edits: [edit('platform.yaml', 'baseline: http://account.base', 'baseline: http://:18698')],
    errors: [{ file: 'platform.yaml', at: 'http://:18698', message: /^spec\.services\.account\.baseline: must be an http:\/\/ or https:\/\/ URL with a host/ }],
  },
  {
    name: 'a baseline URL with a port out of range',
    edits: [edit('platform.yaml', 'baseline: http://account.base', 'baseline: http://account.base:99999')],
    errors: [{ file: 'platform.yaml', at: 'http://account.base:99999', message: /^spec\.services\.account\.baseline: "http:\/\/account\.base:99999" is not a valid URL/ }],
  },
  {
    name: 'an https repo URL without a host',
    edits: [edit('platform.yaml', 'repo: https://git.example.com/payment.git', 'repo: https:///payment.git')],
    errors: [{ file: 'platform.yaml', at: 'https:///payment.git', message: /^spec\.services\.payment\.repo: must be a git URL \(an http\(s\) one with a host\)/ }],
  },
  {
    name: 'a variable that is a URL without a host',
    edits: [edit('environments.yaml', 'LOG_LEVEL: debug', 'LOG_LEVEL: debug, API: "http://:8080/api"')],
    errors: [{ file: 'environments.yaml', at: '"http://:8080/api"', message: 'spec.variables.API: "http://:8080/api" has no host: write it as http://HOST[:PORT][/PATH]' }],
  },
  {
    name: 'a variable that puts a scheme before a service URL',
    edits: [edit('environments.yaml', '"${services.payment.url}"', '"http://${services.payment.url}"')],
    errors: [
      {
        file: 'environments.yaml',
        at: '"http://${services.payment.url}"',
        message: 'spec.variables.PAYMENT_URL: ${services.<name>.url} is a whole URL, scheme included: write ${services.<name>.url}/path, not http://${services.<name>.url}',
      },
    ],
  },
  {
    name: 'a URL the sandbox cannot resolve (not in it, no baseline)',
    edits: [
      edit('environments.yaml', '${services.payment.url}', '${services.audit.url}'),
      edit('sandboxes/alpha.yaml', '  syncPolicy', '  env: [common]\n  syncPolicy'),
    ],
    errors: [
      {
        file: 'environments.yaml',
        at: '"${services.audit.url}"',
        message:
          'spec.variables.PAYMENT_URL: ${services.audit.url} has no URL in sandbox alpha: service audit is not in the sandbox and the catalog gives it no baseline',
      },
    ],
  },
  // ---- where a service runs from
  {
    name: 'a service both on a branch and on baseline',
    edits: [edit('sandboxes/qa-two.yaml', 'payment: { baseline: true }', 'payment: { baseline: true, branch: develop }')],
    errors: [{ file: 'sandboxes/qa-two.yaml', at: 'true', message: 'spec.services.payment.baseline: service payment is both on a branch and on baseline; choose one' }],
  },
  {
    name: 'branch and commit both given',
    edits: [edit('templates.yaml', 'gateway: { branch: develop }', 'gateway: { branch: develop, commit: abcdef1 }')],
    errors: [{ file: 'templates.yaml', at: 'commit', message: 'spec.gateway.commit: branch and commit are both given; pin either a branch or a commit' }],
  },
  {
    name: 'a commit that is not hex',
    edits: [edit('sandboxes/alpha.yaml', '0123abcd', '0123abcz')],
    errors: [
      {
        file: 'sandboxes/alpha.yaml',
        at: '0123abcz',
        message: 'spec.services.payment.commit: must be a commit SHA (7 to 64 lowercase hex characters) (got "0123abcz")',
      },
    ],
  },
  {
    name: 'a service with neither branch, commit nor baseline',
    edits: [edit('sandboxes/alpha.yaml', 'payment: { commit: 0123abcd }', 'payment: { env: [common] }')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'payment', message: 'spec.services.payment: service payment needs a branch, a commit, or baseline: true' }],
  },
  {
    name: 'baseline: true for a service the catalog gives no baseline',
    edits: [edit('sandboxes/qa-two.yaml', 'audit: { branch: main }', 'audit: { baseline: true }')],
    errors: [{ file: 'sandboxes/qa-two.yaml', at: 'baseline', message: 'spec.services.audit.baseline: service audit has no baseline in the Platform catalog to route to' }],
  },
  // ---- branch names git would reject, or a shell could act on
  ...(
    [
      ['feature..login', "contains '..'"],
      ['"feature login"', 'contains a space, which is not allowed in a branch name'],
      ['"x;reboot"', "contains ';', which is not allowed in a branch name"],
      ['"$(curl evil)"', "contains '$', which is not allowed in a branch name"],
      ['"`id`"', "contains '`', which is not allowed in a branch name"],
      ['"a\\tb"', 'contains a control character (U+0009), which is not allowed in a branch name'],
      ['"-f"', "starts with '-'"],
      ['"main@{1}"', "contains '{', which is not allowed in a branch name"],
      ['feature/x.lock', "has a component ending with '.lock' (x.lock)"],
      ['feature/', "starts or ends with '/'"],
    ] as const
  ).map(
    ([written, problem]): Case => ({
      name: `branch ${written}`,
      edits: [edit('sandboxes/qa-two.yaml', 'feature/login', written)],
      errors: [
        {
          file: 'sandboxes/qa-two.yaml',
          at: written,
          message: `spec.services.account.branch: ${JSON.stringify(JSON.parse(written.startsWith('"') ? written : JSON.stringify(written)))} is not a valid branch name: it ${problem}`,
        },
      ],
    }),
  ),
  // ---- ports
  {
    name: 'a gateway port outside the range',
    edits: [edit('sandboxes/qa-two.yaml', 'port: 8081', 'port: 8090')],
    errors: [{ file: 'sandboxes/qa-two.yaml', at: '8090', message: "spec.gateway.port: 8090 is outside the platform's gateway range 8080-8084" }],
  },
  {
    name: 'a gateway port taken by two sandboxes',
    edits: [edit('sandboxes/alpha.yaml', '  services:', '  gateway: { port: 8081 }\n  services:')],
    errors: [
      {
        file: 'sandboxes/qa-two.yaml',
        at: '8081',
        message: 'spec.gateway.port: 8081 is already the gateway port of sandbox alpha (sandboxes/alpha.yaml:5)',
      },
    ],
  },
  {
    name: 'a malformed port range',
    edits: [edit('platform.yaml', 'services: 9001-9010', 'services: 9001-90x0')],
    errors: [{ file: 'platform.yaml', at: '9001-90x0', message: 'spec.ports.services: must be a port range such as 8080-8099 (got "9001-90x0")' }],
  },
  {
    name: 'a port range that starts after it ends',
    edits: [edit('platform.yaml', 'gateway: 8080-8084', 'gateway: 8084-8080')],
    errors: [{ file: 'platform.yaml', at: '8084-8080', message: 'spec.ports.gateway: 8084-8080 starts after it ends' }],
  },
  {
    name: 'a port range beyond 65535',
    edits: [edit('platform.yaml', 'services: 9001-9010', 'services: 9001-70000')],
    errors: [{ file: 'platform.yaml', at: '9001-70000', message: 'spec.ports.services: 9001-70000 is outside 1-65535' }],
  },
  {
    name: 'overlapping port ranges',
    edits: [edit('platform.yaml', 'services: 9001-9010', 'services: 8083-8090')],
    errors: [{ file: 'platform.yaml', at: '8083-8090', message: 'spec.ports.services: overlaps the gateway range 8080-8084' }],
  },
  {
    name: 'a container port out of range',
    edits: [edit('platform.yaml', 'port: 7000', 'port: 70000')],
    errors: [{ file: 'platform.yaml', at: '70000', message: 'spec.services.audit.port: must be a TCP port (1-65535) (got 70000)' }],
  },
  {
    name: 'no gateway port left in the range',
    edits: [edit('platform.yaml', 'gateway: 8080-8084', 'gateway: 8080-8081'), add('sandboxes/beta.yaml', SANDBOX('beta'))],
    errors: [{ file: 'sandboxes/beta.yaml', at: 'beta', message: 'metadata.name: no free host port left in the gateway range 8080-8081' }],
  },
  {
    name: 'no service port left in the range (for a sandbox across nodes)',
    edits: [edit('platform.yaml', 'services: 9001-9010', 'services: 9001-9001'), edit('sandboxes/alpha.yaml', 'payment: { commit: 0123abcd }', 'payment: { commit: 0123abcd }\n    audit: { branch: main }')],
    errors: [{ file: 'sandboxes/alpha.yaml', at: 'alpha', message: 'metadata.name: no free host port left in the services range 9001-9001 (for payment)' }],
  },
  // ---- secrets
  {
    name: 'plaintext secret values under secrets',
    edits: [edit('environments.yaml', 'secrets: [DB_PASSWORD]', 'secrets: { DB_PASSWORD: hunter2 }')],
    errors: [
      {
        file: 'environments.yaml',
        at: '{ DB_PASSWORD',
        message:
          'spec.secrets: must be a list of secret names, e.g. [DB_PASSWORD]; values never go in specs: put them in the secret store with `sdp secret set <environment> <KEY>` (value on stdin)',
        not: 'hunter2',
      },
    ],
  },
  {
    name: 'a secret written as NAME=value',
    edits: [edit('environments.yaml', 'secrets: [DB_PASSWORD]', 'secrets: ["DB_PASSWORD=hunter2"]')],
    errors: [{ file: 'environments.yaml', at: '"DB_PASSWORD=', message: /^spec\.secrets\[0\]: must be an environment variable name/, not: 'hunter2' }],
  },
  // ---- units
  {
    name: 'an unparseable ttl',
    edits: [edit('templates.yaml', 'ttl: 14d', 'ttl: 14days')],
    errors: [{ file: 'templates.yaml', at: '14days', message: 'spec.ttl: must be a duration such as 14d, 12h, 30m, 90s or 2w (got "14days")' }],
  },
  {
    name: 'an unparseable memory size',
    edits: [edit('templates.yaml', 'memory: 256Mi', 'memory: 256MB')],
    errors: [
      {
        file: 'templates.yaml',
        at: '256MB',
        message: 'spec.resources.memory: must be a memory size such as 512Mi, 1Gi, 1G, 256M or a number of bytes (got "256MB")',
      },
    ],
  },
  {
    name: 'a memory size of zero',
    edits: [edit('sandboxes/qa-two.yaml', 'memory: 1Gi', 'memory: 0Mi')],
    errors: [{ file: 'sandboxes/qa-two.yaml', at: '0Mi', message: 'spec.services.account.resources.memory: must be at least 1 byte (got "0Mi")' }],
  },
  {
    name: 'a cpu of zero',
    edits: [edit('templates.yaml', 'cpu: 0.5', 'cpu: 0')],
    errors: [{ file: 'templates.yaml', at: '0,', message: 'spec.resources.cpu: must be a number of CPUs above 0, e.g. 0.5 (got 0)' }],
  },
  {
    name: 'an unparseable health duration',
    edits: [edit('platform.yaml', 'interval: 2s', 'interval: 2 sec')],
    errors: [
      {
        file: 'platform.yaml',
        at: '2 sec',
        message: 'spec.services.account.health.interval: must be a duration such as 10s, 500ms, 5m or 1h (got "2 sec")',
      },
    ],
  },
  {
    name: 'a health interval of zero',
    edits: [edit('platform.yaml', 'interval: 2s', 'interval: 0ms')],
    errors: [{ file: 'platform.yaml', at: '0ms', message: 'spec.services.account.health.interval: must be longer than 0 (got "0ms")' }],
  },
  // ---- the Platform
  {
    name: 'no Platform',
    edits: [remove('platform.yaml')],
    errors: [{ file: 'environments.yaml', at: { line: 1, col: 1 }, message: 'no Platform: the specs need exactly one `kind: Platform` document' }],
  },
  {
    name: 'two Platforms',
    edits: [add('platform2.yaml', PLATFORM.replace('name: default', 'name: other'))],
    errors: [{ file: 'platform2.yaml', at: 'Platform', message: 'kind: a second Platform (the first is at platform.yaml:1); exactly one is allowed' }],
  },
  {
    name: 'an unknown build type',
    edits: [edit('platform.yaml', 'type: dockerfile', 'type: docker')],
    errors: [{ file: 'platform.yaml', at: 'docker,', message: 'spec.services.audit.build.type: must be one of image, dockerfile, host (got "docker")' }],
  },
  {
    name: 'a host build without run',
    edits: [edit('platform.yaml', ', run: [/src/app] }', ' }')],
    errors: [{ file: 'platform.yaml', at: '{ type: host', message: 'spec.services.payment.build.run: is required' }],
  },
  {
    name: 'a gateway with both proxy and repo',
    edits: [edit('platform.yaml', '    proxy: { image: "caddy:2" }', '    proxy: { image: "caddy:2" }\n    repo: ./gw.git')],
    errors: [
      {
        file: 'platform.yaml',
        at: 'repo: ./gw',
        message: 'spec.gateway.repo: belongs to a custom gateway app; with `proxy` (the built-in gateway) leave it out',
      },
    ],
  },
  {
    name: 'a gateway with neither proxy nor repo',
    edits: [edit('platform.yaml', '    proxy: { image: "caddy:2" }\n', '')],
    errors: [
      {
        file: 'platform.yaml',
        at: 'role: gateway',
        message:
          'spec.gateway: needs either `proxy: { image }` (the built-in gateway) or `repo`, `build`, `port` and `routes` (your own gateway app)',
      },
    ],
  },
  {
    name: 'a custom gateway app without routes',
    edits: [edit('platform.yaml', '    proxy: { image: "caddy:2" }', CUSTOM_GATEWAY)],
    errors: [{ file: 'platform.yaml', at: 'role: gateway', message: 'spec.gateway.routes: is required for a custom gateway app (one with `repo`)' }],
  },
  {
    name: 'a custom gateway app and a sandbox without a gateway branch',
    edits: [edit('platform.yaml', '    proxy: { image: "caddy:2" }', `${CUSTOM_GATEWAY}\n    routes: { adapter: env }`)],
    errors: [
      {
        file: 'sandboxes/alpha.yaml',
        at: 'name',
        message: 'spec.gateway: the platform gateway is a custom app: give gateway.branch or gateway.commit (here or in the template)',
      },
    ],
  },
  {
    name: 'an unknown route adapter',
    edits: [edit('platform.yaml', '    proxy: { image: "caddy:2" }', `${CUSTOM_GATEWAY}\n    routes: { adapter: nginx }`)],
    errors: [{ file: 'platform.yaml', at: 'nginx', message: 'spec.gateway.routes.adapter: must be one of proxy, file, env (got "nginx")' }],
  },
  // ---- notifications
  {
    name: 'a notification event sdp does not send',
    edits: [withHooks('    - { name: ops, url: "https://hooks.example.com/sdp", events: [sync-failed, sync-done] }')],
    errors: [
      {
        file: 'platform.yaml',
        at: 'sync-done',
        message:
          'spec.notifications[0].events[1]: must be one of sync-started, sync-succeeded, sync-failed, health-degraded, health-recovered, sandbox-expired, drift-detected (got "sync-done")',
      },
    ],
  },
  {
    name: 'a notification format sdp does not speak',
    edits: [withHooks('    - { name: ops, url: "https://hooks.example.com/sdp", format: teams }')],
    errors: [{ file: 'platform.yaml', at: 'teams', message: 'spec.notifications[0].format: must be one of json, slack (got "teams")' }],
  },
  {
    name: 'a webhook URL with a password',
    edits: [withHooks('    - { name: ops, url: "https://bot:hunter2@hooks.example.com/sdp" }')],
    errors: [
      {
        file: 'platform.yaml',
        at: '"https://bot',
        message:
          'spec.notifications[0].url: has a password in its URL, which sdp would store and show: sign deliveries instead with `secret: NAME` (the HMAC key is set with `sdp secret set NAME hmac`)',
        not: 'hunter2',
      },
    ],
  },
  {
    name: 'a webhook URL without a scheme',
    edits: [withHooks('    - { name: ops, url: hooks.example.com/sdp }')],
    errors: [
      {
        file: 'platform.yaml',
        at: 'hooks.example.com/sdp',
        message: 'spec.notifications[0].url: must be an http:// or https:// URL with a host, such as https://account-dev.example.com (got "hooks.example.com/sdp")',
      },
    ],
  },
  {
    name: 'two webhook targets of one name',
    edits: [withHooks('    - { name: ops, url: "https://a.example.com/" }\n    - { name: ops, url: "https://b.example.com/", format: slack }')],
    errors: [{ file: 'platform.yaml', at: 'ops', nth: 2, message: 'spec.notifications[1].name: target ops is declared twice (first as notifications[0])' }],
  },
  {
    name: 'a webhook secret that is no secret name',
    edits: [withHooks('    - { name: ops, url: "https://hooks.example.com/sdp", secret: Hooks_Key }')],
    errors: [
      {
        file: 'platform.yaml',
        at: 'Hooks_Key',
        message: 'spec.notifications[0].secret: must be a secret name: the HMAC key is the secret NAME/hmac (sdp secret set NAME hmac) (got "Hooks_Key")',
      },
    ],
  },
  // ---- environments
  {
    name: 'a variable value that is a list',
    edits: [edit('environments.yaml', 'LOG_LEVEL: debug', 'LOG_LEVEL: [debug]')],
    errors: [{ file: 'environments.yaml', at: '[debug]', message: 'spec.variables.LOG_LEVEL: must be a string, number or boolean' }],
  },
  {
    name: 'a variable name that is not an env name',
    edits: [edit('environments.yaml', 'LOG_LEVEL: debug', 'LOG-LEVEL: debug')],
    errors: [{ file: 'environments.yaml', at: 'LOG-LEVEL', message: /^spec\.variables\.LOG-LEVEL: is not an environment variable name/ }],
  },
  {
    name: 'one file path twice',
    edits: [edit('environments.yaml', '{ path: /etc/app.conf, content: "a=1" }', '{ path: /etc/app.conf, content: "a=1" }, { path: /etc/app.conf, content: "b" }')],
    errors: [{ file: 'environments.yaml', at: '/etc/app.conf', nth: 2, message: 'spec.files[1].path: /etc/app.conf is listed twice (first as files[0])' }],
  },
  // ---- SandboxSets
  {
    name: 'a SandboxSet with a bad branch glob',
    edits: [add('sets.yaml', SET(SET_SPEC.replace('feature/*', 'feature//**x')))],
    errors: [{ file: 'sets.yaml', at: '"feature//**x"', message: 'spec.generator.branches: "feature//**x" uses ** inside a segment: ** must be a whole segment (feature/**), * matches within one' }],
  },
  {
    name: 'a SandboxSet on a service not in the catalog',
    edits: [add('sets.yaml', SET(SET_SPEC.replace('service: account', 'service: billing')))],
    errors: [{ file: 'sets.yaml', at: 'billing', message: 'spec.generator.service: unknown service billing: not in the Platform catalog (catalog: account, audit, payment)' }],
  },
  {
    name: 'a SandboxSet with a template that does not exist',
    edits: [add('sets.yaml', SET(`${SET_SPEC}  template: nope\n`))],
    errors: [{ file: 'sets.yaml', at: 'nope', message: 'spec.template: unknown SandboxTemplate nope (known: qa)' }],
  },
  {
    name: 'a SandboxSet whose name template cannot yield a label',
    edits: [add('sets.yaml', SET(`${SET_SPEC}  name: "Preview_{{slug}}"\n`))],
    errors: [{ file: 'sets.yaml', at: '"Preview_', message: 'spec.name: "Preview_{{slug}}" cannot yield a valid sandbox name: it has "P": a name holds only lowercase letters, digits and \'-\'' }],
  },
  {
    name: 'a SandboxSet with a placeholder it does not know',
    edits: [add('sets.yaml', SET(SET_SPEC.replace('"{{branch}}"', '"{{ref}}"')))],
    errors: [{ file: 'sets.yaml', at: '"{{ref}}"', message: 'spec.services.account.branch: has {{ref}}: only {{branch}} and {{slug}} are replaced' }],
  },
  {
    name: 'a SandboxSet making a sandbox a hand-written Sandbox already is',
    edits: [add('sets.yaml', SET(`${SET_SPEC}  name: "{{slug}}"\n`)), add('sandboxes/login.yaml', SANDBOX('feature-login'))],
    sets: ACCOUNT_BRANCHES,
    errors: [
      {
        file: 'sets.yaml',
        at: '"{{slug}}"',
        message: 'spec.name: makes sandbox feature-login for branch feature/login, but the hand-written Sandbox at sandboxes/login.yaml:3 has that name: rename that Sandbox, or change this set\'s name template',
      },
    ],
  },
  {
    name: "a generated sandbox's error points into its set",
    edits: [add('sets.yaml', SET(SET_SPEC.replace('account: { branch: "{{branch}}" }', 'account: { branch: "{{branch}}", commit: 0123abcd }')))],
    sets: ACCOUNT_BRANCHES,
    errors: [{ file: 'sets.yaml', at: 'commit', message: 'spec.services.account.commit: branch and commit are both given; pin either a branch or a commit' }],
  },
];

function run(c: Case): { files: SpecFile[]; errors: SpecError[] } {
  const files = c.edits.reduce((acc, e) => e(acc), baseFiles());
  const result = compileDocuments(files, { baseDir: '/specs', ...(c.sets ? { sets: c.sets } : {}) });
  return { files, errors: result.ok ? [] : result.errors };
}

describe('invalid specs: one case per rule, each error with file, line, column and message', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { files, errors } = run(c);
    const want = c.errors.map((e) => {
      const text = files.find((f) => f.path === e.file)?.text ?? '';
      const at = typeof e.at === 'string' ? pos(text, e.at, e.nth) : e.at;
      return { file: e.file, line: at.line, col: at.col, message: e.message };
    });
    const got = errors.map((e) => ({ file: e.file, line: e.line, col: e.col, message: e.message }));
    expect(got).toEqual(want.map((w) => ({ ...w, message: typeof w.message === 'string' ? w.message : expect.stringMatching(w.message) })));
    for (const e of c.errors) if (e.not) for (const g of errors) expect(g.message).not.toContain(e.not);
    for (const g of errors) if (g.field) expect(g.message.startsWith(`${g.field}: `)).toBe(true);
  });

  it('reports every error at once, sorted by file and line, with no desired state', () => {
    const files = [
      edit('templates.yaml', 'ttl: 14d', 'ttl: 14days'),
      edit('sandboxes/alpha.yaml', '0123abcd', 'xyz'),
      edit('sandboxes/qa-two.yaml', 'template: qa', 'template: nope'),
      edit('sandboxes/qa-two.yaml', 'feature/login', 'feature..login'),
    ].reduce((acc, e) => e(acc), baseFiles());
    const result = compileDocuments(files);
    expect(result.ok).toBe(false);
    expect('desired' in result).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.field}`)).toEqual([
      'sandboxes/alpha.yaml:6:24: spec.services.payment.commit',
      'sandboxes/qa-two.yaml:5:13: spec.template',
      'sandboxes/qa-two.yaml:8:24: spec.services.account.branch',
      'templates.yaml:10:8: spec.ttl',
    ]);
  });
});
