#!/usr/bin/env bash
# Two umptcpd --accept instances behind one virtual IP with an nftables load balancer
# (docs/DEPLOY.md), and kernel MPTCP clients with two paths each:
#
#   ns cli: 192.168.1.2 (c0) ----- l0 192.168.1.1 \   ns lb: nft DNAT 10.99.0.1:9000 to
#           192.168.2.2 (c1) ----- l1 192.168.2.1 /   numgen inc mod 2 { A, B }
#           (kernel MPTCP clients)                    um0 10.1.1.1 <-TUN-> A 10.1.1.2
#                                                     um1 10.1.2.1 <-TUN-> B 10.1.2.2
#                                                     um2 10.1.3.1 <-TUN-> B 10.1.3.2
#                                                     echo server 127.0.0.1:7000
#
# A announces its own address with another port (--announce 10.1.1.2:9100: a DNAT
# balancer makes the address a connection arrives at the instance's own), B a second
# address of its own (--announce 10.1.3.2); both set C, so no client joins the VIP.
# 1. 12 concurrent connections to VIP:9000: each one's bytes come back whole (SHA-256 of
#    all sent against all received), the balancer gave each instance 6, every connection
#    got its second subflow, each instance's connections all had 2 subflows and the joins
#    it completed match them, and neither found a join for a token it does not have
#    (MPTcpExtMPJoinNoTokenFound 0).
# 2. Negative control, without --announce (no C, nothing announced): 6 connections one
#    after another. The clients' subflow endpoint joins the VIP, and numgen inc, which
#    alternates on every new flow, sends each connection to A and its join to B: B finds
#    no token for any, and A completes no join. Deterministic because the
#    flows to the VIP come one at a time and nothing else makes one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
command -v nft >/dev/null || fail "nft is missing (make deps installs nftables)"
NSC=""
# lib.sh's cleanup, after the clients' namespace (set +e: a failed step here must not cut
# the cleanup short, and cleanup reads the script's status from $?).
trap 'rc=$?; set +e; [ -n "$NSC" ] && ip netns del "$NSC" 2>/dev/null; (exit $rc); cleanup' EXIT
interop_setup lb
echo "seed $SEED (replay with SEED=$SEED)"
NSC="umt-lbcli-$$"
VIP=10.99.0.1
N=12
BYTES=$((256 << 10))

# The instances' TUN links (um0 made by interop_setup).
for dev in um1:10.1.2.1 um2:10.1.3.1; do
  in_ns ip tuntap add dev "${dev%%:*}" mode tun
  in_ns ip addr add "${dev#*:}/24" dev "${dev%%:*}"
  in_ns ip link set "${dev%%:*}" up
done
in_ns sysctl -qw net.ipv4.ip_forward=1

# The clients' namespace, two veth paths to the balancer's.
ip netns add "$NSC"
ip -n "$NSC" link set lo up
for i in 0 1; do
  ip link add "c$i" netns "$NSC" type veth peer name "l$i" netns "$NS"
  ip -n "$NSC" addr add "192.168.$((i + 1)).2/24" dev "c$i"
  in_ns ip addr add "192.168.$((i + 1)).1/24" dev "l$i"
  ip -n "$NSC" link set "c$i" up
  in_ns ip link set "l$i" up
done
ip -n "$NSC" route add default via 192.168.1.1 dev c0
# What leaves from the second address takes the second path.
ip -n "$NSC" rule add from 192.168.2.2 table 102
ip -n "$NSC" route add default via 192.168.2.1 dev c1 table 102
ip -n "$NSC" mptcp limits set subflows 2 add_addr_accepted 2
# subflow: a join to the address connected to, where C allows it (the negative control);
# fullmesh: a join from it to each address announced. Without fullmesh the kernel (6.18)
# joins an announced address from the routed source, on the first path.
ip -n "$NSC" mptcp endpoint add 192.168.2.2 dev c1 subflow fullmesh

# The balancer: a new flow to the VIP goes to A, the next to B, and so on.
in_ns nft -f - <<EOF
table ip lb {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $VIP tcp dport 9000 dnat to numgen inc mod 2 map { 0 : 10.1.1.2, 1 : 10.1.2.2 }
  }
}
EOF

