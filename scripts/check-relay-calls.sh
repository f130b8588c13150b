#!/usr/bin/env bash
# Fails when the files of src/relay call each other in a circle. For each .c file it lists
# the functions it defines with external linkage (ctags), finds which other files of
# src/relay name them outside comments, and sorts the "who calls whom" graph (tsort), which
# fails on a loop. The relay is layered so that each file is read with only those below it
# in mind: the loop (relay.c) on top, then listeners, requests, relayed connections, and
# the helpers and pure parsers at the bottom (docs/ARCHITECTURE.md). -v prints the graph.
set -euo pipefail
cd "$(dirname "$0")/.."

verbose=0
[ "${1:-}" = -v ] && verbose=1

# Universal Ctags (packages.txt): its --kinds-C and "file:" field are not Exuberant's.
ctags=$(command -v ctags-universal || command -v ctags)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=(src/relay/*.c)
for f in "${files[@]}"; do
  b=$(basename "$f" .c)
  # Comments and strings out, macros not expanded: only real mentions remain.
  gcc -fpreprocessed -dD -E -P -x c "$f" 2>/dev/null | sed -E 's/"([^"\\]|\\.)*"/""/g' \
    >"$tmp/$b.i"
  # Functions defined in f that are not static (ctags marks file-scoped ones "file:").
  "$ctags" --languages=C --language-force=C --kinds-C=f --fields=+f -o - "$f" |
    awk -F'\t' '!/\tfile:/ {print $1}' | sort -u >"$tmp/$b.defs"
done

: >"$tmp/edges"
for f in "${files[@]}"; do
  callee=$(basename "$f" .c)
  while read -r fn; do
    [ -n "$fn" ] || continue
    for g in "${files[@]}"; do
      caller=$(basename "$g" .c)
      [ "$caller" = "$callee" ] && continue
      if grep -qwE "$fn" "$tmp/$caller.i"; then
        echo "$caller $callee $fn" >>"$tmp/edges"
      fi
    done
  done <"$tmp/$callee.defs"
done

if [ "$verbose" -eq 1 ]; then
  for f in "${files[@]}"; do
    b=$(basename "$f" .c)
    echo "$b.c defines: $(tr '\n' ' ' <"$tmp/$b.defs")"
  done
  echo
  awk '{k = $1 " -> " $2; fns[k] = fns[k] " " $3} END {for (k in fns) print k ":" fns[k]}' \
    "$tmp/edges" | sort
  echo
fi

# Every file a node, so that tsort sees those that call nobody; a loop fails it.
{
  for f in "${files[@]}"; do
    b=$(basename "$f" .c)
    echo "$b $b"
  done
  awk '{print $1, $2}' "$tmp/edges" | sort -u
} >"$tmp/pairs"
if ! tsort "$tmp/pairs" >"$tmp/order" 2>"$tmp/loop"; then
  cat "$tmp/loop" >&2
  echo "check-relay-calls: src/relay's files call each other in a circle (above); run with -v" >&2
  exit 1
fi
if [ "$verbose" -eq 1 ]; then
  echo "from the top down: $(tr '\n' ' ' <"$tmp/order")"
fi
echo "check-relay-calls: ok"
