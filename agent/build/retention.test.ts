// Which built images the agent keeps: in use, the newest few deployed per sandbox+service, young ones.
import { expect, it } from 'vitest';
import { recentDeploys, tagsToRemove, type BuiltImage, type DeployRecord } from './retention.ts';

const rec = (sandbox: string, service: string, commit: string, minute: number): DeployRecord => ({
  sandbox,
  service,
  image: `sdp/build-aaa:${commit}`,
  at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
});

it('recentDeploys keeps the newest N distinct images per sandbox+service', () => {
  const records = [rec('a', 'web', 'c1', 1), rec('a', 'web', 'c2', 2), rec('a', 'web', 'c1', 3), rec('a', 'web', 'c3', 4), rec('b', 'web', 'c1', 5)];
  expect(recentDeploys(records, 2).map((r) => `${r.sandbox}:${r.image.slice(-2)}:${r.at.slice(14, 16)}`)).toEqual(['a:c1:03', 'a:c3:04', 'b:c1:05']);
});

it('tagsToRemove spares images in use, recently deployed, or younger than the grace', () => {
  const now = Date.UTC(2026, 0, 2);
  const img = (id: string, commit: string, ageMin: number): BuiltImage => ({ id, tags: [`sdp/build-aaa:${commit}`], createdMs: now - ageMin * 60_000, bytes: 1 });
  const images = [img('i1', 'c1', 600), img('i2', 'c2', 600), img('i3', 'c3', 600), img('i4', 'c4', 1), img('i5', 'c5', 600)];
  const kept = [rec('a', 'web', 'c2', 1)];
  expect(tagsToRemove(images, new Set(['i1']), kept, now, 10 * 60_000)).toEqual(['sdp/build-aaa:c3', 'sdp/build-aaa:c5']);
  // another tag on an image (not a built one) is never touched
  expect(tagsToRemove([{ ...img('i6', 'c6', 600), tags: ['sdp/build-aaa:c6', 'mine:latest'] }], new Set(), [], now, 0)).toEqual(['sdp/build-aaa:c6']);
});
