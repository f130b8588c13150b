#!/usr/bin/env bash
# What an idle relayed connection costs umptcpd: CONNS (1,000) kernel TCP clients on loopback
# through umptcpd --forward -> umptcp MPTCP over two TUN paths (a subflow on each) -> a kernel
# MPTCP server; each sends a seeded 64-byte request and checks the answer (SHA-256 of it),
# then all stay open and idle while umptcpd's memory is read against its idle start, as
# tests/interop/test_umptcpd_load.sh reads it for --accept: the heap in use (mallinfo2
# uordblks + hblkhd, which umptcpd logs on SIGUSR1) and VmRSS (/proc/PID/status). Prints bytes
# per connection. No baseline: the figure is umptcpd's own state, not a rate.
# Needs root. Usage: umptcpd_memory.sh BIN_DIR [CONNS] [ROUNDS]
BIN=${1:?usage: $0 BIN_DIR [CONNS] [ROUNDS]}
CONNS=${2:-1000}
ROUNDS=${3:-1}
source "$(dirname "$0")/umptcpd_lib.sh"
echo "seed $SEED (replay with SEED=$SEED), $CONNS connections"
[ "$(ulimit -Hn)" -ge $((2 * CONNS + 256)) ] || die "RLIMIT_NOFILE is below $((2 * CONNS + 256)) (hard limit)"
ulimit -n "$(ulimit -Hn)"

umptcpd_ns_setup
sha_server 7000
start_umptcpd --forward 127.0.0.1:8080=10.9.5.1:7000 --max-conns $((CONNS + 24))
wait_listen "$NS" 8080
sleep 0.5

rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$UMPTCPD/status"; } # KiB
heap() { # bytes in use, as umptcpd logs it on SIGUSR1
  local before
  before=$(grep -c 'umptcpd: memory:' "$WORK/umptcpd.log")
  kill -USR1 "$UMPTCPD"
  for _ in $(seq 1 40); do
    [ "$(grep -c 'umptcpd: memory:' "$WORK/umptcpd.log")" -gt "$before" ] && break
    sleep 0.05
  done
  grep 'umptcpd: memory:' "$WORK/umptcpd.log" | tail -1 |
    awk '{ for (i = 1; i <= NF; i++) { if ($i == "use") u = $(i + 1); if ($i == "mmapped") m = $(i + 1) } print u + m }'
}

for r in $(seq 1 "$ROUNDS"); do
  rm -f "$WORK/idle" "$WORK/go"
  rss0=$(rss) heap0=$(heap)
  [ "$heap0" -gt 0 ] || die "umptcpd reports no heap (a sanitizer build?): use a gcc Release build"
  join0=$(ns_counter "$NS" MPTcpExtMPJoinAckRx)
  # The clients: CONNS kernel TCP connections (at most 100 connecting at once), each one
  # checked request; all then idle until $WORK/go appears; then closed.
  in_ns timeout 120 python3 - "$CONNS" "$((SEED + r))" "$WORK" <<'PY' > "$WORK/clients.log" 2>&1 &
import asyncio, hashlib, os, random, sys
n, seed, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
gate = asyncio.Semaphore(100)
async def client(i):
    req = random.Random(seed * 100003 + i).randbytes(64)
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", 8080)
        writer.write(req)
        got = await reader.readexactly(32)
    if got != hashlib.sha256(req).digest():
        raise RuntimeError("connection %d: wrong answer" % i)
    return writer
async def main():
    writers = await asyncio.gather(*(client(i) for i in range(n)))
    print("clients: %d connections, each answer checked" % n, flush=True)
    open(os.path.join(work, "idle"), "w").close()
    while not os.path.exists(os.path.join(work, "go")):
        await asyncio.sleep(0.05)
    for w in writers:
        w.close()
asyncio.run(main())
PY
  clients=$!
  PIDS+=("$clients")
  for _ in $(seq 1 1200); do
    [ -e "$WORK/idle" ] && break
    kill -0 "$clients" 2>/dev/null || break
    sleep 0.1
  done
  [ -e "$WORK/idle" ] || { cat "$WORK/clients.log" >&2; tail -5 "$WORK/umptcpd.log" >&2; die "the clients did not get all their answers"; }
  # Every connection's join (umptcp opens it from 10.9.6.2), up to 15 s.
  for _ in $(seq 1 150); do
    [ $(( $(ns_counter "$NS" MPTcpExtMPJoinAckRx) - join0 )) -ge "$CONNS" ] && break
    sleep 0.1
  done
  joins=$(( $(ns_counter "$NS" MPTcpExtMPJoinAckRx) - join0 ))
  sleep 2 # the last ACKs and retransmissions in
  rss1=$(rss) heap1=$(heap)
  echo "round $r: umptcpd idle $rss0 KiB VmRSS, heap $heap0 bytes; with $CONNS idle relayed connections ($joins joins at the kernel) $rss1 KiB, $heap1 bytes"
  echo "round $r: per idle relayed connection (kernel TCP in, MPTCP out, 2 subflows): heap $(( (heap1 - heap0) / CONNS )) bytes, VmRSS $(( (rss1 - rss0) * 1024 / CONNS )) bytes"
  [ "$joins" -ge "$CONNS" ] || die "only $joins of $CONNS connections got their second subflow"
  touch "$WORK/go"
  wait "$clients" || die "the clients failed"
  sleep 2 # the relayed connections end (their TIME_WAITs stay in umptcp for 60 s)
done
