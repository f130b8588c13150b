#!/usr/bin/env bash
# Endpoints the two in-kernel managers exchange, against the Linux kernel. 1: the kernel's
# `fullmesh` endpoint: a kernel client with `subflow fullmesh` on 10.1.2.1 opens a subflow
# from it to every address umptcp has (the one it connected to and the one umptcp-cat
# announces), and umptcp's server takes both joins. 2: the kernel's endpoint with a port:
# the kernel server announces 10.1.2.1 port 10100 (its own listener there) and umptcp's
# built-in manager joins that port. 3: umptcp's endpoint with a port: umptcp-cat -l
# announces 10.1.2.2 port 7100, listens there (LISTENER_CREATED) and the kernel client
# joins it. Each transfer is checked by SHA-256, umptcp as server (1, 3) and as client (2).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup pmep
mptcp_paths_setup
BYTES=${BYTES:-8388608}
echo "seed $SEED, $BYTES bytes"
make_payload "$WORK/send.bin" "$BYTES"
SOCK=$WORK/ctl.sock
CTL=("$BIN/umptcp-ctl" -s "$SOCK")
umptcp_server() { # PORT TAG ENDPOINTS: umptcp-cat -l with a control socket, and a monitor on it
  in_ns timeout 120 "$BIN/umptcp-cat" -l -d --stats --control "$SOCK" --endpoints "$3" \
    "${LINKS[@]}" 0.0.0.0 "$1" > "$WORK/srecv-$2.bin" 2> "$WORK/$2.stats" &
  upid=$!
  PIDS+=($upid)
  wait_socket
  "${CTL[@]}" monitor > "$WORK/monitor-$2.txt" &
  PIDS+=($!)
}

echo "== 1. the kernel's fullmesh endpoint joins every umptcp address"
port=6401
in_ns ip mptcp endpoint flush
in_ns ip mptcp endpoint add 10.1.2.1 dev um1 subflow fullmesh
in_ns ip mptcp limits set subflows 4 add_addr_accepted 2
umptcp_server "$port" fm signal
"${CTL[@]}" limits set subflows 4 add_addr_accepted 0 || fail "limits refused"
joins_before=$(kernel_counter MPTcpExtMPJoinSynAckRx)
kernel_client 10.1.1.2 "$port" "$WORK/send.bin" "$WORK/crecv-fm.bin" > "$WORK/client-fm.out" &
cpid=$!
wait_for '^\[SF_ESTABLISHED\] .* saddr4=10.1.1.2 daddr4=10.1.2.1 ' "$WORK/monitor-fm.txt"
wait_for '^\[SF_ESTABLISHED\] .* saddr4=10.1.2.2 daddr4=10.1.2.1 ' "$WORK/monitor-fm.txt"
wait "$cpid" || fail "kernel client failed"
wait "$upid" || { cat "$WORK/fm.stats"; fail "umptcp-cat -l exited with an error"; }
same_hash "$WORK/send.bin" "$WORK/srecv-fm.bin"
[ "$(kernel_counter MPTcpExtMPJoinSynAckRx)" -ge $((${joins_before:-0} + 2)) ] ||
  fail "the kernel did not complete two joins"
[ "$(grep -c SF_ESTABLISHED "$WORK/monitor-fm.txt")" -eq 2 ] || fail "not exactly two joins"
grep SF_ESTABLISHED "$WORK/monitor-fm.txt" | sed 's/^/    /'
echo "fullmesh: the kernel joined from 10.1.2.1 to both of umptcp's addresses"

echo "== 2. the kernel's endpoint with a port: umptcp joins it"
port=6402
in_ns ip mptcp endpoint flush
in_ns ip mptcp endpoint add 10.1.2.1 dev um1 port 10100 signal
in_ns ip mptcp limits set subflows 2 add_addr_accepted 0
kernel_server "$port" "$WORK/recv-kp.bin" mptcp
kpid=${PIDS[-1]}
wait_port "$port"
portjoins=$(kernel_counter MPTcpExtMPJoinPortSynRx)
in_ns timeout 120 "$BIN/umptcp-cat" --stats --endpoints none --add-addr-accepted 1 \
  "${LINKS[@]}" 10.1.1.1 "$port" < "$WORK/send.bin" 2> "$WORK/kp.stats" ||
  { cat "$WORK/kp.stats"; fail "umptcp-cat exited with an error"; }
wait "$kpid" || fail "kernel server failed"
same_hash "$WORK/send.bin" "$WORK/recv-kp.bin"
[ "$(kernel_counter MPTcpExtMPJoinPortSynRx)" -gt "${portjoins:-0}" ] ||
  fail "the kernel saw no join at its port"
[ "$(umptcp_counter "$WORK/kp.stats" MPTcpExtAddAddr)" -ge 1 ] || fail "umptcp took no ADD_ADDR"
[ "$(umptcp_counter "$WORK/kp.stats" MPTcpExtMPJoinPortSynAckRx)" -eq 1 ] ||
  fail "umptcp did not join the announced port"
grep -q '^mptcp: multipath, 2 subflows' "$WORK/kp.stats" || fail "not two subflows"
echo "port: umptcp joined 10.1.2.1 port 10100 (kernel MPTcpExtMPJoinPortSynRx moved)"

echo "== 3. umptcp's endpoint with a port: the kernel joins it"
port=6403
in_ns ip mptcp endpoint flush
in_ns ip mptcp limits set subflows 2 add_addr_accepted 1
umptcp_server "$port" up none
"${CTL[@]}" endpoint add 10.1.2.2 port 7100 signal || fail "endpoint add with a port refused"
"${CTL[@]}" endpoint show | grep -q '^10.1.2.2 port 7100 id 1 signal $' ||
  fail "endpoint show: $("${CTL[@]}" endpoint show)"
synacks=$(kernel_counter MPTcpExtMPJoinPortSynAckRx)
kernel_client 10.1.1.2 "$port" "$WORK/send.bin" "$WORK/crecv-up.bin" > "$WORK/client-up.out" &
cpid=$!
wait_for '^\[LISTENER_CREATED\] saddr4=10.1.2.2 sport=7100' "$WORK/monitor-up.txt"
wait_for '^\[SF_ESTABLISHED\] .* saddr4=10.1.2.2 daddr4=10.1.2.1 sport=7100 ' "$WORK/monitor-up.txt"
wait "$cpid" || fail "kernel client failed"
wait "$upid" || { cat "$WORK/up.stats"; fail "umptcp-cat -l exited with an error"; }
same_hash "$WORK/send.bin" "$WORK/srecv-up.bin"
[ "$(kernel_counter MPTcpExtMPJoinPortSynAckRx)" -gt "${synacks:-0}" ] ||
  fail "the kernel did not count its join to a port"
[ "$(umptcp_counter "$WORK/up.stats" MPTcpExtMPJoinPortSynRx)" -eq 1 ] ||
  fail "umptcp did not count the join at its port"
wait_for '^\[LISTENER_CLOSED\] saddr4=10.1.2.2 sport=7100' "$WORK/monitor-up.txt"
sed 's/^/    /' "$WORK/monitor-up.txt"
echo "port: the kernel joined umptcp's 10.1.2.2 port 7100"
echo "3 passed, 0 failed"
