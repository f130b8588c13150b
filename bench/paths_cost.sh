#!/usr/bin/env bash
# The stack's instructions per byte of an MPTCP transfer over 1, 2, 4 and 8 paths
# (callgrind: exact and repeatable), against the 1-path figure of the same run. Each path is
# 100 Mbit/s, 10 ms each way, in virtual time (umptcp-sim, both stacks). Counted: what runs
# inside um_stack_poll, um_send and um_recv — the stacks, not the simulator's pattern and
# SHA-256 with which it checks the data end to end. Usage: paths_cost.sh BIN_DIR [MBYTES]
set -euo pipefail
BIN=${1:?usage: $0 BIN_DIR [MBYTES]}
MB=${2:-16}
command -v valgrind >/dev/null || { echo "paths_cost: valgrind is missing (make deps installs it)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
base=
for n in 1 2 4 8; do
  extra=()
  for _ in $(seq 2 "$n"); do extra+=(--path 100,10); done
  valgrind --tool=callgrind --toggle-collect=um_stack_poll --toggle-collect=um_send \
    --toggle-collect=um_recv --callgrind-out-file="$out/cg" "$BIN/umptcp-sim" --mptcp --rate 100 \
    --delay 10 --bytes "${MB}M" --quiet "${extra[@]}" > "$out/sim" 2> "$out/vg"
  grep -q '^verified' "$out/sim" || { echo "paths_cost: the $n-path transfer failed" >&2; cat "$out/sim" >&2; exit 1; }
  ir=$(awk '/Collected/ {print $4}' "$out/vg")
  per=$(python3 -c "print(f'{$ir / ($MB * 1048576):.2f}')")
  base=${base:-$per}
  goodput=$(grep -o 'goodput [0-9.]* Mbit/s' "$out/sim")
  echo "$n path(s): $per instructions per byte ($ir for $MB MiB), $(python3 -c "print(f'{$per / $base:.2f}')")x the 1-path figure; $goodput"
done
