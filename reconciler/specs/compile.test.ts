import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROXY_COMMAND, type Resources } from '../../schema/container.ts';
import type { DesiredSandbox, DesiredState } from '../../schema/desired.ts';
import { compileDocuments, compileSpecsDir, type SpecFile } from './compile.ts';
import { ALPHA, PLATFORM, QA_TWO, TEMPLATES, baseFiles } from './fixtures.ts';

function compiled(files: SpecFile[] = baseFiles(), opts: Parameters<typeof compileDocuments>[1] = { baseDir: '/specs' }): DesiredState {
  const result = compileDocuments(files, opts);
  if (!result.ok) throw new Error(`expected valid specs, got:\n${result.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n')}`);
  return result.desired;
}

const replaceIn = (path: string, from: string, to: string): SpecFile[] =>
  baseFiles().map((f) => {
    if (f.path !== path) return f;
    if (!f.text.includes(from)) throw new Error(`fixture: ${from} not in ${path}`);
    return { path, text: f.text.replace(from, to) };
  });

const proxy = (sandbox: string, node: string, hostPort: number, resources: Resources): DesiredSandbox['gateway'] => ({
  name: `sandbox-${sandbox}-gateway`,
  sandbox,
  network: `sandbox-${sandbox}`,
  service: 'gateway',
  kind: 'gateway',
  node,
  alias: 'gateway',
  hostPort,
  resources,
  build: { type: 'image', image: 'caddy:2', run: PROXY_COMMAND },
  port: 80,
  env: {},
  secrets: [],
  files: [],
  adapter: { adapter: 'proxy' },
});

describe('compileDocuments: the whole desired state', () => {
  it('compiles the fixture set exactly: placement on two nodes, ports, routes, env, secrets, files, resources', () => {
    const expected: DesiredState = {
      platform: {
        name: 'default',
        nodes: [
          { name: 'n1', roles: ['micro', 'gateway'], address: '10.0.0.1' },
          { name: 'n2', roles: ['micro'], address: '10.0.0.2' },
        ],
        ports: { gateway: [8080, 8084], services: [9001, 9010] },
        services: ['account', 'audit', 'payment'],
      },
      sandboxes: [
        {
          name: 'alpha',
          labels: {},
          environments: [],
          suspended: false,
          syncPolicy: { automated: true, prune: false, selfHeal: false },
          source: { file: 'sandboxes/alpha.yaml', line: 1, col: 1 },
          network: 'sandbox-alpha',
          nodes: ['n1', 'n2'],
          services: [
            {
              name: 'sandbox-alpha-payment',
              sandbox: 'alpha',
              network: 'sandbox-alpha',
              service: 'payment',
              kind: 'service',
              node: 'n2',
              alias: 'payment',
              source: { repo: 'https://git.example.com/payment.git', commit: '0123abcd' },
              build: { type: 'host', command: 'make', image: 'alpine:3', run: ['/src/app'] },
              port: 9000,
              hostPort: 9001,
              hostIp: '10.0.0.2',
              env: {},
              secrets: [],
              files: [],
              resources: {},
            },
          ],
          gateway: proxy('alpha', 'n1', 8080, {}),
          gatewayPort: 8080,
          gatewayUrl: 'http://10.0.0.1:8080',
          routes: [
            { service: 'account', mode: 'baseline', target: 'http://account.base' },
            // on n2, the gateway on n1: the node's address and the published host port
            { service: 'payment', mode: 'sandbox', target: 'http://10.0.0.2:9001' },
            // audit has no baseline and is not in this sandbox: no route
          ],
        },
        {
          name: 'qa-two',
          owner: 'ana',
          labels: { team: 'qa' },
          template: 'qa',
          environments: ['common'],
          suspended: false,
          ttlSeconds: 14 * 86_400,
          syncPolicy: { automated: false, prune: false, selfHeal: false },
          source: { file: 'sandboxes/qa-two.yaml', line: 1, col: 1 },
          network: 'sandbox-qa-two',
          nodes: ['n1'],
          services: [
            {
              name: 'sandbox-qa-two-account',
              sandbox: 'qa-two',
              network: 'sandbox-qa-two',
              service: 'account',
              kind: 'service',
              node: 'n1',
              alias: 'account',
              source: { repo: 'file:///specs/repos/account.git', branch: 'feature/login' },
              build: { type: 'image', image: 'acct:1' },
              port: 8080,
              // sandbox env (common) then the service's own (account-dev); urls interpolated after merging
              env: { AUDIT: 'http://audit:7000/v1', DB_PORT: '5432', LOG_LEVEL: 'debug', PAYMENT_URL: 'http://payment.base' },
              secrets: [{ key: 'DB_PASSWORD', environment: 'account-dev' }],
              files: [{ path: '/etc/app.conf', content: 'a=1' }],
              resources: { cpu: 0.5, memoryBytes: 1024 ** 3 },
              health: { path: '/health', timeoutMs: 10_000, retries: 3, intervalMs: 2000 },
            },
            {
              name: 'sandbox-qa-two-audit',
              sandbox: 'qa-two',
              network: 'sandbox-qa-two',
              service: 'audit',
              kind: 'service',
              node: 'n1',
              alias: 'audit',
              source: { repo: 'https://git.example.com/audit.git', branch: 'main' },
              build: { type: 'dockerfile', dockerfile: 'Dockerfile', context: '.' },
              port: 7000,
              env: { LOG_LEVEL: 'debug', PAYMENT_URL: 'http://payment.base' },
              secrets: [],
              files: [],
              resources: { cpu: 0.5, memoryBytes: 256 * 1024 ** 2 },
            },
          ],
          gateway: proxy('qa-two', 'n1', 8081, { cpu: 0.5, memoryBytes: 256 * 1024 ** 2 }),
          gatewayPort: 8081,
          gatewayUrl: 'http://10.0.0.1:8081',
          routes: [
            { service: 'account', mode: 'sandbox', target: 'http://account:8080' },
            { service: 'audit', mode: 'sandbox', target: 'http://audit:7000' },
            { service: 'payment', mode: 'baseline', target: 'http://payment.base' },
          ],
        },
      ],
      templates: ['qa'],
      templateSpecs: [
        {
          name: 'qa',
          gateway: { branch: 'develop' },
          services: { account: { branch: 'develop' } },
          env: ['common'],
          resources: { cpu: 0.5, memory: '256Mi' },
          ttl: '14d',
        },
      ],
      environments: [
        {
          name: 'account-dev',
          variables: { DB_PORT: '5432', AUDIT: '${services.audit.url}/v1' },
          secrets: ['DB_PASSWORD'],
          files: [{ path: '/etc/app.conf', content: 'a=1' }],
        },
        { name: 'common', variables: { LOG_LEVEL: 'debug', PAYMENT_URL: '${services.payment.url}' }, secrets: [], files: [] },
      ],
      ports: {
        'gateway/alpha': 8080,
        'gateway/qa-two': 8081,
        'service/alpha/payment': 9001,
      },
    };
    expect(compiled()).toEqual(expected);
  });

  it('is deterministic and independent of file order', () => {
    expect(compiled([...baseFiles()].reverse())).toEqual(compiled());
  });
});

