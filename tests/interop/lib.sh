# Shared set-up for interop tests: a private network namespace with a TUN device whose
# kernel side is 10.N.1.1/24 and fd00:N::1/64; umptcp owns .2 / ::2. Everything is removed
# on exit, also on failure. Usage: source lib.sh; interop_setup NAME
set -euo pipefail

BIN=${1:?usage: $0 BUILD_BIN_DIR}
SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
WORK=$(mktemp -d /tmp/umptcp-interop.XXXXXX)
NS=""
PIDS=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  # A background `in_ns CMD &` is a subshell whose child runs CMD: end the child too, or a
  # kernel listener outlives a failed test and holds ctest's output pipe open for good.
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    pkill -TERM -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null || true
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "artifacts kept in $WORK (seed $SEED)" >&2; fi
}
trap cleanup EXIT

require_interop() {
  # These tests need root, TUN and network namespaces. CI machines have them: when they are
  # missing the test fails loudly instead of pretending to pass.
  [ "$(id -u)" -eq 0 ] || fail "interop tests need root (CI runs as root)"
  [ -c /dev/net/tun ] || fail "interop tests need /dev/net/tun"
  command -v tshark >/dev/null || fail "tshark is missing (make deps installs it)"
  command -v socat >/dev/null || fail "socat is missing (make deps installs it)"
}

interop_setup() {
  require_interop
  NS="umt-$1-$$"
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip -n "$NS" tuntap add dev um0 mode tun
  ip -n "$NS" addr add 10.1.1.1/24 dev um0
  ip -n "$NS" addr add fd00:1::1/64 dev um0 nodad
  ip -n "$NS" link set um0 up
}

in_ns() {
  ip netns exec "$NS" "$@"
}

make_payload() { # FILE BYTES [SALT]: deterministic bytes from the seed (plus SALT)
  local file=$1 bytes=$2
  python3 - "$file" "$bytes" "$((SEED + ${3:-0}))" <<'PY'
import random, sys
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
with open(path, "wb") as f:
    left = n
    while left:
        k = min(left, 1 << 20)
        f.write(r.randbytes(k))
        left -= k
PY
}

same_hash() { # A B
  local a b
  a=$(sha256sum "$1" | cut -d' ' -f1)
  b=$(sha256sum "$2" | cut -d' ' -f1)
  echo "sha256 sent $a"
  echo "sha256 recv $b"
  [ "$a" = "$b" ] || fail "data differs between $1 and $2"
}

wait_port() { # PORT: until the kernel listens on it inside the namespace
  for _ in $(seq 1 50); do
    in_ns ss -ltnH "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1"
}

check_capture() { # PCAP PORT: no malformed packet; no TCP expert warning or error by umptcp
  local pcap=$1 port=$2 bad
  [ -s "$pcap" ] || fail "capture $pcap is empty"
  # The payload is random bytes: decode it as data so that heuristic dissectors (Thrift, ...)
  # do not mistake it for their protocol. Severity 6291456 is "Warning".
  #
  # Tolerated, and listed when they occur, because they are not faults of umptcp:
  # - flow control: "window full" and "zero window" (a receiver slower than its sender; in
  #   the sanitizer build umptcp is that receiver, with socat writing to disk the kernel is);
  # - the kernel's own needless retransmissions: its probe timeout on a microsecond-RTT path
  #   is ~2 ms, shorter than a descheduled user-space process may pause. umptcp answers them
  #   with a D-SACK (RFC 2883) and tshark may call them "out-of-order"; both are warnings;
  # - the kernel's segments that never reached umptcp: the TUN device's queue (500 packets)
  #   overflows when the kernel sends faster than umptcp reads, and the kernel's TCP sends
  #   them again ("previous segment not captured" on the kernel's side only);
  # - a reset from the kernel answering a late segment of umptcp's after its socket is gone
  #   (a D-SACK for such a retransmission, after the last FIN was acknowledged).
  # Everything else fails the test: malformed packets, and any warning on what umptcp sent
  # (a D-SACK from the kernel would mean umptcp retransmitted needlessly).
  local ours='(ip.src == 10.1.1.2 || ipv6.src == fd00:1::2)'
  local benign="tcp.analysis.window_full || tcp.analysis.zero_window || (tcp.options.sack.dsack && $ours) || (tcp.analysis.out_of_order && !$ours) || (tcp.analysis.lost_segment && !$ours) || (tcp.flags.reset == 1 && !$ours)"
  local listed
  listed=$(tshark -r "$pcap" -d "tcp.port==$port,data" -Y "_ws.expert.severity >= 6291456 && ($benign)" \
             -T fields -e _ws.expert.message 2>/dev/null | sort | uniq -c | sed 's/^ */    /')
  [ -n "$listed" ] && printf 'NOTE: flow-control or kernel-side events in %s (not umptcp faults):\n%s\n' "$pcap" "$listed"
  bad=$(tshark -r "$pcap" -d "tcp.port==$port,data" \
          -Y "_ws.malformed || (_ws.expert.severity >= 6291456 && !($benign))" \
          -T fields -e frame.number -e _ws.expert.message 2>/dev/null || true)
  if [ -n "$bad" ]; then
    echo "$bad" | head -20 >&2
    fail "tshark reports malformed packets or expert warnings/errors in $pcap"
  fi
  local n
  n=$(tshark -r "$pcap" -d "tcp.port==$port,data" 2>/dev/null | wc -l)
  echo "capture $pcap: $n packets, no malformed packet, no expert warning or error by umptcp"
}
