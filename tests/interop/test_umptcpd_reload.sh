#!/usr/bin/env bash
# umptcpd's SIGHUP (its config file read again) against the kernel's MPTCP over two TUN
# paths, in a namespace. The file first has two --forward relays (8081, 8082) to a kernel
# MPTCP echo server; a connection through 8081 is held open across the reloads. The new
# file drops 8081, keeps 8082 and adds 8083 (and changes a link, which only a restart
# applies): after SIGHUP 8081 no longer listens, 8082 is the same listener, 8083 relays to
# the kernel server over MPTCP, and the held connection still carries bytes both ways. A
# file with an error then changes nothing. The metrics endpoint moves from 9101 to 9102
# with the reload. A new target whose name gets no answer (a DNS server that never answers)
# changes nothing within 2 s, the relay serving meanwhile; a name from the namespace's hosts
# file (/etc/netns/NS/hosts, which ip netns exec puts over /etc/hosts) opens. SIGTERM ends
# it with 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup umpr
mkdir -p "/etc/netns/$NS"
printf '10.1.1.1 echo.umptcpd.test\n' > "/etc/netns/$NS/hosts"
trap 'rm -rf "/etc/netns/$NS"; cleanup' EXIT
mptcp_paths_setup
echo "seed $SEED (replay with SEED=$SEED)"

# A kernel MPTCP echo server, a thread a connection.
in_ns python3 - <<'PY' &
import socket, threading
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 8000))
srv.listen(64)
def echo(c):
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    c.shutdown(socket.SHUT_WR)
    c.close()
while True:
    threading.Thread(target=echo, args=(srv.accept()[0],), daemon=True).start()
PY
PIDS+=($!)
wait_port 8000
# A DNS server that takes every query and answers none.
in_ns python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",5353)); time.sleep(3600)' &
PIDS+=($!)

conf() { # the relays' sections, then the links' (UM1 extra keys in $2, [daemon] ones in $3)
  { printf '[daemon]\ngrace = 2\ndns = 127.0.0.1:5353\n%s[link um0]\naddress = 10.1.1.2/24\n[link um1]\naddress = 10.1.2.2/24\n%s' "${3:-}" "${2:-}"
    printf '%s\n' "$1"; } > "$WORK/d.conf.new"
  mv "$WORK/d.conf.new" "$WORK/d.conf"
}
fwd() { printf '[forward %s]\nlisten = 127.0.0.1:%s\ntarget = %s:8000\n' "$1" "$2" "${3:-10.1.1.1}"; }
conf "$(fwd a 8081; fwd b 8082)" "" $'metrics = 127.0.0.1:9101\n'
"$BIN/umptcpd" --check-config -c "$WORK/d.conf" >/dev/null || fail "the first config is refused"
ip netns exec "$NS" "$BIN/umptcpd" -c "$WORK/d.conf" --seed "$SEED" 2> "$WORK/umptcpd.log" &
UMPTCPD=$!
PIDS+=($UMPTCPD)
wait_port 8081
wait_port 8082

# through PORT BYTES: BYTES through the relay on PORT come back from the echo server whole.
through() {
  in_ns python3 - "$1" "$2" <<'PY'
import hashlib, os, socket, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(n)
s = socket.create_connection(("127.0.0.1", port), timeout=30)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
t.join()
assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), (len(got), n)
PY
}

