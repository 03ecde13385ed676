#!/usr/bin/env node
// The `sdp` command: runs the compiled CLI in dist/cli (scripts/build-cli.js), building it first
// when a source file changed since, so a checkout never runs stale code. No TypeScript at run time.
import { ENTRY, build, isFresh } from '../scripts/build-cli.js';

if (!isFresh()) {
  try {
    await build();
  } catch (err) {
    console.error(`sdp: the CLI in dist/cli is missing or stale and could not be built: ${err instanceof Error ? err.message : String(err)}`);
    console.error('sdp: install the dev dependencies (npm ci) and run `node scripts/build-cli.js`');
    process.exit(2);
  }
}
await import(ENTRY);
