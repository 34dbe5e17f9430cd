#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) and the
reproducers of the known parser bugs (tests/fuzz/crashes/fuzz_parsers/).

The files are committed; run this only to regenerate them after changing an input format:
    python3 tests/fuzz/gen_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(sub, name, data):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- fuzz_piece

def csum(data, seed=0):
    s = seed
    if len(data) % 2:
        data += b"\0"
    for i in range(0, len(data), 2):
        s += data[i] << 8 | data[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


SADDR = bytes([10, 0, 0, 1])
DADDR = bytes([10, 0, 0, 2])


def stt_frame(ctx, inner_len, flags=0x0E, mss=0, version=0, l4=34):
    """STT header + an inner Ethernet/IPv4/TCP frame of inner_len bytes."""
    hdr = struct.pack(">BBBBHHQH", version, flags, l4, 0, mss, 0, ctx, 0)
    eth = bytes([2, 0, 0, 0, 0, 0xB, 2, 0, 0, 0, 0, 0xA]) + b"\x08\x00"
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, inner_len - 14, 1, 0x4000, 64, 6, 0,
                     bytes([192, 168, 0, 1]), bytes([192, 168, 0, 2]))
    tcp = struct.pack(">HHIIBBHHH", 40000, 5201, 1, 1, 5 << 4, 0x18, 512, 0, 0)
    body = bytes((i * 7 + 3) & 0xFF for i in range(inner_len - 54))
    return hdr + eth + ip + tcp + body


def segment(payload, frame_len, seg_off, good_csum=True, seed_csum=False):
    """Outer Ethernet + IPv4 + TCP (checksum computed) + payload."""
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]) + b"\x08\x00"
    seq = (frame_len << 16) | (seg_off & 0xFFFF)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 7, 0x4000, 64, 6, 0,
                     SADDR, DADDR)
    tcp = bytearray(struct.pack(">HHIIBBHHH", 49153, 7471, seq, 0x1234, 5 << 4, 0x18, 65535,
                                0, 0))
    seg = bytes(tcp) + payload
    pseudo = csum(SADDR + DADDR + struct.pack(">HH", 6, len(seg)))
    if seed_csum:
        c = pseudo
    else:
        c = 0xFFFF - csum(seg, pseudo)
        if not good_csum:
            c ^= 0x0101
    tcp[16:18] = struct.pack(">H", c)
    return eth + ip + bytes(tcp) + payload


def piece(frame_id, frame_len, seg_off, pkt, payload_len, flags=0):
    hdr = struct.pack("<4s4sHHIIIIIIIB3x", SADDR, DADDR, 49153, flags, frame_id, frame_len,
                      seg_off, 54, payload_len, len(pkt), 3, 0)
    assert len(hdr) == 44
    return hdr + pkt


def record(sample, fl=0):
    return struct.pack("<BH", fl, len(sample)) + sample


def one_piece_frame(frame_id, frame, **kw):
    return piece(frame_id, len(frame), 0, segment(frame, len(frame), 0, **kw), len(frame))


def gen_piece():
    c = "corpus/fuzz_piece"
    f = stt_frame(5, 120)
    write(c, "single-segment", record(one_piece_frame(1, f)))
    write(c, "offload-seed-csum", record(one_piece_frame(2, f, seed_csum=True)))
    write(c, "bad-csum", record(one_piece_frame(3, f, good_csum=False)))
    # A TSO frame (inner longer than 14 + 40 + mss) in two pieces, last piece first.
    g = stt_frame(7, 700, mss=300)
    a, b = g[:400], g[400:]
    pa = piece(4, len(g), 0, segment(a, len(g), 0), len(a), flags=1)
    pb = piece(4, len(g), 400, segment(b, len(g), 400), len(b))
    write(c, "two-pieces-gso", record(pb) + record(pa))
    write(c, "unknown-context", record(one_piece_frame(5, stt_frame(9, 80))))
    write(c, "bad-version", record(one_piece_frame(6, stt_frame(5, 80, version=1))))
    write(c, "send-fails-verbose", record(one_piece_frame(7, stt_frame(11, 90, flags=0x0A)), 3))
    s = one_piece_frame(8, f)
    write(c, "malformed", record(s[:30]) + record(s[:-1]) + record(
        s[:28] + struct.pack("<I", 0xFFFFFFF0) + s[32:]))  # payload_len past pkt_len


