#!/usr/bin/env bash
# Path management through the control socket, against the Linux kernel. 1: umptcp-cat runs with
# --path-manager userspace and a control socket, and umptcp-ctl acts on its live connection
# to a kernel MPTCP server: `csf` opens a subflow (the kernel counts the join), `set ...
# backup` sends MP_PRIO (MPTcpExtMPPrioRx), `ann` announces an address (MPTcpExtAddAddr),
# `rem` removes the subflow's ID (MPTcpExtRmAddr, the subflow closes); `show` lists the
# connection and `monitor` reports each step in ip mptcp monitor's words. 2: the built-in
# manager steered the same way mid-transfer: `endpoint change ... backup` (MP_PRIO) and
# `endpoint delete` (RM_ADDR). 3: umptcp as the server with the userspace manager: `ann`
# makes the kernel client join umptcp's second address. 4: tools/umptcp-pm, a manager in
# another process: it adopts the running connection, opens the second address's subflow as
# backup, opens it again after the kernel resets it, removes the address when its
# endpoint goes and opens its subflow again when it comes back. The data is checked by
# SHA-256.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mptcp_lib.sh"
interop_setup pm
mptcp_paths_setup
BYTES=${BYTES:-16777216}
echo "seed $SEED, $BYTES bytes"
make_payload "$WORK/send.bin" "$BYTES"
SOCK=$WORK/ctl.sock
CTL=("$BIN/umptcp-ctl" -s "$SOCK")
port=6301
echo "== 1. umptcp client, userspace manager: csf, set backup, ann, rem through umptcp-ctl"

kernel_server "$port" "$WORK/recv.bin" mptcp-late
kpid=${PIDS[-1]}
wait_port "$port"
in_ns timeout 120 "$BIN/umptcp-cat" --stats --control "$SOCK" --path-manager userspace \
  --endpoints none "${LINKS[@]}" 10.1.1.1 "$port" < "$WORK/send.bin" 2> "$WORK/cat.stats" &
upid=$!
PIDS+=($upid)
wait_socket
"${CTL[@]}" monitor > "$WORK/monitor.txt" &
PIDS+=($!)

# The connection was up before the monitor listened: `show` tells its token, once its first
# subflow is established (a SYN the fresh TUN device lost is sent again after 1 s).
token=
for _ in $(seq 1 100); do
  shown=$({ "${CTL[@]}" show 2>> "$WORK/show.err" || true; })
  token=$(grep -q ' ESTAB ' <<<"$shown" && sed -nE 's/^token ([0-9a-f]{8}) client .*/\1/p' <<<"$shown" | head -1 || true)
  [ -n "$token" ] && break
  sleep 0.05
done
[ -n "$token" ] || { cat "$WORK/show.err" >&2; fail "umptcp-ctl show lists no connection"; }
"${CTL[@]}" show
echo "connection token $token (as ip mptcp monitor prints it)"

joins=$(kernel_counter MPTcpExtMPJoinSynRx)
"${CTL[@]}" csf lip 10.1.2.2 lid 5 rip 10.1.1.1 rport "$port" token "$token" || fail "csf refused"
wait_for '^\[SF_ESTABLISHED\] .* locid=5 saddr4=10.1.2.2 daddr4=10.1.1.1' "$WORK/monitor.txt"
[ "$(kernel_counter MPTcpExtMPJoinSynRx)" -gt "${joins:-0}" ] || fail "the kernel saw no join"
sport=$(grep -m1 SF_ESTABLISHED "$WORK/monitor.txt" | sed -E 's/.* sport=([0-9]+).*/\1/')
echo "subflow from 10.1.2.2 port $sport joined"

prio=$(kernel_counter MPTcpExtMPPrioRx)
"${CTL[@]}" set 10.1.2.2 port "$sport" flags backup token "$token" rip 10.1.1.1 rport "$port" ||
  fail "set backup refused"
for _ in $(seq 1 40); do [ "$(kernel_counter MPTcpExtMPPrioRx)" -gt "${prio:-0}" ] && break; sleep 0.05; done
[ "$(kernel_counter MPTcpExtMPPrioRx)" -gt "${prio:-0}" ] || fail "the kernel saw no MP_PRIO"
echo "MP_PRIO reached the kernel"

