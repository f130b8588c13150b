#!/usr/bin/env bash
# A path cut mid-transfer (issue 23): CONNS (100) kernel TCP clients on loopback through
# umptcpd --forward, over two TUN paths, to a kernel MPTCP echo server; each sends SIZE
# (3 MiB) of its own seeded bytes and checks the echo by SHA-256. When a quarter of all the
# bytes has come back, the second path's TUN device goes down on the kernel's side
# (ip link set um1 down) for CUT seconds (2), then up again: no connection may fail, no byte
# be lost, and once the path is back it carries data again (a subflow that died meanwhile
# would be made again by umptcp's path manager from its subflow endpoint: the kernel's
# MPTcpExtMPJoinSynRx after the link is up is printed).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup umpc
mptcp_paths_setup
CONNS=${CONNS:-100}
SIZE=${SIZE:-$((3 << 20))}
CUT=${CUT:-2}
echo "seed $SEED (replay with SEED=$SEED), $CONNS connections of $SIZE bytes each way, um1 down for $CUT s"
ulimit -n "$(ulimit -Hn)"
in_ns ip mptcp limits set subflows 2 add_addr_accepted 0

# The kernel MPTCP echo server: for each connection, the subflows it had when it ended.
in_ns python3 - "$WORK/server.log" <<'PY' &
import asyncio, socket, sys
SOL_MPTCP, MPTCP_INFO = 284, 1
out = open(sys.argv[1], "a", buffering=1)
async def echo(reader, writer):
    s = writer.get_extra_info("socket")
    extra = 0
    how = "eof"
    try:
        while True:
            d = await reader.read(1 << 16)
            if not d:
                break
            writer.write(d)
            await writer.drain()
        extra = s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0]
    except Exception as e:
        how = repr(e)
    out.write("conn %s extra_subflows %d %s\n" % (writer.get_extra_info("peername"), extra, how))
    writer.close()
async def main():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", 8000))
    ls.listen(1024)
    srv = await asyncio.start_server(echo, sock=ls)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PY
PIDS+=($!)
wait_port 8000

ip netns exec "$NS" "$BIN/umptcpd" "${LINKS[@]}" --forward 127.0.0.1:8080=10.1.1.1:8000 \
  --max-conns $((CONNS + 16)) --control "$WORK/ctl.sock" 2> "$WORK/umptcpd.log" &
UMPTCPD=$!
PIDS+=($UMPTCPD)
wait_port 8080
stat_of() { # NAME: umptcpd's counter through the control socket
  "$BIN/umptcp-ctl" -s "$WORK/ctl.sock" stat | awk -v n="$1" '$1 == n || $1 == n":" { v = $2 } END { print v + 0 }'
}
join0=$(kernel_counter MPTcpExtMPJoinSynRx)

# The clients. One of them cuts the path: when a quarter has come back, um1 goes down, and
# CUT s later up again (with the policy route the device's going down took away). They keep
# their connections open, every echo checked, until $WORK/go.
in_ns timeout 120 python3 - "$CONNS" "$SIZE" "$SEED" "$CUT" "$WORK" <<'PY' > "$WORK/clients.log" 2>&1 &
import asyncio, hashlib, os, random, subprocess, sys, time
n, size, seed, cut, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
echoed = 0
cut_done = asyncio.Event()
def log(msg):
    print("%.2f %s" % (time.time() - t0, msg), flush=True)
async def cutter():
    while echoed < n * size // 4:
        await asyncio.sleep(0.01)
    log("cut: um1 down at %d of %d bytes echoed" % (echoed, n * size))
    if cut:
        subprocess.run(["ip", "link", "set", "um1", "down"], check=True)
    open(os.path.join(work, "down"), "w").close()
    at = echoed
    await asyncio.sleep(cut)
    if cut:
        subprocess.run(["ip", "link", "set", "um1", "up"], check=True)
        subprocess.run(["ip", "route", "replace", "10.1.1.0/24", "dev", "um1", "table", "102"], check=True)
    log("cut: um1 up again; %d bytes echoed while it was down" % (echoed - at))
    open(os.path.join(work, "up"), "w").close()
    cut_done.set()
progress = {}
async def reporter():
    while True:
        await asyncio.sleep(5)
        left = {i: g for i, g in progress.items() if g < size}
        log("progress: %d bytes echoed, %d connections not whole: %s" % (
            echoed, len(left), sorted(left.items())[:8]))
async def client(i):
    global echoed
    data = random.Random(seed * 1009 + i).randbytes(size)
    reader, writer = await asyncio.open_connection("127.0.0.1", 8080)
    async def send():
        for off in range(0, size, 1 << 16):
            writer.write(data[off:off + (1 << 16)])
            await writer.drain()
    sender = asyncio.create_task(send())
    h = hashlib.sha256()
    got = 0
    while got < size:
        d = await reader.read(1 << 16)
        if not d:
            raise RuntimeError("connection %d: EOF after %d of %d bytes" % (i, got, size))
        h.update(d)
        got += len(d)
        echoed += len(d)
        progress[i] = got
    await sender
    if h.digest() != hashlib.sha256(data).digest():
        raise RuntimeError("connection %d: echo differs" % i)
    return reader, writer
