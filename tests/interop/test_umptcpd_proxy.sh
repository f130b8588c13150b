#!/usr/bin/env bash
# umptcpd's request and redirect relays against the kernel's MPTCP over two TUN paths, in a
# namespace, with unmodified curl as the client and a kernel MPTCP HTTP server behind:
# 1. --socks: curl --socks5 (the address) and curl --socks5-hostname (a name umptcpd resolves
#    from the namespace's /etc/hosts, which ip netns exec mounts from /etc/netns/NS/hosts);
# 2. --http-connect: curl -p -x http://... (a CONNECT tunnel);
# 3. --transparent: an nft REDIRECT rule in the namespace's output hook sends curl's own
#    connection to 10.9.8.2:8000 to umptcpd, which relays it to that original destination
#    over MPTCP. umptcpd's subflows are packets it writes to its TUN devices: no output hook
#    sees them as this host's connections, so the rule cannot catch the relay's own.
# 4. --transparent with TPROXY: curl in a client namespace behind a veth connects to
#    10.9.9.9:8000; a tproxy rule on the veth's prerouting hands it to umptcpd's listener
#    (IP_TRANSPARENT) unchanged, which relays it to 10.9.9.9:8000 over MPTCP (the kernel
#    server, 10.9.9.9 on lo). Without the rule the connection would reach the server
#    directly as TCP.
# Each body's SHA-256 matches, and the kernel server took an MP_CAPABLE SYN for each (not
# the plain TCP a direct connection would be). Then SIGTERM: exit 0.
# The server is not on umptcpd's host: a SOCKS, HTTP CONNECT or transparent destination that
# is one of the host's own addresses is refused (it would reach the host's services from the
# TUN side). It lives in a namespace of its own, 10.9.8.2 (and 10.9.9.9), behind a veth
# that umptcpd's namespace routes to, as a router would.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup umpx
mptcp_paths_setup
command -v curl >/dev/null || fail "curl is missing (make deps installs it)"
command -v nft >/dev/null || fail "nft is missing (make deps installs nftables)"
echo "seed $SEED (replay with SEED=$SEED)"
# The namespace's own hosts file, removed with it (also on failure).
mkdir -p "/etc/netns/$NS"
# (set +e: lib.sh's cleanup takes the exit status from $?, which a failing (exit) would end.)
CNS="$NS-c" SNS="$NS-s"
trap 'rc=$?; set +e; rm -rf "/etc/netns/$NS"; ip netns del "$CNS" 2>/dev/null; ip netns del "$SNS" 2>/dev/null; (exit $rc); cleanup' EXIT
printf '127.0.0.1 localhost\n10.9.8.2 mptcp-server.test\n' > "/etc/netns/$NS/hosts"

ip netns add "$SNS"
ip link add vs netns "$NS" type veth peer name vs netns "$SNS"
in_ns ip addr add 10.9.8.1/24 dev vs
in_ns ip link set vs up
in_ns ip route add 10.9.9.9/32 via 10.9.8.2
in_ns sysctl -qw net.ipv4.ip_forward=1
ip -n "$SNS" link set lo up
ip -n "$SNS" addr add 10.9.8.2/24 dev vs
ip -n "$SNS" addr add 10.9.9.9/32 dev lo
ip -n "$SNS" link set vs up
ip -n "$SNS" route add default via 10.9.8.1
ip -n "$SNS" mptcp limits set subflows 2 add_addr_accepted 0

make_payload "$WORK/body" $((4 << 20))
kernel_http_server "$WORK" 8000 "$SNS"
for _ in $(seq 1 50); do
  ip netns exec "$SNS" ss -ltnH "sport = :8000" | grep -q . && break
  sleep 0.1
done

ip netns exec "$NS" "$BIN/umptcpd" "${LINKS[@]}" --socks 127.0.0.1:1080 \
  --http-connect 127.0.0.1:3128 --transparent 127.0.0.1:7777 --transparent 0.0.0.0:7778 \
  2> "$WORK/umptcpd.log" &
UMPTCPD=$!
PIDS+=($UMPTCPD)
wait_port 1080
wait_port 3128
wait_port 7777
wait_port 7778