describe('notifications', () => {
  it('are the Platform\'s webhook targets with defaults: json, every event; none declared, none kept', () => {
    const hooks = `    proxy: { image: "caddy:2" }
  notifications:
    - { name: ops, url: "https://hooks.example.com/sdp", secret: hooks }
    - { name: chat, url: "https://chat.example.com/hook", format: slack, events: [sync-failed, health-degraded] }
`;
    const desired = compiled(replaceIn('platform.yaml', '    proxy: { image: "caddy:2" }\n', hooks));
    expect(desired.platform.notifications).toEqual([
      {
        name: 'ops',
        url: 'https://hooks.example.com/sdp',
        format: 'json',
        secret: 'hooks',
        events: ['sync-started', 'sync-succeeded', 'sync-failed', 'health-degraded', 'health-recovered', 'sandbox-expired', 'drift-detected'],
      },
      { name: 'chat', url: 'https://chat.example.com/hook', format: 'slack', events: ['sync-failed', 'health-degraded'] },
    ]);
    expect('notifications' in compiled().platform).toBe(false);
  });
});

describe('ports', () => {
  it('keeps persisted allocations while valid and gives new ones the lowest free port', () => {
    const desired = compiled(baseFiles(), {
      baseDir: '/specs',
      ports: {
        'gateway/alpha': 8083, // kept
        'service/qa-two/audit': 9007, // on the gateway's node with all of its sandbox: released
        'service/alpha/payment': 9500, // out of range now: re-allocated
        'service/gone/x': 9001, // no longer asked for: released
        'gateway/qa-two': 8084, // the spec now fixes 8081: the spec wins
      },
    });
    expect(desired.ports).toEqual({
      'gateway/alpha': 8083,
      'gateway/qa-two': 8081,
      'service/alpha/payment': 9001,
    });
    expect(desired.sandboxes.find((s) => s.name === 'alpha')?.gatewayUrl).toBe('http://10.0.0.1:8083');
  });

  it('a fixed gateway port takes precedence over another sandbox persisted on it', () => {
    const desired = compiled(baseFiles(), { baseDir: '/specs', ports: { 'gateway/alpha': 8081 } });
    expect(desired.ports['gateway/qa-two']).toBe(8081);
    expect(desired.ports['gateway/alpha']).toBe(8080);
  });

  it('a suspended sandbox keeps its config and ports', () => {
    const desired = compiled(replaceIn('sandboxes/alpha.yaml', 'syncPolicy', 'suspended: true\n  syncPolicy'));
    const alpha = desired.sandboxes.find((s) => s.name === 'alpha')!;
    expect(alpha.suspended).toBe(true);
    expect(desired.ports['service/alpha/payment']).toBe(9001);
  });
});

