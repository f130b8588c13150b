#!/usr/bin/env bash
# umptcp-ctl against a stack serving a control socket (tests/cli/ctl_peer.c): endpoints and
# limits in ip mptcp's words and output, JSON with -j, counters, and every kind of refusal
# with a one-line reason and exit status 1. Events and the userspace commands against live
# connections are in tests/sim/test_ctl.c and the interop tests.
set -uo pipefail
BIN=${1:?usage: $0 BIN_DIR}
S=$(mktemp -u /tmp/umptcp-ctl-cli.XXXXXX)
"$BIN/ctl_peer" "$S" &
PEER=$!
cleanup() { kill "$PEER" 2>/dev/null; wait "$PEER" 2>/dev/null; rm -f "$S"; }
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
wait_serving "$S" || { echo "FAIL: ctl_peer does not serve $S"; exit 1; }
[ "$(stat -c %a "$S")" = 600 ] || { echo "FAIL: the socket's mode is not 0600"; exit 1; }
ctl() { "$BIN/umptcp-ctl" -s "$S" "$@"; }
expect 0 "limits show, the defaults" "^add_addr_accepted 0 subflows 2 $" -- ctl limits show
expect 0 "limits set" "^$" -- ctl limits set subflows 3 add_addr_accepted 2
expect 0 "limits show after set" "^add_addr_accepted 2 subflows 3 $" -- ctl limits show
expect 1 "limits above 8" "bad subflows '9'" -- ctl limits set subflows 9
expect 0 "endpoint add with id and flags" "^$" -- ctl endpoint add 10.0.1.1 id 4 subflow backup
expect 0 "endpoint add IPv6, next id" "^$" -- ctl endpoint add fd00::5 dev um1 signal
expect 0 "endpoint show" "^10.0.1.1 id 4 subflow backup $" -- ctl endpoint show
expect 0 "endpoint show, second" "^fd00::5 id 5 signal $" -- ctl endpoint show
expect 0 "endpoint change keeps what is not named" "^$" -- ctl endpoint change id 4 nobackup fullmesh
expect 0 "endpoint show id" "^10.0.1.1 id 4 subflow fullmesh $" -- ctl endpoint show id 4
expect 1 "signal with fullmesh refused" "\(EINVAL\)" -- ctl endpoint change id 5 fullmesh
expect 0 "JSON" '^\{"id":1,"endpoints":\[\{"addr4":"10.0.1.1","id":4,"flags":\["subflow","fullmesh"\]\}' -- ctl -j endpoint show
expect 1 "duplicate address" "\(EEXIST\)" -- ctl endpoint add 10.0.1.1
expect 1 "bad address" "bad address '10.0.1'" -- ctl endpoint add 10.0.1
expect 1 "unknown flag word" "unexpected argument 'sometimes'" -- ctl endpoint add 10.0.2.1 sometimes
expect 0 "endpoint delete id ADDR" "^$" -- ctl endpoint delete id 4 10.0.1.1
expect 1 "endpoint delete again" "no endpoint with this id \(ENOENT\)" -- ctl endpoint delete id 4
expect 1 "delete without id" "id is required" -- ctl endpoint delete
expect 1 "a port without signal" "endpoint not added \(EINVAL\)" -- ctl endpoint add 10.0.2.1 port 7000 subflow
expect 0 "endpoint add with a port" "^$" -- ctl endpoint add 10.0.2.1 port 7000 signal
expect 0 "the port where ip mptcp shows it" "^10.0.2.1 port 7000 id 6 signal $" -- ctl endpoint show id 6
expect 0 "the same address, another port" "^$" -- ctl endpoint add 10.0.2.1 port 7001 signal
expect 1 "the same address and port twice" "\(EEXIST\)" -- ctl endpoint add 10.0.2.1 port 7000 signal
expect 0 "endpoint flush" "^$" -- ctl endpoint flush
expect 0 "nothing left" "^$" -- ctl endpoint show
expect 1 "ann: unknown token, hex as monitor prints it" "not announced \(ENOENT\)" -- ctl ann 10.0.1.1 token 0a0b0c0d id 3
expect 1 "ann: bad token" "bad token 'x1'" -- ctl ann 10.0.1.1 token x1 id 3
expect 1 "ann: id required" "id is required" -- ctl ann 10.0.1.1 token 5
expect 1 "rem: unknown token" "not removed \(ENOENT\)" -- ctl rem token 123 id 3
expect 1 "csf: unknown token" "subflow not created \(ENOENT\)" -- ctl csf lip 10.0.1.1 lid 3 rip 10.0.0.2 rport 80 token 0x10
expect 1 "dsf: lport required" "lport is required" -- ctl dsf lip 10.0.1.1 rip 10.0.0.2 rport 80 token 7
expect 1 "set: bad flags" "flags backup or nobackup" -- ctl set 10.0.1.1 port 1 flags maybe token 5 rip 10.0.0.2 rport 80
expect 1 "unknown object" "unknown object or command 'route'" -- ctl route show
expect 0 "stat like nstat" "^CtlRequests +[0-9]+$" -- ctl stat
expect 0 "show, no connection (JSON)" '^\{"id":1,"connections":\[\],"ok":true\}$' -- ctl -j show
expect 1 "show: unknown argument" "unexpected argument 'all'" -- ctl show all
expect 1 "show token: none such" "no connection with this token \(ENOENT\)" -- ctl show token 0a0b0c0d
expect 0 "show a page (JSON)" '^\{"id":1,"connections":\[\],"more":false,"ok":true\}$' -- ctl -j show after 5 limit 10
expect 1 "show: token with a page" "\(EINVAL\)" -- ctl show token 5 limit 10
if "$BIN/umptcp-ctl" -s /nonexistent/sock limits show 2>/tmp/umptcp-ctl-err.$$; then
  failed=$((failed + 1)); echo "FAIL: no socket, yet exit 0"
