#!/usr/bin/env python3
"""Echo responder for the lab's target namespace: answers ICMP/ICMPv6 echo requests after a
fixed delay. The lab has no netem, so latency comes from here; the kernel's own echo replies
are switched off in that namespace. It is deliberately not our TypeScript code: ground truth
should not share code with the system under test.

usage: delayed-responder.py DELAY_MS   (prints "ready" once both sockets are open)
"""
import heapq, select, socket, struct, sys, time

delay = float(sys.argv[1]) / 1000.0


def csum(b: bytes) -> int:
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
# Only echo requests (type 128) reach the v6 socket: ICMP6_FILTER blocks everything else.
words = [0xFFFFFFFF] * 8
words[128 >> 5] &= ~(1 << (128 & 31))
s6.setsockopt(socket.IPPROTO_ICMPV6, 1, struct.pack('=8I', *words))
# Kernel receive timestamps (CLOCK_REALTIME): the delay runs from when the request arrived,
# not from when this process got round to reading it, so scheduling latency does not add to it.
SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)
for sock in (s4, s6):
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
# select() may wake late by its timer slack; the last stretch before a reply is due is spun.
SPIN = 0.0005
print('ready', flush=True)

pending = []  # (due, n, sock, packet, addr), due on the CLOCK_REALTIME scale of the timestamps
n = 0
while True:
    timeout = None
    if pending:
        timeout = max(0.0, pending[0][0] - time.time() - SPIN)
    r, _, _ = select.select([s4, s6], [], [], timeout)
    for s in r:
        data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(16))
        arrived = time.time()
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack('qq', value[:16])
                arrived = sec + nsec / 1e9
        if s is s4:
            ihl = (data[0] & 0x0F) * 4
            icmp = data[ihl:]
            if len(icmp) < 8 or icmp[0] != 8:
                continue
            body = bytes([0, 0, 0, 0]) + icmp[4:]
            reply = body[:2] + struct.pack('!H', csum(body)) + body[4:]
        else:
            icmp = data
            if len(icmp) < 8 or icmp[0] != 128:
                continue
            # The kernel fills in the ICMPv6 checksum (pseudo-header) on raw ICMPv6 sockets.
            reply = bytes([129, 0, 0, 0]) + icmp[4:]
        n += 1
        heapq.heappush(pending, (arrived + delay, n, s, reply, addr))
    if pending and pending[0][0] - time.time() <= SPIN:
        while time.time() < pending[0][0]:
            pass
    now = time.time()
    while pending and pending[0][0] <= now:
        _, _, s, reply, addr = heapq.heappop(pending)
        try:
            s.sendto(reply, addr)
        except OSError:
            pass
