#!/usr/bin/env bash
# umptcpd's config file (-c FILE, umptcpd.conf(5)) through --check-config, which reads it
# and the flags but opens nothing (no root, no TUN): the example in docs/ is good; every
# kind of error names its file and line and exits 2; flags win over the file.
set -uo pipefail
BIN=${1:?usage: $0 BUILD_BIN_DIR SOURCE_DIR}
SRC=${2:-$(dirname "$0")/../..}
source "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
D="$BIN/umptcpd"

GOOD_LINK=$'[link um0]\naddress = 10.1.1.2/24\n'
GOOD_FWD=$'[forward web]\nlisten = 127.0.0.1:8080\ntarget = 10.1.1.1:80\n'

# The example's named target resolved where it is checked (--check-config resolves names).
EXAMPLE="$WORK/umptcpd.conf.example"
sed 's/server\.example\.net/localhost/' "$SRC/docs/umptcpd.conf.example" > "$EXAMPLE"
expect 0 "the example config is good" "^umptcpd: .*umptcpd.conf.example good: 3 links, 3 relays" -- \
  "$D" --check-config -c "$EXAMPLE"
expect 0 "the example's accept section has its proxy-protocol" \
  "^accept 9000=127.0.0.1:7000,proxy-protocol \(.*umptcpd.conf.example:[0-9]+ \[accept api\]\)$" -- \
  "$D" --check-config -c "$EXAMPLE"
expect 0 "the example announces an address with a port and one without" "^announce = 10.1.1.2:9100 10.1.3.2$" -- \
  "$D" --check-config -c "$EXAMPLE"

