#!/usr/bin/env bash
# SIGTERM loses no byte umptcpd already took: a relayed connection that ended handed its last
# bytes to umptcp's stack, which delivers them only while umptcpd runs. A kernel MPTCP server
# behind `umptcpd --forward` shuts its sending side at once and reads nothing for a while, so
# when the client has sent its 1 MB and got the server's end, most of it still waits in
# umptcp (beyond the kernel's default receive buffer); then SIGTERM.
# 1. --grace 15, the server reads after 3 s: umptcpd stays until every byte is acknowledged
#    (it used to exit within 0.2 s, the server got 4 KB and then nothing, not even an end),
#    and the server gets all of them (SHA-256) and the end of the stream; exit 0.
# 2. --grace 1, the server reads after 6 s: umptcpd says how many bytes it could not deliver
#    and resets the connection, so the server sees a reset, not a silent hang; exit 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup umst
mptcp_paths_setup
echo "seed $SEED (replay with SEED=$SEED)"
SIZE=1000000

run_case() { # NAME GRACE_S SERVER_SLEEP_S PORT
  local name=$1 grace=$2 nap=$3 port=$4
  in_ns python3 - "$port" "$nap" "$SIZE" "$SEED" > "$WORK/$name.server" 2>&1 <<'PY' &
import hashlib, random, socket, sys, time
port, nap, size, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
want = hashlib.sha256(random.Random(seed).randbytes(size)).hexdigest()
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.1.1.1", port))
ls.listen(1)
c, _ = ls.accept()
c.shutdown(socket.SHUT_WR)
time.sleep(nap)
c.settimeout(10)
h, n = hashlib.sha256(), 0
try:
    while True:
        d = c.recv(65536)
        if not d:
            print("server: end after %d bytes, %s" % (n, "sha256 ok" if n == size and h.hexdigest() == want else "sha256 differs"))
            break
        h.update(d)
        n += len(d)
except Exception as e:
    print("server: %d bytes, then %s" % (n, type(e).__name__))
PY
  local server=$!
  PIDS+=($server)
  wait_port "$port"
  ip netns exec "$NS" "$BIN/umptcpd" "${LINKS[@]}" --forward "127.0.0.1:$((port + 1))=10.1.1.1:$port" \
    --grace "$grace" 2> "$WORK/$name.umptcpd" &
  local daemon=$!
  PIDS+=($daemon)
  wait_port $((port + 1))
  in_ns timeout 30 python3 - "$((port + 1))" "$SIZE" "$SEED" <<'PY' || fail "$name: the client failed"
import random, socket, sys
port, size, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(random.Random(seed).randbytes(size))
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
print("client: sent %d bytes, got the server's end" % size)
PY
  sleep 0.3
  local t0=$(date +%s.%N)
  kill -TERM "$daemon"
  wait "$daemon" || fail "$name: umptcpd exited non-zero after SIGTERM"
  local took=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  wait "$server"
  echo "$name: umptcpd exited $took s after SIGTERM; $(cat "$WORK/$name.server")"
  grep 'umptcpd: grace period over' "$WORK/$name.umptcpd" || true
  eval "${name}_took=$took"
}

run_case deliver 15 3 7000
grep -q "server: end after $SIZE bytes, sha256 ok" "$WORK/deliver.server" ||
  fail "deliver: the server did not get every byte and the end"
python3 -c "import sys; sys.exit(0 if $deliver_took >= 2 else 1)" ||
  fail "deliver: umptcpd exited before the server could read"
! grep -q 'not delivered' "$WORK/deliver.umptcpd" || fail "deliver: umptcpd reset a connection it could deliver"

run_case cut 1 6 7100
grep -q "server: .* ConnectionResetError" "$WORK/cut.server" ||
  fail "cut: the server did not see a reset"
grep -qE "umptcpd: grace period over: 1 closed connections reset with [1-9][0-9]* bytes not delivered" \
  "$WORK/cut.umptcpd" || fail "cut: umptcpd did not say what it could not deliver"
echo "PASS"
