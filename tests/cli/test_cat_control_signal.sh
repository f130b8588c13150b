#!/usr/bin/env bash
# umptcp-cat killed by SIGTERM or SIGINT removes its control socket's file only while the
# path is still that socket: a file put there since, or another server's socket made there
# after ours was removed, survives (it unlinked the path whatever it named). Needs root and
# /dev/net/tun (umptcp-cat serves its socket once its TUN link is open); without them it
# fails with the reason, as the interop tests do.
set -uo pipefail
BIN=${1:?usage: $0 BIN_DIR}
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "FAIL: needs root and /dev/net/tun (umptcp-cat needs a TUN link)"
  exit 1
fi
DIR=$(mktemp -d /tmp/umptcp-cat-signal.XXXXXX)
DEV=umsig$$
DEV=${DEV:0:15}
CAT= PEER=
cleanup() {
  [ -n "$CAT" ] && kill "$CAT" 2>/dev/null && wait "$CAT" 2>/dev/null
  [ -n "$PEER" ] && kill "$PEER" 2>/dev/null && wait "$PEER" 2>/dev/null
  ip tuntap del dev "$DEV" mode tun 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT
ip tuntap add dev "$DEV" mode tun || { echo "FAIL: cannot make TUN device $DEV"; exit 1; }

# umptcp-cat waiting for a connection (-l), serving its control socket at $1.
start_cat() {
  "$BIN/umptcp-cat" -l --control "$1" --link "tun:$DEV:10.213.0.2/24" 10.213.0.2 5001 </dev/null \
    >/dev/null 2>"$DIR/cat.err" &
  CAT=$!
  if ! wait_serving "$1"; then
    echo "FAIL: umptcp-cat does not serve $1:"; head -3 "$DIR/cat.err"
    failed=$((failed + 1))
  fi
}
# Kills it with the signal; it must die of that signal.
kill_cat() {
  kill "-$1" "$CAT"
  wait "$CAT"
  local rc=$?
  CAT=
  local want=$((128 + $(kill -l "$1")))
  [ "$rc" -eq "$want" ] && pass=$((pass + 1)) || {
    failed=$((failed + 1)); echo "FAIL: umptcp-cat exited $rc on SIG$1 (want $want)"; }
}
check() { # DESCRIPTION COMMAND...
  local desc=$1
  shift
  if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $desc"; fi
}

S=$DIR/ctl.sock
for sig in TERM INT; do
  # Its own socket, untouched: removed.
  start_cat "$S"
  kill_cat $sig
  check "SIG$sig: its own socket file stays" test ! -e "$S"

  # A file put at the path since: kept, whatever it is.
  start_cat "$S"
  mv "$S" "$DIR/moved.sock"
  echo precious >"$S"
  kill_cat $sig
  check "SIG$sig: a regular file at the path was removed" test -f "$S"
  check "SIG$sig: a regular file at the path changed" grep -qx precious "$S"
  rm -f "$S" "$DIR/moved.sock"

  # Another server's socket made at the path after ours was removed: it keeps serving.
  start_cat "$S"
  rm "$S"
  "$BIN/ctl_peer" "$S" &
  PEER=$!
  check "SIG$sig: the other server serves" wait_serving "$S"
  kill_cat $sig
  check "SIG$sig: another server's socket was removed" test -S "$S"
  expect 0 "SIG$sig: the other server still answers" "^add_addr_accepted" -- \
    "$BIN/umptcp-ctl" -s "$S" limits show
  kill "$PEER" && wait "$PEER"
  PEER=
  check "SIG$sig: the other server's own exit removes its socket" test ! -e "$S"
done
cli_summary