# The backend both instances relay to: an echo server on the balancer's loopback.
in_ns python3 - <<'PY' &
import socket, socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(1 << 16)
            if not d:
                break
            self.request.sendall(d)
        self.request.shutdown(socket.SHUT_WR)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server(("127.0.0.1", 7000), Echo).serve_forever()
PY
PIDS+=($!)
wait_port 7000

start_instances() { # ANNOUNCE(yes|no): A and B, each with its control socket
  local a_ann=() b_ann=()
  [ "$1" = yes ] && a_ann=(--announce 10.1.1.2:9100) && b_ann=(--announce 10.1.3.2)
  ip netns exec "$NS" "$BIN/umptcpd" --link tun:um0:10.1.1.2/24 --seed "$SEED" \
    --accept 9000=127.0.0.1:7000 --control "$WORK/a-$1.sock" "${a_ann[@]}" 2> "$WORK/a-$1.log" &
  A=$!
  PIDS+=($A)
  ip netns exec "$NS" "$BIN/umptcpd" --link tun:um1:10.1.2.2/24 --link tun:um2:10.1.3.2/24 \
    --seed "$((SEED + 1))" --accept 9000=127.0.0.1:7000 --control "$WORK/b-$1.sock" "${b_ann[@]}" \
    2> "$WORK/b-$1.log" &
  B=$!
  PIDS+=($B)
  local s
  for s in a b; do
    SOCK="$WORK/$s-$1.sock" wait_socket
  done
}

stat_of() { # INSTANCE-PHASE(a-yes, b-no, ...) COUNTER
  "$BIN/umptcp-ctl" -s "$WORK/$1.sock" stat | awk -v n="$2" '$1 == n || $1 == n":" { v = $2 } END { print v + 0 }'
}

clients() { # PARALLEL(yes|no) WAIT_S: N kernel MPTCP clients to VIP:9000; prints a line each
  ip netns exec "$NSC" timeout 120 python3 - "$VIP" 9000 "$N" "$BYTES" "$SEED" "$1" "$2" <<'PY'
import hashlib, random, socket, sys, threading, time
SOL_MPTCP, MPTCP_INFO = 284, 1
vip, port, n, size, seed, parallel, wait_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "yes", float(sys.argv[7])
results = [None] * n
def one(i):
    data = random.Random(seed * 1000 + i).randbytes(size)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    s.settimeout(60)
    s.connect((vip, port))
    # Joins first: the data (and its end) come once the second subflow is up, or after
    # wait_s without it.
    deadline = time.time() + wait_s
    while s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0] < 1 and time.time() < deadline:
        time.sleep(0.02)
    got = bytearray()
    def reader():
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            got.extend(d)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    extra = s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0]
    s.shutdown(socket.SHUT_WR)
    t.join()
    s.close()
    results[i] = (hashlib.sha256(data).hexdigest(), hashlib.sha256(bytes(got)).hexdigest(), len(got), extra)
if parallel:
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    [t.start() for t in ts]
    [t.join() for t in ts]
else:
    for i in range(n):
        one(i)
for i, r in enumerate(results):
    if r is None:
        print("conn %d: failed" % i)
        continue
    print("conn %d: sent %s recv %s %d bytes, %d extra subflow(s)" % (i, r[0][:16], r[1][:16], r[2], r[3]))
PY
}

check_clients() { # OUT: every connection's bytes back whole
  local out=$1 bad
  [ "$(grep -c '^conn ' "$out")" -eq "$N" ] || fail "not $N client connections: $(cat "$out")"
  bad=$(awk -v size="$BYTES" '$1 == "conn" && ($3 == "failed" || $4 != $6 || $7 != size)' "$out")
  [ -z "$bad" ] || { cat "$out" >&2; fail "connections whose bytes or subflows are wrong: $bad"; }
}

