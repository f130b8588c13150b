#!/usr/bin/env bash
# A TUN device umptcp has just attached to drops nothing the kernel sends it. Attaching
# turns the device's carrier on, but the kernel starts its transmit queue later, from a
# work queue (linkwatch): until then whatever it sends there is dropped (counted in the
# device's tx_dropped). The first SYN/ACK, or a join's, was lost that way when umptcp sent
# its SYN at once: the connection then waited 1 s for a retransmission, or a join of a
# short transfer never completed (bench/mptcp_tun_vs_veth.sh: "no second subflow").
# Each round makes the devices afresh and sends the SYN right after the attach: plain TCP
# through the link attached last, and an MPTCP connection whose join leaves on the second
# device. Checks: no transmit drop on either device, the join's SYN/ACK received.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh" # kernel_server, umptcp_counter
interop_setup tunfresh
ROUNDS=${ROUNDS:-8}
echo "seed $SEED, $ROUNDS rounds"
make_payload "$WORK/small.bin" 65536
make_payload "$WORK/send.bin" 262144 1
in_ns ip mptcp limits set subflows 2 add_addr_accepted 0
# No IPv6 on the new devices: the kernel's router solicitations and MLD reports would reach
# a device nobody reads once umptcp has gone, and count as drops.
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1

fresh_devices() { # N: um0 (10.N.1.0/24) and um1 (10.N.2.0/24), new, up, nobody attached
  # A new N each time: what the kernel still sends for an earlier round's connection (its
  # subflows' FINs, say) finds no route instead of counting as a drop on the new devices.
  for i in 0 1; do
    in_ns ip link del "um$i" 2>/dev/null || true
    in_ns ip tuntap add dev "um$i" mode tun
    in_ns ip addr add "10.$1.$((i + 1)).1/24" dev "um$i"
    in_ns ip link set "um$i" up
  done
}

tx_dropped() { # DEV: what the kernel dropped of what it sent to umptcp
  in_ns cat "/sys/class/net/$1/statistics/tx_dropped"
}

no_drops() { # TAG
  local d0 d1
  d0=$(tx_dropped um0) d1=$(tx_dropped um1)
  [ "$d0" -eq 0 ] && [ "$d1" -eq 0 ] ||
    fail "$1: the kernel dropped packets it sent to umptcp (tx_dropped um0 $d0, um1 $d1)"
}

for r in $(seq 1 "$ROUNDS"); do
  # TCP: the connection's device is the last one attached, just before the SYN.
  net=$((10 + 2 * r))
  fresh_devices $net
  port=$((5100 + r))
  kernel_server "$port" "$WORK/recv-tcp-$r.bin" tcp
  wait_port "$port"
  in_ns timeout 60 "$BIN/umptcp-cat" --tcp --stats --link "tun:um1:10.$net.2.2/24" \
    --link "tun:um0:10.$net.1.2/24" "10.$net.1.1" "$port" < "$WORK/small.bin" 2> "$WORK/tcp-$r.stats" ||
    fail "round $r: umptcp-cat --tcp exited $?"
  wait "${PIDS[-1]}" || fail "round $r: kernel TCP server failed"
  cmp -s "$WORK/small.bin" "$WORK/recv-tcp-$r.bin" || fail "round $r: TCP data differs"
  no_drops "round $r, TCP"

  # MPTCP: the join leaves on um1 about a millisecond after umptcp attached to it. The
  # kernel reads the drop counters 0.5 s after the accept, with umptcp still attached (what
  # it sends after umptcp has gone is dropped too), then reads the data: the join's SYN/ACK
  # had time to arrive, its SYN none to be sent again (1 s).
  net=$((11 + 2 * r))
  fresh_devices $net
  port=$((5200 + r))
  in_ns python3 - "10.$net.1.1" "$port" "$WORK/recv-mptcp-$r.bin" "$WORK/drops-$r" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
time.sleep(0.5)
drops = [open(f"/sys/class/net/um{i}/statistics/tx_dropped").read().strip() for i in (0, 1)]
open(sys.argv[4], "w").write(" ".join(drops) + "\n")
with open(sys.argv[3], "wb") as f:
    while d := c.recv(1 << 16):
        f.write(d)
PY
  PIDS+=($!)
  wait_port "$port"
  in_ns timeout 60 "$BIN/umptcp-cat" --stats --link "tun:um0:10.$net.1.2/24" \
    --link "tun:um1:10.$net.2.2/24" "10.$net.1.1" "$port" < "$WORK/send.bin" 2> "$WORK/mptcp-$r.stats" ||
    fail "round $r: umptcp-cat exited $?"
  wait "${PIDS[-1]}" || fail "round $r: kernel MPTCP server failed"
  cmp -s "$WORK/send.bin" "$WORK/recv-mptcp-$r.bin" || fail "round $r: MPTCP data differs"
  read -r d0 d1 < "$WORK/drops-$r"
  [ "$d0" -eq 0 ] && [ "$d1" -eq 0 ] ||
    fail "round $r, MPTCP: the kernel dropped packets it sent to umptcp (tx_dropped um0 $d0, um1 $d1)"
  [ "$(umptcp_counter "$WORK/mptcp-$r.stats" MPTcpExtMPJoinSynAckRx)" -ge 1 ] ||
    fail "round $r: umptcp received no join SYN/ACK"
  echo "round $r: TCP and MPTCP (with its join) over fresh devices, nothing dropped"
done
echo "$ROUNDS passed, 0 failed"
