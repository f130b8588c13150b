#!/usr/bin/env bash
# Command-line tools: bad flags give a one-line reason and a non-zero exit, never a crash;
# good flags work.
set -uo pipefail
BIN=${1:?usage: $0 BUILD_BIN_DIR}
source "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT


cat > "$WORK/bad.scn" <<'SCN'
bytes 1M
flavour strawberry
SCN
cat > "$WORK/good.scn" <<'SCN'
# a small lossy path
bytes 256K
rate 20
delay 5
loss 0.01
quiet
SCN
# Values that are strings, each followed by more lines (which reuse the line buffer).
cat > "$WORK/strings.scn" <<SCN
pcap $WORK/scn.pcap
cc reno
scheduler roundrobin
mptcp
path 20,5
bytes 256K
quiet
SCN
printf 'host a\nrouter r\nlink a r rate 10\n' > "$WORK/badlink.scn"
printf 'host a\nhost b\nflow x a b:10.0.0.1 sctp\n' > "$WORK/badflow.scn"
printf 'host a\nrouter r\nlink a:10.1.0.1/24 r rate 10 queue 7x\n' > "$WORK/badqueue.scn"

expect 2 "sim: unknown flag" "unrecognized option" -- "$BIN/umptcp-sim" --frobnicate
expect 2 "sim: bad loss" "bad value for --loss" -- "$BIN/umptcp-sim" --loss 1.5
expect 2 "sim: bad size" "bad value for --bytes" -- "$BIN/umptcp-sim" --bytes 12Q
expect 2 "sim: bad mtu" "bad value for --mtu" -- "$BIN/umptcp-sim" --mtu 99999
expect 2 "sim: bad outage" "bad value for --outage" -- "$BIN/umptcp-sim" --outage 5-2
expect 2 "sim: bad cc" "bad value for --cc" -- "$BIN/umptcp-sim" --cc vegas
expect 2 "sim: stray argument" "unexpected argument" -- "$BIN/umptcp-sim" extra
expect 2 "sim: missing scenario" "cannot open scenario" -- "$BIN/umptcp-sim" --scenario "$WORK/none"
expect 2 "sim: bad scenario line" "bad.scn:2: unknown option 'flavour'" -- "$BIN/umptcp-sim" --scenario "$WORK/bad.scn"
expect 0 "sim: scenario file" "^verified" -- "$BIN/umptcp-sim" --scenario "$WORK/good.scn"
expect 0 "sim: scenario with string values" "^verified" -- "$BIN/umptcp-sim" --scenario "$WORK/strings.scn"
if [ -s "$WORK/scn.pcap" ]; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: the scenario's pcap was not written"; fi
expect 2 "sim: bad scheduler" "bad --scheduler 'fastest' \(want default, minrtt, roundrobin, redundant, handover, blest, ecf\)" -- "$BIN/umptcp-sim" --mptcp --scheduler fastest
expect 0 "sim: a scheduler" "^verified" -- "$BIN/umptcp-sim" --mptcp --quiet --bytes 1M --path 20,5 --scheduler redundant
expect 0 "sim: a network scenario" "^flow two \(mptcp\): verified, 1048576 bytes" -- "$BIN/umptcp-sim" --quiet --scenario "$(dirname "$0")/two_flows.scn" --json "$WORK/net.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [f['verified'] for f in d['flows']]==[True,True] and d['flows'][1]['cc']=='olia' and len(d['series']['t'])>0" "$WORK/net.json" && pass=$((pass + 1)) || { failed=$((failed + 1)); echo "FAIL: the network scenario's JSON"; }
expect 2 "sim: a host's end needs its address" "badlink.scn:3: link wants two known nodes" -- "$BIN/umptcp-sim" --scenario "$WORK/badlink.scn"
expect 2 "sim: a flow's protocol" "badflow.scn:3: tcp or mptcp, not 'sctp'" -- "$BIN/umptcp-sim" --scenario "$WORK/badflow.scn"
expect 2 "sim: a link's queue" "badqueue.scn:3: bad queue" -- "$BIN/umptcp-sim" --scenario "$WORK/badqueue.scn"
expect 0 "sim: help" "usage: umptcp-sim" -- "$BIN/umptcp-sim" --help

