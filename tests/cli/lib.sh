# Shared by the CLI tests: expect WANT_RC DESCRIPTION PATTERN -- CMD...: the command's exit
# status and a line of its output (stdout and stderr, stdin empty) matching PATTERN (ERE).
# Counts into pass and failed; the test ends with `cli_summary`.
pass=0 failed=0
expect() {
  local want=$1 desc=$2 pat=$3
  shift 4
  local out rc
  out=$("$@" 2>&1 </dev/null)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" <<<"$out"; then
    pass=$((pass + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $desc: exit $rc (want $want), output:"
    echo "$out" | head -5
  fi
}
cli_summary() {
  echo "$pass passed, $failed failed"
  [ "$failed" -eq 0 ]
}
# Waits until a control server answers at $1 (5 s at most): the socket file exists from
# bind() on, but connect() is refused until the server's listen(), so the file alone does
# not say it serves.
wait_serving() {
  for _ in $(seq 1 50); do
    "$BIN/umptcp-ctl" -s "$1" limits show >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