# A connection through 8081 held open: one exchange now, one after the reloads.
in_ns python3 - "$WORK" <<'PY' &
import os, socket, sys, time
work = sys.argv[1]
s = socket.create_connection(("127.0.0.1", 8081), timeout=60)
def exchange(msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(65536)
        assert b, "closed"
        got += b
    assert got == msg
exchange(b"before the reload " * 1000)
open(work + "/held.ready", "w").close()
while not os.path.exists(work + "/held.go"):
    time.sleep(0.05)
exchange(b"after the reload " * 1000)
s.shutdown(socket.SHUT_WR)
assert s.recv(1) == b""
open(work + "/held.ok", "w").close()
PY
HELD=$!
PIDS+=($HELD)
for _ in $(seq 1 100); do [ -e "$WORK/held.ready" ] && break; sleep 0.1; done
[ -e "$WORK/held.ready" ] || fail "the held connection got no echo before the reload"

# The reload: a drops, b stays, c comes; um1 gains a delay.
syn0=$(kernel_counter MPTcpExtMPCapableSYNRX)
conf "$(fwd b 8082; fwd c 8083)" $'delay = 5\n' $'metrics = 127.0.0.1:9102\n'
kill -HUP "$UMPTCPD"
for _ in $(seq 1 50); do grep -q "reload: 1 listener kept, 1 closed, 1 opened" "$WORK/umptcpd.log" && break; sleep 0.1; done
grep -q "reload: 1 listener kept, 1 closed, 1 opened" "$WORK/umptcpd.log" || {
  cat "$WORK/umptcpd.log" >&2
  fail "umptcpd did not log the reload's changes"
}
grep -q "reload: the links differ; they change only when umptcpd restarts" "$WORK/umptcpd.log" ||
  fail "the changed link was not logged as needing a restart"
grep -q "reload: closed forward 127.0.0.1:8081=10.1.1.1:8000" "$WORK/umptcpd.log" || fail "no log line for the closed listener"
wait_port 8083
in_ns ss -ltnH "sport = :8081" | grep -q . && fail "8081 still listens after its section went"
in_ns ss -ltnH "sport = :8082" | grep -q . || fail "8082 no longer listens"
through 8083 $((1 << 20)) || fail "1 MiB through the new listener 8083 did not come back whole"
through 8082 $((1 << 20)) || fail "1 MiB through the kept listener 8082 did not come back whole"
[ "$(kernel_counter MPTcpExtMPCapableSYNRX)" -gt "$syn0" ] || fail "the kernel server saw no MP_CAPABLE SYN after the reload"
grep -q "opened forward 127.0.0.1:8082" "$WORK/umptcpd.log" && fail "8082 was reopened though unchanged"
echo "reload: 8081 closed, 8082 kept, 8083 opened and relays 1 MiB over MPTCP"
grep -q "reload: metrics now on 127.0.0.1:9102 (was 127.0.0.1:9101)" "$WORK/umptcpd.log" ||
  fail "no log line for the metrics endpoint's new address"
in_ns ss -ltnH "sport = :9101" | grep -q . && fail "the old metrics address 9101 still listens"
in_ns curl -sS --max-time 10 http://127.0.0.1:9102/metrics | grep -q '^umptcp_relay_listeners 2$' ||
  fail "no scrape at the new metrics address 9102 (or not 2 listeners)"
echo "reload: metrics moved from 9101 to 9102"

# A file with an error: nothing changes.
printf '[daemon]\nmax-conns = lots\n' > "$WORK/d.conf"
kill -HUP "$UMPTCPD"
for _ in $(seq 1 50); do grep -q "has errors (above): nothing changed" "$WORK/umptcpd.log" && break; sleep 0.1; done
grep -q "d.conf:2: bad --max-conns 'lots'" "$WORK/umptcpd.log" || fail "the bad file's error was not logged with its line"
grep -q "has errors (above): nothing changed" "$WORK/umptcpd.log" || fail "the bad file was not refused"
through 8083 65536 || fail "8083 stopped relaying after a bad file"
in_ns curl -sS --max-time 10 -o /dev/null http://127.0.0.1:9102/metrics || fail "metrics stopped after a bad file"
echo "reload: a bad file changed nothing"

# A new target's name without an answer: nothing changes, and the relay serves meanwhile.
reloads() { grep -c "reload: reading" "$WORK/umptcpd.log"; }
conf "$(fwd b 8082; fwd c 8083; fwd d 8084 nosuch.invalid)" $'delay = 5\n' $'metrics = 127.0.0.1:9102\n'
kill -HUP "$UMPTCPD"
start=$(date +%s%N)
through 8083 $((1 << 20)) || fail "8083 stopped relaying while a reload resolved a name"
busy_ms=$((($(date +%s%N) - start) / 1000000))
for _ in $(seq 1 50); do grep -q "a target did not resolve: nothing changed" "$WORK/umptcpd.log" && break; sleep 0.1; done
grep -q "reload: .*\[forward d\]: cannot resolve nosuch.invalid: no answer within 2 s" "$WORK/umptcpd.log" ||
  fail "no log line for the name without an answer"
grep -q "a target did not resolve: nothing changed" "$WORK/umptcpd.log" || fail "the reload was not refused"
in_ns ss -ltnH "sport = :8084" | grep -q . && fail "8084 listens though its target did not resolve"
[ "$busy_ms" -lt 1500 ] || fail "1 MiB through 8083 took $busy_ms ms while the reload resolved (the loop stalled?)"
echo "reload: a name without an answer changed nothing; 1 MiB relayed in $busy_ms ms meanwhile"

# A name from the hosts file: c reopens to it, b stays.
n0=$(grep -c "listener kept, 1 closed, 1 opened" "$WORK/umptcpd.log")
conf "$(fwd b 8082; fwd c 8083 echo.umptcpd.test)" $'delay = 5\n' $'metrics = 127.0.0.1:9102\n'
kill -HUP "$UMPTCPD"
for _ in $(seq 1 50); do [ "$(grep -c "listener kept, 1 closed, 1 opened" "$WORK/umptcpd.log")" -gt "$n0" ] && break; sleep 0.1; done
grep -q "reload: opened forward 127.0.0.1:8083=echo.umptcpd.test:8000" "$WORK/umptcpd.log" ||
  { cat "$WORK/umptcpd.log" >&2; fail "the target named in the hosts file did not open"; }
wait_port 8083
through 8083 $((1 << 20)) || fail "1 MiB through 8083 to echo.umptcpd.test did not come back whole"
echo "reload: a target named in the hosts file opened and relays"

# The held connection, opened before both reloads through a listener since closed.
touch "$WORK/held.go"
wait "$HELD" || fail "the held connection broke across the reloads"
[ -e "$WORK/held.ok" ] || fail "the held connection did not finish"
echo "reload: the connection held through 8081 carried bytes both ways after its listener closed"

stop_umptcpd "$UMPTCPD"
echo "PASS"
