#!/usr/bin/env bash
# Fails when a lower layer includes a higher one. The layers, from the ground up:
#   core  <  link, net  <  tcp  <  sock  <  mptcp  <  stack, sim, ctl  <  relay  <  tools
# A layer may include its own headers and those of any layer below it; layers on the same
# floor (link and net, stack and sim) do not include each other. mptcp sits on sock because
# it is a socket protocol that registers with the socket table; sock never names mptcp.
# Public headers (<umptcp/...>) are the library's interface and may be included anywhere.
# TCP and MPTCP keep their internals to themselves: from other layers only their interface
# headers may be included (see "Names" in docs/ARCHITECTURE.md).
set -euo pipefail
cd "$(dirname "$0")/.."

rank() {
  case "$1" in
  core) echo 0 ;;
  link | net) echo 1 ;;
  tcp) echo 2 ;;
  sock) echo 3 ;;
  mptcp) echo 4 ;;
  stack | sim | ctl) echo 5 ;;
  relay) echo 6 ;;
  tools) echo 7 ;;
  *) echo -1 ;;
  esac
}

# Headers of tcp/ and mptcp/ that other layers may include.
exported() {
  case "$1" in
  tcp/tcp_api.h | tcp/tcp_stack.h | mptcp/mptcp_stack.h) return 0 ;;
  tcp/* | mptcp/*) return 1 ;;
  *) return 0 ;;
  esac
}

bad=0
while IFS=: read -r file line text; do
  from=$(echo "$file" | cut -d/ -f2)
  [ "${file%%/*}" = tools ] && from=tools
  to=$(echo "$text" | sed -E 's/.*#include "([a-z_]+)\/.*/\1/')
  [ "$from" = "$to" ] && continue
  rf=$(rank "$from")
  rt=$(rank "$to")
  if [ "$rf" -lt 0 ] || [ "$rt" -lt 0 ]; then
    echo "$file:$line: unknown layer in '$text' (add it to scripts/check-layers.sh)"
    bad=1
  elif [ "$rt" -ge "$rf" ]; then
    echo "$file:$line: $from includes $to, which is not below it: $text"
    bad=1
  elif ! exported "$(echo "$text" | sed -E 's/.*#include "([^"]+)".*/\1/')"; then
    echo "$file:$line: $from includes a header internal to $to: $text"
    bad=1
  fi
done < <(grep -rnE '^#include "[a-z_]+/' src tools --include='*.c' --include='*.h')

# The built-in path manager reaches the engine only through the path-manager interface
# (include/umptcp/mptcp_pm.h and mptcp_pm_kernel.h), never the engine's internals.
if grep -nE '#include "(mptcp/mptcp\.h|mptcp/mptcp_options\.h|mptcp/mptcp_crypto\.h|tcp/|sock/)' \
  src/mptcp/mptcp_pm_kernel.c src/mptcp/mptcp_pm_kernel.h; then
  echo "check-layers: the built-in path manager includes the engine's internals (above)"
  bad=1
fi

if [ "$bad" -ne 0 ]; then
  echo "check-layers: a lower layer includes a higher one (order: core < link, net < tcp < sock < mptcp < stack, sim, ctl < tools)" >&2
  exit 1
fi
echo "check-layers: ok"
