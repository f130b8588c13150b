# Shared by the MPTCP interop tests: a second TUN path, the kernel's listener and client,
# capture checks, and the two basic cases (umptcp as client, umptcp as server). Source it
# after lib.sh and interop_setup. IMPAIR, when set (",loss=0.01,delay=20"), is appended to
# umptcp's link specs: impairment on umptcp's side of both paths.
IMPAIR=${IMPAIR:-}

mptcp_paths_setup() {
  # The second path: um1, kernel 10.1.2.1, umptcp 10.1.2.2.
  in_ns ip tuntap add dev um1 mode tun
  in_ns ip addr add 10.1.2.1/24 dev um1
  in_ns ip addr add fd00:2::1/64 dev um1 nodad
  in_ns ip link set um1 up
  in_ns ip mptcp limits set subflows 2 add_addr_accepted 0
  sleep 0.5 # let the new device settle (IPv6 router solicitations and the like)
  # The kernel's own subflow from 10.1.2.1 leaves through um1 even towards 10.1.1.2.
  in_ns ip rule add from 10.1.2.1 table 102
  in_ns ip route add 10.1.1.0/24 dev um1 table 102
  in_ns ip -6 rule add from fd00:2::1 table 102
  in_ns ip -6 route add fd00:1::/64 dev um1 table 102
  LINKS=(--link "tun:um0:10.1.1.2/24$IMPAIR" --link "tun:um1:10.1.2.2/24$IMPAIR" --seed "$SEED")
  LINKS6=(--link "tun:um0:fd00:1::2/64$IMPAIR" --link "tun:um1:fd00:2::2/64$IMPAIR" --seed "$SEED")
}

kernel_server() { # PORT OUTFILE MODE(mptcp|mptcp-eager|mptcp-late[:S]|tcp|abort|abort-late) [v6 [RCVBUF]]: a kernel listener writing what it gets
  in_ns python3 - "$1" "$2" "$3" "${4:-v4}" "${5:-0}" <<'PY' &
import socket, struct, sys
port, out, mode, fam, rcvbuf = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
proto = 0 if mode == "tcp" else 262  # mptcp-eager: MPTCP, reading from the start
v6 = fam == "v6"
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if rcvbuf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # accepted sockets inherit it
s.bind(("::" if v6 else "0.0.0.0", port))  # any address: joins to the second one find it too
s.listen(1)
c, _ = s.accept()
limit = 4 << 20
if mode == "abort-late":
    # Our DATA_FIN first; then, while the client's last bytes wait in its buffers, the abort.
    import time
    c.shutdown(socket.SHUT_WR)
    time.sleep(1.5)
    limit = 0
if mode == "mptcp":
    # Read nothing for a while: the connection then outlives a join whose first SYN is
    # lost while a fresh TUN device settles, so both subflows get to carry data.
    import time
    time.sleep(1.5)
if mode.startswith("mptcp-late"):
    # Read nothing for longer (4 s, or N with mptcp-late:N): a path manager outside has time
    # to act on a live connection.
    import time
    time.sleep(float(mode.split(":")[1]) if ":" in mode else 4)
got = 0
with open(out, "wb") as f:
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        f.write(d)
        got += len(d)
        if mode.startswith("abort") and got > limit:
            # Close with unread data and SO_LINGER 0: the kernel sends MP_FASTCLOSE.
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
            sys.exit(0)
c.close()
PY
  PIDS+=($!)
}

