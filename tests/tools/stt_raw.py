#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Crafted frames from an AF_PACKET socket, for tests/netns/test_hostile.sh. A test tool.

  stt_raw.py isolation DEV DSTMAC SRC DST --bound C,C,... [--per K] [--port P] [--split]
      STT segments onto the underlay: K frames for each bound context, one for every other
      context of the list below (every single-bit flip of a bound context, and IDs a
      careless lookup could confuse). Each inner frame is broadcast, EtherType 0x88b5, and
      carries b"STTH" + its context (8 bytes, big endian). --split: each frame in two
      segments, the second sent first (for sttd). Prints JSON: what was sent.
  stt_raw.py tenant DEV --fdb-mac MAC --other-mac MAC
      Hostile tenant frames (unknown unicast, broadcast, multicast, forged source MACs, the
      MAC another context's FDB names, inner packets that look like STT of another context,
      QinQ). Prints JSON: how many of each.
  stt_raw.py vlan DEV DSTMAC --vid V --pcp P [--count N]
      802.1Q-tagged frames (EtherType 0x88b5 inside, payload b"STTVLAN").
  stt_raw.py vlan-split DEV DSTMAC SRC DST INNERMAC --ctx C --vid V --pcp P [--count N]
      Frames with V=1 in two segments, the second first (so that sttd reassembles them).
  stt_raw.py piece-reuse DEV DSTMAC SRC DST --ctx-a C --mac-a M --ctx-b C --mac-b M
      A TSO-like frame of context A in two pieces, then only the second piece of a frame of
      context B with the same sender, source port and frame ID.
  stt_raw.py headers DEV DSTMAC SRC DST INNERMAC INNERDST --ctx C [--split] [--pcap FILE]
      One frame per STT header case (HEADER_CASES: well-formed controls, then each field
      wrong in turn), each tagged with its index; prints the cases with the verdict each
      must get and the tshark expert info it must raise (tests/netns/test_header.sh).
  stt_raw.py ipv6 DEV DSTMAC SRC6 DST6 --ctx C [--count N]
      STT carried over IPv6 (TCP to 7471), a whole frame for context C.
  stt_raw.py frag DEV DSTMAC SRC DST --ctx C
      An STT frame for context C as two IPv4 fragments, and two orphan non-first fragments.
  stt_raw.py wire DEV DSTMAC
      A fixed set of tenant frames for every transmit path (single segments of many sizes
      and kinds, VLAN, DSCP/ECN, IPv6 inside, frames cut into segments, TSO bursts through
      a PACKET_VNET_HDR socket), the same bytes on every run (tests/tools/wire_compare.sh).
Contexts are decimal or 0x hex, 0 .. 2^64-1.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 3
STT_PORT = 7471


def csum(data, start=0):
    if len(data) & 1:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def eth(dst, src, etype):
    return dst + src + struct.pack("!H", etype)