adds=$(kernel_counter MPTcpExtAddAddr)
"${CTL[@]}" ann 10.1.2.2 token "$token" id 7 || fail "ann refused"
for _ in $(seq 1 40); do [ "$(kernel_counter MPTcpExtAddAddr)" -gt "${adds:-0}" ] && break; sleep 0.05; done
[ "$(kernel_counter MPTcpExtAddAddr)" -gt "${adds:-0}" ] || fail "the kernel took no ADD_ADDR (its HMAC?)"
echo "ADD_ADDR reached the kernel, HMAC checked"

rms=$(kernel_counter MPTcpExtRmAddr)
"${CTL[@]}" rem token "$token" id 5 || fail "rem refused"
wait_for '^\[     SF_CLOSED\] .* locid=5 ' "$WORK/monitor.txt"
for _ in $(seq 1 40); do [ "$(kernel_counter MPTcpExtRmAddr)" -gt "${rms:-0}" ] && break; sleep 0.05; done
[ "$(kernel_counter MPTcpExtRmAddr)" -gt "${rms:-0}" ] || fail "the kernel saw no RM_ADDR"
echo "RM_ADDR reached the kernel; the subflow closed"

"${CTL[@]}" rem token "$token" id 5 2> "$WORK/rem2.err" && fail "a second rem was taken"
grep -q "(ENOENT)" "$WORK/rem2.err" || fail "a second rem: $(cat "$WORK/rem2.err")"

wait "$upid" || { cat "$WORK/cat.stats"; fail "umptcp-cat exited with an error"; }
wait "$kpid" || fail "kernel server failed"
same_hash "$WORK/send.bin" "$WORK/recv.bin"
[ ! -e "$SOCK" ] || fail "the control socket stayed after umptcp-cat's exit"
sed 's/^/    /' "$WORK/monitor.txt"

echo "== 2. umptcp client, built-in manager: endpoint change backup, then delete, mid-transfer"
port=6302
kernel_server "$port" "$WORK/recv2.bin" mptcp-late
kpid=${PIDS[-1]}
wait_port "$port"
in_ns timeout 120 "$BIN/umptcp-cat" --stats --control "$SOCK" "${LINKS[@]}" 10.1.1.1 "$port" \
  < "$WORK/send.bin" 2> "$WORK/cat2.stats" &
upid=$!
PIDS+=($upid)
for _ in $(seq 1 100); do
  [ "$("${CTL[@]}" show 2>/dev/null | grep -c 'subflow locid')" -ge 2 ] && break
  sleep 0.05
done
"${CTL[@]}" show
[ "$("${CTL[@]}" show | grep -c 'subflow locid')" -ge 2 ] || fail "the endpoint's subflow did not come up"
"${CTL[@]}" endpoint show | grep -q '^10.1.2.2 id 1 subflow $' || fail "endpoint show: $("${CTL[@]}" endpoint show)"
prio=$(kernel_counter MPTcpExtMPPrioRx)
"${CTL[@]}" endpoint change id 1 backup || fail "endpoint change refused"
counter_grows MPTcpExtMPPrioRx "$prio"
echo "endpoint change backup: MP_PRIO reached the kernel"
rms=$(kernel_counter MPTcpExtRmAddr)
"${CTL[@]}" endpoint delete id 1 || fail "endpoint delete refused"
counter_grows MPTcpExtRmAddr "$rms"
echo "endpoint delete: RM_ADDR reached the kernel"
wait "$upid" || { cat "$WORK/cat2.stats"; fail "umptcp-cat exited with an error"; }
wait "$kpid" || fail "kernel server failed"
same_hash "$WORK/send.bin" "$WORK/recv2.bin"

echo "== 3. umptcp server, userspace manager: ann makes the kernel client join umptcp"
port=6303
in_ns ip mptcp limits set subflows 2 add_addr_accepted 1
in_ns timeout 120 "$BIN/umptcp-cat" -l -d --stats --control "$SOCK" --path-manager userspace \
  "${LINKS[@]}" 0.0.0.0 "$port" > "$WORK/srecv3.bin" 2> "$WORK/cat3.stats" &