n=0
# bad_conf LINE PATTERN TEXT: TEXT as a config file is refused with "FILE:LINE: PATTERN".
bad_conf() {
  n=$((n + 1))
  printf '%s' "$3" > "$WORK/bad$n.conf"
  expect 2 "config error: $2" "^$WORK/bad$n.conf:$1: $2" -- "$D" --check-config -c "$WORK/bad$n.conf"
}
bad_conf 3 "unknown key 'frobnicate' in \[daemon\]" $'# comment\n[daemon]\nfrobnicate = 1\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --max-conns 'lots' \(1 to 1048576\)" $'[daemon]\nmax-conns = lots\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --max-conns '0'" $'[daemon]\nmax-conns = 0\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --scheduler 'fastest'" $'[daemon]\nscheduler = fastest\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --cc 'vegas'" $'[daemon]\ncc = vegas\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --path-manager 'foo' \(kernel or userspace\)" $'[daemon]\npath-manager = foo\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --endpoints 'fullmesh'" $'[daemon]\nendpoints = fullmesh\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --add-addr-accepted '9'" $'[daemon]\nadd-addr-accepted = 9\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --buffer '12Q'" $'[daemon]\nbuffer = 12Q\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --connect-timeout 'nan'" $'[daemon]\nconnect-timeout = nan\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --idle-timeout '-1'" $'[daemon]\nidle-timeout = -1\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --grace 'inf'" $'[daemon]\ngrace = inf\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --seed '1.5'" $'[daemon]\nseed = 1.5\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --log 'journal' \(stderr or syslog\)" $'[daemon]\nlog = journal\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --verbose '3' \(0, 1 or 2\)" $'[daemon]\nverbose = 3\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 3 "grace given twice \(first on line 2\)" $'[daemon]\ngrace = 1\ngrace = 2\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "unknown key 'link' in \[daemon\]" $'[daemon]\nlink = tun:um0:10.0.0.1/24\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 1 "grace outside a section" $'grace = 1\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 1 "unknown section \[socks5 x\]" $'[socks5 x]\nlisten = 1\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 1 "\[forward\]: want \[daemon\], \[link NAME\] or \[KIND NAME\]" $'[forward]\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 1 "section header without '\]'" $'[daemon\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 6 "\[forward web\] given twice \(first on line 3\)" "$GOOD_LINK$GOOD_FWD"$'[forward web]\nlisten = 127.0.0.1:1\ntarget = 1.1.1.1:1\n'
bad_conf 7 "want KEY = VALUE, not 'junk here'" "$GOOD_LINK$GOOD_FWD"$'\njunk here\n'
bad_conf 2 "line too long" $'[daemon]\ncontrol = /'"$(printf 'x%.0s' $(seq 1 300))"$'\n'"$GOOD_LINK$GOOD_FWD"
# Links.
bad_conf 1 "\[link um0\]: missing address \(ADDR/PREFIX\)" $'[link um0]\ntun = um0\n'"$GOOD_FWD"
bad_conf 2 "bad --link 'tun:um0:10.0.0.1' \(the address needs its /PREFIX\)" $'[link um0]\naddress = 10.0.0.1\n'"$GOOD_FWD"
bad_conf 3 "bad option in --link 'tun:um0:10.0.0.1/24,loss=2'" $'[link um0]\naddress = 10.0.0.1/24\nloss = 2\n'"$GOOD_FWD"
bad_conf 3 "bad option in --link 'tun:um0:10.0.0.1/24,offload=2'" $'[link um0]\naddress = 10.0.0.1/24\noffload = 2\n'"$GOOD_FWD"
bad_conf 3 "unknown key 'drop' in \[link um0\]" $'[link um0]\naddress = 10.0.0.1/24\ndrop = 0.1\n'"$GOOD_FWD"
bad_conf 1 "\[link um0\]: spec replaces the other keys" $'[link um0]\nspec = tun:um0:10.0.0.1/24\naddress = 10.0.0.2/24\n'"$GOOD_FWD"
bad_conf 2 "bad --link 'eth0'" $'[link um0]\nspec = eth0\n'"$GOOD_FWD"
bad_conf 3 "address has no value" $'[link um0]\ntun = um0\naddress =\n'"$GOOD_FWD"
# Relays.
bad_conf 3 "\[forward web\]: missing target \(HOST:PORT\)" "$GOOD_LINK"$'[forward web]\nlisten = 127.0.0.1:8080\n'
bad_conf 3 "\[accept api\]: missing listen \(ADDR:PORT\)" "$GOOD_LINK"$'[accept api]\ntarget = 127.0.0.1:80\n'
bad_conf 4 "bad listen '8080': " "$GOOD_LINK"$'[forward web]\nlisten = 8080\ntarget = 10.1.1.1:80\n'
bad_conf 4 "bad listen 'localhost:8080': listen on an address, not a name" "$GOOD_LINK"$'[forward web]\nlisten = localhost:8080\ntarget = 10.1.1.1:80\n'
bad_conf 5 "bad target '10.1.1.1:99999': port above 65535" "$GOOD_LINK"$'[forward web]\nlisten = 127.0.0.1:8080\ntarget = 10.1.1.1:99999\n'
bad_conf 5 "bad target 'a..b:80'" "$GOOD_LINK"$'[forward web]\nlisten = 127.0.0.1:8080\ntarget = a..b:80\n'
bad_conf 6 "bad proxy-protocol 'maybe' \(yes or no\)" "$GOOD_LINK"$'[accept api]\nlisten = 9000\ntarget = 127.0.0.1:7000\nproxy-protocol = maybe\n'
bad_conf 6 "unknown key 'proxy-protocol' in \[forward web\]" "$GOOD_LINK"$'[forward web]\nlisten = 127.0.0.1:8080\ntarget = 10.1.1.1:80\nproxy-protocol = yes\n'
bad_conf 5 "listen given twice \(first on line 4\)" "$GOOD_LINK"$'[forward web]\nlisten = 127.0.0.1:8080\nlisten = 127.0.0.1:8081\ntarget = 10.1.1.1:80\n'
bad_conf 5 "password may not contain ','" "$GOOD_LINK"$'[socks s]\nlisten = 127.0.0.1:1080\npassword = a,b\nuser = u\n'
# The metrics endpoint's address.
bad_conf 2 "bad --metrics 'localhost:9100' \(an address, not a name\)" $'[daemon]\nmetrics = localhost:9100\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --metrics '127.0.0.1' \(missing port\)" $'[daemon]\nmetrics = 127.0.0.1\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --metrics '127.0.0.1:99999' \(port above 65535\)" $'[daemon]\nmetrics = 127.0.0.1:99999\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 3 "metrics given twice \(first on line 2\)" $'[daemon]\nmetrics = 127.0.0.1:9100\nmetrics = 127.0.0.1:9101\n'"$GOOD_LINK$GOOD_FWD"
expect 2 "config: a bad --metrics flag" "^umptcpd: bad --metrics '::1:9100' \(IPv6 address without brackets" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward 127.0.0.1:8080=1.1.1.1:1 --metrics ::1:9100
expect 0 "config: --metrics in IPv6 brackets" "^metrics = \[::1\]:9100$" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward 127.0.0.1:8080=1.1.1.1:1 --metrics '[::1]:9100'
printf '[daemon]\nmetrics = 127.0.0.1:9100\n%s%s' "$GOOD_LINK" "$GOOD_FWD" > "$WORK/metrics.conf"
expect 0 "config: the file's metrics" "^metrics = 127.0.0.1:9100$" -- "$D" --check-config -c "$WORK/metrics.conf"
out=$("$D" --check-config -c "$WORK/metrics.conf" --metrics '[::1]:9200' 2>&1)
if grep -qE '^metrics = \[::1\]:9200$' <<<"$out" && ! grep -q 9100 <<<"$out"; then pass=$((pass + 1)); else
  failed=$((failed + 1)); echo "FAIL: --metrics over the file's: $out"; fi
