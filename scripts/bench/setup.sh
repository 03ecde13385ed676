#!/usr/bin/env bash
# What `npm run bench` needs beyond scripts/setup.sh, idempotent: a docker compose to compare the
# CLI with (cli.bench.ts). Debian's docker-compose package when neither compose runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/color.sh
if docker compose version >/dev/null 2>&1 || docker-compose version >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  printf '%s[bench]%s installing docker-compose (apt)\n' "$BOLD" "$RESET"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null
else
  echo "[bench] please install docker compose (Debian/Ubuntu: sudo apt-get install -y docker-compose)" >&2
  exit 1
fi
