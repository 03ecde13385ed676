#!/usr/bin/env bash
# The README's run command: sets up what is missing, makes the demo's git repositories and baseline
# stand-ins, then runs `sdp up` on the example specs and prints what to try first.
# Options are passed to `sdp up` (e.g. --port 3460). Ctrl-C stops sdp; sandboxes keep running.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/color.sh
say() { printf '%s[demo]%s %s\n' "$BOLD" "$RESET" "$*"; }

bash scripts/setup.sh

say "demo git repositories (.sdp/demo/repos): one bare repo per service, branches develop + features"
node --import tsx scripts/demo/repos.ts .sdp/demo/repos

say "baseline stand-ins (what sandboxes route every service they do not deploy to)"
node --import tsx scripts/demo/baseline.ts

# The admin password: yours if SDP_ADMIN_PASSWORD is set; else the demo makes one on its first
# start and keeps it in .sdp/demo/admin-password (mode 600, git-ignored) so it can show it again.
# `sdp up` uses it only when it creates the admin user, i.e. on the first start of a data dir.
pwfile=.sdp/demo/admin-password
if [ -z "${SDP_ADMIN_PASSWORD:-}" ]; then
  if [ ! -f "$pwfile" ] && [ -z "$(find .sdp -maxdepth 1 -name '*.db' 2>/dev/null)" ]; then
    (umask 077; od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$pwfile")
  fi
  if [ -f "$pwfile" ]; then SDP_ADMIN_PASSWORD=$(cat "$pwfile"); export SDP_ADMIN_PASSWORD; fi
fi

port=3452
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --port) port=${args[$((i + 1))]:-$port} ;;
    --port=*) port=${args[$i]#--port=} ;;
  esac
done

# The git webhook: a secret made on the first start (kept like the password), and a post-receive hook
# in each demo repo that signs and posts every push to sdp, as a git host would (push -> preview).
hookfile=.sdp/demo/webhook-secret
if [ -z "${SDP_WEBHOOK_SECRET:-}" ]; then
  [ -f "$hookfile" ] || (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$hookfile")
  SDP_WEBHOOK_SECRET=$(cat "$hookfile"); export SDP_WEBHOOK_SECRET
else
  (umask 077; printf '%s' "$SDP_WEBHOOK_SECRET" > "$hookfile")
fi
node --import tsx scripts/demo/push-hook.ts .sdp/demo/repos "http://127.0.0.1:$port" "$hookfile"

# "what to try first", printed once sdp answers; it stops with sdp
node --import tsx scripts/demo/welcome.ts --server "http://127.0.0.1:$port" &
welcome=$!
trap 'kill "$welcome" 2>/dev/null || true' EXIT

say "starting sdp (Ctrl-C stops it; sandboxes keep running)"
node bin/sdp.js up --specs specs --data .sdp "$@"