elif grep -q "cannot reach the control socket /nonexistent/sock" /tmp/umptcp-ctl-err.$$; then
  pass=$((pass + 1))
else
  failed=$((failed + 1)); echo "FAIL: no socket: $(cat /tmp/umptcp-ctl-err.$$)"
fi
rm -f /tmp/umptcp-ctl-err.$$
# umptcp-pm whose stack goes away: a non-zero exit with the reason (it exited 0, as if all
# were well, while nothing managed the paths any more).
clients() { ctl -j stat | grep -oE '"CtlClients":[0-9]+' | cut -d: -f2; }
c0=$(clients)
PMERR=$(mktemp)
"$BIN/umptcp-pm" -s "$S" 2>"$PMERR" &
PM=$!
for k in $(seq 1 50); do
  [ "$(clients)" -ge $((c0 + k + 1)) ] && break # the pm is one more than these calls
  sleep 0.1
done
kill "$PEER"; wait "$PEER"
wait "$PM"
pmrc=$?
if [ "$pmrc" -ne 0 ] && grep -q "umptcp-pm: the control socket closed" "$PMERR"; then
  pass=$((pass + 1))
else
  failed=$((failed + 1)); echo "FAIL: umptcp-pm after its stack ended: exit $pmrc, $(cat "$PMERR")"
fi
rm -f "$PMERR"
# The default socket: $XDG_RUNTIME_DIR/umptcp.sock, else root's /run/umptcp/umptcp.sock;
# never /tmp/umptcp.sock, where any user could pose as the server.
XDG=$(mktemp -d)
"$BIN/ctl_peer" "$XDG/umptcp.sock" & PEER2=$!
wait_serving "$XDG/umptcp.sock"
expect 0 "default: \$XDG_RUNTIME_DIR/umptcp.sock" "^add_addr_accepted 0 subflows 2 $" -- \
  env -u UMPTCP_CTL XDG_RUNTIME_DIR="$XDG" "$BIN/umptcp-ctl" limits show
expect 1 "UMPTCP_CTL before XDG_RUNTIME_DIR" "control socket $XDG/other.sock:" -- \
  env UMPTCP_CTL="$XDG/other.sock" XDG_RUNTIME_DIR="$XDG" "$BIN/umptcp-ctl" limits show
if [ "$(id -u)" = 0 ]; then
  expect 1 "default for root (no -s)" "control socket /run/umptcp/umptcp.sock:" -- \
    env -u UMPTCP_CTL -u XDG_RUNTIME_DIR "$BIN/umptcp-ctl" limits show