# IPv6 underlay: 2001:db8::1 -> 2001:db8::2; saddr of the piece is the sender's remote index
# form (index 1: 00 00 00 01, a peer in the target's stub) or 0 (no index).
SADDR6 = bytes([0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [1])
DADDR6 = bytes([0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [2])
IDX1 = bytes([0, 0, 0, 1])


def segment6(payload, frame_len, seg_off, good_csum=True, seed_csum=False, src=SADDR6):
    """Outer Ethernet + IPv6 + TCP (checksum computed) + payload."""
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]) + b"\x86\xdd"
    seq = (frame_len << 16) | (seg_off & 0xFFFF)
    ip = struct.pack(">IHBB16s16s", 6 << 28, 20 + len(payload), 6, 64, src, DADDR6)
    tcp = bytearray(struct.pack(">HHIIBBHHH", 49153, 7471, seq, 0x1234, 5 << 4, 0x18, 65535,
                                0, 0))
    seg = bytes(tcp) + payload
    pseudo = csum(src + DADDR6 + struct.pack(">IxxxB", len(seg), 6))
    if seed_csum:
        c = pseudo
    else:
        c = 0xFFFF - csum(seg, pseudo)
        if not good_csum:
            c ^= 0x0101
    tcp[16:18] = struct.pack(">H", c)
    return eth + ip + bytes(tcp) + payload


def piece6(frame_id, frame_len, seg_off, pkt, payload_len, flags=0, remote=IDX1, tos=0):
    hdr = struct.pack("<4s4sHHIIIIIIIB3x", remote, bytes(4), 49153, flags | 2, frame_id,
                      frame_len, seg_off, 74, payload_len, len(pkt), 3, tos)
    return hdr + pkt


def one_piece_frame6(frame_id, frame, remote=IDX1, **kw):
    return piece6(frame_id, len(frame), 0, segment6(frame, len(frame), 0, **kw), len(frame),
                  remote=remote)


def gen_piece6():
    c = "corpus/fuzz_piece"
    f = stt_frame(5, 120)
    write(c, "v6-single-segment", record(one_piece_frame6(1, f)))
    write(c, "v6-offload-seed-csum", record(one_piece_frame6(2, f, seed_csum=True)))
    write(c, "v6-bad-csum", record(one_piece_frame6(3, f, good_csum=False)))
    # Two senders, one frame ID, same index form and low address bits, pieces interleaved.
    other = bytes([0x20, 0x01, 0x0D, 0xB8, 0xAA] + [0] * 10 + [1])
    g, h = stt_frame(7, 700, mss=300), stt_frame(10, 700)
    out = b""
    for off in (400, 0):
        for src, fr in ((SADDR6, g), (other, h)):
            part = fr[off:] if off else fr[:400]
            out += record(piece6(4, len(fr), off, segment6(part, len(fr), off, src=src),
                                 len(part), flags=1 if off == 0 else 0))
    write(c, "v6-two-senders", out)
    # Strict peers (record flag 4): a sender with an index that is a peer, one without.
    write(c, "v6-strict-peers", record(one_piece_frame6(8, f), 4) +
          record(one_piece_frame6(9, f, remote=bytes(4)), 4))
    # CE in the traffic class of the first piece.
    s = one_piece_frame6(11, f)
    write(c, "v6-ce", record(s[:40] + bytes([3]) + s[41:]))
    cut = piece6(12, 400, 0, s[44:44 + 73], 10, flags=1)  # GRO piece, IPv6 header cut
    cut = cut[:36] + struct.pack("<I", 73) + cut[40:]
    write(c, "v6-malformed", record(cut) + record(s[:44 + 12] + b"\x08\x00" + s[58:]) +
          record(s[:44 + 20] + b"\x11" + s[65:]))


# ---------------------------------------------------------------- fuzz_reasm

