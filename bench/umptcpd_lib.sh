# Shared by the umptcpd benchmarks (bench/umptcpd_*.sh): a namespace in which umptcpd owns
# two TUN paths to the kernel, a second pair of namespaces joined by two veth pairs for the
# kernel-only baseline, umptcpd's start and its CPU and memory readings. Everything made here
# is removed on exit. Usage: source it with BIN set; then umptcpd_ns_setup, veth_setup.
set -uo pipefail

SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
NS=umb-rly-$$ NSA=umb-rva-$$ NSB=umb-rvb-$$
WORK=$(mktemp -d /tmp/umptcp-bench.XXXXXX)
PIDS=()
UMPTCPD=""
KEEP=0 # set to 1 to keep $WORK (logs) after a run that passed but is worth a look

die() {
  echo "FAIL: $*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  # `ip netns exec ... &` may leave its child behind the PID we hold: end the children too.
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    pkill -TERM -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  for n in $NS $NSA $NSB; do ip netns del "$n" 2>/dev/null || true; done
  if [ $rc -eq 0 ] && [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "artifacts kept in $WORK (seed $SEED)" >&2; fi
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, TUN devices)"
[ -c /dev/net/tun ] || die "needs /dev/net/tun"
[ -x "$BIN/umptcpd" ] || die "no umptcpd in $BIN (build first)"

in_ns() { ip netns exec "$NS" "$@"; }

# The relay's namespace: the kernel is 10.9.5.1 on um0 and 10.9.6.1 on um1; umptcpd owns
# 10.9.5.2 and 10.9.6.2 and opens its second subflow from 10.9.6.2 (an endpoint).
umptcpd_ns_setup() {
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  for i in 0 1; do
    ip -n "$NS" tuntap add dev um$i mode tun
    ip -n "$NS" addr add 10.9.$((5 + i)).1/24 dev um$i
    ip -n "$NS" link set um$i up
    # Bursts of many small connections overflow the default queue (500), as in the load test.
    ip -n "$NS" link set um$i txqueuelen 4096
  done
  ip -n "$NS" mptcp limits set subflows 2 add_addr_accepted 0
  LINKS=(--link tun:um0:10.9.5.2/24 --link tun:um1:10.9.6.2/24 --seed "$SEED")
  sleep 0.5 # let the new devices settle before the first SYN
}

# Kernel MPTCP end to end: NSA (server, 10.9.7.1 and 10.9.8.1) and NSB (client, .2) over
# two veth pairs; the client's subflow endpoint on the second pair, limits subflows 2.
veth_setup() {
  ip netns add "$NSA"
  ip netns add "$NSB"
  for i in 0 1; do
    ip link add va$i netns "$NSA" type veth peer name vb$i netns "$NSB"
    ip -n "$NSA" addr add 10.9.$((7 + i)).1/24 dev va$i
    ip -n "$NSB" addr add 10.9.$((7 + i)).2/24 dev vb$i
    ip -n "$NSA" link set va$i up
    ip -n "$NSB" link set vb$i up
  done
  ip -n "$NSA" link set lo up
  ip -n "$NSB" link set lo up
  ip -n "$NSA" mptcp limits set subflows 2 add_addr_accepted 0
  ip -n "$NSB" mptcp limits set subflows 2 add_addr_accepted 0
  ip -n "$NSB" mptcp endpoint add 10.9.8.2 dev vb1 subflow
  # The client's second subflow leaves through the second pair even towards 10.9.7.1.
  ip -n "$NSB" rule add from 10.9.8.2 table 108
  ip -n "$NSB" route add 10.9.7.0/24 dev vb1 table 108
}

wait_listen() { # NS PORT: until something listens on PORT in NS
  for _ in $(seq 1 100); do
    ip netns exec "$1" ss -ltnH "sport = :$2" | grep -q . && return 0
    sleep 0.05
  done
  die "nothing listens on port $2 in $1"
}

start_umptcpd() { # ARGS...: umptcpd in $NS with the two links; its PID in UMPTCPD
  # Not through in_ns (a function, so a subshell): $! must be umptcpd itself.
  ip netns exec "$NS" "$BIN/umptcpd" "${LINKS[@]}" "$@" 2> "$WORK/umptcpd.log" &
  UMPTCPD=$!
  PIDS+=("$UMPTCPD")
}

ns_counter() { # NS NAME: a MPTcpExt counter of the namespace's kernel
  ip netns exec "$1" nstat -az "$2" | awk -v n="$2" '$1 == n { print $2 }'
}

dev_bytes() { # NS DEV rx|tx: the kernel's byte counter of the device
  ip netns exec "$1" cat "/sys/class/net/$2/statistics/${3}_bytes"
}

proc_cpu_ticks() { # PID: utime + stime (clock ticks) of the process
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

TICK=$(getconf CLK_TCK)

py() { python3 -c "$1"; }

# A kernel MPTCP server on PORT (any address, so umptcp's join to 10.9.6.1 finds it too):
# each connection's 64-byte requests answered with SHA-256(request) (32 bytes), until EOF.
sha_server() { # PORT
  in_ns python3 - "$1" <<'PY' &
import asyncio, hashlib, socket, sys
async def serve(reader, writer):
    try:
        while True:
            req = await reader.readexactly(64)
            writer.write(hashlib.sha256(req).digest())
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()
async def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(4096)
    srv = await asyncio.start_server(serve, sock=s)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PY
  PIDS+=($!)
  wait_listen "$NS" "$1"
}
