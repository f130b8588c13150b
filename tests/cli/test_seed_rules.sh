#!/usr/bin/env bash
# The seed's rules, checked: TCP never names MPTCP; the packet struct's size is asserted.
# (Plain TCP never sending option 30 is checked on the wire by sim/test_extension.)
set -uo pipefail
SRC=${2:?usage: $0 BIN_DIR SOURCE_DIR}
pass=0 failed=0
check() { # DESCRIPTION CONDITION...
  local desc=$1
  shift
  if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $desc"; fi
}
no_mptcp_in_tcp() { ! grep -rni mptcp "$SRC/src/tcp"; }
pkt_size_asserted() { grep -q 'static_assert(sizeof(struct um_pkt) == UM_PKT_SIZE' "$SRC/src/core/pkt.h"; }
check "grep -rni mptcp src/tcp must find nothing" no_mptcp_in_tcp
check "struct um_pkt's size must be asserted" pkt_size_asserted
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
