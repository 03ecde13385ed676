import { describe, expect, it } from 'vitest';
import { desiredSandbox } from '../../core/diff/fixtures.ts';
import { openStore } from '../store/db.ts';
import { SandboxRecords } from './sandbox-records.ts';

describe('SandboxRecords.specDigest (what "its spec changed" means for a ttl and a pin)', () => {
  const records = new SandboxRecords(openStore(':memory:'));
  const s = desiredSandbox();

  it('is the same when only where the document is written moved', () => {
    expect(records.specDigest({ ...s, source: { file: 'other.yaml', line: 40, col: 1 } })).toBe(records.specDigest(s));
  });

  it('changes with the spec itself', () => {
    expect(records.specDigest({ ...s, labels: { team: 'qa' } })).not.toBe(records.specDigest(s));
    expect(records.specDigest({ ...s, services: s.services.map((d) => ({ ...d, env: { ...d.env, LOG: 'debug' } })) })).not.toBe(records.specDigest(s));
  });
});
