#!/usr/bin/env bash
# Every packet scheduler and every coupled congestion control of umptcp against the Linux
# kernel's MPTCP, one run each: umptcp-cat sends to a kernel MPTCP server over two TUN paths
# with --scheduler NAME (default congestion control) and then with --cc NAME (default
# scheduler). Each transfer is verified by SHA-256 and must use two subflows; the captures
# must be clean for tshark's MPTCP analysis; the second path must carry data, except under
# `handover`, where it must carry none (the first path never fails here); under `redundant`
# the kernel must count duplicates (MPTcpExtDuplicateData).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup schedcc
mptcp_paths_setup
BYTES=${BYTES:-4194304}
echo "seed $SEED, $BYTES bytes per transfer"
make_payload "$WORK/send.bin" "$BYTES"
port=6101

run_one() { # TAG umptcp-cat options...
  local tag=$1
  shift
  kernel_server "$port" "$WORK/recv-$tag.bin" mptcp
  wait_port "$port"
  in_ns timeout 120 "$BIN/umptcp-cat" --stats "$@" "${LINKS[@]}" --pcap "$WORK/$tag.pcap" \
    10.1.1.1 "$port" < "$WORK/send.bin" 2> "$WORK/$tag.stats" ||
    { cat "$WORK/$tag.stats"; fail "umptcp-cat ($tag) exited with an error"; }
  wait "${PIDS[-1]}" || fail "kernel server ($tag) failed"
  grep -q '^mptcp: multipath, 2 subflows' "$WORK/$tag.stats" || fail "$tag: not two MPTCP subflows"
  same_hash "$WORK/send.bin" "$WORK/recv-$tag.bin"
  n0=$(capture_check "$WORK/$tag.pcap")
  n1=$(capture_check "$WORK/$tag.pcap.1")
  echo "$tag: data packets on path 1 $n0, path 2 $n1"
  port=$((port + 1))
}

for sched in default minrtt roundrobin redundant handover blest ecf; do
  echo "== scheduler $sched"
  dups=$(kernel_counter MPTcpExtDuplicateData)
  run_one "sched-$sched" --scheduler "$sched"
  case $sched in
    handover) [ "$n1" -lt 5 ] || fail "handover: the second path carried $n1 data packets" ;;
    redundant)
      [ "$n1" -ge 100 ] || fail "redundant: the second path carried only $n1 data packets"
      [ "$(kernel_counter MPTcpExtDuplicateData)" -gt "${dups:-0}" ] ||
        fail "redundant: the kernel counted no duplicate" ;;
    *) [ "$n1" -ge 20 ] || fail "$sched: the second path carried only $n1 data packets" ;;
  esac
done
for cc in lia olia balia wvegas; do
  echo "== congestion control $cc"
  run_one "cc-$cc" --cc "$cc"
  [ "$n1" -ge 20 ] || fail "$cc: the second path carried only $n1 data packets"
done
echo "11 passed, 0 failed"