def gen_reasm():
    c = "corpus/fuzz_reasm"

    def add(key, flen_small, a, b, ctl=0, extra=b""):
        # op 0, key, frame_len selector 0 (1 + v % 64), v, a, b, ctl
        return bytes([0, key, 0]) + struct.pack("<HHHB", flen_small - 1, a, b, ctl) + extra

    def fill(key, ctl=0):
        return bytes([4, key, ctl])

    deep = bytes([7, 0])
    # cap 70000, timeout 1e9.
    hdr = bytes([5 | 6 << 3])
    write(c, "add-fill", hdr + add(0, 50, 10, 19) + fill(0) + deep)
    write(c, "overlap-fill", hdr + add(1, 60, 0, 29) + add(1, 60, 50, 9) + fill(1, 3) + deep)
    write(c, "conflict", hdr + add(2, 40, 0, 19) + add(2, 40, 10, 19, 1, struct.pack("<HB", 3, 9))
          + fill(2))
    write(c, "conflict-in-fill", hdr + add(3, 64, 20, 10) + fill(3, 8 | 3))
    # A comb of 1-byte pieces 2 apart: more than MAX_RANGES runs.
    write(c, "comb", hdr + bytes([3, 4]) + struct.pack("<H", 100) + bytes([0, 0, 199]) + deep)
    # Small cap: big frames evict each other; hash-colliding keys (16..31).
    big = bytes([0, 17, 3]) + struct.pack("<HHHB", 1400, 0, 100, 0)
    big2 = bytes([0, 18, 3]) + struct.pack("<HHHB", 1400, 0, 100, 0)
    big3 = bytes([0, 19, 3]) + struct.pack("<HHHB", 1400, 0, 100, 0)
    write(c, "evict", bytes([2 | 6 << 3]) + big + big2 + big3 + fill(19) + deep)
    # Timeout 10: time passes between pieces.
    tick = bytes([6, 0]) + struct.pack("<H", 11)
    write(c, "timeout", bytes([5 | 2 << 3]) + add(5, 30, 0, 9) + tick + add(5, 30, 10, 9) +
          fill(5))
    # Out of bounds pieces: raw offsets and lengths (ctl bit 5), odd frame lengths.
    raw = b"".join(bytes([0, 6, 7]) + struct.pack("<HHHB", v, 0xFFFF, 0xFFFF, 0x23)
                   for v in range(8))
    write(c, "bounds", hdr + raw + deep)
    # The same key with another frame length: reuse.
    write(c, "reuse", hdr + add(8, 50, 0, 9) + add(8, 20, 0, 9) + fill(8) + deep)
    # A whole 64 KB frame in two pieces, flags.
    whole = bytes([0, 9, 5]) + struct.pack("<HHHB", 0, 0, 30000, 0x10) + struct.pack("<I", 5)
    # Many frames held at once (colliding keys 16..23 and others), a duplicate, then
    # reasm_free with frames still held (header bit 7).
    held = b"".join(add(k, 40, 0, 9) for k in list(range(16, 24)) + [0, 1, 2, 3])
    write(c, "many-held", bytes([0x80 | 7 | 6 << 3]) + held + add(18, 40, 2, 3) +
          add(0, 40, 0, 9) + fill(20) + deep)
    write(c, "large", bytes([7 | 6 << 3]) + whole + fill(9, 0x34))


# ---------------------------------------------------------------- fuzz_parsers

def gen_parsers():
    c = "corpus/fuzz_parsers"
    seeds = {
        "context-hex": b"\x00" + b"0x1F2e",
        "context-max": b"\x0c" + b"18446744073709551615",
        "context-over": b"\x01" + b"18446744073709551616",
        "octal": b"\x06" + b"0755",
        "mac": b"\x01" + b"aa:BB:0c:dd:ee:ff",
        "ipv4": b"\x00" + b"192.168.100.1",
        "ipv4-leading-zero": b"\x01" + b"10.01.0.1",
        "port": b"\x06" + b"65535",
        "size-suffix": b"\x00" + b"64M",
        "argv": b"\x01" + b"x\x00--context\x00123\x00--mac\x00aa:bb:cc:dd:ee:ff\x00--remote",
    }
    for name, data in seeds.items():
        write(c, name, data)
    # Reproducers of the known bugs (each aborts the target unless STT_FUZZ_KNOWN=todo).
    k = "crashes/fuzz_parsers"
    write(k, "parse_context-whitespace", b"\x00" + b"\t-1")
    write(k, "parse_uint-space-sign", b"\x0c" + b" -18446744073709551615")
    write(k, "parse_mac-scanf", b"\x00" + b"-1:-1:-1:-1:-1:-1")
    write(k, "parse_size-sign", b"\x00" + b"-1")
    write(k, "parse_size-overflow", b"\x00" + b"17179869185G")


if __name__ == "__main__":
    gen_piece()
    gen_piece6()
    gen_reasm()
    gen_parsers()
