#!/usr/bin/env bash
# The papers' claims, reproduced on the network emulator (virtual time; docs/EXPERIMENTS.md
# has the tables and pictures these commands make). Usage: bench/experiments.sh [BIN [OUT]]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin}
OUT=${2:-build/experiments}
CCS=cubic,lia,olia,balia,wvegas
echo "== 1. RFC 6356 goal 2, do no harm: one bottleneck, MPTCP (2 subflows) against TCP CUBIC"
"$BIN/umptcp-exp" bench/scenarios/shared_bottleneck.scn --ccs "$CCS" --seeds 3 --out "$OUT/1-cubic" --plot
echo "== 1b. the same against TCP Reno"
"$BIN/umptcp-exp" bench/scenarios/shared_bottleneck_reno.scn --ccs "$CCS" --seeds 3 --out "$OUT/1-reno" --plot
echo "== 2. RFC 6356 goal 1, improve throughput: two disjoint bottlenecks, one TCP Reno flow on each"
"$BIN/umptcp-exp" bench/scenarios/disjoint_paths.scn --ccs "$CCS" --seeds 3 --out "$OUT/2" --plot
echo "== 3. the OLIA paper's two types of users: how much of the shared link the multipath users take"
"$BIN/umptcp-exp" bench/scenarios/two_types.scn --ccs "$CCS" --seeds 1 --out "$OUT/3" --plot
bench/two_types_share.py "$OUT/3"
echo "== 4. heterogeneous paths (10 ms and 100 ms), 256 KB receive buffer, objects of 64 KB to 4 MB"
"$BIN/umptcp-exp" bench/scenarios/heterogeneous.scn \
  --schedulers default,minrtt,roundrobin,redundant,blest,ecf --seeds 3 --out "$OUT/4" --plot
echo "== 4b. the same with both paths at 10 Mbit/s"
"$BIN/umptcp-exp" bench/scenarios/heterogeneous_10m.scn \
  --schedulers default,minrtt,roundrobin,redundant,blest,ecf --seeds 1 --out "$OUT/4b" --plot
echo "== 5. bench_mptcp's aggregation, simult_flows and failover under every scheduler"
bench/schedulers.sh "$BIN" 1
