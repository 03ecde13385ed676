import { describe, expect, it } from 'vitest';
import type { Plan } from '../../schema/api.ts';
import { diffSandbox as diffFindings } from '../../core/diff/diff.ts';
import { driftEntries } from './drift.ts';

/** The diff as the API shows it: findings rendered to DriftEntry (reconciler/present/drift.ts). */
const diffSandbox = (input: Parameters<typeof diffFindings>[0]) => {
  const d = diffFindings(input);
  return { ...d, drift: driftEntries(d.drift) };
};
import { MI, bind, desiredSandbox, diffInput, editLive, liveInSync } from '../../core/diff/fixtures.ts';
import { planSandbox } from '../../core/plan/index.ts';
import { planView, renderPlan } from './plan.ts';

const SECRET = 'S3cr3t-b7e4-unique-value';

/** A sandbox with a bit of everything: commit, env, secret leak on the live side, resources, route, extra. */
function samplePlan(prune: boolean): Plan {
  const s = desiredSandbox();
  const bound = bind(s);
  let live = editLive(liveInSync(s, bound), 'sandbox-qa-account', (c) => ({
    ...c,
    specHash: 'old',
    commit: '1a2b3c4d5e6f7a8b9c0d',
    env: { ...c.env, DB_HOST: 'a|b', DB_PASSWORD: SECRET },
    resources: { cpu: 1, memoryBytes: 256 * MI },
  }));
  live = editLive(live, 'sandbox-qa-orders', (c) => ({ ...c, state: 'exited' }));
  live = live.map((ln) => ({
    ...ln,
    containers: [...ln.containers, { ...ln.containers[0]!, id: 'x', name: 'sandbox-qa-legacy', service: 'legacy' }],
    gateways: ln.gateways.map((g) => ({ ...g, routes: { ...g.routes, account: 'https://account-dev.example.com' } })),
  }));
  const input = diffInput(s, { bound, live });
  return planView('qa', 'abc123', diffSandbox(input).drift, planSandbox(input, { prune }));
}

describe('renderPlan', () => {
  it('markdown: a drift table field by field and a numbered action list', () => {
    const md = renderPlan(samplePlan(true), 'markdown');
    expect(md).toContain('### sdp plan: `qa`');
    expect(md).toContain('| Resource | Change | Field | Desired | Live |');
    expect(md).toMatch(/\| service\/account \| changed \| commit \| `[0-9a-f]{40}` \| `1a2b3c4d5e6f7a8b9c0d` \|/);
    // a pipe inside a value is escaped, so the table keeps its columns
    expect(md).toContain('| service/account | changed | env | `DB_HOST=10.0.0.5` | `DB_HOST=a\\|b` |');
    expect(md).toContain('| service/account | changed | resources | `cpu 0.5, memory 512Mi` | `cpu 1, memory 256Mi` |');
    expect(md).toContain('| route/account | changed | target | `http://account:8080` | `https://account-dev.example.com` |');
    expect(md).toContain('| service/legacy | extra |  |  |');
    expect(md).toMatch(/^1\. \*\*deploy\*\* `service\/account` on `node-1` \(wave 2\): commit 1a2b3c4 -> [0-9a-f]{7}; env DB_HOST, DB_PASSWORD; resources cpu 1, memory 256Mi -> cpu 0\.5, memory 512Mi$/m);
    expect(md).toMatch(/^2\. \*\*start\*\* `service\/orders`/m);
    expect(md).toMatch(/^3\. \*\*apply-routes\*\* `routes`/m);
    expect(md).toMatch(/^4\. \*\*remove\*\* `service\/legacy`/m);
  });

  it('text: one line per drift entry and per action', () => {
    const txt = renderPlan(samplePlan(true), 'text');
    expect(txt).toMatch(/^sandbox qa: 7 drift entries, 4 actions \(revision abc123\)$/m);
    expect(txt).toMatch(/^ {2}~ service\/account +commit +live: 1a2b3c4d5e6f7a8b9c0d +desired: [0-9a-f]{40}$/m);
    expect(txt).toMatch(/^ {2}- service\/legacy +extra +live: /m);
    expect(txt).toMatch(/^ {2}1\. \[wave 2\] deploy service\/account on node-1: commit 1a2b3c4 -> /m);
  });

  it('says when extras wait for prune', () => {
    expect(renderPlan(samplePlan(false), 'text')).toContain('(extra resources are removed only by a sync with prune)');
    expect(renderPlan(samplePlan(false), 'markdown')).toContain('_extra resources are removed only by a sync with prune_');
    expect(renderPlan(samplePlan(true), 'text')).not.toContain('prune)');
  });

  it('json: the Plan as it is', () => {
    const plan = samplePlan(true);
    expect(JSON.parse(renderPlan(plan, 'json'))).toEqual(plan);
  });

  it('a noop plan says so in every format', () => {
    const s = desiredSandbox();
    const input = diffInput(s);
    const plan = planView('qa', 'r1', diffSandbox(input).drift, planSandbox(input, { prune: true }));
    expect(plan.noop).toBe(true);
    expect(renderPlan(plan, 'text')).toBe('sandbox qa is in sync: nothing to do (revision r1)\n');
    expect(renderPlan(plan, 'markdown')).toContain('**sandbox qa is in sync: nothing to do**');
    expect(JSON.parse(renderPlan(plan, 'json')).noop).toBe(true);
  });

  it('never prints a secret value, in any format', () => {
    for (const format of ['text', 'markdown', 'json'] as const) {
      const out = renderPlan(samplePlan(true), format);
      expect(out).not.toContain(SECRET);
      expect(out).toContain('(redacted)');
    }
  });
});