# Numbers that are no numbers, or too large for what they become (issue 22, item 7): NaN and
# the infinities compare false or past every bound, and a float without an integer value
# was converted to one (undefined; outage 0.5-inf became no outage). Every number a
# scenario takes is refused with its line. A line accepted anyway is followed by a short
# duration or time limit, so that the run it starts ends.
n=0
bad_net_line() { # LINE PATTERN: the scenario's fourth line and what the refusal says
  n=$((n + 1))
  printf 'host a\nhost b\nlink a:10.1.0.1/24 b:10.1.0.2/24 rate 10 delay 1\n%s\n' "$1" > "$WORK/num$n.scn"
  printf 'flow f a b:10.1.0.2 tcp bytes 1K\nduration 0.5\n' >> "$WORK/num$n.scn"
  expect 2 "sim: scenario line '$1'" "num$n.scn:4: $2" -- "$BIN/umptcp-sim" --quiet --scenario "$WORK/num$n.scn"
}
bad_trace_line() { # LINE: the trace's second line
  n=$((n + 1))
  printf '0 10 5\n%s\n' "$1" > "$WORK/trace$n"
  bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 rate 10 delay 1 trace $WORK/trace$n" \
    ".*/trace$n:2: bad trace line"
}
bad_option_line() { # LINE [SETUP]: a two-stack option on the scenario's third line
  n=$((n + 1))
  printf '%s\ntime-limit 2\n%s\nbytes 1K\nquiet\n' "${2:-quiet}" "$1" > "$WORK/num$n.scn"
  expect 2 "sim: option line '$1'" "num$n.scn:3: bad value for ${1%% *}" -- "$BIN/umptcp-sim" --scenario "$WORK/num$n.scn"
}
for v in nan inf -inf 1e300 -1; do
  for k in bytes rcvbuf start; do
    bad_net_line "flow g a b:10.1.0.2 tcp $k $v" "bad flow option or value '$k'"
  done
  for k in rate delay loss jitter reorder duplicate; do
    bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 $k $v" "bad link option or value '$k'"
  done
  bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 rate 10 queue $v" "bad queue"
  bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 rate 10 queue ${v}p" "bad queue"
  bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 rate 10 outage 0.5-$v" "bad outage"
  bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 rate 10 outage $v-2" "bad outage"
  bad_net_line "duration $v" "bad value for 'duration'"
  bad_net_line "tick $v" "bad value for 'tick'"
  bad_trace_line "$v 10"
  bad_trace_line "1 $v"
  bad_trace_line "1 10 $v"
  for k in bytes reverse-bytes rate delay jitter loss reorder duplicate mtu sndbuf rcvbuf time-limit read-pause seed; do
    bad_option_line "$k $v"
  done
  bad_option_line "outage 0.5-$v"
  bad_option_line "outage $v-2"
  bad_option_line "burst $v,0.1,0.1"
  bad_option_line "path $v,5" mptcp
  bad_option_line "path 10,$v" mptcp
  bad_option_line "path 10,5,$v" mptcp
  bad_option_line "path 10,5,0,0.5-$v" mptcp
done
bad_trace_line "2 10 5 7" # a fourth number
printf '# time rate delay\n0 10 5 # from the start\n\n0.2 20\n' > "$WORK/good.trace"
printf 'host a\nhost b\nlink a:10.1.0.1/24 b:10.1.0.2/24 rate 10 delay 1 trace %s outage 0.3-0.4\nflow f a b:10.1.0.2 tcp bytes 256K\n' "$WORK/good.trace" > "$WORK/goodtrace.scn"
expect 0 "sim: a trace with comments, and an outage" "^flow f \(tcp\): verified, 262144 bytes" -- "$BIN/umptcp-sim" --quiet --scenario "$WORK/goodtrace.scn"
bad_net_line "link a:10.1.1.1/24 b:10.1.1.2/24 rate 10 trace $WORK/good.trace trace $WORK/good.trace" "a second trace"
expect 2 "sim: path without mptcp" "--path needs --mptcp" -- "$BIN/umptcp-sim" --path 10,5
expect 2 "sim: bad path" "bad value for --path" -- "$BIN/umptcp-sim" --mptcp --path 10
expect 2 "sim: bad path outage" "bad value for --path" -- "$BIN/umptcp-sim" --mptcp --path 10,5,0,4-2
expect 2 "sim: too many paths" "bad value for --path" -- "$BIN/umptcp-sim" --mptcp --path 1,1 --path 1,1 --path 1,1 --path 1,1 --path 1,1 --path 1,1 --path 1,1 --path 1,1
expect 0 "sim: the demo (make demo)" "^verified" -- "$BIN/umptcp-sim" --demo
expect 0 "sim: mptcp two paths" "^verified" -- "$BIN/umptcp-sim" --mptcp --quiet --bytes 2M --path 20,5,0.001,0.2-0.4