# --announce ADDR[:PORT] (announce = LIST in [daemon]): a link's address, with a port or not.
bad_conf 2 "bad --announce '10.1.1.2:0' \(port 1 to 65535\)" $'[daemon]\nannounce = 10.1.1.2:0\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --announce 'relay1' \(not a numeric IPv4 or IPv6 address\)" $'[daemon]\nannounce = relay1\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --announce '\[10.1.1.2\]:7000' \(brackets are for an IPv6 address\)" $'[daemon]\nannounce = [10.1.1.2]:7000\n'"$GOOD_LINK$GOOD_FWD"
bad_conf 2 "bad --announce '10.1.9.2:7000': 10.1.9.2 is not the address of any link" $'[daemon]\nannounce = 10.1.1.2 10.1.9.2:7000\n'"$GOOD_LINK$GOOD_FWD"
expect 2 "announce: a flag's address not on a link" "^umptcpd: bad --announce '\[fd00::9\]:7000': fd00::9 is not the address of any link" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --accept 80=127.0.0.1:80 --announce '[fd00::9]:7000'
expect 2 "announce: not with the userspace path manager" "announce needs the built-in path manager" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --accept 80=127.0.0.1:80 --announce 10.0.0.1:7000 --path-manager userspace
printf '[daemon]\nannounce = 10.1.1.2:7000 10.1.2.2\n[link um0]\naddress = 10.1.1.2/24\n[link um1]\naddress = 10.1.2.2/24\n%s' \
  "$GOOD_FWD" > "$WORK/announce.conf"
expect 0 "announce: the file's list" "^announce = 10.1.1.2:7000 10.1.2.2$" -- "$D" --check-config -c "$WORK/announce.conf"
expect 0 "announce: flags replace the file's list" "^announce = \[fd00::2\]:7000 10.1.2.2$" -- \
  "$D" --check-config -c "$WORK/announce.conf" --link tun:um0:10.1.1.2/24 --link tun:um1:10.1.2.2/24 \
  --link tun:um2:fd00::2/64 --announce '[fd00::2]:7000' --announce 10.1.2.2
