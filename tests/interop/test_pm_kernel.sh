#!/usr/bin/env bash
# A path manager outside the stack, against the Linux kernel: umptcp-cat runs with
# --path-manager userspace and a control socket, and umptcp-ctl acts on its live connection
# to a kernel MPTCP server: `csf` opens a subflow (the kernel counts the join), `set ...
# backup` sends MP_PRIO (MPTcpExtMPPrioRx), `ann` announces an address (MPTcpExtAddAddr),
# `rem` removes the subflow's ID (MPTcpExtRmAddr, the subflow closes); `show` lists the
# connection and `monitor` reports each step in ip mptcp monitor's words. The data is checked
# by SHA-256.
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

kernel_server "$port" "$WORK/recv.bin" mptcp-late
wait_port "$port"
in_ns timeout 120 "$BIN/umptcp-cat" --stats --control "$SOCK" --path-manager userspace \
  --endpoints none "${LINKS[@]}" 10.1.1.1 "$port" < "$WORK/send.bin" 2> "$WORK/cat.stats" &
upid=$!
PIDS+=($upid)
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "no control socket"
"${CTL[@]}" monitor > "$WORK/monitor.txt" &
PIDS+=($!)

wait_for() { # PATTERN: until the monitor shows it
  for _ in $(seq 1 100); do grep -qE "$1" "$WORK/monitor.txt" && return 0; sleep 0.05; done
  cat "$WORK/monitor.txt" >&2
  fail "the monitor did not show '$1'"
}
# The connection was up before the monitor listened: `show` tells its token.
token=
for _ in $(seq 1 100); do
  token=$("${CTL[@]}" show | sed -nE 's/^token ([0-9a-f]{8}) client .*/\1/p' | head -1)
  [ -n "$token" ] && break
  sleep 0.05
done
[ -n "$token" ] || fail "umptcp-ctl show lists no connection"
"${CTL[@]}" show
echo "connection token $token (as ip mptcp monitor prints it)"

joins=$(kernel_counter MPTcpExtMPJoinSynRx)
"${CTL[@]}" csf lip 10.1.2.2 lid 5 rip 10.1.1.1 rport "$port" token "$token" || fail "csf refused"
wait_for '^\[SF_ESTABLISHED\] .* locid=5 saddr4=10.1.2.2 daddr4=10.1.1.1'
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
wait_for '^\[     SF_CLOSED\] .* locid=5 '
for _ in $(seq 1 40); do [ "$(kernel_counter MPTcpExtRmAddr)" -gt "${rms:-0}" ] && break; sleep 0.05; done
[ "$(kernel_counter MPTcpExtRmAddr)" -gt "${rms:-0}" ] || fail "the kernel saw no RM_ADDR"
echo "RM_ADDR reached the kernel; the subflow closed"

"${CTL[@]}" rem token "$token" id 5 2> "$WORK/rem2.err" && fail "a second rem was taken"
grep -q "(ENOENT)" "$WORK/rem2.err" || fail "a second rem: $(cat "$WORK/rem2.err")"

wait "$upid" || { cat "$WORK/cat.stats"; fail "umptcp-cat exited with an error"; }
wait "${PIDS[1]}" || fail "kernel server failed"
same_hash "$WORK/send.bin" "$WORK/recv.bin"
[ ! -e "$SOCK" ] || fail "the control socket stayed after umptcp-cat's exit"
sed 's/^/    /' "$WORK/monitor.txt"
echo "1 passed, 0 failed"