def ipv4(src, dst, proto, payload, frag=0x4000, ident=1, ihl=5, tot=None):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, ident, frag, 64, proto, 0, s, d)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def tcp4(src, dst, sport, dport, seq, ack, payload, flags=0x18):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def tcp6(src, dst, sport, dport, seq, ack, payload, flags=0x18):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
              struct.pack("!IxxxB", len(h) + len(payload), 6))
    c = csum(pseudo + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def stt_hdr(ctx, flags=0, l4=0, mss=0, vlan=0):
    return struct.pack("!BBBBHHQH", 0, flags, l4, 0, mss, vlan, ctx, 0)


def stt_seg4(src, dst, ctx, inner, sport=51234, frame_id=1, port=STT_PORT):
    body = stt_hdr(ctx) + inner
    seg = tcp4(src, dst, sport, port, (len(body) << 16), frame_id, body)
    return ipv4(src, dst, 6, seg, ident=frame_id & 0xFFFF) + seg


def stt_split4(src, dst, ctx, inner, sport, frame_id, port=STT_PORT, cut=40):
    """The frame as two segments, the second first (GRO cannot merge them: sttd must)."""
    body = stt_hdr(ctx) + inner
    out = []
    for off, part, flags in ((cut, body[cut:], 0x18), (0, body[:cut], 0x10)):
        seg = tcp4(src, dst, sport, port, (len(body) << 16) | off, frame_id, part, flags)
        out.append(ipv4(src, dst, 6, seg, ident=(frame_id + off) & 0xFFFF) + seg)
    return out


def udp4(src, dst, sport, dport, payload):
    h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    c = csum(pseudo + h + payload) or 0xFFFF
    return ipv4(src, dst, 17, h + payload) + h[:6] + struct.pack("!H", c) + payload


class Sender:
    def __init__(self, dev, pcap=None):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.s.bind((dev, 0))
        self.mac = self.s.getsockname()[4][:6]
        self.n = 0
        # pcap: every frame sent, as sent (a capture could miss some; this cannot).
        self.pcap = open(pcap, "wb") if pcap else None
        if self.pcap:
            self.pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def send(self, frame):
        if len(frame) < 60:
            frame += b"\0" * (60 - len(frame))
        self.s.send(frame)
        self.n += 1
        if self.pcap:
            t = time.time()
            self.pcap.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(frame), len(frame)) + frame)
            self.pcap.flush()


def unbound_ids(bound):
    special = [0, (1 << 64) - 1, 1 << 63, (1 << 63) | 1, (1 << 63) - 1, 1, 0xFFFFFFFF, 1 << 32]
    for b in bound:
        special += [b & 0xFFFFFFFF, b >> 32, (b << 32) & ((1 << 64) - 1),
                    int.from_bytes(b.to_bytes(8, "big"), "little")]
    out = []
    for c in special + [b ^ (1 << i) for b in bound for i in range(64)]:
        if c not in bound and c not in out:
            out.append(c)
    return out


def cmd_isolation(a):
    tx = Sender(a.dev)
    bound = [int(c, 0) for c in a.bound.split(",")]
    dmac = mac(a.dstmac)
    fid = 0x10000

    def frame(ctx):
        nonlocal fid
        fid += 1
        inner = eth(b"\xff" * 6, b"\x02\x53\x54\x48\x00\x01", 0x88B5) + b"STTH" + ctx.to_bytes(8, "big") + bytes(36)
        if a.split:
            return [eth(dmac, tx.mac, 0x0800) + p
                    for p in stt_split4(a.src, a.dst, ctx, inner, 49152 + fid % 16384, fid, a.port)]
        return [eth(dmac, tx.mac, 0x0800) + stt_seg4(a.src, a.dst, ctx, inner, 49152 + fid % 16384, fid, a.port)]

    for _ in range(a.per):
        for c in bound:
            for f in frame(c):
                tx.send(f)
    ub = unbound_ids(bound)
    for c in ub:
        for f in frame(c):
            tx.send(f)
    print(json.dumps({"bound": [str(c) for c in bound], "per_bound": a.per, "unbound": len(ub),
                      "sent": tx.n}))


