#!/usr/bin/env bash
# iperf3 through umptcpd: iperf3 -c (kernel TCP on loopback) -> umptcpd --forward -> umptcp
# MPTCP over two TUN paths -> `mptcpize run iperf3 -s` (the kernel's MPTCP), 2 s. iperf3
# must complete; its JSON must report bytes received; the kernel server must have taken
# MP_CAPABLE SYNs (iperf3's control and data connections) and a join; the second path (um1)
# must have carried part of the data; umptcpd must log a 2-subflow MPTCP connection. Then
# -R (the kernel sends, umptcp receives and hands the bytes to kernel TCP): no second of it
# may move less than 1 MiB (a receive queue that dropped what did not fit left holes that
# Linux fills once per data-level timeout: 130 KB a second, in 5 runs of 8).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup umip
mptcp_paths_setup
command -v iperf3 > /dev/null || fail "iperf3 is missing (make deps installs it)"
command -v mptcpize > /dev/null || fail "mptcpize is missing (make deps installs it)"
echo "seed $SEED (replay with SEED=$SEED)"

# The server serves both runs; the cleanup ends it.
in_ns mptcpize run iperf3 -s -p 5202 > "$WORK/iperf3-s.log" 2>&1 &
PIDS+=($!)
wait_port 5202
syn0=$(kernel_counter MPTcpExtMPCapableSYNRX)
join0=$(kernel_counter MPTcpExtMPJoinAckRx)
rx1_0=$(in_ns cat /sys/class/net/um1/statistics/rx_bytes)
# Not through in_ns (a function, so a subshell): $! is umptcpd itself, for its signal.
ip netns exec "$NS" "$BIN/umptcpd" "${LINKS[@]}" --forward 127.0.0.1:5201=10.1.1.1:5202 2> "$WORK/umptcpd.log" &
UMPTCPD=$!
PIDS+=($UMPTCPD)
wait_port 5201

in_ns timeout 60 iperf3 -c 127.0.0.1 -p 5201 -t 2 --json > "$WORK/iperf3.json" || {
  cat "$WORK/iperf3.json" "$WORK/umptcpd.log" >&2
  fail "iperf3 through --forward failed"
}
read -r bytes mbps < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]["sum_received"]
print(e["bytes"], round(e["bits_per_second"] / 1e6))' "$WORK/iperf3.json") || fail "iperf3's JSON has no end.sum_received"
echo "iperf3: $bytes bytes received, $mbps Mbit/s"
[ "$bytes" -gt 0 ] || fail "iperf3 reports no bytes received"
syn=$(( $(kernel_counter MPTcpExtMPCapableSYNRX) - syn0 ))
echo "the kernel server took $syn MP_CAPABLE SYN(s)"
[ "$syn" -ge 2 ] || fail "the kernel server saw $syn MP_CAPABLE SYNs, not 2 (control and data)"
counter_grows MPTcpExtMPJoinAckRx "$join0"
rx1=$(( $(in_ns cat /sys/class/net/um1/statistics/rx_bytes) - rx1_0 ))
echo "the second path (um1) carried $rx1 bytes"
[ "$rx1" -gt $((1 << 20)) ] || fail "the second path carried only $rx1 bytes"
grep -q "relay: forward 127.0.0.1:5201 -> 10.1.1.1:5202: 127.0.0.1:.*MPTCP, 2 subflows" "$WORK/umptcpd.log" || {
  cat "$WORK/umptcpd.log" >&2
  fail "umptcpd logged no 2-subflow MPTCP connection for iperf3"
}
in_ns timeout 60 iperf3 -c 127.0.0.1 -p 5201 -t 3 -R --json > "$WORK/iperf3-R.json" || {
  cat "$WORK/iperf3-R.json" "$WORK/umptcpd.log" >&2
  fail "iperf3 -R through --forward failed"
}
python3 - "$WORK/iperf3-R.json" <<'PY' || fail "iperf3 -R stalled"
import json, sys
d = json.load(open(sys.argv[1]))
per_s = [int(i["sum"]["bytes"] / i["sum"]["seconds"]) for i in d["intervals"]
         if i["sum"]["seconds"] >= 0.5]  # iperf3 may end with a sliver of an interval
print("iperf3 -R: bytes each second", per_s)
sys.exit(0 if per_s and min(per_s) >= 1 << 20 else 1)
PY
stop_umptcpd "$UMPTCPD"
echo "PASS"