expect 2 "cat: no arguments" "usage: umptcp-cat" -- "$BIN/umptcp-cat"
expect 2 "cat: bad scheduler" "bad --scheduler 'x'" -- "$BIN/umptcp-cat" --scheduler x --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: bad cc" "bad --cc 'vegas' \(want cubic, reno, lia, olia, balia or wvegas\)" -- "$BIN/umptcp-cat" --cc vegas --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: bad link" "bad --link 'eth0'" -- "$BIN/umptcp-cat" --link eth0 10.0.0.1 80
expect 2 "cat: link without prefix" "bad --link" -- "$BIN/umptcp-cat" --link tun:um0:10.0.0.1 10.0.0.1 80
expect 2 "cat: loss above 1" "bad option in --link" -- "$BIN/umptcp-cat" --link tun:um0:10.0.0.2/24,loss=2 10.0.0.1 80
expect 2 "cat: unknown impairment" "bad option in --link" -- "$BIN/umptcp-cat" --link tun:um0:10.0.0.2/24,drop=0.1 10.0.0.1 80
expect 2 "cat: IPv6 link, bad delay" "bad option in --link" -- "$BIN/umptcp-cat" --link tun:um0:fd00:1::2/64,delay=x 10.0.0.1 80
expect 2 "cat: offload neither 0 nor 1" "bad option in --link" -- "$BIN/umptcp-cat" --link tun:um0:10.0.0.2/24,offload=2 10.0.0.1 80
expect 2 "cat: bad seed" "bad --seed 'x'" -- "$BIN/umptcp-cat" --seed x --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: bad path manager" "bad --path-manager 'foo' .kernel or userspace." -- "$BIN/umptcp-cat" --path-manager foo --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: bad port" "bad port '99999'" -- "$BIN/umptcp-cat" --link tun:um0:10.0.0.2/24 10.0.0.1 99999
expect 2 "cat: host name" "HOST must be a numeric" -- "$BIN/umptcp-cat" --link tun:um0:10.0.0.2/24 example.org 80
expect 2 "cat: no link" "need at least one --link" -- "$BIN/umptcp-cat" 10.0.0.1 80
expect 2 "cat: bad timeout" "bad --timeout" -- "$BIN/umptcp-cat" --timeout -3 --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: bad endpoints" "bad --endpoints 'fullmesh'" -- "$BIN/umptcp-cat" --endpoints fullmesh --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: bad add-addr-accepted" "bad --add-addr-accepted '9'" -- "$BIN/umptcp-cat" --add-addr-accepted 9 --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 2 "cat: add-addr-accepted not a number" "bad --add-addr-accepted 'x'" -- "$BIN/umptcp-cat" --add-addr-accepted x --link tun:um0:10.0.0.2/24 10.0.0.1 80
expect 1 "cat: missing TUN device" "cannot attach to TUN device nosuchtun0" -- "$BIN/umptcp-cat" --link tun:nosuchtun0:10.0.0.2/24 10.0.0.1 80
expect 2 "echo: no link" "usage: umptcp-echo" -- "$BIN/umptcp-echo" 0.0.0.0 80
expect 2 "echo: bad connections" "bad --connections '0'" -- "$BIN/umptcp-echo" --connections 0 --link tun:um0:10.0.0.2/24 0.0.0.0 80
expect 2 "echo: bad endpoints" "bad --endpoints 'x'" -- "$BIN/umptcp-echo" --endpoints x --link tun:um0:10.0.0.2/24 0.0.0.0 80
expect 2 "echo: host name" "HOST must be a numeric" -- "$BIN/umptcp-echo" --link tun:um0:10.0.0.2/24 example.org 80
expect 2 "echo: bad impairment" "bad option in --link" -- "$BIN/umptcp-echo" --link tun:um0:10.0.0.2/24,rate=-1 0.0.0.0 80
expect 1 "cat: bad address" "bad address 10.0.0.300/24|cannot attach" -- "$BIN/umptcp-cat" --link tun:nosuchtun1:10.0.0.300/24 10.0.0.1 80

cli_summary