upid=$!
PIDS+=($upid)
wait_socket
"${CTL[@]}" monitor > "$WORK/monitor3.txt" &
PIDS+=($!)
sleep 0.3 # subscribed before the client comes: the manager listens, joins are taken
kernel_client 10.1.1.2 "$port" "$WORK/send.bin" "$WORK/crecv3.bin" > "$WORK/client3.out" &
cpid=$!
wait_for '^\[   ESTABLISHED\] token=[0-9a-f]{8} .*flags=2' "$WORK/monitor3.txt"
token=$(grep -m1 ESTABLISHED "$WORK/monitor3.txt" | sed -E 's/.*token=([0-9a-f]{8}).*/\1/')
adds=$(kernel_counter MPTcpExtAddAddr)
"${CTL[@]}" ann 10.1.2.2 token "$token" id 3 || fail "ann refused"
counter_grows MPTcpExtAddAddr "$adds"
wait_for '^\[SF_ESTABLISHED\] .* remid=[0-9]+ locid=3 saddr4=10.1.2.2' "$WORK/monitor3.txt"
echo "ann: the kernel client joined umptcp's 10.1.2.2"
wait "$cpid" || fail "kernel client failed"
cat "$WORK/client3.out"
grep -q "1 extra subflow" "$WORK/client3.out" || fail "the kernel client saw no extra subflow"
wait "$upid" || { cat "$WORK/cat3.stats"; fail "umptcp-cat -l exited with an error"; }
same_hash "$WORK/send.bin" "$WORK/srecv3.bin"
sed 's/^/    /' "$WORK/monitor3.txt"

echo "== 4. an external path manager (tools/umptcp-pm, the control socket only)"
port=6304
# Five steps, each waiting for the kernel: the server reads only after 10 s, so that the
# connection outlives them even on a loaded machine.
kernel_server "$port" "$WORK/recv4.bin" mptcp-late:10
kpid=${PIDS[-1]}
wait_port "$port"
in_ns timeout 120 "$BIN/umptcp-cat" --stats --control "$SOCK" --path-manager userspace \
  "${LINKS[@]}" 10.1.1.1 "$port" < "$WORK/send.bin" 2> "$WORK/cat4.stats" &
upid=$!
PIDS+=($upid)
wait_socket
joins=$(kernel_counter MPTcpExtMPJoinSynRx) backups=$(kernel_counter MPTcpExtMPJoinSynBackupRx)
"$BIN/umptcp-pm" -s "$SOCK" -v > "$WORK/pm.log" 2>&1 &
PIDS+=($!)
# It adopts the running connection: a subflow from 10.1.2.2 (endpoint 1), marked backup.
counter_grows MPTcpExtMPJoinSynRx "$joins"
counter_grows MPTcpExtMPJoinSynBackupRx "$backups"
echo "umptcp-pm opened the second address's subflow, as backup"
sleep 0.3
# The kernel resets that subflow (ss -K): umptcp-pm opens it again about 1 s later.
joins=$(kernel_counter MPTcpExtMPJoinSynRx)
in_ns ss -K src 10.1.1.1 dst 10.1.2.2 > /dev/null 2>&1 # (it also says "Invalid argument" of other sockets)
for _ in $(seq 1 60); do [ "$(kernel_counter MPTcpExtMPJoinSynRx)" -gt "$joins" ] && break; sleep 0.1; done
[ "$(kernel_counter MPTcpExtMPJoinSynRx)" -gt "$joins" ] || { cat "$WORK/pm.log"; fail "umptcp-pm did not open the lost subflow again"; }
grep -q "lost (error 104): again in 1 s" "$WORK/pm.log" || { cat "$WORK/pm.log"; fail "umptcp-pm did not see the reset"; }
echo "after the kernel's reset, umptcp-pm opened the subflow again"
# The address goes: umptcp-pm removes it from the connection (RM_ADDR).
rms=$(kernel_counter MPTcpExtRmAddr)
"${CTL[@]}" endpoint delete id 1
counter_grows MPTcpExtRmAddr "$rms"
echo "the address removed: umptcp-pm sent RM_ADDR"
# It comes back: umptcp-pm opens its subflow on the running connection again.
joins=$(kernel_counter MPTcpExtMPJoinSynRx)
"${CTL[@]}" endpoint add 10.1.2.2 id 2
counter_grows MPTcpExtMPJoinSynRx "$joins"
grep -q "address added: 10.1.2.2 id 2" "$WORK/pm.log" || { cat "$WORK/pm.log"; fail "umptcp-pm did not see the address come"; }
echo "the address added again: umptcp-pm opened its subflow"
wait "$upid" || { cat "$WORK/cat4.stats"; fail "umptcp-cat exited with an error"; }
wait "$kpid" || fail "kernel server failed"
same_hash "$WORK/send.bin" "$WORK/recv4.bin"
sed 's/^/    /' "$WORK/pm.log"
echo "4 passed, 0 failed"