describe('templates', () => {
  it('a sandbox list replaces the template list; a commit replaces the template branch', () => {
    const files = replaceIn(
      'sandboxes/qa-two.yaml',
      '  gateway: { port: 8081 }',
      '  gateway: { port: 8081, commit: abcdef1 }\n  env: [account-dev]\n  resources: { memory: 64Mi }',
    );
    const qa = compiled(files).sandboxes.find((s) => s.name === 'qa-two')!;
    expect(qa.environments).toEqual(['account-dev']);
    const audit = qa.services.find((s) => s.service === 'audit')!;
    expect(audit.env).toEqual({ AUDIT: 'http://audit:7000/v1', DB_PORT: '5432' });
    // resources deep-merge: the template's cpu stays, the sandbox's memory wins
    expect(audit.resources).toEqual({ cpu: 0.5, memoryBytes: 64 * 1024 ** 2 });
    expect(qa.gateway.resources).toEqual({ cpu: 0.5, memoryBytes: 64 * 1024 ** 2 });
  });

  it('a sandbox sends a template service to baseline without a conflict', () => {
    const files = replaceIn('sandboxes/qa-two.yaml', 'account: { branch: feature/login, env: [account-dev], resources: { memory: 1Gi } }', 'account: { baseline: true }');
    const qa = compiled(files).sandboxes.find((s) => s.name === 'qa-two')!;
    expect(qa.services.map((s) => s.service)).toEqual(['audit']);
    expect(qa.routes[0]).toEqual({ service: 'account', mode: 'baseline', target: 'http://account.base' });
  });

  it('a service pinned to a commit over a template branch runs that commit', () => {
    const files = replaceIn('sandboxes/qa-two.yaml', 'account: { branch: feature/login,', 'account: { commit: 89abcdef,');
    const account = compiled(files).sandboxes.find((s) => s.name === 'qa-two')!.services[0]!;
    expect(account.source).toEqual({ repo: 'file:///specs/repos/account.git', commit: '89abcdef' });
  });
});