# Every error is reported, not only the first.
printf '[daemon]\ngrace = x\ncc = y\n%s%s' "$GOOD_LINK" "$GOOD_FWD" > "$WORK/two.conf"
expect 2 "config: the second error too" "two.conf:3: bad --cc 'y'" -- "$D" --check-config -c "$WORK/two.conf"
# What a daemon needs, with a good file.
printf '%s' "$GOOD_FWD" > "$WORK/nolink.conf"
expect 2 "config: no link" "need at least one --link" -- "$D" --check-config -c "$WORK/nolink.conf"
printf '%s' "$GOOD_LINK" > "$WORK/norelay.conf"
expect 2 "config: nothing to relay" "nothing to relay" -- "$D" --check-config -c "$WORK/norelay.conf"
expect 2 "config: a file that is not there" "cannot read $WORK/none.conf" -- "$D" --check-config -c "$WORK/none.conf"
expect 2 "config: a flag as bad as a key" "^umptcpd: bad --forward '127.0.0.1:8080' \(want LISTEN=HOST:PORT\)" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward 127.0.0.1:8080
expect 2 "config: a flag's relay option" "unknown option 'proxy-protocol'" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward 127.0.0.1:8080=1.1.1.1:1,proxy-protocol

# Flags win: a value replaces the file's, --link replaces its links, relays add to its.
printf '[daemon]\nmax-conns = 10\ngrace = 5\n[link um0]\naddress = 10.1.1.2/24\n[link um1]\naddress = 10.1.2.2/24\n%s' \
  "$GOOD_FWD" > "$WORK/flags.conf"
expect 0 "flags: the file's values" "^max-conns = 10$" -- "$D" --check-config -c "$WORK/flags.conf"
expect 0 "flags: the file's links" "^link tun:um1:10.1.2.2/24$" -- "$D" --check-config -c "$WORK/flags.conf"
out=$("$D" --check-config -c "$WORK/flags.conf" --max-conns 20 --link tun:tx0:10.9.0.2/24 \
  --forward 127.0.0.1:9=10.1.1.1:9 -q 2>&1)
for want in "^max-conns = 20$" "^grace = 5$" "^verbose = 0$" "^link tun:tx0:10.9.0.2/24$" \
  "^forward 127.0.0.1:8080=10.1.1.1:80 \(.*flags.conf:[0-9]+ \[forward web\]\)$" \
  "^forward 127.0.0.1:9=10.1.1.1:9 \(--forward\)$" "good: 1 link, 2 relays"; do
  if grep -qE -- "$want" <<<"$out"; then pass=$((pass + 1)); else
    failed=$((failed + 1)); echo "FAIL: flags over the file: no line '$want' in:"; echo "$out"; fi
done
if grep -qE "max-conns = 10|tun:um0" <<<"$out"; then
  failed=$((failed + 1)); echo "FAIL: flags over the file: the file's value or link is still there"
else pass=$((pass + 1)); fi
# A password is not shown.
printf '%s[socks s]\nlisten = 127.0.0.1:1080\nuser = u\npassword = hunter2\n' "$GOOD_LINK" > "$WORK/socks.conf"
out=$("$D" --check-config -c "$WORK/socks.conf" 2>&1)
if grep -qE "^socks 127.0.0.1:1080,user=u,password=\*\*\* " <<<"$out" && ! grep -q hunter2 <<<"$out"; then
  pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: the socks password shown: $out"; fi
expect 0 "flags: --syslog is log = syslog" "^log = syslog$" -- "$D" --check-config -c "$WORK/flags.conf" --syslog

# --check-config opens nothing: a TUN device that does not exist and a port in use pass.
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$WORK/port" &
HOLDER=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
port=$(cat "$WORK/port")
expect 0 "check-config opens no link and no listener" "good: 1 link, 1 relay" -- \
  "$D" --check-config --link tun:nosuchtun9:10.0.0.1/24 --forward "127.0.0.1:$port=1.1.1.1:1"
