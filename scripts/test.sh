#!/usr/bin/env bash
# The one test command: sets up what is missing, type-checks, then runs every test
# (unit, integration against real Docker/git/SQLite/Caddy, browser) with vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
echo "[test] type-checking"
npx tsc --noEmit -p tsconfig.json
echo "[test] running tests"
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# One closing line any CI reads: "N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  // a suite that fails outside any test (a hook) counts as a failure too
  const failed = Math.max(r.numFailedTests, r.numFailedTestSuites);
  console.log(`tests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests} skipped`);
' || true
exit $status
