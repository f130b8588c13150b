#!/usr/bin/env bash
# The experiment runner and its pictures: a small network scenario under two congestion
# controls and two seeds gives every run's JSON, one CSV row per flow and run, a summary,
# and two PNG pictures; bad arguments give a reason and a non-zero exit.
set -uo pipefail
BIN=${1:?usage: $0 BIN_DIR}
source "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SCN=$(dirname "$0")/two_flows.scn
expect 0 "a grid of 2 x 2 runs" "^default +lia +two +2 " -- "$BIN/umptcp-exp" "$SCN" --ccs cubic,lia --seeds 2 --jobs 2 --out "$WORK/out" --plot
rows=$(($(wc -l < "$WORK/out/results.csv") - 1))
[ "$rows" -eq 8 ] && pass=$((pass + 1)) || { failed=$((failed + 1)); echo "FAIL: $rows CSV rows, not 8"; }
[ "$(ls "$WORK"/out/run-*.json | wc -l)" -eq 4 ] && pass=$((pass + 1)) || { failed=$((failed + 1)); echo "FAIL: not 4 runs"; }
grep -q ',True,True,1048576,' "$WORK/out/results.csv" && pass=$((pass + 1)) || { failed=$((failed + 1)); echo "FAIL: no verified row"; }
for png in grid run; do
  if [ "$(head -c 4 "$WORK/out/$png.png" | od -An -c | tr -d ' ')" = "211PNG" ]; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $png.png is no PNG"; fi
done
expect 2 "no scenario" "error: the following arguments are required: scenario" -- "$BIN/umptcp-exp"
expect 1 "a missing scenario" "no scenario /nonexistent" -- "$BIN/umptcp-exp" /nonexistent
expect 1 "a bad scheduler" "failed" -- "$BIN/umptcp-exp" "$SCN" --schedulers fastest --out "$WORK/bad"
expect 1 "plot: a missing input" "umptcp-plot: /nonexistent" -- "$BIN/umptcp-plot" run /nonexistent -o "$WORK/x.png"
cli_summary