capture_check() { # PCAP: no malformed packet, no MPTCP expert warning; prints data packets
  # Tolerated: "No mapping available" on segments without payload. tshark looks up a mapping
  # for every segment past the first, pure ACKs included, so with data in both directions it
  # flags the kernel's pure ACKs just as it flags umptcp's. Under impairment, data too: the
  # capture sits between the impairment and the TUN device, so a lost segment that carried a
  # mapping reaches it only as its retransmission, after the data it maps.
  local pcap=$1 bad unmapped='tcp.len == 0'
  [ -n "$IMPAIR" ] && unmapped='tcp'
  [ -s "$pcap" ] || fail "capture $pcap is empty"
  # The payload is random: the test ports are decoded as data, not as some protocol.
  local opts=(-o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE -o mptcp.intersubflows_retransmission:TRUE) p
  for p in $(seq 6001 6017) $(seq 6101 6112); do opts+=(-d "tcp.port==$p,data"); done
  bad=$(tshark -r "$pcap" "${opts[@]}" -Y "_ws.malformed || (mptcp && _ws.expert.severity >= 6291456 && _ws.expert.group != 33554432 && !tcp.analysis.window_full && !tcp.analysis.zero_window && !tcp.analysis.out_of_order && !tcp.options.sack.dsack && !tcp.analysis.retransmission && !(mptcp.dss.missing_mapping && $unmapped))" \
          -T fields -e frame.number -e _ws.expert.message 2>/dev/null | grep -iv '^[0-9]*\s*4 NOP in a row' || true)
  if [ -n "$bad" ]; then
    echo "$bad" | head -20 >&2
    fail "tshark's MPTCP analysis reports problems in $pcap"
  fi
  tshark -r "$pcap" -Y "tcp.len > 0" 2>/dev/null | wc -l
}

both_paths_carried() { # PREFIX MIN: the two captures each hold at least MIN data packets
  local n0 n1
  n0=$(capture_check "$1")
  n1=$(capture_check "$1.1")
  echo "data packets: path 1 $n0, path 2 $n1"
  [ "$n0" -ge "$2" ] || fail "path 1 carried only $n0 data packets"
  [ "$n1" -ge "$2" ] || fail "path 2 carried only $n1 data packets"
}

kernel_client() { # HOST PORT SENDFILE RECVFILE: sends and receives at once, once joined
  in_ns timeout 120 python3 - "$@" <<'PY' || fail "kernel MPTCP client failed"
import socket, sys, threading, time
SOL_MPTCP, MPTCP_INFO = 284, 1
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_STREAM, 262)
s.connect((sys.argv[1], int(sys.argv[2])))
deadline = time.time() + 10
while s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0] < 1 and time.time() < deadline:
    time.sleep(0.05)
print("kernel client: %d extra subflow(s) after %.2f s" % (s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0], 10 - (deadline - time.time())))
def reader():
    with open(sys.argv[4], "wb") as f:
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            f.write(d)
t = threading.Thread(target=reader)
t.start()
with open(sys.argv[3], "rb") as f:
    s.sendfile(f)
s.shutdown(socket.SHUT_WR)
t.join()
s.close()
PY
}

kernel_counter() { # NAME [NETNS]: the namespace's (or NETNS's) MPTcpExt counter
  ip netns exec "${2:-$NS}" nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'
}

umptcp_counter() { # STATSFILE NAME: a counter umptcp-cat --stats printed (0 when absent)
  awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"
}

case_client() { # TAG PORT [v6 [RCVBUF]]
  local tag=$1 port=$2 fam=${3:-v4} links=("${LINKS[@]}") server=10.1.1.1
  [ "$fam" = v6 ] && links=("${LINKS6[@]}") && server=fd00:1::1
  kernel_server "$port" "$WORK/recv-$tag.bin" mptcp "$fam" "${4:-0}"
  wait_port "$port"
  in_ns timeout 120 "$BIN/umptcp-cat" --stats "${links[@]}" --pcap "$WORK/$tag.pcap" \
    "$server" "$port" < "$WORK/send.bin" 2> "$WORK/$tag.stats" || { rc=$?; cat "$WORK/$tag.stats"; fail "umptcp-cat ($tag) exited $rc"; }
  wait "${PIDS[-1]}" || fail "kernel server ($tag) failed"
  grep '^mptcp:' "$WORK/$tag.stats"
  grep -q '^mptcp: multipath, 2 subflows' "$WORK/$tag.stats" || fail "$tag: not two MPTCP subflows"
  same_hash "$WORK/send.bin" "$WORK/recv-$tag.bin"
  both_paths_carried "$WORK/$tag.pcap" 100
}