async def main():
    global t0
    t0 = time.time()
    c = asyncio.create_task(cutter())
    rep = asyncio.create_task(reporter())
    res = await asyncio.gather(*(client(i) for i in range(n)), return_exceptions=True)
    bad = [r for r in res if isinstance(r, BaseException)]
    for r in bad[:10]:
        log("FAILED: %r" % r)
    log("clients: %d of %d connections echoed %d bytes each whole (SHA-256 each)" % (n - len(bad), n, size))
    if bad:
        sys.exit(1)
    await cut_done.wait()
    open(os.path.join(work, "done"), "w").close()
    while not os.path.exists(os.path.join(work, "go")):
        await asyncio.sleep(0.05)
    for reader, writer in res:
        writer.write_eof()
    for reader, writer in res:
        if await reader.read(1):
            raise RuntimeError("bytes after the echo")
        writer.close()
    log("clients: all closed")
asyncio.run(main())
PY
CLIENTS=$!
PIDS+=($CLIENTS)
for _ in $(seq 1 600); do
  [ -e "$WORK/down" ] && break
  kill -0 "$CLIENTS" 2>/dev/null || break
  sleep 0.05
done
[ -e "$WORK/down" ] || { cat "$WORK/clients.log"; fail "the cut never came"; }
join_down=$(kernel_counter MPTcpExtMPJoinSynRx)
for _ in $(seq 1 600); do
  [ -e "$WORK/up" ] && break
  kill -0 "$CLIENTS" 2>/dev/null || break
  sleep 0.05
done
join_up=$(kernel_counter MPTcpExtMPJoinSynRx)
rx1_up=$(in_ns cat /sys/class/net/um1/statistics/rx_bytes)
for _ in $(seq 1 400); do
  [ -e "$WORK/done" ] && break
  kill -0 "$CLIENTS" 2>/dev/null || break
  sleep 0.1
done
cat "$WORK/clients.log"
if ! [ -e "$WORK/done" ]; then
  grep -v ': closed$' "$WORK/umptcpd.log" | tail -5 >&2
  "$BIN/umptcp-ctl" -s "$WORK/ctl.sock" show > "$WORK/umptcpd.show" 2>&1 || true
  "$BIN/umptcp-ctl" -s "$WORK/ctl.sock" stat > "$WORK/umptcpd.stat" 2>&1 || true
  in_ns ss -tinmM > "$WORK/kernel.ss" 2>&1 || true
  in_ns nstat -az > "$WORK/kernel.nstat" 2>&1 || true
  fail "the clients did not all get their echoes (umptcpd.show, umptcpd.stat, kernel.ss, kernel.nstat in $WORK)"
fi
# Subflows lost on um1 would come back as joins after the link is up (1 s, 2, 4 ... after their loss).
for _ in $(seq 1 30); do
  [ "$(kernel_counter MPTcpExtMPJoinSynRx)" -gt "$join_up" ] && break
  sleep 0.1
done
join_end=$(kernel_counter MPTcpExtMPJoinSynRx)
rx1=$(( $(in_ns cat /sys/class/net/um1/statistics/rx_bytes) - rx1_up ))
echo "um1 carried $rx1 bytes from umptcp after it came back"
echo "kernel MPTcpExtMPJoinSynRx: $((join_down - join0)) before the cut, $((join_up - join_down)) while um1 was down, $((join_end - join_up)) after it came back"
touch "$WORK/go"
wait "$CLIENTS" || { tail -3 "$WORK/clients.log"; fail "the clients failed"; }
tail -1 "$WORK/clients.log"
for _ in $(seq 1 50); do [ "$(stat_of RelayClosed)" -ge "$CONNS" ] && break; sleep 0.1; done
echo "umptcpd: RelayClosed $(stat_of RelayClosed), RelayAborted $(stat_of RelayAborted), RelayResetsFromMptcp $(stat_of RelayResetsFromMptcp), RelayResetsFromKernel $(stat_of RelayResetsFromKernel), RelayBytesUp $(stat_of RelayBytesUp), RelayBytesDown $(stat_of RelayBytesDown)"
grep -o 'MPTCP, [0-9] subflows\?' "$WORK/umptcpd.log" | sort | uniq -c
awk '{ for (i = 1; i < NF; i++) if ($i == "extra_subflows") print "kernel server: ended with", $(i + 1) + 1, "subflow(s),", $(i + 2) }' "$WORK/server.log" | sort | uniq -c
[ "$(stat_of RelayClosed)" -eq "$CONNS" ] || fail "not every relayed connection closed cleanly"
[ "$(grep -c ': closed$' "$WORK/umptcpd.log")" -eq "$CONNS" ] || fail "umptcpd logged another end than 'closed'"
[ "$(stat_of RelayBytesUp)" -eq $((CONNS * SIZE)) ] || fail "RelayBytesUp is not $((CONNS * SIZE))"
[ "$(stat_of RelayBytesDown)" -eq $((CONNS * SIZE)) ] || fail "RelayBytesDown is not $((CONNS * SIZE))"
# A 2-s cut kills no subflow (its retransmissions wait it out, the kernel's marks it stale):
# every connection still has its subflow over um1 when it ends, and packets cross um1
# again once it is up. How much data um1 then carries depends on how much is left by the
# time its subflows' backed-off timers fire (6.5 KB in one run that finished 0.8 s after
# the return), so only that it carries is asked.
[ "$(grep -c 'extra_subflows 1 eof' "$WORK/server.log")" -eq "$CONNS" ] ||
  fail "not every connection ended with its subflow over um1"
[ "$rx1" -gt 0 ] || fail "nothing crossed um1 after it came back"

kill -TERM "$UMPTCPD"
wait "$UMPTCPD" || fail "umptcpd exited non-zero after SIGTERM"
echo "PASS"
