#!/usr/bin/env bash
# umptcp TCP <-> Linux kernel TCP over TUN, both directions, IPv4 and IPv6, 10 MB each way,
# verified by SHA-256, with captures that tshark reads without malformed packets or TCP
# expert warnings.
source "$(dirname "$0")/lib.sh"
interop_setup tcp
BYTES=${BYTES:-10485760}
echo "seed $SEED, $BYTES bytes each way"
make_payload "$WORK/send.bin" "$BYTES"

run_client() { # FAMILY KERNEL_ADDR UMPTCP_ADDR PORT
  local tag=$1 kaddr=$2 uaddr=$3 port=$4 bind=$2 proto=TCP4
  [ "$tag" = v6 ] && bind="[$kaddr]" && proto=TCP6
  in_ns socat -u "$proto-LISTEN:$port,bind=$bind,reuseaddr" "OPEN:$WORK/recv-$tag.bin,creat,trunc" &
  PIDS+=($!)
  wait_port "$port"
  in_ns timeout 120 "$BIN/umptcp-cat" --tcp --link "tun:um0:$uaddr" --pcap "$WORK/client-$tag.pcap" \
    "$kaddr" "$port" < "$WORK/send.bin" || fail "umptcp-cat client ($tag) exited $?"
  wait "${PIDS[-1]}" || fail "kernel server ($tag) failed"
  echo "umptcp client -> kernel server ($tag):"
  same_hash "$WORK/send.bin" "$WORK/recv-$tag.bin"
  check_capture "$WORK/client-$tag.pcap" "$port"
}

run_server() { # FAMILY KERNEL_ADDR UMPTCP_ADDR PORT [-d]
  local tag=$1 uaddr_ip=$2 uaddr=$3 port=$4 opt=(${5:-})
  in_ns timeout 120 "$BIN/umptcp-cat" -l "${opt[@]}" --tcp --link "tun:um0:$uaddr" \
    --pcap "$WORK/server-$tag.pcap" "$uaddr_ip" "$port" > "$WORK/srecv-$tag.bin" < /dev/null &
  local upid=$!
  PIDS+=($upid)
  sleep 0.5
  local target="TCP4:$uaddr_ip:$port"
  [ "$tag" = v6 ] && target="TCP6:[$uaddr_ip]:$port"
  in_ns timeout 120 socat -u "OPEN:$WORK/send.bin" "$target" || fail "kernel client ($tag) failed"
  wait "$upid" || fail "umptcp-cat server ($tag) exited with an error"
  echo "kernel client -> umptcp server ($tag):"
  same_hash "$WORK/send.bin" "$WORK/srecv-$tag.bin"
  check_capture "$WORK/server-$tag.pcap" "$port"
  if [ "${opt[*]}" = -d ]; then # stdin unread: umptcp's FIN follows the kernel's
    local first
    first=$(tshark -r "$WORK/server-$tag.pcap" -Y tcp.flags.fin==1 -T fields -e tcp.srcport 2>/dev/null | head -1)
    [ "$first" != "$port" ] || fail "umptcp-cat -d sent its FIN first"
    echo "umptcp-cat -d closed after the kernel client"
  fi
}

run_client v4 10.1.1.1 10.1.1.2/24 5001
run_server v4 10.1.1.2 10.1.1.2/24 5002
run_client v6 fd00:1::1 fd00:1::2/64 5003
run_server v6 fd00:1::2 fd00:1::2/64 5004 -d
echo "4 passed, 0 failed"
