#!/usr/bin/env bash
# bench_mptcp's aggregation, simult_flows and failover cases under every scheduler
# (virtual time: the figures repeat for the seed). A scheduler that keeps a path idle
# (handover) or holds a slow one back (blest, ecf) cannot aggregate, and simult_flows'
# limit assumes both paths are used: the lines are reported as they come, not judged here.
# Usage: bench/schedulers.sh [BIN [SEED]]
set -uo pipefail
BIN=${1:-build/bin}
SEED=${2:-1}
for s in default minrtt roundrobin redundant handover blest ecf; do
  echo "== $s"
  "$BIN/bench_mptcp" "$SEED" "$s" | grep -v '^seed'
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || echo "($s: bench_mptcp exited $rc: a case over its limit, see above)"
done
