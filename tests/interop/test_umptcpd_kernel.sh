#!/usr/bin/env bash
# umptcpd against the kernel's MPTCP over two TUN paths, in a namespace:
# 1. --forward: curl (kernel TCP, loopback) -> umptcpd -> MPTCP -> a kernel MPTCP HTTP server
#    (IPPROTO_MPTCP): the body's SHA-256 matches, the kernel server took an MP_CAPABLE SYN
#    and a join, and both TUN devices carried the body.
# 2. --accept: a kernel MPTCP client -> umptcpd -> kernel TCP -> socat on loopback, with a
#    PROXY v2 header first: the bytes match, the header names the client.
# 3. SIGTERM: umptcpd stops accepting and exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup umpd
mptcp_paths_setup
command -v curl >/dev/null || fail "curl is missing (make deps installs it)"
echo "seed $SEED (replay with SEED=$SEED)"

make_payload "$WORK/body" $((8 << 20))
kernel_http_server "$WORK" 8000
wait_port 8000

syn0=$(kernel_counter MPTcpExtMPCapableSYNRX)
join0=$(kernel_counter MPTcpExtMPJoinAckRx)
tx1_0=$(in_ns cat /sys/class/net/um1/statistics/tx_bytes)
# Not through in_ns (a function, so a subshell): $! is umptcpd itself, for its signal.
ip netns exec "$NS" "$BIN/umptcpd" "${LINKS[@]}" --forward 127.0.0.1:8080=10.1.1.1:8000 \
  --accept 9000=127.0.0.1:7000,proxy-protocol 2> "$WORK/umptcpd.log" &
UMPTCPD=$!
PIDS+=($UMPTCPD)
wait_port 8080

# 1. curl through --forward.
in_ns curl -sS --max-time 60 -o "$WORK/got" http://127.0.0.1:8080/body || {
  cat "$WORK/umptcpd.log" >&2
  fail "curl through --forward failed"
}
same_hash "$WORK/body" "$WORK/got"
[ "$(kernel_counter MPTcpExtMPCapableSYNRX)" -gt "$syn0" ] || fail "the kernel server saw no MP_CAPABLE SYN"
counter_grows MPTcpExtMPJoinAckRx "$join0"
tx1=$(( $(in_ns cat /sys/class/net/um1/statistics/tx_bytes) - tx1_0 ))
echo "forward: 8 MiB through curl, a join; the second path (um1) carried $tx1 bytes of it"
[ "$tx1" -gt 65536 ] || fail "the second path carried no part of the body"
grep -q "relay: forward 127.0.0.1:8080 -> 10.1.1.1:8000: 127.0.0.1:.*MPTCP, 2 subflows" "$WORK/umptcpd.log" || {
  cat "$WORK/umptcpd.log" >&2
  fail "umptcpd logged no 2-subflow MPTCP connection for curl"
}

# 2. A kernel MPTCP client through --accept to socat, with a PROXY v2 header first.
in_ns socat -u TCP-LISTEN:7000,bind=127.0.0.1,reuseaddr "OPEN:$WORK/backend,creat,trunc" &
PIDS+=($!)
wait_port 7000
make_payload "$WORK/up" $((4 << 20)) 1
in_ns python3 - "$WORK/up" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.connect(("10.1.1.2", 9000))
s.sendall(open(sys.argv[1], "rb").read())
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
PY
for _ in $(seq 1 100); do
  [ "$(stat -c %s "$WORK/backend" 2>/dev/null || echo 0)" -ge $((28 + (4 << 20))) ] && break
  sleep 0.1
done
python3 - "$WORK/backend" "$WORK/up" <<'PY' || fail "the backend's bytes are not the PROXY v2 header and the client's"
import socket, sys
got, sent = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert got[:12] == b"\r\n\r\n\x00\r\nQUIT\n", got[:16]
assert got[12] == 0x21 and got[13] == 0x11, got[12:14]
assert socket.inet_ntoa(got[16:20]) == "10.1.1.1" and socket.inet_ntoa(got[20:24]) == "10.1.1.2"
assert int.from_bytes(got[26:28], "big") == 9000
assert got[28:] == sent, (len(got), len(sent))
print("accept: 4 MiB from a kernel MPTCP client, PROXY v2 header naming 10.1.1.1 -> 10.1.1.2:9000")
PY

# 3. SIGTERM: a clean exit.
stop_umptcpd "$UMPTCPD"
echo "PASS"
