#!/usr/bin/env bash
# Many kernel clients at once against one umptcp echo server over TUN: MPTCP clients (each
# joining over the second path) and plain TCP clients together, every stream's echo checked
# by SHA-256 against what it sent. The server closes each connection as soon as the last
# echoed bytes are queued, so a close must never lose them. Then the same under loss and
# delay on umptcp's side of both paths. CLIENTS (per kind) and MAX_KB size it.
source "$(dirname "$0")/lib.sh"
interop_setup load
CLIENTS=${CLIENTS:-50}
MAX_KB=${MAX_KB:-256}
echo "seed $SEED, $CLIENTS MPTCP and $CLIENTS TCP clients at once, up to $MAX_KB KiB each"
source "$(dirname "$0")/mptcp_lib.sh"
mptcp_paths_setup
in_ns ip mptcp limits set subflows 2 add_addr_accepted 0
in_ns ip mptcp endpoint add 10.1.2.1 dev um1 subflow

load_clients() { # PORT SALT: CLIENTS of each kind at once; fails unless every echo matches
  in_ns timeout 300 python3 - "$1" "$CLIENTS" "$MAX_KB" "$((SEED + $2))" <<'PY'
import asyncio, hashlib, random, socket, sys
port, n, max_kb, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

async def client(i, proto):
    rnd = random.Random(seed * 1000 + i)
    data = rnd.randbytes(rnd.randint(1, max_kb * 1024))
    loop = asyncio.get_running_loop()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.setblocking(False)
    # loop.sock_connect resolves the address for the socket's protocol, which getaddrinfo
    # does not know for MPTCP: connect by hand.
    if s.connect_ex(("10.1.1.2", port)) not in (0, 115):  # 115: EINPROGRESS
        raise OSError("connect failed")
    writable = loop.create_future()
    loop.add_writer(s.fileno(), writable.set_result, None)
    await writable
    loop.remove_writer(s.fileno())
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise OSError(err, "connect")
    async def send():
        await loop.sock_sendall(s, data)
        s.shutdown(socket.SHUT_WR)
    sender = asyncio.create_task(send())
    got = hashlib.sha256()
    total = 0
    while True:
        d = await loop.sock_recv(s, 65536)
        if not d:
            break
        got.update(d)
        total += len(d)
    await sender
    s.close()
    if got.digest() != hashlib.sha256(data).digest():
        return "client %d (%s): echo differs: %d of %d bytes" % (
            i, "mptcp" if proto else "tcp", total, len(data))
    return len(data)

async def main():
    kinds = [262 if i % 2 == 0 else 0 for i in range(2 * n)]
    res = await asyncio.gather(*(client(i, p) for i, p in enumerate(kinds)),
                               return_exceptions=True)
    bad = [r for r in res if not isinstance(r, int)]
    total = sum(r for r in res if isinstance(r, int))
    print("kernel clients: %d streams verified, %d bytes; %d failed" % (len(res) - len(bad), total, len(bad)))
    for b in bad[:10]:
        print("  ", b)
    sys.exit(1 if bad else 0)

asyncio.run(main())
PY
}

run_load() { # TAG PORT SALT [IMPAIRMENT]
  local tag=$1 port=$2
  in_ns timeout 300 "$BIN/umptcp-echo" --stats --seed "$SEED" --connections "$((2 * CLIENTS))" \
    --timeout 60 --link "tun:um0:10.1.1.2/24${4:-}" --link "tun:um1:10.1.2.2/24${4:-}" \
    0.0.0.0 "$port" 2> "$WORK/$tag.stats" &
  local epid=$!
  PIDS+=($epid)
  sleep 0.5
  load_clients "$port" "$3" || { cat "$WORK/$tag.stats"; fail "$tag: kernel clients failed"; }
  wait "$epid" || { cat "$WORK/$tag.stats"; fail "$tag: umptcp-echo failed"; }
  grep '^echo:' "$WORK/$tag.stats"
  local joins
  joins=$(umptcp_counter "$WORK/$tag.stats" MPTcpExtMPJoinAckRx)
  echo "$tag: $joins joins completed"
  [ "$joins" -ge 1 ] || fail "$tag: no MPTCP client joined over the second path"
}

echo "== 1. no impairment"
run_load load 7001 0
echo "== 2. 0.5 % loss and 10 ms each way on both paths"
run_load load-lossy 7002 1 ",loss=0.005,delay=10"
echo "2 passed, 0 failed"
