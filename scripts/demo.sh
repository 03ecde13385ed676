#!/usr/bin/env bash
# The README's run command: sets up what is missing, then runs `sdp up` on the example specs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/sdp.js up --specs specs --data .sdp "$@"
