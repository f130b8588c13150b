#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/*): inputs that reach deep states, for
the fuzzers to mutate. Run from anywhere; the files are committed, this is how they were made.
(The found-* files beside them are inputs libFuzzer found, kept from a merged corpus.)"""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(kind, name, data):
    with open(os.path.join(HERE, kind, name), "wb") as f:
        f.write(bytes(data))


# ---- fuzz_input: one IPv4 packet to port 80 (TCP) or 81 (MPTCP); checksums get repaired.
def tcp_v4(dport, flags, opts=b"", payload=b"", sport=12345, seq=1, ack=0):
    opts += b"\x00" * (-len(opts) % 4)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags,
                      65535, 0, 0) + opts + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return ip + tcp


put("input", "syn", tcp_v4(80, 0x02, b"\x02\x04\x05\xb4"))
put("input", "syn_mpc", tcp_v4(81, 0x02, b"\x02\x04\x05\xb4\x1e\x04\x01\x01"))
put("input", "syn_join", tcp_v4(81, 0x02, b"\x1e\x0c\x10\x01" + b"\x01\x02\x03\x04" * 2))
put("input", "ack_dss", tcp_v4(81, 0x10, b"\x1e\x08\x20\x01\x00\x00\x00\x01", b"data"))
put("input", "rst", tcp_v4(80, 0x04))
put("input", "echo", struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 2, 0, 64, 1, 0,
                                  bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + b"\x08\x00\x00\x00\x00\x01\x00\x00")

# ---- fuzz_session: [join?] then operations (fuzz_session.c reads them byte by byte).
def seg(sf=0, length=None, opts=()):
    b = sf | (2 if length is not None else 0)
    out = [b]
    if length is not None:
        out.append(length // 5)
    out.append(len(opts))
    for o in opts:
        out += o
    return out


DSS_MAP = [0, 0x0d, 0, 0, 0, 0, 0, 0, 0]        # template 0: DSS A|M|m, offsets 0
DATA_FIN = [1, 0x1d, 0, 0, 0, 1, 0, 0, 0, 0]    # DSS with F
ADD_ADDR = [2 | 8 | 1, 10, 0, 0, 9, 5]          # IPv4 10.0.0.9 id 5, right HMAC
RM_ADDR = [3, 0, 5]
PRIO = [4, 1]
FAIL = [5, 0]
FASTCLOSE = [6 | 16]
SACK = [8, 1, 1, 2]
READ, WRITE, SHUT, CLOSE, WAIT = 160, 161, 162, 163, 164

put("session", "data", [1] + seg(0, 100, [DSS_MAP]) + seg(1, 100, [DSS_MAP]) + [READ, WAIT, 5])
put("session", "data_fin", [0] + seg(0, 50, [DSS_MAP]) + seg(0, None, [DATA_FIN]) + [READ, WAIT, 10])
put("session", "signals", [1] + seg(0, None, [ADD_ADDR]) + seg(1, None, [RM_ADDR]) + seg(0, None, [PRIO])
    + [WAIT, 20])
put("session", "fail", [0] + seg(0, 100, [DSS_MAP, FAIL]) + [WAIT, 50, READ])
put("session", "fastclose", [1] + seg(1, None, [FASTCLOSE]) + [READ, WAIT, 5])
put("session", "app", [1, WRITE, 200, WAIT, 3] + seg(0, None, [SACK]) + [SHUT, 1, WAIT, 10, CLOSE, WAIT, 100])
# The path manager's surface: first byte 1 join, 2 SYN cookies, 4 a second connection; a
# storm of signals (its bytes pick subflows, address classes and IDs), a join opened later.
STORM, JOIN_FOR_1, JOIN_FOR_0 = 250, 253, 254
CONN1 = 64  # seg() on the second connection's subflow
rnd = __import__("random").Random(22)
noise = lambda n: [rnd.randrange(256) for _ in range(n)]
put("session", "storm", [1 | 4, STORM, 60] + noise(200) + seg(CONN1, None, [ADD_ADDR]) + [WAIT, 20])
put("session", "cookies", [1 | 2 | 4] + seg(0, 100, [DSS_MAP]) + [JOIN_FOR_0, STORM, 20] + noise(80)
    + seg(CONN1, 100, [DSS_MAP]) + [READ + 10, WAIT, 30])  # 170: a read on the second connection
put("session", "cookies_cross_token", [2 | 4, JOIN_FOR_1, STORM, 30] + noise(120) + [WAIT, 70])

# ---- fuzz_api: [who][op][slot byte][args...] (fuzz_api.c).
SOCKET, BIND, LISTEN, CONNECT, ACCEPT, SEND, RECV, SHUTDOWN, CLOSE_, SETOPT, GETOPT, POLL = range(12)
B, A = 1, 0  # stack b is 10.0.0.2, stack a 10.0.0.1
def run(ticks):
    return [0x80 | ticks]

for name, proto in (("tcp", 1), ("mptcp", 2)):
    put("api", name, [
        B, SOCKET, 0x10, proto,                 # b: socket(AF_INET, stream, proto) in slot 0
        B, BIND, 0x00, 0x0a, 0x00,              # bind 0.0.0.0:5000 (host 2: any; port 5000)
        B, LISTEN, 0x00, 8,
        A, SOCKET, 0x10, proto,                 # a: socket in slot 0
        A, CONNECT, 0x00, 0x09, 0x00,           # connect 10.0.0.2:5000
        *run(20),
        B, ACCEPT, 0x00,                        # b: accept into slot 1
        A, SEND, 0x00, 100,
        *run(20),
        B, RECV, 0x01, 200,
        B, SETOPT, 0x01, 1, 7, 4, 1, 0, 0, 0,   # TCP_NODELAY 1
        B, GETOPT, 0x01, 2, 14, 96,             # MPTCP_INFO
        A, SHUTDOWN, 0x00, 1,
        B, SEND, 0x01, 50,
        *run(30),
        B, CLOSE_, 0x01, A, CLOSE_, 0x00, *run(100),
    ])
# ---- fuzz_ctl_session: [managers and connections][seed][data size][userspace joins...], then
# operations [op][who][...] (fuzz_ctl_session.c). op 0-6: a request from a template,
# [command][bits][fields]; 7 raw bytes; 8 a template changed; 9 time; 10 a client reads;
# 11 a client connects (who: bit 7 the stack, bits 4-5 how it reads); 12 a client goes;
# 13 it half-closes; 14 a connection ends; 15 a server restarts.
(ADD_ADDR_, DEL_ADDR, GET_ADDR, FLUSH, SET_LIMITS, GET_LIMITS, SET_FLAGS, ANNOUNCE, REMOVE,
 SF_CREATE, SF_DESTROY, SUBSCRIBE, SHOW, STAT, UNKNOWN) = range(15)
RAW, MUTATE, TIME, READ_, CONNECT_, GO, HALF, END, RESTART = range(7, 16)
LIVE, OTHER_STACK, ANY_TOKEN = 0, 5, 6
def live_addr(subflow, port=1, ident=None, flags=None):  # a live subflow's address
    f, tail = port, []
    if ident is not None:
        f |= 8
        tail.append(ident)
    if flags is not None:
        f |= 32
        tail.append(flags)
    return [subflow << 2, f] + tail
def fixed_addr(index, port=0, ident=None, flags=None):  # fuzz_ctl_session.c's fixed_addrs
    a = live_addr(0, port, ident, flags)
    a[0] = index << 2 | 3
    return a
def req(who, cmd, bits=0, *fields):
    return [0, who, cmd, bits] + [x for f in fields for x in (f if isinstance(f, list) else [f])]
def wait(ms):
    return [TIME, 0, ms]

put("ctl_session", "kernel", [0x20 | 8, 1, 3]
    + req(0, SHOW) + req(1, SHOW) + req(0, STAT) + req(0, GET_ADDR) + req(1, GET_LIMITS)
    + req(0, SUBSCRIBE) + req(1, SUBSCRIBE)
    + req(0, SHOW, 0x08, LIVE) + req(1, SHOW, 0x09, LIVE)
    + req(0, SHOW, 0x30, LIVE, 2)
    + req(0, SET_FLAGS, 0x08, LIVE, live_addr(1, 1), live_addr(1, 1, None, 2))  # backup
    + wait(50)
    + req(1, ANNOUNCE, 0x01, LIVE, fixed_addr(3, 0, 5))
    + wait(50)
    + req(0, SF_CREATE, 0x00, LIVE, fixed_addr(1, 0, 2), live_addr(0, 1))
    + wait(100) + req(0, SHOW)
    + req(0, SET_FLAGS, 0x00, live_addr(1, 0, 1, 4))  # an endpoint's backup
    + req(0, REMOVE, 0x01, LIVE, 2) + wait(50)
    + req(0, SF_DESTROY, 0x01, LIVE, live_addr(1, 1), live_addr(1, 1)) + wait(50)
    + req(1, ADD_ADDR_, 0, fixed_addr(3, 2, 7, 1), 0x1f, 0x90)  # a signal endpoint with a port
    + wait(200) + req(0, SHOW) + req(1, STAT) + [END, 0x02] + wait(100) + req(0, SHOW))
put("ctl_session", "userspace", [0x40 | 3, 2, 2, 1, 0, 1]
    + req(0, SUBSCRIBE) + req(1, SUBSCRIBE) + req(0, SHOW) + wait(30)
    + req(0, SF_CREATE, 0x01, LIVE, fixed_addr(1, 0, 3), live_addr(0, 1))
    + req(0, SF_CREATE, 0x01, LIVE, fixed_addr(1, 0, 3), fixed_addr(3, 0))
    + wait(60) + req(0, SHOW)
    + req(1, ANNOUNCE, 0x01, LIVE, fixed_addr(3, 0, 4))
    + req(0, ANNOUNCE, 0x02, LIVE, fixed_addr(1, 0, 3))
    + wait(60)
    + req(0, SET_FLAGS, 0x0a, LIVE, live_addr(1, 1), live_addr(1, 1, None, 2))
    + req(1, REMOVE, 0x01, LIVE, 4) + wait(40)
    + req(0, SF_DESTROY, 0x02, LIVE, live_addr(1, 1), live_addr(1, 1))
    + req(0, SF_CREATE, 0x02, ANY_TOKEN, 1, 2, 3, 4, fixed_addr(4, 0), fixed_addr(3, 0))
    + wait(100) + req(1, SHOW, 0x30, ANY_TOKEN, 0, 0, 0, 0, 4) + [END, 0x41] + req(0, SHOW))
put("ctl_session", "clients", [0x20, 3, 1]
    + [CONNECT_, 0x12, CONNECT_, 0xa3]  # client 2 reads late on stack 0, 3 never on stack 1
    + req(2, SUBSCRIBE) + req(3, SUBSCRIBE) + req(2, STAT) + req(3, STAT) + req(2, SHOW)
    + [RAW, 2, 20] + list(b'{"id":7,"cmd":"show"') + [RAW, 2, 2] + list(b"}\n")
    + [RAW, 0, 30] + list(b'{"id":1}\n\n[1,2]\n{"id":2,"cmd":') + req(0, STAT)
    + [MUTATE, 1, STAT, 0, 1, 9, ord(":")]
    + wait(40) + [READ_, 2] + [HALF, 2] + req(2, SHOW) + [READ_, 2]
    + req(1, SHOW) + [GO, 0x11] + [CONNECT_, 0x81] + req(1, SHOW)
    + [RESTART, 0] + [CONNECT_, 0x04] + req(0, GET_LIMITS)
    + req(0, SET_LIMITS, 0x18, 3, 2) + req(0, SET_LIMITS, 0x38, 11, 9)
    + req(0, FLUSH) + wait(50) + req(0, SHOW) + [READ_, 3])

# ---- fuzz_relay_proto: [flags][chunk seed][bytes], the bytes fed to the SOCKS5 and HTTP CONNECT
# parsers and read as HOST:PORT. flags: 1 the SOCKS server wants "u"/"pw", 2-6 the pieces'
# sizes (bits 1-2), 8 a port alone allowed, bits 4-6 the upstream's outcome, 0x80 the last 32
# bytes repeated past the HTTP bound (8 KiB).
os.makedirs(os.path.join(HERE, "relay_proto"), exist_ok=True)
put("relay_proto", "socks_v4", [0x02, 7] + [5, 1, 0] + [5, 1, 0, 1, 10, 0, 0, 1, 0, 80] + list(b"GET"))
put("relay_proto", "socks_v6", [0x14, 9] + [5, 2, 0, 2] + [5, 1, 0, 4] + list(range(0x20, 0x30))
    + [0x1f, 0x90])
put("relay_proto", "socks_auth_name", [0x01 | 0x04 | 0x30, 3] + [5, 2, 0, 2] + [1, 1] + list(b"u")
    + [2] + list(b"pw") + [5, 1, 0, 3, 11] + list(b"example.com") + [1, 187])
put("relay_proto", "socks_refused", [0x01 | 0x40, 1] + [5, 1, 2] + [1, 1] + list(b"u") + [2]
    + list(b"pX"))
put("relay_proto", "socks_bind", [0x00, 5] + [5, 1, 0] + [5, 2, 0, 3, 3] + list(b"a.b") + [0, 21])
put("relay_proto", "http_connect", [0x06, 11] + list(b"CONNECT example.com:443 HTTP/1.1\r\n"
    b"Host: example.com:443\r\nProxy-Connection: keep-alive\r\n\r\n\x16\x03\x01"))
put("relay_proto", "http_v6", [0x52, 4] + list(b"\r\nCONNECT [2001:db8::1]:8080 HTTP/1.0\nX-A:\t\xc3\xa9\n\n"))
put("relay_proto", "http_get", [0x04, 2] + list(b"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n"))
put("relay_proto", "http_long_header", [0x80 | 0x04, 6] + list(b"CONNECT a.b:1 HTTP/1.1\r\nX-Pad: ")
    + list(b"0123456789abcdef" * 2))
put("relay_proto", "http_many_headers", [0x80, 8] + list(b"CONNECT a.b:1 HTTP/1.1\r\n") + list(b"X-Ab: 12345678\r\n" * 2))
put("relay_proto", "hostport_name", [0x08, 0] + list(b"my_host-1.example.com.:65535"))
put("relay_proto", "hostport_v6", [0x00, 0] + list(b"[::ffff:192.0.2.1]:1080"))
put("relay_proto", "hostport_port", [0x08, 0] + list(b"8080"))
print("corpora written under", HERE)