kill "$HOLDER" 2>/dev/null
# Without --check-config the same file is run: its link is opened (and here, missing).
printf '[link nosuchtun8]\naddress = 10.0.0.2/24\n%s' "$GOOD_FWD" > "$WORK/run.conf"
expect 1 "the file's link is opened when run" "cannot attach to TUN device nosuchtun8" -- "$D" -c "$WORK/run.conf"
# --syslog: the same failure goes to syslog(3), none of it to stderr.
out=$("$D" -c "$WORK/run.conf" --syslog 2>&1 </dev/null)
rc=$?
if [ "$rc" -eq 1 ] && ! grep -q "cannot attach" <<<"$out"; then pass=$((pass + 1)); else
  failed=$((failed + 1)); echo "FAIL: --syslog: exit $rc (want 1), and stderr has: $out"; fi

# A target's name is resolved by --check-config as at startup, within 2 s for all of them.
expect 2 "a target's name that does not resolve" \
  "^umptcpd: --forward: cannot resolve nosuch\.invalid: " -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward 127.0.0.1:8080=nosuch.invalid:80
printf '%s[forward ssh]\nlisten = 127.0.0.1:2222\ntarget = localhost:22\n' "$GOOD_LINK" > "$WORK/name.conf"
expect 0 "a target's name from /etc/hosts" "^forward 127.0.0.1:2222=localhost:22 \(.*name.conf:[0-9]+ \[forward ssh\]\)$" -- \
  "$D" --check-config -c "$WORK/name.conf"
# A DNS server that never answers: the bound, not c-ares' retries, ends the wait.
python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$WORK/dns" &
SILENT=$!
for _ in $(seq 50); do [ -s "$WORK/dns" ] && break; sleep 0.1; done
start=$(date +%s%N)
expect 2 "a silent DNS server: refused within the bound" \
  "^umptcpd: --forward: cannot resolve nosuch\.invalid: no answer within 2 s$" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --dns "127.0.0.1:$(cat "$WORK/dns")" \
  --forward 127.0.0.1:8080=nosuch.invalid:80 --forward 127.0.0.1:8081=localhost:80
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -ge 1500 ] && [ "$ms" -lt 3500 ]; then pass=$((pass + 1)); else
  failed=$((failed + 1)); echo "FAIL: a silent DNS server: $ms ms (want about 2000)"; fi
kill "$SILENT" 2>/dev/null

# allow=CIDR[;CIDR...] on --socks and --http-connect (allow in their sections): checked here,
# not only when the listener opens.
expect 0 "allow: on --socks and --http-connect" "^socks 127.0.0.1:1080,allow=10.0.0.0/8;192.0.2.7 \(--socks\)$" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --socks '127.0.0.1:1080,allow=10.0.0.0/8;192.0.2.7' \
  --http-connect '127.0.0.1:3128,allow=2001:db8::/32'
expect 2 "allow: host bits past the prefix" "bad --socks '127.0.0.1:1080,allow=10.0.0.1/8': allow: 10.0.0.1/8 has bits set past its prefix" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --socks '127.0.0.1:1080,allow=10.0.0.1/8'
expect 2 "allow: not on --forward" "unknown option 'allow'" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward '127.0.0.1:1080=1.1.1.1:1,allow=10.0.0.0/8'
bad_conf 3 "bad --socks '127.0.0.1:1080,allow=10.0.0.1/8': allow: 10.0.0.1/8 has bits set past its prefix" "$GOOD_LINK"$'[socks s]\nlisten = 127.0.0.1:1080\nallow = 10.0.0.1/8\n'
printf '%s[http-connect h]\nlisten = 127.0.0.1:3128\nallow = 10.0.0.0/8;2001:db8::/32\n' "$GOOD_LINK" > "$WORK/allow.conf"
expect 0 "allow: the http-connect section's key" "^http-connect 127.0.0.1:3128,allow=10.0.0.0/8;2001:db8::/32 " -- \
  "$D" --check-config -c "$WORK/allow.conf"
# --socket-buffer (socket-buffer in [daemon]): the MPTCP sockets' queues, 4K to 64M.
expect 0 "socket-buffer: a size" "^socket-buffer = 256K$" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --forward 127.0.0.1:8080=1.1.1.1:1 --socket-buffer 256K
bad_conf 2 "bad --socket-buffer '1' \(4K to 64M\)" $'[daemon]\nsocket-buffer = 1\n'"$GOOD_LINK$GOOD_FWD"

