#!/usr/bin/env bash
# umptcp-cat --tcp over a TUN device, sending to and receiving from a kernel TCP peer, with
# the TUN's segmentation offloads and without (offload=0), against kernel -> kernel over a
# veth pair, in the same round. Prints Gbit/s and the TUN system calls per MiB. Needs root.
# Usage: tun_vs_veth.sh BIN_DIR [MBYTES] [ROUNDS]
set -euo pipefail
BIN=${1:?usage: $0 BIN_DIR [MBYTES] [ROUNDS]}
MB=${2:-512}
ROUNDS=${3:-3}
NS1=umb-tun-$$ NS2=umb-va-$$ NS3=umb-vb-$$
cleanup() { for n in $NS1 $NS2 $NS3; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "tun_vs_veth: needs root" >&2; exit 1; }

ip netns add $NS1
ip -n $NS1 link set lo up
ip -n $NS1 tuntap add dev um0 mode tun
ip -n $NS1 addr add 10.9.1.1/24 dev um0
ip -n $NS1 link set um0 up
ip netns add $NS2
ip netns add $NS3
ip link add vb0 netns $NS2 type veth peer name vb1 netns $NS3
ip -n $NS2 addr add 10.9.2.1/24 dev vb0
ip -n $NS3 addr add 10.9.2.2/24 dev vb1
ip -n $NS2 link set vb0 up
ip -n $NS3 link set vb1 up
ip -n $NS2 link set lo up
ip -n $NS3 link set lo up

secs() { date +%s.%N; }
rate() { python3 -c "import sys; print(f'{$MB*8*1048576/($2-$1)/1e9:.2f}')" ; }
ratio_of() { python3 -c "print(f'{$1/$2:.2f}')"; }

wait_listen() { # NS PORT
  for _ in $(seq 1 50); do ip netns exec "$1" ss -ltnH "sport = :$2" | grep -q . && return 0; sleep 0.1; done
  return 1
}

# System calls per MiB from umptcp-cat's --stats line for the TUN link (reads, the reads that
# found nothing, writes).
syscalls_per_mib() { # STATS_FILE
  python3 - "$1" "$MB" <<'PY'
import re, sys
line = [l for l in open(sys.argv[1]) if l.startswith("tun ")][-1]
r, w = int(re.search(r"(\d+) reads", line).group(1)), int(re.search(r"(\d+) writes", line).group(1))
e = int(re.search(r"(\d+) that found nothing", line).group(1))
print(f"{(r + e + w) / float(sys.argv[2]):.0f}")
PY
}
gbps() { python3 -c "print(f'{$MB*8*1048576/($2-$1)/1e9:.3f}')"; }

port=6000
for r in $(seq 1 "$ROUNDS"); do
  for mode in 1 0; do
    name=$([ $mode = 1 ] && echo "offloads" || echo "plain   ")
    # umptcp sends: umptcp-cat -> kernel socat
    port=$((port + 1))
    ip netns exec $NS1 socat -b 262144 -u TCP4-LISTEN:$port,bind=10.9.1.1,reuseaddr - > /dev/null &
    wait_listen $NS1 $port
    t0=$(secs)
    head -c $((MB * 1048576)) /dev/zero |
      ip netns exec $NS1 "$BIN/umptcp-cat" --stats --tcp --link tun:um0:10.9.1.2/24,offload=$mode 10.9.1.1 $port 2> /tmp/umb-stats-$$
    t1=$(secs)
    wait
    send=$(gbps "$t0" "$t1") send_sc=$(syscalls_per_mib /tmp/umb-stats-$$)
    # umptcp receives: kernel socat -> umptcp-cat -l
    port=$((port + 1))
    ip netns exec $NS1 "$BIN/umptcp-cat" -l -d --stats --tcp --link tun:um0:10.9.1.2/24,offload=$mode 10.9.1.2 $port > /dev/null 2> /tmp/umb-stats-$$ &
    cat_pid=$!
    sleep 0.5
    t0=$(secs)
    head -c $((MB * 1048576)) /dev/zero | ip netns exec $NS1 socat -b 262144 -u - TCP4:10.9.1.2:$port
    wait $cat_pid
    t1=$(secs)
    recv=$(gbps "$t0" "$t1") recv_sc=$(syscalls_per_mib /tmp/umb-stats-$$)
    # the kernel both ways over veth
    port=$((port + 1))
    ip netns exec $NS2 socat -b 262144 -u TCP4-LISTEN:$port,bind=10.9.2.1,reuseaddr - > /dev/null &
    wait_listen $NS2 $port
    t0=$(secs)
    head -c $((MB * 1048576)) /dev/zero | ip netns exec $NS3 socat -b 262144 -u - TCP4:10.9.2.1:$port
    t1=$(secs)
    wait
    veth=$(gbps "$t0" "$t1")
    echo "round $r, TUN $name: umptcp sends $send Gbit/s ($send_sc syscalls/MiB), receives $recv Gbit/s ($recv_sc syscalls/MiB); kernel over veth $veth Gbit/s; ratios $(ratio_of "$send" "$veth") / $(ratio_of "$recv" "$veth")"
  done
done
rm -f /tmp/umb-stats-$$
