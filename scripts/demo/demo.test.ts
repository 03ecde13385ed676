// Pure parts of the demo scripts: the files each service branch commits, and the welcome text.
// (The repos, builds and baselines really run in test/e2e/demo-fixtures.int.test.ts.)
import { describe, expect, it } from 'vitest';
import type { SandboxSummary } from '../../schema/api.ts';
import { serviceFiles } from './repos.ts';
import { welcomeText } from './welcome.ts';

describe('serviceFiles', () => {
  it('commits the branch name and a build that writes the answer, rest and health', () => {
    const files = serviceFiles('payment', { name: 'feature/refund', healthy: true });
    expect(files.BRANCH).toBe('feature/refund\n');
    expect(files['.gitignore']).toBe('public/\n');
    expect(files['build.sh']).toContain('\\"service\\":\\"payment\\"');
    expect(files['build.sh']).toContain('> public/rest');
    expect(files['build.sh']).toContain('echo ok > public/health');
  });

  it('leaves /health out of an unhealthy branch', () => {
    const files = serviceFiles('account', { name: 'feature/broken-health', healthy: false });
    expect(files['build.sh']).not.toContain('public/health\n');
    expect(files['build.sh']).toContain('> public/index.html');
  });
});

const sandbox = (name: string, sync: SandboxSummary['sync'], port: number): SandboxSummary => ({
  name,
  labels: {},
  sync,
  health: 'Missing',
  syncStatus: { status: sync, reason: sync === 'Synced' ? 'InSync' : 'Drift', message: '' },
  healthStatus: { status: 'Missing', reason: 'ContainersMissing', message: 'none of its containers exists yet (a sync creates them)' },
  conditions: [],
  drift: [],
  gatewayUrl: `http://127.0.0.1:${port}`,
  routes: [
    { service: 'account', mode: 'sandbox', target: 'http://account:8080', live: null },
    { service: 'payment', mode: 'baseline', target: 'http://host.docker.internal:9182', live: null },
  ],
  suspended: false,
  revision: '1',
});

describe('welcomeText', () => {
  it('points at qa-login-error and its gateway, with the login', () => {
    const text = welcomeText(
      'http://127.0.0.1:3452',
      'pw-123',
      [sandbox('account-smoke', 'OutOfSync', 8080), sandbox('qa-login-error', 'OutOfSync', 8081)],
      ['account-dev/DB_PASSWORD'],
    );
    expect(text).toContain('admin / pw-123');
    expect(text).toContain('account-dev/DB_PASSWORD');
    expect(text).toContain('sandbox qa-login-error is OutOfSync');
    expect(text).toContain('curl http://127.0.0.1:8081/account/');
    expect(text).toContain('curl http://127.0.0.1:8081/payment/rest');
  });

  it('says where the password is when it does not know it', () => {
    const text = welcomeText('http://127.0.0.1:3452', undefined, undefined);
    expect(text).toContain('the password printed on the first start');
    expect(text).not.toContain('Sandboxes');
  });
});
