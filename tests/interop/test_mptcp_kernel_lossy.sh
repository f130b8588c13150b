#!/usr/bin/env bash
# The kernel interop cases again under loss and delay: 1 % loss and 20 ms one way on both
# paths, both directions, applied on umptcp's side of the TUN devices (the kernel here has
# no netem; umptcp-cat's --link takes the emulator's models). Two paths each time:
#   1. umptcp client -> kernel server, IPv4;
#   2. kernel client <-> umptcp server, IPv4, checksums on;
#   3. umptcp client -> kernel server, IPv6, checksums on;
#   4. kernel client <-> umptcp server, IPv6.
# Every transfer is verified by SHA-256; the impairment's draws come from SEED.
source "$(dirname "$0")/lib.sh"
interop_setup lossy
BYTES=${BYTES:-4194304}
IMPAIR=${IMPAIR:-,loss=0.01,delay=20}
echo "seed $SEED, $BYTES bytes per transfer, impairment '$IMPAIR' on both paths"
make_payload "$WORK/send.bin" "$BYTES"
make_payload "$WORK/send2.bin" "$BYTES" 1
source "$(dirname "$0")/mptcp_lib.sh"
mptcp_paths_setup

echo "== 1. umptcp client -> kernel server, IPv4"
case_client lossy-client 6101

echo "== 2. kernel client <-> umptcp server, IPv4, checksums on"
in_ns sysctl -q net.mptcp.checksum_enabled=1
case_server lossy-server 6102
grep -q 'checksums on' "$WORK/lossy-server.stats" || fail "checksums were not negotiated"
in_ns sysctl -q net.mptcp.checksum_enabled=0

echo "== 3. umptcp client -> kernel server, IPv6, checksums on"
in_ns sysctl -q net.mptcp.checksum_enabled=1
case_client lossy-client6 6103 v6
grep -q 'checksums on' "$WORK/lossy-client6.stats" || fail "checksums were not negotiated"
in_ns sysctl -q net.mptcp.checksum_enabled=0

echo "== 4. kernel client <-> umptcp server, IPv6"
case_server lossy-server6 6104 v6
for t in lossy-client lossy-server lossy-client6 lossy-server6; do
  printf '%-14s TcpRetransSegs %s\n' "$t" "$(umptcp_counter "$WORK/$t.stats" TcpRetransSegs)"
done
echo "4 passed, 0 failed"
