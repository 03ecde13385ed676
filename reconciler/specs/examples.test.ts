// The example specs (specs/, the demo) compile, and mean what the demo relies on.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileSpecsDir, readSpecFiles } from './compile.ts';
import { PROXY_COMMAND } from '../../schema/container.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('specs/ (the demo)', () => {
  it('compiles to three sandboxes on the one local node', async () => {
    const result = await compileSpecsDir(join(ROOT, 'specs'));
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n'));
    const { desired } = result;
    expect(desired.platform.nodes).toEqual([{ name: 'local', roles: ['micro', 'gateway'], address: '127.0.0.1' }]);
    expect(desired.sandboxes.map((s) => s.name)).toEqual(['account-smoke', 'payment-refund', 'qa-login-error']);

    const qa = desired.sandboxes.find((s) => s.name === 'qa-login-error')!;
    expect(qa.gatewayUrl).toBe('http://127.0.0.1:8081');
    expect(qa.gateway.build).toEqual({ type: 'image', image: 'caddy:2', run: PROXY_COMMAND });
    const account = qa.services.find((s) => s.service === 'account')!;
    expect(account.source).toEqual({ repo: `file://${join(ROOT, '.sdp/demo/repos/account.git')}`, branch: 'feature/login-error' });
    expect(account.secrets).toEqual([{ key: 'DB_PASSWORD', environment: 'account-dev' }]);
    expect(account.env.PAYMENT_URL).toBe('http://host.docker.internal:9182');
    expect(account.health).toEqual({ path: '/health', timeoutMs: 5000, retries: 10, intervalMs: 500 });
    expect(qa.routes.map((r) => `${r.service} ${r.mode} ${r.target}`)).toEqual([
      'account sandbox http://account:8080',
      'notification baseline http://host.docker.internal:9184',
      'payment baseline http://host.docker.internal:9182',
      'user baseline http://host.docker.internal:9183',
    ]);

    const refund = desired.sandboxes.find((s) => s.name === 'payment-refund')!;
    expect(refund.services.map((s) => `${s.service}@${s.source?.branch}`)).toEqual(['account@develop', 'payment@feature/refund']);
    // no port in its spec: allocated from the gateway range, skipping qa-login-error's 8081
    expect(refund.gatewayPort).toBeGreaterThanOrEqual(8080);
    expect(refund.gatewayPort).not.toBe(8081);
    // payment runs in this sandbox, so the account service reaches it by its alias
    expect(refund.services[0]!.env.PAYMENT_URL).toBe('http://payment:8080');
    for (const port of Object.values(desired.ports)) expect(port >= 8080 && port <= 9099).toBe(true);
  });

  it("has a SandboxSet making a preview per feature/* branch of account", async () => {
    const repo = `file://${join(ROOT, '.sdp/demo/repos/account.git')}`;
    const tip = (name: string, time: number) => ({ name, commit: 'c'.repeat(40), time });
    const branches = { [repo]: [tip('develop', 1), tip('feature/login-error', 2), tip('feature/broken-health', 3)] };
    const result = await compileSpecsDir(join(ROOT, 'specs'), { sets: { branches } });
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n'));
    const made = result.desired.sandboxes.filter((s) => s.generatedBy?.set === 'account-previews');
    expect(made.map((s) => s.name)).toEqual(['account-feature-broken-health', 'account-feature-login-error']);
    const preview = made.find((s) => s.name === 'account-feature-login-error')!;
    expect(preview.services.map((s) => `${s.service}@${s.source?.branch}`)).toEqual(['account@feature/login-error']);
    expect(preview.syncPolicy).toEqual({ automated: true, prune: true, selfHeal: false });
    expect(preview.routes.filter((r) => r.mode === 'baseline').map((r) => r.service)).toEqual(['notification', 'payment', 'user']);
  });

  it('every document of every example file names its JSON Schema for editors', async () => {
    // yaml-language-server reads a modeline per document: one at the top covers only the first.
    for (const f of (await readSpecFiles(join(ROOT, 'specs'))).files) {
      for (const [i, doc] of f.text.split(/^---$/m).entries()) {
        expect(doc.trimStart().split('\n')[0], `${f.path} document ${i + 1}`).toMatch(
          /^# yaml-language-server: \$schema=(\.\.\/)+schema\/json\/[a-z]+\.schema\.json$/,
        );
      }
    }
  });
});
