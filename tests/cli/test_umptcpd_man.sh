#!/usr/bin/env bash
# umptcpd's man pages: the build made them from docs/man/*.scd (scdoc) and they are those
# sources' current output; every flag umptcpd --help lists is in umptcpd.8.
set -uo pipefail
BIN=${1:?usage: $0 BUILD_BIN_DIR SOURCE_DIR}
SRC=${2:-$(dirname "$0")/../..}
source "$(dirname "$0")/lib.sh"
MAN="$BIN/../man"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

check() { # DESCRIPTION COMMAND...: counts the command's success
  local desc=$1
  shift
  if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $desc"; fi
}
command -v scdoc >/dev/null || { echo "FAIL: scdoc is missing (make deps installs it)"; exit 1; }
for page in umptcpd.8 umptcpd.conf.5; do
  check "$page was built" test -s "$MAN/$page"
  scdoc < "$SRC/docs/man/$page.scd" > "$WORK/$page" 2> "$WORK/$page.err"
  check "$page.scd is valid scdoc: $(cat "$WORK/$page.err")" test -s "$WORK/$page"
  check "$page is the current output of its source" cmp -s "$WORK/$page" "$MAN/$page"
  check "$page has its NAME section" grep -q '^\.SH NAME' "$MAN/$page"
done

# The page's text without roff's font changes and escapes.
sed -e 's/\\f[BIR]//g' -e 's/\\&//g' -e 's/\\-/-/g' "$MAN/umptcpd.8" > "$WORK/umptcpd.8.txt"
"$BIN/umptcpd" --help > "$WORK/help"
flags=$(grep -oE -- '--[a-z][a-z-]+' "$WORK/help"; grep -oE -- '(^|  |, )-[a-z]([ ,]|$)' "$WORK/help" | grep -oE -- '-[a-z]')
n=0
for f in $(sort -u <<<"$flags"); do
  n=$((n + 1))
  check "umptcpd.8 does not document $f" grep -qE -- "(^|[^a-z-])$f([^a-z-]|$)" "$WORK/umptcpd.8.txt"
done
check "--help lists flags (found $n)" test "$n" -ge 25
cli_summary
