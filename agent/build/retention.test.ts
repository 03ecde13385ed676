// Which built images the agent keeps: in use, the newest few deployed per sandbox+service, others' images.
import { expect, it } from 'vitest';
import { recentDeploys, tagsToRemove, trimLog, type BuiltImage, type DeployRecord } from './retention.ts';

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

it('trimLog drops what no deploy of a live sandbox keeps into unkept; tagsToRemove spares images in use', () => {
  const log = { deploys: [rec('a', 'web', 'c1', 1), rec('a', 'web', 'c2', 2), rec('a', 'web', 'c3', 3), rec('gone', 'web', 'c4', 4)], unkept: ['sdp/build-aaa:c0'] };
  const trimmed = trimLog(log, new Set(['a']), 2);
  expect(trimmed.deploys.map((r) => r.image.slice(-2))).toEqual(['c2', 'c3']);
  expect(trimmed.unkept.sort()).toEqual(['sdp/build-aaa:c0', 'sdp/build-aaa:c1', 'sdp/build-aaa:c4']);
  const img = (id: string, ...tags: string[]): BuiltImage => ({ id, tags, bytes: 1 });
  const images = [img('i0', 'sdp/build-aaa:c0'), img('i1', 'sdp/build-aaa:c1'), img('i2', 'sdp/build-aaa:c2'), img('i9', 'sdp/build-zzz:other')];
  // c1 is in use; c4 no longer exists; an image this agent never deployed is never a candidate
  expect(tagsToRemove(images, new Set(['i1']), trimmed.unkept)).toEqual(['sdp/build-aaa:c0']);
});