# NAME CURL-ARGS...: the body through umptcpd, its hash, and an MP_CAPABLE SYN at the server.
through() {
  local name=$1
  shift
  local syn0
  syn0=$(kernel_counter MPTcpExtMPCapableSYNRX "$SNS")
  rm -f "$WORK/got"
  ${CURL_NS:-in_ns} curl -sS --max-time 60 -o "$WORK/got" "$@" || {
    cat "$WORK/umptcpd.log" >&2
    fail "curl through $name failed"
  }
  same_hash "$WORK/body" "$WORK/got"
  local syn=$(( $(kernel_counter MPTcpExtMPCapableSYNRX "$SNS") - syn0 ))
  [ "$syn" -ge 1 ] || fail "$name: the kernel server saw no MP_CAPABLE SYN"
  echo "$name: 4 MiB through curl, the kernel server took $syn MP_CAPABLE SYN"
}

through "socks (address)" --socks5 127.0.0.1:1080 http://10.9.8.2:8000/body
through "socks (name)" --socks5-hostname 127.0.0.1:1080 http://mptcp-server.test:8000/body
through "http-connect" -p -x http://127.0.0.1:3128 http://10.9.8.2:8000/body
# umptcpd's own host (the TUN's kernel side) is no destination: refused, logged, counted.
in_ns curl -sS --max-time 10 -o /dev/null --socks5 127.0.0.1:1080 http://10.1.1.1:8000/ 2> /dev/null &&
  fail "a SOCKS request to umptcpd's own host was relayed"
grep -q "destination 10.1.1.1:8000 refused: this host" "$WORK/umptcpd.log" ||
  fail "umptcpd did not log the refusal of its own host"
echo "socks to this host (10.1.1.1): refused"

in_ns nft -f - <<'NFT'
table inet umpx {
  chain output {
    type nat hook output priority -100;
    ip daddr 10.9.8.2 tcp dport 8000 redirect to :7777
  }
}
NFT
through "transparent (REDIRECT)" http://10.9.8.2:8000/body

ip netns add "$CNS"
ip link add vr netns "$NS" type veth peer name vc netns "$CNS"
in_ns ip addr add 192.168.50.1/24 dev vr
in_ns ip link set vr up
ip -n "$CNS" link set lo up
ip -n "$CNS" addr add 192.168.50.2/24 dev vc
ip -n "$CNS" link set vc up
ip -n "$CNS" route add default via 192.168.50.1
in_ns ip rule add fwmark 1 lookup 100
in_ns ip route add local 0.0.0.0/0 dev lo table 100
in_ns nft -f - <<'NFT'
table ip umpxt {
  chain prerouting {
    type filter hook prerouting priority mangle;
    iifname "vr" meta l4proto tcp tproxy to :7778 meta mark set 1 accept
  }
}
NFT
in_client() {
  ip netns exec "$CNS" "$@"
}
CURL_NS=in_client through "transparent (TPROXY)" http://10.9.9.9:8000/body

# (curl's connection to 10.9.8.2, redirected, comes from 10.9.8.1.)
for want in "socks 127.0.0.1:1080: 127.0.0.1:[0-9]* -> 10.9.8.2:8000: .*MPTCP, 2 subflows" \
            "http-connect 127.0.0.1:3128: 127.0.0.1:[0-9]* -> 10.9.8.2:8000: .*MPTCP, 2 subflows" \
            "transparent 127.0.0.1:7777: 10.9.8.1:[0-9]* -> 10.9.8.2:8000: .*MPTCP, 2 subflows" \
            "transparent 0.0.0.0:7778: 192.168.50.2:[0-9]* -> 10.9.9.9:8000: .*MPTCP, 2 subflows"; do
  grep -q "relay: $want" "$WORK/umptcpd.log" || {
    cat "$WORK/umptcpd.log" >&2
    fail "umptcpd logged no line matching '$want'"
  }
done
[ "$(grep -c 'relay: socks .* -> 10.9.8.2:8000: .*closed' "$WORK/umptcpd.log")" -eq 2 ] ||
  fail "umptcpd did not log both SOCKS connections as closed"

stop_umptcpd "$UMPTCPD"
echo "PASS"