# Credentials: a password is masked in every message that echoes a relay's argument; one
# on the command line is warned of (/proc/PID/cmdline); a config file holding one that
# others may read or write, or that another user owns, is warned of (umptcpd runs anyway).
no_secret() { # DESCRIPTION WANT_RC PATTERN -- CMD...: as expect, and hunter2 nowhere
  local desc=$1 want=$2 pat=$3 out rc
  shift 4
  out=$("$@" 2>&1 </dev/null)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" <<<"$out" && ! grep -q hunter2 <<<"$out"; then
    pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $desc: exit $rc, output: $out"; fi
}
no_secret "a bad --socks option: the password masked" 2 \
  "bad --socks '127.0.0.1:1080,user=u,password=\*\*\*,frob=1' \(unknown option 'frob'\)" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --socks '127.0.0.1:1080,user=u,password=hunter2,frob=1'
no_secret "a bad --socks address: the password masked" 2 \
  "bad --socks '127.0.0.1:99999,user=u,password=\*\*\*': " -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --socks '127.0.0.1:99999,user=u,password=hunter2'
printf '%s[socks s]\nlisten = 127.0.0.1:1080\nuser = u\npassword = hunter2\nallow = 10.0.0.1/8\n' "$GOOD_LINK" > "$WORK/badsocks.conf"
no_secret "a bad socks section: the password masked" 2 "badsocks.conf:3: bad --socks '.*password=\*\*\*" -- \
  "$D" --check-config -c "$WORK/badsocks.conf"
no_secret "a password on the command line: a warning" 0 \
  "^umptcpd: warning: --socks 127.0.0.1:1080,user=u,password=\*\*\*: its password is visible to local users" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --socks '127.0.0.1:1080,user=u,password=hunter2'
chmod 0600 "$WORK/socks.conf"
out=$("$D" --check-config -c "$WORK/socks.conf" 2>&1)
if ! grep -q "warning" <<<"$out"; then pass=$((pass + 1)); else
  failed=$((failed + 1)); echo "FAIL: a 0600 config file with a password: a warning: $out"; fi
chmod 0640 "$WORK/socks.conf"
out=$("$D" --check-config -c "$WORK/socks.conf" 2>&1)
if ! grep -q "warning" <<<"$out"; then pass=$((pass + 1)); else
  failed=$((failed + 1)); echo "FAIL: a 0640 config file with a password: a warning: $out"; fi
chmod 0644 "$WORK/socks.conf"
no_secret "a world-readable config file with a password: a warning" 0 \
  "^umptcpd: warning: .*socks.conf holds a password \(.*socks.conf:[0-9]+ \[socks s\]\) and its mode 0644 lets others read it or write it" -- \
  "$D" --check-config -c "$WORK/socks.conf"
chmod 0660 "$WORK/socks.conf"
expect 0 "a group-writable config file with a password: a warning" "socks.conf holds a password .* mode 0660" -- \
  "$D" --check-config -c "$WORK/socks.conf"
chmod 0644 "$WORK/flags.conf" 2>/dev/null
out=$("$D" --check-config -c "$WORK/allow.conf" 2>&1)
if ! grep -q "warning" <<<"$out"; then pass=$((pass + 1)); else
  failed=$((failed + 1)); echo "FAIL: a 0644 config file without a password: a warning: $out"; fi
# --max-requesting (max-requesting in [daemon]).
expect 0 "max-requesting: a number" "^max-requesting = 16$" -- \
  "$D" --check-config --link tun:um0:10.0.0.1/24 --socks 127.0.0.1:1080 --max-requesting 16
bad_conf 2 "bad --max-requesting '0' \(1 to 1048576\)" $'[daemon]\nmax-requesting = 0\n'"$GOOD_LINK$GOOD_FWD"
cli_summary