fi
env -u UMPTCP_CTL XDG_RUNTIME_DIR="$XDG" timeout 1 "$BIN/umptcp-pm" 2>/dev/null
expect 0 "umptcp-pm found it there too" '"CtlRequests":[3-9]' -- \
  "$BIN/umptcp-ctl" -j -s "$XDG/umptcp.sock" stat
kill "$PEER2"; wait "$PEER2"
rm -rf "$XDG"
# A stand-in server (Python) that tells its client events were lost: umptcp-ctl monitor
# prints it; umptcp-pm reads show again and adopts the connection it finds there.
FAKE=$(mktemp -u /tmp/umptcp-ctl-fake.XXXXXX)
fake() { # fake MODE: serves one client at $FAKE, exits 0 when it behaved as MODE expects
  python3 - "$FAKE" "$1" <<'PY'
import json, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(10)
c = srv.accept()[0]
c.settimeout(10)
f = c.makefile("rwb", buffering=0)
shows = 0
conn = {"token": 7, "server_side": False, "fallback": False, "saddr4": "10.0.0.1",
        "daddr4": "10.0.0.2", "sport": 4000, "dport": 80, "subflows": []}
def send(o):
    f.write((json.dumps(o) + "\n").encode())
while True:
    line = f.readline()
    if not line:
        sys.exit(1)
    req = json.loads(line)
    rid, cmd = req["id"], req["cmd"]
    if cmd == "subscribe":
        send({"id": rid, "ok": True})
        if mode == "monitor":
            send({"event": "lost", "count": 42})
            sys.exit(0)
    elif cmd == "get_addr":
        send({"id": rid, "endpoints": [{"addr4": "10.0.1.1", "id": 1, "flags": []}], "ok": True})
    elif cmd == "show" and mode == "desc":
        # A server that breaks the rule the stack keeps: the client prints no escape.
        send({"id": rid, "ok": True, "connections": [
            dict(conn, description="relay forward 127.0.0.1:45132 \x1b[2J\nline\u00e9")]})
        sys.exit(0)
    elif cmd == "show":
        shows += 1
        send({"id": rid, "connections": [conn] if shows > 1 else [], "ok": True})
        if shows == 1:
            send({"event": "lost", "count": 3})
    elif cmd == "subflow_create":
        ok = shows == 2 and req["token"] == 7 and req["addr"]["addr4"] == "10.0.1.1"
        send({"id": rid, "ok": True})
        sys.exit(0 if ok else 1)
    else:
        send({"id": rid, "ok": True})
PY
}
fake monitor & FAKEPID=$!
for _ in $(seq 1 50); do [ -S "$FAKE" ] && break; sleep 0.1; done
expect 0 "monitor prints lost events" '^\[ +LOST\] count=42$' -- "$BIN/umptcp-ctl" -s "$FAKE" monitor
wait "$FAKEPID" && pass=$((pass + 1)) || { failed=$((failed + 1)); echo "FAIL: fake server (monitor)"; }
rm -f "$FAKE"
fake pm & FAKEPID=$!
for _ in $(seq 1 50); do [ -S "$FAKE" ] && break; sleep 0.1; done
timeout 15 "$BIN/umptcp-pm" -s "$FAKE" 2>/dev/null
wait "$FAKEPID" && pass=$((pass + 1)) || {
  failed=$((failed + 1)); echo "FAIL: umptcp-pm did not read show again and adopt after lost events"; }
rm -f "$FAKE"
fake desc & FAKEPID=$!
for _ in $(seq 1 50); do [ -S "$FAKE" ] && break; sleep 0.1; done
expect 0 "show prints a description last, with no escape" \
  '^token 00000007 client 10.0.0.1:4000 -> 10.0.0.2:80 sent 0 received 0 retrans 0 desc relay forward 127\.0\.0\.1:45132 \?\[2J\?line\?+$' \
  -- "$BIN/umptcp-ctl" -s "$FAKE" show
wait "$FAKEPID" && pass=$((pass + 1)) || { failed=$((failed + 1)); echo "FAIL: fake server (desc)"; }
rm -f "$FAKE"
[ -e "$S" ] && { failed=$((failed + 1)); echo "FAIL: the socket file stayed"; } || pass=$((pass + 1))
cli_summary