def cmd_tenant(a):
    tx = Sender(a.dev)
    me = tx.mac
    counts = {}
    rnd = os.urandom

    def send(kind, f):
        tx.send(f)
        counts[kind] = counts.get(kind, 0) + 1

    def ip_payload(dmac, smac, dst="198.19.0.99"):
        return eth(dmac, smac, 0x0800) + udp4("198.19.0.1", dst, 40000, 9, b"hostile tenant" + bytes(30))

    for _ in range(10):
        d = bytearray(rnd(6))
        d[0] &= 0xFE
        send("unknown_unicast", ip_payload(bytes(d), me))
    for _ in range(3):
        send("broadcast", ip_payload(b"\xff" * 6, me, "198.19.0.255"))
        send("multicast_ipv4", ip_payload(bytes.fromhex("01005e0000fb"), me, "224.0.0.251"))
        send("multicast_33_33", eth(bytes.fromhex("333300000001"), me, 0x88B5) + bytes(46))
    for src in (os.urandom(6), mac(a.other_mac), bytes(6), b"\xff" * 6, bytes.fromhex("01005e000001")):
        send("forged_source", ip_payload(b"\xff" * 6, src))
        send("forged_source", eth(mac(a.other_mac), src, 0x88B5) + bytes(46))
    for _ in range(5):
        send("other_context_fdb_mac", ip_payload(mac(a.fdb_mac), me))
    # Inner packets that look like STT for context 200 toward another endpoint.
    inner = eth(b"\xff" * 6, b"\x02\x00\x00\x00\x00\x09", 0x88B5) + b"FORGED" + bytes(40)
    for dst in ("198.18.0.3", "198.18.0.2"):
        for dmac in (b"\xff" * 6, mac(a.fdb_mac), mac(a.other_mac)):
            send("inner_stt", eth(dmac, me, 0x0800) + stt_seg4("198.18.0.1", dst, 200, inner))
    # Two tags: STT carries one; dropped as tx_qinq.
    for outer in (0x8100, 0x88A8):
        send("qinq", eth(b"\xff" * 6, me, outer) + struct.pack("!HHHH", 5, 0x8100, 6, 0x88B5) + bytes(46))
    counts["total"] = tx.n
    print(json.dumps(counts))


def cmd_vlan(a):
    tx = Sender(a.dev)
    tci = (a.pcp << 13) | a.vid
    for i in range(a.count):
        tx.send(eth(mac(a.dstmac), tx.mac, 0x8100) + struct.pack("!HH", tci, 0x88B5) + b"STTVLAN" + bytes([i]) + bytes(40))
    print(json.dumps({"sent": tx.n, "vid": a.vid, "pcp": a.pcp}))


def cmd_vlan_split(a):
    """A frame with V=1 (VID, PCP) in two segments, the second first: sttd reassembles it."""
    tx = Sender(a.dev)
    vlan = (a.pcp << 13) | 0x1000 | a.vid
    for i in range(a.count):
        inner = eth(mac(a.innermac), b"\x02\x53\x54\x48\x00\x0a", 0x88B5) + b"STTVLAN" + bytes([i]) + bytes(60)
        body = stt_hdr(int(a.ctx, 0), vlan=vlan) + inner
        fid = 0x7000 + i
        for off, part, flags in ((40, body[40:], 0x18), (0, body[:40], 0x10)):
            seg = tcp4(a.src, a.dst, 50100 + i, STT_PORT, (len(body) << 16) | off, fid, part, flags)
            tx.send(eth(mac(a.dstmac), tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, seg, ident=fid + off) + seg)
    print(json.dumps({"sent_frames": a.count}))


