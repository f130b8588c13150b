#!/usr/bin/env bash
# iperf3 through umptcpd, against kernel MPTCP end to end, in the same round:
#   relay:    iperf3 -c (kernel TCP on loopback) -> umptcpd --forward -> umptcp MPTCP over two
#             TUN paths -> `mptcpize run iperf3 -s` (the kernel's MPTCP), all in one namespace;
#   baseline: `mptcpize run iperf3 -c` -> `mptcpize run iperf3 -s` between two namespaces over
#             two veth pairs (the client's subflow endpoint on the second, limits subflows 2).
# Both directions (-R: the server sends). Prints Mbit/s (iperf3's receiver figure), the ratio,
# and CPU per byte: umptcpd's own (utime + stime from /proc/PID/stat), and for both cases that
# of every process in the transfer: iperf3's client and server (their cpu_utilization_percent,
# host_total + remote_total, from getrusage: user and system time, so the kernel's TCP/MPTCP
# work done in their system calls) plus umptcpd's. Softirq work the kernel does outside these
# processes is not in it. (The whole machine's /proc/stat is no measure here: the machine is
# shared and other tenants kept it 130-200 % busy.) The slowest one-second interval is printed
# too: a stall shows there. Checks that the kernel server saw MPTCP with a join and that both
# paths carried data. Needs root. Usage: umptcpd_iperf3.sh BIN_DIR [SECONDS] [ROUNDS]
BIN=${1:?usage: $0 BIN_DIR [SECONDS] [ROUNDS]}
SECS=${2:-5}
ROUNDS=${3:-2}
source "$(dirname "$0")/umptcpd_lib.sh"
command -v iperf3 > /dev/null || die "iperf3 is missing (make deps installs it)"
command -v mptcpize > /dev/null || die "mptcpize is missing (make deps installs it)"
# iperf3 uses no randomness of ours; the seed is umptcpd's (impairment draws: none here).
echo "seed $SEED"

umptcpd_ns_setup
veth_setup

# The servers: the relay's target on 10.9.5.1:5202 (umptcpd listens on 127.0.0.1:5201);
# the baseline's on 10.9.7.1:5201. Both stay up for every run.
ip netns exec "$NS" mptcpize run iperf3 -s -p 5202 > /dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NSA" mptcpize run iperf3 -s -p 5201 > /dev/null 2>&1 &
PIDS+=($!)
wait_listen "$NS" 5202
wait_listen "$NSA" 5201
start_umptcpd --forward 127.0.0.1:5201=10.9.5.1:5202
wait_listen "$NS" 5201

# One iperf3 run; sets MBPS, MIN_MBPS (slowest interval), BYTES (received), PROC_NS (CPU ns
# per byte of iperf3's two processes and, for the relay, umptcpd) and RELAY_NS (umptcpd's).
run() { # relay|kernel [-R]
  local json=$WORK/$1$2.json u0=0 u1=0
  [ "$1" = relay ] && u0=$(proc_cpu_ticks "$UMPTCPD")
  if [ "$1" = relay ]; then
    ip netns exec "$NS" iperf3 -c 127.0.0.1 -p 5201 -t "$SECS" --json ${2:-} > "$json"
  else
    ip netns exec "$NSB" mptcpize run iperf3 -c 10.9.7.1 -p 5201 -t "$SECS" --json ${2:-} > "$json"
  fi || { cat "$json" >&2; tail -5 "$WORK/umptcpd.log" >&2; die "iperf3 ($1 ${2:-}) failed"; }
  [ "$1" = relay ] && u1=$(proc_cpu_ticks "$UMPTCPD")
  read -r MBPS MIN_MBPS BYTES PROC_NS RELAY_NS < <(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
e, cpu = j["end"]["sum_received"], j["end"]["cpu_utilization_percent"]
low = min(i["sum"]["bits_per_second"] for i in j["intervals"])
relay = float(sys.argv[2]) / float(sys.argv[3])  # umptcpd CPU seconds
iperf = (cpu["host_total"] + cpu["remote_total"]) / 100 * e["seconds"]
print("%.0f %.0f %d %.2f %.2f" % (e["bits_per_second"] / 1e6, low / 1e6, e["bytes"],
      (iperf + relay) * 1e9 / e["bytes"], relay * 1e9 / e["bytes"]))' "$json" $((u1 - u0)) "$TICK")
  [ "$BYTES" -gt 0 ] || die "iperf3 ($1 ${2:-}) received nothing"
  return 0
}

for r in $(seq 1 "$ROUNDS"); do
  for dir in "" -R; do
    name=$([ -z "$dir" ] && echo "client sends" || echo "server sends (-R)")
    syn0=$(ns_counter "$NS" MPTcpExtMPCapableSYNRX) join0=$(ns_counter "$NS" MPTcpExtMPJoinAckRx)
    um1_0=$(dev_bytes "$NS" um1 rx) um1t_0=$(dev_bytes "$NS" um1 tx)
    run relay "$dir"
    relay=$MBPS relay_min=$MIN_MBPS relay_ns=$RELAY_NS relay_proc=$PROC_NS
    # iperf3 opens two connections (control and data): each an MPTCP connection with a join.
    syn=$(( $(ns_counter "$NS" MPTcpExtMPCapableSYNRX) - syn0 ))
    join=$(( $(ns_counter "$NS" MPTcpExtMPJoinAckRx) - join0 ))
    um1=$(( $(dev_bytes "$NS" um1 rx) - um1_0 + $(dev_bytes "$NS" um1 tx) - um1t_0 ))
    [ "$syn" -ge 2 ] || die "round $r $name: the kernel server saw $syn MP_CAPABLE SYNs, not 2"
    [ "$join" -ge 1 ] || die "round $r $name: the kernel server saw no join"
    [ "$um1" -gt $((1 << 20)) ] || die "round $r $name: the second TUN path carried only $um1 bytes"

    join0=$(ns_counter "$NSA" MPTcpExtMPJoinAckRx) vb1_0=$(dev_bytes "$NSB" vb1 rx) vb1t_0=$(dev_bytes "$NSB" vb1 tx)
    run kernel "$dir"
    kernel=$MBPS kernel_min=$MIN_MBPS kernel_proc=$PROC_NS
    join=$(( $(ns_counter "$NSA" MPTcpExtMPJoinAckRx) - join0 ))
    vb1=$(( $(dev_bytes "$NSB" vb1 rx) - vb1_0 + $(dev_bytes "$NSB" vb1 tx) - vb1t_0 ))
    [ "$join" -ge 1 ] || die "round $r $name: the kernel baseline made no join"
    [ "$vb1" -gt $((1 << 20)) ] || die "round $r $name: the baseline's second veth pair carried only $vb1 bytes"

    echo "round $r, $name: umptcpd relay $relay Mbit/s (slowest second $relay_min; um1 carried $((um1 >> 20)) MiB), kernel MPTCP over 2 veth $kernel Mbit/s (slowest second $kernel_min), ratio $(py "print(f'{$relay/$kernel:.2f}')"); CPU ns/byte: relay $relay_proc (umptcpd $relay_ns of it), kernel $kernel_proc"
    # A relay run far below its own other rounds is reported, not failed: the bytes arrived.
    [ "$relay_min" -lt $((kernel / 20)) ] &&
      echo "NOTE: round $r, $name: the relay had a second at $relay_min Mbit/s (a stall; umptcpd's log: $WORK/umptcpd.log kept)" && KEEP=1
  done
done
grep -q 'MPTCP, 2 subflows' "$WORK/umptcpd.log" || die "umptcpd logged no 2-subflow MPTCP connection"
