#!/usr/bin/env bash
# Small connections through umptcpd, against the kernel alone, in the same round:
# 1. connections per second: each connects, sends a 64-byte request, reads the 32-byte answer
#    (SHA-256 of the request, first 32 bytes: a check that both ways arrived whole) and closes;
#    N in all, by C client processes at once (each sequential). Through umptcpd --forward
#    (kernel TCP on loopback -> umptcp MPTCP over two TUN paths) and, as the baseline, through
#    `mptcpize run socat TCP-LISTEN,fork,reuseaddr` (the kernel's MPTCP on loopback to the same
#    server, one subflow: socat's listener and its outgoing sockets are both MPTCP). For scale
#    also the clients straight to the server over kernel MPTCP, no relay (a ceiling).
# 2. latency: one connection, K request/answer round trips, p50 and p99 in microseconds,
#    through umptcpd against a direct kernel MPTCP connection to the same server (and socat's).
# The server: a kernel MPTCP (IPPROTO_MPTCP) Python asyncio server in umptcpd's namespace; the
# clients are Python too (the same client code for every case, so its cost is in each).
# Requests are seeded random bytes; every answer is checked. Needs root.
# Usage: umptcpd_conns.sh BIN_DIR [N] [ROUNDS] [K]; CONC="1 8" sets the concurrencies.
BIN=${1:?usage: $0 BIN_DIR [N] [ROUNDS] [K]}
N=${2:-2000}
ROUNDS=${3:-2}
K=${4:-5000}
CONC=${CONC:-1 8}
source "$(dirname "$0")/umptcpd_lib.sh"
command -v socat > /dev/null || die "socat is missing (make deps installs it)"
command -v mptcpize > /dev/null || die "mptcpize is missing (make deps installs it)"
echo "seed $SEED (replay with SEED=$SEED)"
ulimit -n "$(ulimit -Hn)"

umptcpd_ns_setup

sha_server 7000
start_umptcpd --forward 127.0.0.1:8080=10.9.5.1:7000 --max-conns 4096
ip netns exec "$NS" mptcpize run socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr,backlog=4096 \
  TCP:10.9.5.1:7000 2> "$WORK/socat.log" &
PIDS+=($!)
wait_listen "$NS" 8080
wait_listen "$NS" 8081

cat > "$WORK/client.py" <<'PY'
# conns HOST PORT N C SEED PROTO: N connections by C processes; prints conn/s
# ping HOST PORT K SEED PROTO: K round trips on one connection; prints p50 p99 (us)
import hashlib, multiprocessing, random, socket, sys, time
def one(sock, rnd):
    req = rnd.randbytes(64)
    sock.sendall(req)
    got = b""
    while len(got) < 32:
        d = sock.recv(32 - len(got))
        if not d:
            raise RuntimeError("connection closed before the answer (%d bytes)" % len(got))
        got += d
    if got != hashlib.sha256(req).digest():
        raise RuntimeError("wrong answer")
def worker(host, port, n, seed, proto):
    rnd = random.Random(seed)
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        s.connect((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        one(s, rnd)
        s.close()
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "conns":
    n, c, seed, proto = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    procs = [multiprocessing.Process(target=worker, args=(host, port, n // c, seed * 1000 + i, proto)) for i in range(c)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    t = time.monotonic() - t0
    if any(p.exitcode for p in procs):
        sys.exit("a client process failed")
    print("%.0f" % ((n // c) * c / t))
else:
    k, seed, proto = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((host, port))
    for _ in range(200):  # warm-up: the join and the first windows
        one(s, rnd)
    lat = []
    for _ in range(k):
        t0 = time.perf_counter_ns()
        one(s, rnd)
        lat.append(time.perf_counter_ns() - t0)
    s.close()
    lat.sort()
    print("%.0f %.0f" % (lat[len(lat) // 2] / 1e3, lat[len(lat) * 99 // 100] / 1e3))
PY
# Called in $(...): its die ends only that subshell, so each caller adds `|| exit 1`.
client() { in_ns python3 "$WORK/client.py" "$@" || die "client $* failed"; }
ratio() { py "print(f'{$1/$2:.2f}')"; }

for r in $(seq 1 "$ROUNDS"); do
  for c in $CONC; do
    syn0=$(ns_counter "$NS" MPTcpExtMPCapableSYNRX)
    relay=$(client conns 127.0.0.1 8080 "$N" "$c" $((SEED + r * 10 + c)) 6) || exit 1
    syn1=$(ns_counter "$NS" MPTcpExtMPCapableSYNRX)
    socat=$(client conns 127.0.0.1 8081 "$N" "$c" $((SEED + r * 10 + c + 5)) 6) || exit 1
    syn2=$(ns_counter "$NS" MPTcpExtMPCapableSYNRX)
    direct=$(client conns 10.9.5.1 7000 "$N" "$c" $((SEED + r * 10 + c + 7)) 262) || exit 1
    want=$(( N / c * c ))
    [ $((syn1 - syn0)) -ge "$want" ] || die "the server saw $((syn1 - syn0)) MP_CAPABLE SYNs through umptcpd, not $want"
    [ $((syn2 - syn1)) -ge "$want" ] || die "the server saw $((syn2 - syn1)) MP_CAPABLE SYNs through socat, not $want (mptcpize?)"
    echo "round $r, conn/s, $c at once, $want connections: umptcpd --forward $relay, mptcpize socat $socat, ratio $(ratio "$relay" "$socat"); no relay (kernel MPTCP client straight to the server) $direct"
  done
  rl=$(client ping 127.0.0.1 8080 "$K" $((SEED + r)) 6) || exit 1
  kl=$(client ping 10.9.5.1 7000 "$K" $((SEED + r)) 262) || exit 1
  sl=$(client ping 127.0.0.1 8081 "$K" $((SEED + r)) 6) || exit 1
  read -r rp50 rp99 <<< "$rl"
  read -r kp50 kp99 <<< "$kl"
  read -r sp50 sp99 <<< "$sl"
  echo "round $r, latency us p50/p99, $K round trips of 64+32 bytes: umptcpd --forward $rp50/$rp99, direct kernel MPTCP $kp50/$kp99, mptcpize socat $sp50/$sp99; ratio to direct p50 $(ratio "$rp50" "$kp50"), p99 $(ratio "$rp99" "$kp99")"
done
grep -q 'MPTCP, 2 subflows' "$WORK/umptcpd.log" || die "umptcpd logged no 2-subflow MPTCP connection"