describe('a custom gateway app', () => {
  const custom = (routes: string): SpecFile[] => {
    const platform = PLATFORM.replace(
      '    proxy: { image: "caddy:2" }',
      `    repo: ../gw/gateway.git
    build: { type: image, image: "php:8.3-apache", mount: /var/www/html }
    port: 80
    routes: ${routes}
    health: { path: /ping, timeout: 2s }`,
    );
    return [
      { path: 'platform/platform.yaml', text: platform },
      { path: 'templates.yaml', text: TEMPLATES },
      { path: 'sandboxes/qa-two.yaml', text: QA_TWO },
      { path: 'sandboxes/alpha.yaml', text: ALPHA.replace('  services:', '  gateway: { branch: release/1.2 }\n  services:') },
      { path: 'env.yaml', text: 'apiVersion: sdp/v1\nkind: Environment\nmetadata: { name: common }\nspec:\n  variables: { MODE: qa }\n  secrets: [API_KEY]\n' },
      { path: 'env2.yaml', text: 'apiVersion: sdp/v1\nkind: Environment\nmetadata: { name: account-dev }\nspec: {}\n' },
    ];
  };

  it('deploys from the sandbox gateway branch; the env adapter puts <SERVICE>_URL in its env', () => {
    const desired = compiled(custom('{ adapter: env }'));
    const alpha = desired.sandboxes.find((s) => s.name === 'alpha')!;
    expect(alpha.gateway).toEqual({
      name: 'sandbox-alpha-gateway',
      sandbox: 'alpha',
      network: 'sandbox-alpha',
      service: 'gateway',
      kind: 'gateway',
      node: 'n1',
      alias: 'gateway',
      hostPort: 8080,
      resources: {},
      // relative to the folder of the file that declares it (platform/), inside the specs folder
      source: { repo: 'file:///specs/gw/gateway.git', branch: 'release/1.2' },
      build: { type: 'image', image: 'php:8.3-apache', mount: '/var/www/html' },
      port: 80,
      env: { ACCOUNT_URL: 'http://account.base', PAYMENT_URL: 'http://10.0.0.2:9001' },
      secrets: [],
      files: [],
      health: { path: '/ping', timeoutMs: 2000, retries: 3, intervalMs: 5000 },
      adapter: { adapter: 'env' },
    });
    const qa = desired.sandboxes.find((s) => s.name === 'qa-two')!;
    expect(qa.gateway.source).toEqual({ repo: 'file:///specs/gw/gateway.git', branch: 'develop' });
    // the sandbox's environments apply to the gateway app too (secrets by name only)
    expect(qa.gateway.env).toEqual({
      ACCOUNT_URL: 'http://account:8080',
      AUDIT_URL: 'http://audit:7000',
      MODE: 'qa',
      PAYMENT_URL: 'http://payment.base',
    });
    expect(qa.gateway.secrets).toEqual([{ key: 'API_KEY', environment: 'common' }]);
  });

  it('uses the env adapter key template with the service name upper-cased and - as _', () => {
    const files = custom('{ adapter: env, key: "SVC_{SERVICE}" }').map((f) =>
      f.path === 'platform/platform.yaml' ? { ...f, text: f.text.replace('    audit:', '    audit-log:') } : f,
    );
    const qa = compiled(files.map((f) => (f.path === 'sandboxes/qa-two.yaml' ? { ...f, text: f.text.replace('audit:', 'audit-log:') } : f)));
    expect(qa.sandboxes.find((s) => s.name === 'qa-two')!.gateway.env).toEqual({
      MODE: 'qa',
      SVC_ACCOUNT: 'http://account:8080',
      SVC_AUDIT_LOG: 'http://audit-log:7000',
      SVC_PAYMENT: 'http://payment.base',
    });
  });

  it('passes a file adapter through', () => {
    const desired = compiled(custom('{ adapter: file, file: conf/routes.php, format: php-array, key: "{service}_url", reload: [apache2ctl, -k, graceful] }'));
    expect(desired.sandboxes[0]!.gateway.adapter).toEqual({
      adapter: 'file',
      file: 'conf/routes.php',
      format: 'php-array',
      key: '{service}_url',
      reload: ['apache2ctl', '-k', 'graceful'],
    });
  });
});

describe('compileSpecsDir', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('an empty folder is an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdp-specs-'));
    dirs.push(dir);
    expect(await compileSpecsDir(dir)).toEqual({
      ok: false,
      errors: [{ file: '.', line: 1, col: 1, message: 'no spec files (*.yaml, *.yml) in the specs folder' }],
    });
  });

  it('reads *.yaml and *.yml recursively, multi-document files included, and ignores other files and dot-folders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdp-specs-'));
    dirs.push(dir);
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    const [platform, templates, environments, qa, alpha] = baseFiles().map((f) => f.text);
    await writeFile(join(dir, 'platform.yml'), platform!);
    await writeFile(join(dir, 'a', 'rest.yaml'), `${templates}---\n${environments}\n---\n`);
    await writeFile(join(dir, 'a', 'b', 'sandboxes.yaml'), `${qa}---\n${alpha}`);
    await writeFile(join(dir, 'a', 'README.md'), 'kind: nonsense');
    await mkdir(join(dir, '.github', 'workflows'), { recursive: true });
    await writeFile(join(dir, '.github', 'workflows', 'ci.yml'), 'on: push\njobs: {}\n');
    const result = await compileSpecsDir(dir);
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    expect(result.desired.sandboxes.map((s) => [s.name, s.source.file])).toEqual([
      ['alpha', 'a/b/sandboxes.yaml'],
      ['qa-two', 'a/b/sandboxes.yaml'],
    ]);
    expect(result.desired.sandboxes[1]!.services[0]!.source?.repo).toBe(`file://${dir}/repos/account.git`);
  });

  it('names the file and line of errors in nested files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdp-specs-'));
    dirs.push(dir);
    await mkdir(join(dir, 'team'));
    const [platform] = baseFiles().map((f) => f.text);
    await writeFile(join(dir, 'platform.yaml'), platform!);
    await writeFile(join(dir, 'team', 'x.yaml'), 'apiVersion: sdp/v1\nkind: Sandbox\nmetadata: { name: x }\nspec:\n  ttl: forever\n');
    const result = await compileSpecsDir(dir);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          file: 'team/x.yaml',
          line: 5,
          col: 8,
          field: 'spec.ttl',
          message: 'spec.ttl: must be a duration such as 14d, 12h, 30m, 90s or 2w (got "forever")',
        },
      ],
    });
  });
});