case_server() { # TAG PORT [v6]: a kernel client with a subflow endpoint on the second path
  local tag=$1 port=$2 fam=${3:-v4} links=("${LINKS[@]}") addr=10.1.1.2 endpoint=10.1.2.1
  [ "$fam" = v6 ] && links=("${LINKS6[@]}") && addr=fd00:1::2 && endpoint=fd00:2::1
  in_ns ip mptcp endpoint add "$endpoint" dev um1 subflow
  in_ns timeout 120 "$BIN/umptcp-cat" -l --stats "${links[@]}" --pcap "$WORK/$tag.pcap" \
    "$addr" "$port" > "$WORK/srecv-$tag.bin" < "$WORK/send2.bin" 2> "$WORK/$tag.stats" &
  local upid=$!
  PIDS+=($upid)
  sleep 0.5
  kernel_client "$addr" "$port" "$WORK/send.bin" "$WORK/crecv-$tag.bin"
  wait "$upid" || { cat "$WORK/$tag.stats"; fail "umptcp-cat server ($tag) exited with an error"; }
  grep '^mptcp:' "$WORK/$tag.stats"
  same_hash "$WORK/send.bin" "$WORK/srecv-$tag.bin"
  same_hash "$WORK/send2.bin" "$WORK/crecv-$tag.bin"
  if [ -n "$IMPAIR" ]; then
    # Under loss the kernel may give its join up: it does not repeat a join SYN that was
    # lost, and it resets our retransmitted SYN/ACK when the first was lost (both seen at 1 %
    # loss). So the connection may end on one path; the data must still arrive whole.
    echo "$tag: $(umptcp_counter "$WORK/$tag.stats" MPTcpExtMPJoinSynRx) join SYN(s) received"
    capture_check "$WORK/$tag.pcap" > /dev/null
    capture_check "$WORK/$tag.pcap.1" > /dev/null
  else
    grep -q '^mptcp: multipath, 2 subflows' "$WORK/$tag.stats" || fail "$tag: not two MPTCP subflows"
    both_paths_carried "$WORK/$tag.pcap" 100
  fi
  in_ns ip mptcp endpoint flush
}

# For the path-manager tests: a control socket at $SOCK, a monitor's file, kernel counters.
wait_socket() { # until umptcp-cat answers at $SOCK (the file is there from bind() on)
  for _ in $(seq 1 50); do
    "$BIN/umptcp-ctl" -s "$SOCK" limits show > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "no control socket at $SOCK"
}

wait_for() { # PATTERN FILE: until the monitor writing FILE shows it
  for _ in $(seq 1 100); do grep -qE "$1" "$2" && return 0; sleep 0.05; done
  cat "$2" >&2
  fail "the monitor did not show '$1'"
}

counter_grows() { # NAME BEFORE: until the kernel's counter passes BEFORE
  for _ in $(seq 1 60); do [ "$(kernel_counter "$1")" -gt "${2:-0}" ] && return 0; sleep 0.05; done
  fail "the kernel's $1 did not move"
}

kernel_http_server() { # DIR PORT [NETNS]: a kernel MPTCP HTTP server (a thread a connection)
  ip netns exec "${3:-$NS}" python3 - "$1" "$2" <<'PY' &
import functools, http.server, socket, sys
class MPTCPServer(http.server.ThreadingHTTPServer):
    def server_bind(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        super().server_bind()
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
MPTCPServer(("0.0.0.0", int(sys.argv[2])), functools.partial(Quiet, directory=sys.argv[1])).serve_forever()
PY
  PIDS+=($!)
}

stop_umptcpd() { # PID: SIGTERM; it must exit within 5 s, with status 0
  kill -TERM "$1"
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && fail "umptcpd did not exit after SIGTERM"
  wait "$1" || fail "umptcpd exited non-zero after SIGTERM"
  echo "umptcpd: SIGTERM, exit 0"
}
