#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Send hand-made STT segments onto an interface (AF_PACKET), for the namespace tests.

One STT frame (18-byte STT header + an inner Ethernet/IPv4/UDP frame) is cut into segments
of --seg bytes of TCP payload; each segment gets its own outer TOS from --tos (a comma
separated list, the last value repeats), so that a test can put CE on one segment only.
Outer IPv4 and TCP checksums are correct unless --bad-csum. Nothing here reads replies.
"""
import argparse
import socket
import struct


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s: str) -> bytes:
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(src: str, dst: str, proto: int, tos: int, payload_len: int, ident: int) -> bytes:
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def inner_frame(a) -> bytes:
    payload = bytes((i * 7 + 3) & 0xFF for i in range(a.payload))
    udp_len = 8 + len(payload)
    pseudo = socket.inet_aton(a.inner_src) + socket.inet_aton(a.inner_dst) + struct.pack(
        "!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", 40000, a.inner_dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return (mac(a.inner_dmac) + mac(a.inner_smac) + b"\x08\x00" +
            ip4(a.inner_src, a.inner_dst, 17, a.inner_tos, udp_len, 0x1234) + udp)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ifname", required=True)
    p.add_argument("--dmac", required=True)
    p.add_argument("--smac", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, default=7471)
    p.add_argument("--sport", type=int, default=50000)
    p.add_argument("--context", type=lambda s: int(s, 0), required=True)
    p.add_argument("--frame-id", type=lambda s: int(s, 0), default=0x5a000001)
    p.add_argument("--tos", default="0", help="outer TOS per segment, comma separated")
    p.add_argument("--seg", type=int, default=1400, help="TCP payload bytes per segment")
    p.add_argument("--inner-dmac", required=True)
    p.add_argument("--inner-smac", default="02:00:00:00:99:01")
    p.add_argument("--inner-src", default="198.19.0.1")
    p.add_argument("--inner-dst", required=True)
    p.add_argument("--inner-dport", type=int, default=9)
    p.add_argument("--inner-tos", type=lambda s: int(s, 0), default=0)
    p.add_argument("--payload", type=int, default=64)
    p.add_argument("--count", type=int, default=1, help="frames (frame ID counts up)")
    a = p.parse_args()

    tos = [int(t, 0) for t in a.tos.split(",")]
    inner = inner_frame(a)
    stt_flags = 0x04  # IPv4 inside, checksum complete, not TCP
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.ifname, 0))
    for n in range(a.count):
        fid = (a.frame_id + n) & 0xFFFFFFFF
        frame = struct.pack("!BBBBHHQH", 0, stt_flags, 0, 0, 0, 0, a.context, 0) + inner
        off, k = 0, 0
        while off < len(frame):
            piece = frame[off:off + a.seg]
            t = tos[min(k, len(tos) - 1)]
            seq = (len(frame) << 16) | off
            tcp = struct.pack("!HHIIBBHHH", a.sport, a.port, seq, fid, 5 << 4, 0x18, 0xFFFF, 0,
                              0) + piece
            pseudo = socket.inet_aton(a.src) + socket.inet_aton(a.dst) + struct.pack(
                "!BBH", 0, 6, len(tcp))
            tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
            pkt = mac(a.dmac) + mac(a.smac) + b"\x08\x00" + ip4(a.src, a.dst, 6, t, len(tcp),
                                                              fid & 0xFFFF) + tcp
            s.send(pkt)
            off += len(piece)
            k += 1


if __name__ == "__main__":
    main()
