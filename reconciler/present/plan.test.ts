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
import { inlines, renderHtml, tableRows } from './markdown-fixtures.ts';
import { PLAN_MARKER, planView, renderPlan, renderPlanComment } from './plan.ts';

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
  it('markdown: a drift table field by field and a numbered action list, read back through a renderer', () => {
    const md = renderPlan(samplePlan(true), 'markdown');
    const lines = inlines(md).map((s) => s.text);
    expect(lines[0]).toBe('sdp plan: qa');
    const rows = tableRows(md).map((r) => r.map((c) => c.text));
    expect(rows[0]).toEqual(['Resource', 'Change', 'Field', 'Desired', 'Live']);
    expect(rows).toContainEqual(['service/account', 'changed', 'commit', expect.stringMatching(/^[0-9a-f]{40}$/), '1a2b3c4d5e6f7a8b9c0d']);
    // a pipe inside a value stays in its cell, so the table keeps its columns
    expect(rows).toContainEqual(['service/account', 'changed', 'env', 'DB_HOST=10.0.0.5', 'DB_HOST=a|b']);
    expect(rows).toContainEqual(['service/account', 'changed', 'resources', 'cpu 0.5, memory 512Mi', 'cpu 1, memory 256Mi']);
    expect(rows).toContainEqual(['route/account', 'changed', 'target', 'http://account:8080', 'https://account-dev.example.com']);
    expect(rows.find((r) => r[0] === 'service/legacy')?.slice(0, 4)).toEqual(['service/legacy', 'extra', '', '']);
    for (const r of rows) expect(r).toHaveLength(5);
    expect(lines).toContainEqual(expect.stringMatching(/^deploy service\/account on node-1 \(wave 2\): commit 1a2b3c4 -> [0-9a-f]{7}; env DB_HOST, DB_PASSWORD; resources cpu 1, memory 256Mi -> cpu 0\.5, memory 512Mi$/));
    const actions = md.split('\n').filter((l) => /^\d+\. \*\*/.test(l)).map((l) => inlines(l)[0]!.text);
    expect(actions.map((a) => a.split(' on ')[0])).toEqual(['deploy service/account', 'start service/orders', 'apply-routes routes', 'remove service/legacy']);
  });

  it('PR comment: marker, one summary line, a section per changed sandbox, new and removed ones, errors, the rest folded', () => {
    const changed = samplePlan(true);
    const s = desiredSandbox();
    const input = diffInput(s);
    const inSync = planView('calm', 'r1', diffSandbox(input).drift, planSandbox(input, { prune: true }));
    const fresh = { ...samplePlan(true), sandbox: 'fresh' };
    const md = renderPlanComment({ plans: [changed, inSync, fresh], added: ['fresh'], removed: ['gone'], specChanged: ['qa'], errors: ['specs/a.yaml:3:5: spec.ttl: must be a duration <b>'] });
    expect(md.split('\n')[0]).toBe(PLAN_MARKER);
    const lines = inlines(md).map((l) => l.text);
    expect(lines[0]).toBe('sdp plan: 1 sandbox changed, 1 added, 1 removed, 1 error, 1 in sync');
    expect(lines).toContain('sdp plan: qa');
    expect(lines).toContain('New sandbox fresh');
    expect(lines).toContain('specs/a.yaml:3:5: spec.ttl: must be a duration <b>');
    expect(lines).toContain('gone: no longer in the specs; a sync removes its containers, network and routes');
    expect(lines).not.toContain('sdp plan: calm');
    expect(lines.filter((l) => l === 'its spec differs from the revision in force')).toHaveLength(1);
    const html = renderHtml(md);
    expect(html).toContain('<!-- sdp-plan -->');
    expect(html).toMatch(/<details><summary>In sync: 1<\/summary>[\s\S]*<code>calm<\/code>[\s\S]*<\/details>/);
  });

  it('PR comment: long drift tables and action lists are folded', () => {
    const plan = samplePlan(true);
    const many = { ...plan, drift: Array.from({ length: 12 }, (_, i) => ({ ...plan.drift[0]!, resource: `service/s${i}` })) };
    const html = renderHtml(renderPlanComment({ plans: [many] }));
    expect(html).toMatch(/<details><summary>Drift: 12 entries<\/summary>[\s\S]*<table>/);
    expect(renderHtml(renderPlanComment({ plans: [plan] }))).not.toContain('<summary>Drift');
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
    expect(inlines(renderPlan(samplePlan(false), 'markdown')).map((l) => l.text)).toContain('extra resources are removed only by a sync with prune');
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
    expect(inlines(renderPlan(plan, 'markdown')).map((l) => l.text)).toContain('sandbox qa is in sync: nothing to do (revision r1)');
    expect(JSON.parse(renderPlan(plan, 'json')).noop).toBe(true);
  });

  it('never prints a secret value, in any format', () => {
    for (const format of ['text', 'markdown', 'json'] as const) {
      const out = renderPlan(samplePlan(true), format);
      expect(out).not.toContain(SECRET);
      expect(format === 'markdown' ? inlines(out).map((l) => l.text).join('\n') : out).toContain('(redacted)');
    }
  });
});
