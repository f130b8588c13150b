#!/usr/bin/env bash
# Runs every benchmark; each prints its figures next to a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
echo "== in-process bulk TCP, one core (baseline: kernel TCP over loopback, same run)"
"$BIN/bench_inproc" 2048
echo
echo "== instructions per byte (callgrind, 64 MB, including the receiver's byte check)"
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/bench_inproc" 64 0 2>&1 | grep -E "Collected" |
  awk '{printf "%.2f instructions per byte (%s instructions for 64 MB)\n", $4/(64*1048576), $4}'
rm -f "$out"
echo
echo "== umptcp-cat over TUN vs kernel over veth (root)"
bench/tun_vs_veth.sh "$BIN" 512 3
echo
echo "== what a connection costs: heap per idle connection, and connections per CPU-second"
"$BIN/bench_conns" memory 1000
"$BIN/bench_conns" setup 2000
echo
echo "== MPTCP over emulated paths, virtual time (aggregation, simult_flows, failover)"
"$BIN/bench_mptcp" 1
echo
echo "== the stack's instructions per byte over 1, 2, 4 and 8 paths (callgrind)"
bench/paths_cost.sh "$BIN" 16
echo
echo "== MPTCP: umptcp-cat over 2 TUN -> kernel vs kernel -> kernel over 2 veth (root)"
bench/mptcp_tun_vs_veth.sh "$BIN" 256 3
echo
echo "== schedulers and coupled congestion control on emulated networks (docs/EXPERIMENTS.md)"
bench/experiments.sh "$BIN" build/experiments
echo
echo "== umptcpd: iperf3 through --forward vs kernel MPTCP over 2 veth (root)"
bench/umptcpd_iperf3.sh "$BIN" 5 2
echo
echo "== umptcpd: connections per second and request latency vs mptcpize socat and the kernel (root)"
bench/umptcpd_conns.sh "$BIN" 2000 2 5000
echo
echo "== umptcpd: memory per idle relayed connection, 1,000 at once (root)"
bench/umptcpd_memory.sh "$BIN" 1000 1
