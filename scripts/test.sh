#!/usr/bin/env bash
# The one test command: sets up what is missing, type-checks, then runs every test
# (unit, integration against real Docker/git/SQLite/Caddy, browser) with vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
echo "[test] type-checking"
npx tsc --noEmit -p tsconfig.json
echo "[test] running tests"
npx vitest run "$@"