def tso_body(ctx, innermac, marker, plen):
    """STT header (TSO frame: IPv4|TCP, checksum partial at L4 offset 34 as the draft
    requires with TSO, MSS 1000) + inner Ethernet/IPv4/TCP + payload."""
    payload = (marker * (plen // len(marker) + 1))[:plen]
    src, dst = "198.19.0.1", "198.19.0.2"
    t = tcp4(src, dst, 40000, 5001, 1000, 1, payload)
    inner = eth(mac(innermac), b"\x02\x53\x54\x48\x00\x0b", 0x0800) + ipv4(src, dst, 6, t) + t
    return stt_hdr(ctx, flags=0x0E, l4=34, mss=1000) + inner


def cmd_piece_reuse(a):
    """Frame X (context A) in three segments: the first two (the second with PSH) for GRO to
    merge into a first piece, then the third. Then the second and third segments only (for
    GRO to merge into a later piece) of a frame Y for context B, with the same sender, source
    port and frame ID (an ID that came back, as it does after 2^24 frames of a CPU). Y's
    bytes must not reach A's tenant."""
    tx = Sender(a.dev)
    dm = mac(a.dstmac)
    sport, fid, seg = 50555, 0x00ABCDEF, 1400

    def send_seg(body, off, flags):
        part = body[off:off + seg]
        t = tcp4(a.src, a.dst, sport, STT_PORT, (len(body) << 16) | off, fid, part, flags)
        # IP IDs that step by one: GRO merges only those
        tx.send(eth(dm, tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, t, ident=100 + off // seg) + t)

    x = tso_body(int(a.ctx_a, 0), a.mac_a, b"XFRAME-A", 4000)
    y = tso_body(int(a.ctx_b, 0), a.mac_b, b"YFRAME-B", 4000)
    send_seg(x, 0, 0x10)
    send_seg(x, seg, 0x18)
    send_seg(x, 2 * seg, 0x18)
    if a.stage != "x-only":
        time.sleep(0.2)
        send_seg(y, seg, 0x10)
        send_seg(y, 2 * seg, 0x18)
    print(json.dumps({"sent": tx.n}))


# The header cases of cmd_headers: name, version, flags, L4 offset, MSS, reserved byte and
# padding, inner L4 (udp, tcp), what the receiver must do (deliver, or the drop reason) and
# the expert info tshark's STT dissector raises for it (None: tshark has no such rule).
V4, TCPF, PART, VER = 0x04, 0x08, 0x02, 0x01
HEADER_CASES = [
    ("control: plain", 0, V4, 0, 0, 0, "udp", "deliver", None),
    ("control: checksum verified", 0, V4 | VER, 0, 0, 0, "udp", "deliver", None),
    ("control: reserved byte and padding set", 0, V4, 0, 0, 0xFF, "udp", "deliver", None),
    ("control: partial UDP, offset 34", 0, V4 | PART, 34, 0, 0, "udp", "deliver", None),
    ("control: partial TCP, offset 34, MSS 1448", 0, V4 | TCPF | PART, 34, 1448, 0, "tcp", "deliver", None),
    ("version 1", 1, V4, 0, 0, 0, "udp", "bad_version", "stt.version_unknown.expert"),
    ("reserved flag bit 4", 0, V4 | 0x10, 0, 0, 0, "udp", "bad_flags", None),
    ("reserved flag bit 7", 0, V4 | 0x80, 0, 0, 0, "udp", "bad_flags", None),
    ("partial and verified", 0, V4 | PART | VER, 34, 0, 0, "udp", "bad_flags", None),
    ("L4 offset without partial", 0, V4, 34, 0, 0, "udp", "bad_l4_offset", "stt.l4offset_bad.expert"),
    ("partial, L4 offset 0", 0, V4 | PART, 0, 0, 0, "udp", "bad_l4_offset", "stt.l4offset_bad.expert"),
    ("partial, L4 offset 35", 0, V4 | PART, 35, 0, 0, "udp", "bad_l4_offset", None),
    ("partial, L4 offset 200 past the end", 0, V4 | PART, 200, 0, 0, "udp", "bad_l4_offset", None),
    ("partial, flags say TCP of UDP", 0, V4 | TCPF | PART, 34, 0, 0, "udp", "bad_l4_offset", None),
    ("partial, flags say IPv6 of IPv4", 0, PART, 54, 0, 0, "udp", "bad_l4_offset", None),
    ("MSS without partial", 0, V4, 0, 1448, 0, "udp", "bad_mss", "stt.mss_bad.expert"),
    ("partial UDP with an MSS", 0, V4 | PART, 34, 1448, 0, "udp", "bad_mss", None),
    ("partial TCP, MSS 47", 0, V4 | TCPF | PART, 34, 47, 0, "tcp", "bad_mss", None),
]


def cmd_headers(a):
    """One STT frame per HEADER_CASES entry for context CTX, from SRC to DST: IPv4 inside,
    to INNERMAC / INNERDST port 9, tagged b"STTHDR" + the case's index (1 byte). The frame
    ID (ACK) is 0x4800 + index. An inner checksum is complete, or the pseudo-header seed
    where the header says partial. --split: each frame in two segments, the second first.
    --pcap FILE: every frame sent, as a capture. Prints JSON: the cases, in order."""
    tx = Sender(a.dev, a.pcap)
    ctx = int(a.ctx, 0)
    src, dst = "198.19.0.1", a.innerdst
    out = []
    for i, (name, ver, flags, l4, mss, rsv, kind, want, expert) in enumerate(HEADER_CASES):
        payload = b"STTHDR" + bytes([i]) + bytes(33)
        proto = 6 if kind == "tcp" else 17
        if kind == "tcp":
            l4h = struct.pack("!HHIIBBHHH", 40001, 9, 1, 0, 5 << 4, 0x18, 65535, 0, 0)
            cpos = 16
        else:
            l4h = struct.pack("!HHHH", 40001, 9, 8 + len(payload), 0)
            cpos = 6
        seg = l4h + payload
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(seg))
        c = (~csum(pseudo)) & 0xFFFF if flags & PART else (csum(pseudo + seg) or 0xFFFF)
        seg = seg[:cpos] + struct.pack("!H", c) + seg[cpos + 2:]
        inner = eth(mac(a.innermac), b"\x02\x53\x54\x48\x44\x52", 0x0800) + ipv4(src, dst, proto, seg) + seg
        body = struct.pack("!BBBBHHQH", ver, flags, l4, rsv, mss, 0, ctx, rsv * 0x101) + inner
        fid = 0x4800 + i
        if a.split:
            cut = 40
            for off, part, tf in ((cut, body[cut:], 0x18), (0, body[:cut], 0x10)):
                t = tcp4(a.src, a.dst, 50300 + i, STT_PORT, (len(body) << 16) | off, fid, part, tf)
                tx.send(eth(mac(a.dstmac), tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, t, ident=fid + off) + t)
        else:
            t = tcp4(a.src, a.dst, 50300 + i, STT_PORT, len(body) << 16, fid, body)
            tx.send(eth(mac(a.dstmac), tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, t, ident=fid) + t)
        out.append({"index": i, "name": name, "frame_id": fid, "want": want, "expert": expert})
    print(json.dumps({"sent": tx.n, "cases": out}))


def cmd_ipv6(a):
    tx = Sender(a.dev)
    ctx = int(a.ctx, 0)
    inner = eth(b"\xff" * 6, b"\x02\x53\x54\x48\x00\x06", 0x88B5) + b"STTH" + ctx.to_bytes(8, "big") + bytes(36)
    for i in range(a.count):
        body = stt_hdr(ctx) + inner
        seg = tcp6(a.src, a.dst, 50000 + i, STT_PORT, len(body) << 16, 100 + i, body)
        ip6 = struct.pack("!IHBB", 6 << 28, len(seg), 6, 64) + socket.inet_pton(socket.AF_INET6, a.src) + \
            socket.inet_pton(socket.AF_INET6, a.dst)
        tx.send(eth(mac(a.dstmac), tx.mac, 0x86DD) + ip6 + seg)
    print(json.dumps({"sent": tx.n}))


def cmd_frag(a):
    tx = Sender(a.dev)
    ctx = int(a.ctx, 0)
    dmac = mac(a.dstmac)
    inner = eth(b"\xff" * 6, b"\x02\x53\x54\x48\x00\x07", 0x88B5) + b"STTH" + ctx.to_bytes(8, "big") + bytes(100)
    body = stt_hdr(ctx) + inner
    seg = tcp4(a.src, a.dst, 51000, STT_PORT, len(body) << 16, 7, body)
    first, rest = seg[:64], seg[64:]
    sent = {}
    for ident in (0x4711, 0x4712):
        # first fragment (MF, offset 0): has the ports; then the rest (offset 64 / 8)
        tx.send(eth(dmac, tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, first, frag=0x2000, ident=ident) + first)
        tx.send(eth(dmac, tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, rest, frag=64 // 8, ident=ident) + rest)
    sent["fragmented_frames"] = 2
    # orphan non-first fragments (no ports): one middle, one last
    tx.send(eth(dmac, tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, rest[:64], frag=0x2000 | 8, ident=0x4713) + rest[:64])
    tx.send(eth(dmac, tx.mac, 0x0800) + ipv4(a.src, a.dst, 6, rest, frag=16, ident=0x4714) + rest)
    sent["orphans"] = 2
    sent["sent"] = tx.n
    print(json.dumps(sent))


def ip6hdr(src, dst, nxt, payload, tc=0):
    return struct.pack("!IHBB", (6 << 28) | (tc << 20), len(payload), nxt, 64) + \
        socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)


def l4_csum6(src, dst, proto, seg, cpos):
    pseudo = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
              struct.pack("!IxxxB", len(seg), proto))
    c = csum(pseudo + seg) or 0xFFFF
    return seg[:cpos] + struct.pack("!H", c) + seg[cpos + 2:]


def cmd_wire(a):
    """Deterministic tenant traffic: the same frames, byte for byte, on every run, so that
    two builds' captures can be compared field by field."""
    tx = Sender(a.dev)
    dmac, bcast = mac(a.dstmac), b"\xff" * 6
    s4, d4 = "198.19.0.1", "198.19.0.2"
    s6, d6 = "2001:db8:19::1", "2001:db8:19::2"

    def ip4(payload, proto, tos=0, frag=0x4000, ident=7):
        h = ipv4(s4, d4, proto, payload, frag=frag, ident=ident)
        h = h[:1] + bytes([tos]) + h[2:10] + b"\0\0" + h[12:20]
        return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

    def udp(n, sport=40000, zero=False):
        body = bytes((i * 7) & 0xFF for i in range(n))
        u = udp4(s4, d4, sport, 9, body)[20:]
        return u[:6] + b"\0\0" + u[8:] if zero else u

    for n in (1, 18, 100, 500, 1000, 1400, 1444, 1472):
        tx.send(eth(dmac, tx.mac, 0x0800) + ip4(udp(n, 40000 + n), 17))
    tx.send(eth(dmac, tx.mac, 0x0800) + ip4(udp(300, zero=True), 17))
    for tos in (0xB8, 0xB9, 0x02, 0x03):
        tx.send(eth(dmac, tx.mac, 0x0800) + ip4(udp(200, 41000 + tos), 17, tos=tos))
    tx.send(eth(bcast, tx.mac, 0x0806) + bytes(range(28)))
    tx.send(eth(dmac, tx.mac, 0x88B5) + b"STTWIRE" + bytes(53))
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + bytes(56)
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    tx.send(eth(dmac, tx.mac, 0x0800) + ip4(icmp, 1))
    for n in (0, 100, 1400, 1460):
        t = tcp4(s4, d4, 42000 + n, 5001, 1000, 1, bytes(n))
        tx.send(eth(dmac, tx.mac, 0x0800) + ip4(t, 6))
    frag = udp(800)
    tx.send(eth(dmac, tx.mac, 0x0800) + ip4(frag[:400], 17, frag=0x2000, ident=99))
    tx.send(eth(dmac, tx.mac, 0x0800) + ip4(frag[400:], 17, frag=50, ident=99))
    for pcp, vid in ((5, 10), (0, 4094)):
        tx.send(eth(dmac, tx.mac, 0x8100) + struct.pack("!HH", (pcp << 13) | vid, 0x0800) +
                ip4(udp(120, 43000 + vid), 17))
    for n in (64, 1400):
        u = struct.pack("!HHHH", 44000 + n, 9, 8 + n, 0) + bytes(n)
        tx.send(eth(dmac, tx.mac, 0x86DD) + ip6hdr(s6, d6, 17, l4_csum6(s6, d6, 17, u, 6), tc=0xB8))
        t = struct.pack("!HHIIBBHHH", 45000 + n, 5001, 1, 1, 5 << 4, 0x18, 65535, 0, 0) + bytes(n)
        tx.send(eth(dmac, tx.mac, 0x86DD) + ip6hdr(s6, d6, 6, l4_csum6(s6, d6, 6, t, 16)))
    # TSO bursts: a virtio_net_hdr in front of each frame (PACKET_VNET_HDR = 15) makes the
    # kernel build a GSO skb with CHECKSUM_PARTIAL, as a tenant's TCP stack would.
    g = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    g.setsockopt(263, 15, 1)
    g.bind((a.dev, 0))
    for n, mss, v6 in ((4000, 1000, False), (30000, 1448, False), (9000, 1428, True)):
        th = struct.pack("!HHIIBBHHH", 46000 + n // 100, 5001, 5, 1, 5 << 4, 0x10, 65535, 0, 0)
        body = bytes((i * 13) & 0xFF for i in range(n))
        if v6:
            pseudo = (socket.inet_pton(socket.AF_INET6, s6) + socket.inet_pton(socket.AF_INET6, d6) +
                      struct.pack("!IxxxB", 20 + n, 6))
            l3, et, gtype = ip6hdr(s6, d6, 6, th + body), 0x86DD, 4
            l3 = l3[:40]
        else:
            pseudo = socket.inet_aton(s4) + socket.inet_aton(d4) + struct.pack("!BBH", 0, 6, 20 + n)
            l3, et, gtype = ip4(th + body, 6)[:20], 0x0800, 1
        seed = (~csum(pseudo)) & 0xFFFF
        th = th[:16] + struct.pack("!H", seed) + th[18:]
        hl = 14 + len(l3)
        vnet = struct.pack("<BBHHHH", 1, gtype, hl + 20, mss, hl, 16)
        g.send(vnet + eth(dmac, tx.mac, et) + l3 + th + body)
        tx.n += 1
    print(json.dumps({"sent": tx.n}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("isolation")
    for x in ("dev", "dstmac", "src", "dst"):
        s.add_argument(x)
    s.add_argument("--bound", required=True)
    s.add_argument("--per", type=int, default=5)
    s.add_argument("--port", type=int, default=STT_PORT)
    s.add_argument("--split", action="store_true", help="each frame as two segments, the second first")
    s = sub.add_parser("tenant")
    s.add_argument("dev")
    s.add_argument("--fdb-mac", required=True)
    s.add_argument("--other-mac", required=True)
    s = sub.add_parser("vlan")
    s.add_argument("dev")
    s.add_argument("dstmac")
    s.add_argument("--vid", type=int, required=True)
    s.add_argument("--pcp", type=int, required=True)
    s.add_argument("--count", type=int, default=3)
    s = sub.add_parser("vlan-split")
    for x in ("dev", "dstmac", "src", "dst", "innermac"):
        s.add_argument(x)
    s.add_argument("--ctx", required=True)
    s.add_argument("--vid", type=int, required=True)
    s.add_argument("--pcp", type=int, required=True)
    s.add_argument("--count", type=int, default=3)
    s = sub.add_parser("piece-reuse")
    for x in ("dev", "dstmac", "src", "dst"):
        s.add_argument(x)
    s.add_argument("--ctx-a", required=True)
    s.add_argument("--mac-a", required=True)
    s.add_argument("--ctx-b", required=True)
    s.add_argument("--mac-b", required=True)
    s.add_argument("--stage", default="all", choices=("all", "x-only"))
    s = sub.add_parser("headers")
    for x in ("dev", "dstmac", "src", "dst", "innermac", "innerdst"):
        s.add_argument(x)
    s.add_argument("--ctx", required=True)
    s.add_argument("--split", action="store_true", help="each frame as two segments, the second first")
    s.add_argument("--pcap", help="write every frame sent to this capture file")
    s = sub.add_parser("ipv6")
    for x in ("dev", "dstmac", "src", "dst"):
        s.add_argument(x)
    s.add_argument("--ctx", required=True)
    s.add_argument("--count", type=int, default=5)
    s = sub.add_parser("frag")
    for x in ("dev", "dstmac", "src", "dst"):
        s.add_argument(x)
    s.add_argument("--ctx", required=True)
    s = sub.add_parser("wire")
    s.add_argument("dev")
    s.add_argument("dstmac")
    a = p.parse_args()
    {"isolation": cmd_isolation, "tenant": cmd_tenant, "vlan": cmd_vlan, "ipv6": cmd_ipv6,
     "frag": cmd_frag, "wire": cmd_wire, "vlan-split": cmd_vlan_split, "piece-reuse": cmd_piece_reuse,
     "headers": cmd_headers}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
