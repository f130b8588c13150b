#!/usr/bin/env bash
# iperf3 through umptcpd, against kernel MPTCP end to end, in the same round:
#   relay:    iperf3 -c (kernel TCP on loopback) -> umptcpd --forward -> umptcp MPTCP over two
#             TUN paths -> `mptcpize run iperf3 -s` (the kernel's MPTCP), all in one namespace;
#   baseline: `mptcpize run iperf3 -c` -> `mptcpize run iperf3 -s` between two namespaces over
#             two veth pairs (the client's subflow endpoint on the second, limits subflows 2).
# Both directions (-R: the server sends). Prints Mbit/s (iperf3's receiver figure), the ratio,
# and CPU per byte: umptcpd's own (utime + stime from /proc/PID/stat) and, for both cases, the
# whole machine's busy time from /proc/stat (every process and softirq: iperf3, the kernel's
# TCP/MPTCP, TUN or veth, umptcpd -- and other tenants', whose rate while idle is printed as
# "background"). Checks that the kernel server saw MPTCP with a join and that both paths
# carried data. Needs root. Usage: umptcpd_iperf3.sh BIN_DIR [SECONDS] [ROUNDS]
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

# Background load (other tenants of this machine), busy ticks per second over 1 s.
b0=$(all_cpu_busy_ticks)
sleep 1
background=$(( $(all_cpu_busy_ticks) - b0 ))

# One iperf3 run; sets MBPS, BYTES (received), MACHINE_NS (machine busy ns per byte) and,
# for the relay, RELAY_NS (umptcpd's ns per byte).
run() { # relay|kernel [-R]
  local json=$WORK/$1$2.json m0 m1 u0 u1
  m0=$(all_cpu_busy_ticks)
  [ "$1" = relay ] && u0=$(proc_cpu_ticks "$UMPTCPD")
  if [ "$1" = relay ]; then
    ip netns exec "$NS" iperf3 -c 127.0.0.1 -p 5201 -t "$SECS" --json ${2:-} > "$json"
  else
    ip netns exec "$NSB" mptcpize run iperf3 -c 10.9.7.1 -p 5201 -t "$SECS" --json ${2:-} > "$json"
  fi || { cat "$json" >&2; tail -5 "$WORK/umptcpd.log" >&2; die "iperf3 ($1 ${2:-}) failed"; }
  m1=$(all_cpu_busy_ticks)
  [ "$1" = relay ] && u1=$(proc_cpu_ticks "$UMPTCPD")
  read -r MBPS BYTES < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.0f %d" % (e["bits_per_second"] / 1e6, e["bytes"]))' "$json")
  [ "$BYTES" -gt 0 ] || die "iperf3 ($1 ${2:-}) received nothing"
  MACHINE_NS=$(py "print(f'{($m1 - $m0) * 1e9 / $TICK / $BYTES:.2f}')")
  [ "$1" = relay ] && RELAY_NS=$(py "print(f'{($u1 - $u0) * 1e9 / $TICK / $BYTES:.2f}')")
  return 0
}

for r in $(seq 1 "$ROUNDS"); do
  for dir in "" -R; do
    name=$([ -z "$dir" ] && echo "client sends" || echo "server sends (-R)")
    syn0=$(ns_counter "$NS" MPTcpExtMPCapableSYNRX) join0=$(ns_counter "$NS" MPTcpExtMPJoinAckRx)
    um1_0=$(dev_bytes "$NS" um1 rx) um1t_0=$(dev_bytes "$NS" um1 tx)
    run relay "$dir"
    relay=$MBPS relay_ns=$RELAY_NS relay_machine=$MACHINE_NS
    # iperf3 opens two connections (control and data): each an MPTCP connection with a join.
    syn=$(( $(ns_counter "$NS" MPTcpExtMPCapableSYNRX) - syn0 ))
    join=$(( $(ns_counter "$NS" MPTcpExtMPJoinAckRx) - join0 ))
    um1=$(( $(dev_bytes "$NS" um1 rx) - um1_0 + $(dev_bytes "$NS" um1 tx) - um1t_0 ))
    [ "$syn" -ge 2 ] || die "round $r $name: the kernel server saw $syn MP_CAPABLE SYNs, not 2"
    [ "$join" -ge 1 ] || die "round $r $name: the kernel server saw no join"
    [ "$um1" -gt $((1 << 20)) ] || die "round $r $name: the second TUN path carried only $um1 bytes"

    join0=$(ns_counter "$NSA" MPTcpExtMPJoinAckRx) vb1_0=$(dev_bytes "$NSB" vb1 rx) vb1t_0=$(dev_bytes "$NSB" vb1 tx)
    run kernel "$dir"
    kernel=$MBPS kernel_machine=$MACHINE_NS
    join=$(( $(ns_counter "$NSA" MPTcpExtMPJoinAckRx) - join0 ))
    vb1=$(( $(dev_bytes "$NSB" vb1 rx) - vb1_0 + $(dev_bytes "$NSB" vb1 tx) - vb1t_0 ))
    [ "$join" -ge 1 ] || die "round $r $name: the kernel baseline made no join"
    [ "$vb1" -gt $((1 << 20)) ] || die "round $r $name: the baseline's second veth pair carried only $vb1 bytes"

    echo "round $r, $name: umptcpd relay $relay Mbit/s (um1 carried $((um1 >> 20)) MiB), kernel MPTCP over 2 veth $kernel Mbit/s, ratio $(py "print(f'{$relay/$kernel:.2f}')"); CPU ns/byte: umptcpd $relay_ns, machine $relay_machine (relay) vs $kernel_machine (kernel); background $(py "print(f'{$background*100/$TICK:.0f}')") % of a CPU"
  done
done
grep -q 'MPTCP, 2 subflows' "$WORK/umptcpd.log" || die "umptcpd logged no 2-subflow MPTCP connection"