# 1. With --announce.
start_instances yes
grep -q "every MPTCP connection announces 10.1.1.2 port 9100" "$WORK/a-yes.log" || fail "A did not say what it announces"
grep -q "every MPTCP connection announces 10.1.3.2$" "$WORK/b-yes.log" || fail "B did not say what it announces"
c1_0=$(ip netns exec "$NSC" cat /sys/class/net/c1/statistics/tx_bytes)
clients yes 10 > "$WORK/clients-yes.txt" || { cat "$WORK/clients-yes.txt"; fail "the clients failed"; }
check_clients "$WORK/clients-yes.txt"
# The kernel counts a join in its subflows from its SYN on: the instances' counts below say
# which completed. This one says the second path carried them.
c1=$(( $(ip netns exec "$NSC" cat /sys/class/net/c1/statistics/tx_bytes) - c1_0 ))
echo "announce: $N connections, each $BYTES bytes echoed whole (SHA-256); the clients' second path (c1) sent $c1 bytes"
[ "$c1" -gt $((N * 4096)) ] || fail "the clients' second path carried almost nothing ($c1 bytes)"
for _ in $(seq 1 50); do # the relay's lines come when both ends have closed
  [ "$(grep -c 'relay: accept' "$WORK/a-yes.log" "$WORK/b-yes.log" | awk -F: '{ s += $2 } END { print s }')" -ge "$N" ] && break
  sleep 0.1
done
total=0
for s in a b; do
  conns=$(stat_of "$s-yes" RelayAccepted)
  joins=$(stat_of "$s-yes" MPTcpExtMPJoinAckRx)
  notoken=$(stat_of "$s-yes" MPTcpExtMPJoinNoTokenFound)
  rejected=$(stat_of "$s-yes" MPTcpExtMPJoinRejected)
  two=$(grep -c "relay: accept .*MPTCP, 2 subflows" "$WORK/$s-yes.log" || true)
  echo "instance $s: $conns connections, $two with 2 subflows, $joins joins completed, $notoken joins for an unknown token, $rejected refused"
  [ "$conns" -eq $((N / 2)) ] || fail "the balancer gave $s $conns connections, not $((N / 2))"
  [ "$two" -eq "$conns" ] || { cat "$WORK/$s-yes.log" >&2; fail "not every connection of $s had its second subflow there"; }
  [ "$joins" -eq "$conns" ] || fail "$s completed $joins joins for $conns connections"
  [ "$notoken" -eq 0 ] || fail "a join reached $s for a connection it does not hold"
  [ "$rejected" -eq 0 ] || fail "$s refused $rejected joins (to the VIP's address and port?)"
  total=$((total + conns))
done
[ "$total" -eq "$N" ] || fail "$total connections reached the instances, not $N"
# A's joins came to its announced port (B's to its second address, the only other place
# it takes them: a join to 10.1.2.2:9000 would have been refused above).
a_port=$(stat_of a-yes MPTcpExtMPJoinPortSynRx)
echo "instance a: $a_port join SYNs at its announced port 9100"
[ "$a_port" -ge $((N / 2)) ] || fail "A took $a_port joins at port 9100, not $((N / 2))"
stop_umptcpd "$A"
stop_umptcpd "$B"

# 2. Negative control: without --announce the joins go to the VIP and the balancer.
start_instances no
clients no 1 > "$WORK/clients-no.txt" || { cat "$WORK/clients-no.txt"; fail "the clients failed"; }
check_clients "$WORK/clients-no.txt"
a_conns=$(stat_of a-no RelayAccepted)
a_joins=$(stat_of a-no MPTcpExtMPJoinAckRx)
b_notoken=$(stat_of b-no MPTcpExtMPJoinNoTokenFound)
echo "without --announce: A got $a_conns connections and $a_joins joins, B $b_notoken joins for tokens it does not have"
[ "$a_conns" -eq "$N" ] || fail "numgen inc did not send every connection to A ($a_conns of $N)"
[ "$a_joins" -eq 0 ] || fail "a join reached A through the VIP"
[ "$b_notoken" -eq "$N" ] || fail "B found no token for $b_notoken joins, not $N"
stop_umptcpd "$A"
stop_umptcpd "$B"
echo "PASS"
