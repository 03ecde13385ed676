# Sourced by the shell scripts: bold labels on a terminal only. NO_COLOR (https://no-color.org) turns
# colour off, FORCE_COLOR (not 0) on even into a pipe; the same rules as the CLI (picocolors).
if [ -n "${NO_COLOR:-}" ]; then
  BOLD='' RESET=''
elif { [ -n "${FORCE_COLOR:-}" ] && [ "${FORCE_COLOR}" != 0 ]; } || { [ -t 1 ] && [ "${TERM:-}" != dumb ]; }; then
  BOLD=$'\033[1m' RESET=$'\033[0m'
else
  BOLD='' RESET=''
fi
