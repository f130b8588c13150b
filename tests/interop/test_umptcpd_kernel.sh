#!/usr/bin/env bash
# umptcpd against the kernel's MPTCP over two TUN paths, in a namespace:
# 1. --forward: curl (kernel TCP, loopback) -> umptcpd -> MPTCP -> a kernel MPTCP HTTP server
#    (IPPROTO_MPTCP): the body's SHA-256 matches, the kernel server took an MP_CAPABLE SYN
#    and a join, and both TUN devices carried the body.
# 2. --accept: a kernel MPTCP client -> umptcpd -> kernel TCP -> socat on loopback, with a
#    PROXY v2 header first: the bytes match, the header names the client.
# 3. --metrics: a scrape after curl shows the relayed connection and both paths' bytes, in
#    the text format; POST is refused (405), another path (404).
# 3b. --control: umptcp-ctl show lists a relayed connection held open with its kernel-side
#    peer (the kernel client's port), in text and in JSON; ended, it is gone from show.
# 3c. One closed before any request (nothing from the server yet) is gone within 1 s too.
# 4. SIGTERM: umptcpd stops accepting and exits 0.
# 5. A --metrics address in use stops the start (exit 1) with the address and the reason.
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
  --accept 9000=127.0.0.1:7000,proxy-protocol --metrics 127.0.0.1:9100 \
  --control "$WORK/ctl.sock" 2> "$WORK/umptcpd.log" &
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

# 3. A scrape of --metrics.
in_ns curl -sS --max-time 10 -D "$WORK/metrics.head" -o "$WORK/metrics" http://127.0.0.1:9100/metrics ||
  fail "no scrape of --metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/metrics.head" ||
  fail "the scrape's Content-Type: $(cat "$WORK/metrics.head")"
python3 - "$WORK/metrics" <<'PY' || fail "the scrape (above) is not what --metrics should show"
import re, sys
typed, samples = set(), {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        name, kind = line[7:].split(" ")
        assert kind in ("counter", "gauge") and name not in typed, line
        typed.add(name)
        continue
    if line.startswith("# HELP "):
        continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)', line)
    assert m and m.group(1) in typed, "no TYPE before: " + line
    samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
accepted = samples['umptcp_mib_total{name="RelayAccepted"}']
assert accepted >= 1, accepted
assert samples['umptcp_mib_total{name="MPTcpExtMPCapableSYNTX"}'] >= 1
for i, link in enumerate(("um0", "um1")):
    tx = samples['umptcp_link_transmit_bytes_total{ifindex="%d",link="%s"}' % (i, link)]
    rx = samples['umptcp_link_receive_bytes_total{ifindex="%d",link="%s"}' % (i, link)]
    print("metrics: %s sent %d bytes, received %d" % (link, tx, rx))
    assert tx > 0 and rx > 0, (link, tx, rx)
# The 8 MiB body came down both paths.
rx = sum(v for k, v in samples.items() if k.startswith("umptcp_link_receive_bytes_total"))
assert rx > 8 << 20, rx
print("metrics: %d samples, RelayAccepted %d" % (len(samples), accepted))
PY
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' -X POST --data x http://127.0.0.1:9100/metrics)
[ "$code" = 405 ] || fail "POST /metrics: $code (want 405)"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9100/)
[ "$code" = 404 ] || fail "GET /: $code (want 404)"
grep -q "relay: metrics 127.0.0.1:9100: 127.0.0.1:[0-9]*: POST /metrics: 405" "$WORK/umptcpd.log" ||
  fail "umptcpd logged no line for the refused POST"

# 3b. show names each relayed connection's kernel-side peer: a kernel client held open
# through --forward finds its own port on an MPTCP connection's line.
in_ns python3 - "$BIN/umptcp-ctl" "$WORK/ctl.sock" <<'PY' || fail "umptcp-ctl show did not name the kernel client (above)"
import json, socket, subprocess, sys, time
ctl, path = sys.argv[1], sys.argv[2]
s = socket.create_connection(("127.0.0.1", 8080))
want = "relay forward 127.0.0.1:%d -> 127.0.0.1:8080" % s.getsockname()[1]
text = ""
for _ in range(100):
    text = subprocess.run([ctl, "-s", path, "show"], capture_output=True, text=True).stdout
    lines = [l for l in text.splitlines() if l.endswith(" desc " + want)]
    if lines:
        break
    time.sleep(0.1)
else:
    sys.exit("no line ends with 'desc %s' in:\n%s" % (want, text))
assert lines[0].startswith("token "), lines[0]
reply = json.loads(subprocess.run([ctl, "-s", path, "-j", "show"], capture_output=True,
                                  text=True, check=True).stdout)
found = [c for c in reply["connections"] if c.get("description") == want]
assert len(found) == 1 and found[0]["daddr4"] == "10.1.1.1" and found[0]["dport"] == 8000, reply
print("control: " + lines[0])
# Its request answered and the connection ended as curl's did: it leaves show.
s.sendall(b"GET /none HTTP/1.0\r\n\r\n")
while s.recv(65536):
    pass
s.close()
for _ in range(100):
    text = subprocess.run([ctl, "-s", path, "show"], capture_output=True, text=True).stdout
    if want not in text:
        break
    time.sleep(0.1)
else:
    sys.exit("the ended connection is still in show:\n" + text)
PY

# 3c. A client that closes before any request: the kernel server has sent nothing, so no DSS
# of its own has confirmed the MP_CAPABLE handshake. umptcp's DATA_FIN goes all the same
# (RFC 8684 §3.3.3), the server sees the end and closes, and the connection leaves show
# within 1 s: it stayed until the idle timeout or SIGTERM's grace period while the DATA_FIN
# waited for that DSS.
in_ns python3 - "$BIN/umptcp-ctl" "$WORK/ctl.sock" <<'PY' || fail "a connection closed before any request did not end (above)"
import socket, subprocess, sys, time
ctl, path = sys.argv[1], sys.argv[2]
def show():
    return subprocess.run([ctl, "-s", path, "show"], capture_output=True, text=True).stdout
s = socket.create_connection(("127.0.0.1", 8080))
want = "relay forward 127.0.0.1:%d -> 127.0.0.1:8080" % s.getsockname()[1]
for _ in range(100):
    if want in show():
        break
    time.sleep(0.02)
else:
    sys.exit("no line ends with 'desc %s'" % want)
s.close()
t0 = time.time()
while want in show():
    if time.time() - t0 > 1:
        sys.exit("still in show 1 s after the client closed:\n" + show())
    time.sleep(0.02)
print("control: a client closed before any request: gone from show after %.2f s" % (time.time() - t0))
PY

# 4. SIGTERM: a clean exit.
stop_umptcpd "$UMPTCPD"

# 5. The metrics address taken (by the kernel HTTP server's port): a start that fails.
rc=0
in_ns "$BIN/umptcpd" "${LINKS[@]}" --forward 127.0.0.1:8080=10.1.1.1:8000 \
  --metrics 127.0.0.1:8000 2> "$WORK/umptcpd2.log" || rc=$?
[ "$rc" -eq 1 ] || fail "umptcpd with its metrics address in use: exit $rc (want 1)"
grep -q "cannot serve the metrics: metrics 127.0.0.1:8000: Address already in use" "$WORK/umptcpd2.log" || {
  cat "$WORK/umptcpd2.log" >&2
  fail "no clear error for the metrics address in use"
}
echo "metrics: an address in use stops the start, exit 1"
echo "PASS"
