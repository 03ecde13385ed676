// vitest globalSetup: builds the CLI once before any suite spawns `node bin/sdp.js`, so parallel
// spawns never race to rebuild it; and points XDG_CONFIG_HOME at a fresh folder, so no suite reads
// or writes the logins of whoever runs the tests (~/.config/sdp).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, isFresh } from '../../scripts/build-cli.js';

export default async function setup(): Promise<() => void> {
  if (!isFresh()) await build();
  const config = mkdtempSync(join(tmpdir(), 'sdp-test-config-'));
  process.env['XDG_CONFIG_HOME'] = config;
  return () => rmSync(config, { recursive: true, force: true });
}
