#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Helpers of tests/vm/interop_gue.sh (Linux GUE in the VM); standard library only.

  gue_frames.py annotate PCAP PORT      the first GUE frame of each direction (per pair of
                                        outer addresses), as an annotated hexdump
  gue_frames.py first PCAP PORT         per direction: frames, source ports, checksums,
                                        IPv6 extension headers seen
  gue_frames.py gsostat PCAP PORT       how many GUE frames, how large, how many > 1514 bytes
  gue_frames.py malformed ARGS...       craft GUE packets (AF_PACKET, from the current netns)
                                        and report from the receiver's counters which ones
                                        Linux delivers; prints TAP lines (ok / not ok)

The malformed cases run in the sender's namespace; the receiver's counters are read from
/proc/PID/net/{dev,snmp,netstat} of a process (PID) in the receiver's namespace, and the
places where the kernel freed a dropped skb from the skb:kfree_skb tracepoint with a
stacktrace trigger (tracefs, enabled by the caller).
"""
import os
import socket
import struct
import sys
import time

GUE_PORT = 6080


# ---------------------------------------------------------------- pcap reading

def read_pcap(path):
    """Yield (index, bytes) of each frame of a classic pcap file (Ethernet link type)."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        endian = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        endian = '>'
    else:
        raise SystemExit('%s: not a pcap file' % path)
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    if linktype != 1:
        raise SystemExit('%s: link type %d, not Ethernet' % (path, linktype))
    off, idx = 24, 0
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + 'IIII', data[off:off + 16])
        off += 16
        idx += 1
        yield idx, data[off:off + incl], orig
        off += incl


def mac(b):
    return ':'.join('%02x' % x for x in b)


def hexb(b):
    return ' '.join('%02x' % x for x in b)


def parse_outer(frame, port):
    """Return a dict describing an Ethernet/IPv4-or-IPv6/UDP(dport=port) frame, or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack('!H', frame[12:14])[0]
    o = 14
    if etype == 0x0800:
        if len(frame) < o + 20:
            return None
        ihl = (frame[o] & 0x0f) * 4
        if frame[o + 9] != 17:
            return None
        l3 = dict(fam=4, off=o, len=ihl, src=socket.inet_ntop(socket.AF_INET, frame[o + 12:o + 16]),
                  dst=socket.inet_ntop(socket.AF_INET, frame[o + 16:o + 20]))
        u = o + ihl
    elif etype == 0x86dd:
        if len(frame) < o + 40:
            return None
        # Walk the extension headers (ip6gretap puts a Destination Options header with the
        # Tunnel Encapsulation Limit option before UDP unless `encaplimit none`).
        nh, u, ext = frame[o + 6], o + 40, []
        while nh in (0, 43, 60) and len(frame) >= u + 8:
            elen = (frame[u + 1] + 1) * 8
            ext.append((nh, u, frame[u:u + elen]))
            nh, u = frame[u], u + elen
        if nh != 17:
            return None
        l3 = dict(fam=6, off=o, len=u - o, ext=ext,
                  src=socket.inet_ntop(socket.AF_INET6, frame[o + 8:o + 24]),
                  dst=socket.inet_ntop(socket.AF_INET6, frame[o + 24:o + 40]))
    else:
        return None
    if len(frame) < u + 8:
        return None
    sport, dport, ulen, csum = struct.unpack('!HHHH', frame[u:u + 8])
    if dport != port:
        return None
    l3.update(udp=u, sport=sport, dport=dport, ulen=ulen, csum=csum)
    return l3


def annotate(frame, d, out):
    """Print one GUE frame layer by layer: offset, bytes, reading."""
    w = out.write
    w('    %-15s %04x  %s\n' % ('outer Ethernet', 0, hexb(frame[0:14])))
    w('    %-15s       dst %s src %s type 0x%04x\n' % ('', mac(frame[0:6]), mac(frame[6:12]),
                                                      struct.unpack('!H', frame[12:14])[0]))
    o = d['off']
    ip = frame[o:o + d['len']]
    if d['fam'] == 4:
        tot, ident, frag = struct.unpack('!HHH', ip[2:8])
        w('    %-15s %04x  %s\n' % ('outer IPv4', o, hexb(ip)))
        w('    %-15s       ver 4 ihl %d tos 0x%02x (DSCP %d ECN %d) len %d id 0x%04x %s ttl %d proto %d (UDP) '
          'csum 0x%04x %s -> %s\n' % ('', (ip[0] & 15) * 4, ip[1], ip[1] >> 2, ip[1] & 3, tot, ident,
                                      'DF' if frag & 0x4000 else 'no DF', ip[8], ip[9],
                                      struct.unpack('!H', ip[10:12])[0], d['src'], d['dst']))
    else:
        vtf, plen, nh, hl = struct.unpack('!IHBB', ip[0:8])
        w('    %-15s %04x  %s ...\n' % ('outer IPv6', o, hexb(ip[:8])))
        w('    %-15s       ver 6 tclass 0x%02x flowlabel 0x%05x payload %d next header %d hlim %d '
          '%s -> %s\n' % ('', (vtf >> 20) & 0xff, vtf & 0xfffff, plen, nh, hl, d['src'], d['dst']))
        for t, eo, eb in d['ext']:
            w('    %-15s %04x  %s\n' % ({0: 'IPv6 hop-by-hop', 43: 'IPv6 routing', 60: 'IPv6 dst opts'}[t],
                                        eo, hexb(eb)))
            opts, i = [], 2
            while t in (0, 60) and i < len(eb):
                if eb[i] == 0:
                    opts.append('Pad1')
                    i += 1
                    continue
                ot, ol = eb[i], eb[i + 1]
                val = eb[i + 2:i + 2 + ol]
                opts.append({4: 'Tunnel Encapsulation Limit %d' % (val[0] if val else -1),
                             1: 'PadN(%d)' % ol}.get(ot, 'option 0x%02x len %d' % (ot, ol)))
                i += 2 + ol
            w('    %-15s       next header %d, %d bytes: %s\n' % ('', eb[0], len(eb), ', '.join(opts)))
    u = d['udp']
    w('    %-15s %04x  %s\n' % ('UDP', u, hexb(frame[u:u + 8])))
    w('    %-15s       sport %d dport %d len %d checksum 0x%04x (%s)\n' % (
        '', d['sport'], d['dport'], d['ulen'], d['csum'], 'zero: none computed' if d['csum'] == 0 else 'present'))
    g = u + 8
    if len(frame) < g + 4:
        w('    (truncated before the GUE header)\n')
        return
    b0, proto, flags = frame[g], frame[g + 1], struct.unpack('!H', frame[g + 2:g + 4])[0]
    ver, cbit, hlen = b0 >> 6, (b0 >> 5) & 1, b0 & 0x1f
    w('    %-15s %04x  %s\n' % ('GUE', g, hexb(frame[g:g + 4 + 4 * hlen])))
    w('    %-15s       version %d C %d hlen %d (%d option bytes) proto_ctype %d%s flags 0x%04x%s\n' % (
        '', ver, cbit, hlen, 4 * hlen, proto, ' (GRE)' if proto == 47 else '', flags,
        ' (P: private flags follow)' if flags & 1 else ' (none)'))
    r = g + 4 + 4 * hlen
    if proto != 47 or len(frame) < r + 4:
        return
    gflags, gproto = struct.unpack('!HH', frame[r:r + 4])
    glen = 4 + 4 * bool(gflags & 0x8000) + 4 * bool(gflags & 0x2000) + 4 * bool(gflags & 0x1000)
    names = [n for bit, n in ((0x8000, 'C'), (0x2000, 'K'), (0x1000, 'S')) if gflags & bit]
    w('    %-15s %04x  %s\n' % ('GRE', r, hexb(frame[r:r + glen])))
    key = ''
    if gflags & 0x2000:
        ko = r + 4 + 4 * bool(gflags & 0x8000)
        kv = struct.unpack('!I', frame[ko:ko + 4])[0]
        key = ' key %d (0x%08x)' % (kv, kv)
    w('    %-15s       flags 0x%04x (%s) version %d protocol 0x%04x%s%s\n' % (
        '', gflags, '+'.join(names) or 'none', gflags & 7, gproto,
        ' (Transparent Ethernet Bridging)' if gproto == 0x6558 else '', key))
    e = r + glen
    if gproto != 0x6558 or len(frame) < e + 14:
        return
    w('    %-15s %04x  %s\n' % ('inner Ethernet', e, hexb(frame[e:e + 14])))
    itype = struct.unpack('!H', frame[e + 12:e + 14])[0]
    desc = {0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6'}.get(itype, '?')
    w('    %-15s       dst %s src %s type 0x%04x (%s)\n' % ('', mac(frame[e:e + 6]), mac(frame[e + 6:e + 12]),
                                                          itype, desc))
    p = e + 14
    if itype == 0x0800 and len(frame) >= p + 20:
        w('    %-15s %04x  %s\n' % ('inner IPv4', p, hexb(frame[p:p + 20])))
        w('    %-15s       %s -> %s proto %d\n' % ('', socket.inet_ntop(socket.AF_INET, frame[p + 12:p + 16]),
                                                   socket.inet_ntop(socket.AF_INET, frame[p + 16:p + 20]),
                                                   frame[p + 9]))
    w('    overhead before the inner Ethernet header: %d bytes (outer IP %d + UDP 8 + GUE %d + GRE %d)\n' % (
        e - 14, d['len'], 4 + 4 * hlen, glen))


def xxd(frame, out, limit=None):
    n = len(frame) if limit is None else min(limit, len(frame))
    for i in range(0, n, 16):
        chunk = frame[i:min(i + 16, n)]
        out.write('    %04x: %-47s  %s\n' % (i, hexb(chunk),
                                            ''.join(chr(c) if 32 <= c < 127 else '.' for c in chunk)))


def cmd_annotate(args):
    path, port = args[0], int(args[1])
    seen = set()
    found = 0
    for idx, frame, orig in read_pcap(path):
        d = parse_outer(frame, port)
        if not d:
            continue
        # Only well-formed GUE data frames that Linux itself sends (version 0, no C bit).
        g = d['udp'] + 8
        if len(frame) < g + 4 or frame[g] >> 5 != 0:
            continue
        key = (d['src'], d['dst'])
        if key in seen:
            continue
        seen.add(key)
        found += 1
        sys.stdout.write('# first GUE frame %s -> %s: frame #%d of %s, %d bytes on the wire\n' % (
            d['src'], d['dst'], idx, os.path.basename(path), orig))
        annotate(frame, d, sys.stdout)
        sys.stdout.write('    hexdump (first 96 bytes):\n')
        xxd(frame, sys.stdout, 96)
    return 0 if found >= 2 else 1


def cmd_first(args):
    """Per direction (outer src, dst): frames, source ports, UDP checksums, IPv6 extension
    headers seen ('-' for none)."""
    path, port = args[0], int(args[1])
    per = {}
    names = {0: 'hopbyhop', 43: 'routing', 60: 'dstopts'}
    for _, frame, _ in read_pcap(path):
        d = parse_outer(frame, port)
        if not d:
            continue
        e = per.setdefault((d['src'], d['dst']), [0, set(), set(), set()])
        e[0] += 1
        e[1].add(d['sport'])
        e[2].add('zero' if d['csum'] == 0 else 'nonzero')
        e[3].add('+'.join(names[t] for t, _, _ in d.get('ext', [])) or '-')
    for (src, dst), (n, sports, cs, ext) in sorted(per.items()):
        print('%s %s %d %s %s %s' % (src, dst, n, ','.join(str(p) for p in sorted(sports)),
                                     ','.join(sorted(cs)), ','.join(sorted(ext))))
    return 0


def cmd_gsostat(args):
    path, port = args[0], int(args[1])
    n = big = mx = 0
    for _, frame, orig in read_pcap(path):
        if parse_outer(frame, port):
            n += 1
            mx = max(mx, orig)
            big += orig > 1514
    print('%d %d %d' % (n, big, mx))
    return 0


# ---------------------------------------------------------------- crafting

def csum16(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4(src, dst, proto, payload, ident=0x4747, tos=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, tos, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum16(h)) + h[12:] + payload


def icmp_echo(ident, seq, data=b'stt-gue-probe'):
    h = struct.pack('!BBHHH', 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack('!H', csum16(h)) + h[4:]


def udp4(src, dst, sport, dport, payload, csum='zero'):
    ln = 8 + len(payload)
    h = struct.pack('!HHHH', sport, dport, ln, 0)
    if csum == 'zero':
        c = 0
    else:
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, ln)
        c = csum16(pseudo + h + payload) or 0xffff
        if csum == 'bad':
            c ^= 0x5a5a
    return struct.pack('!HHHH', sport, dport, ln, c) + payload


def gue_hdr(ver=0, c=0, hlen=0, proto=47, flags=0):
    return struct.pack('!BBH', (ver << 6) | (c << 5) | hlen, proto, flags)


def gre_teb(key=None):
    if key is None:
        return struct.pack('!HH', 0, 0x6558)
    return struct.pack('!HHI', 0x2000, 0x6558, key)


def read_counters(pid, ifname):
    """Counters of the namespace of process PID: {name: value}."""
    c = {}
    base = '/proc/%d/net/' % pid
    for fname in ('snmp', 'netstat'):
        with open(base + fname) as f:
            lines = f.read().splitlines()
        for i in range(0, len(lines) - 1, 2):
            names, vals = lines[i].split(), lines[i + 1].split()
            pre = names[0].rstrip(':')
            for n, v in zip(names[1:], vals[1:]):
                try:
                    c[pre + n] = int(v)
                except ValueError:
                    pass
    with open(base + 'dev') as f:
        for line in f.read().splitlines()[2:]:
            name, rest = line.split(':', 1)
            v = [int(x) for x in rest.split()]
            name = name.strip()
            if name == ifname:
                c['tun_rx_packets'], c['tun_rx_errs'], c['tun_rx_drop'] = v[1], v[2], v[3]
                c['tun_tx_packets'] = v[9]
    return c


# `ip netns exec` mounts a sysfs of its own over /sys, which hides tracefs: the caller passes
# the trace file through /proc/PID/root of a process outside (--trace).
TRACE = '/sys/kernel/tracing/trace'
SKIP_FRAMES = ('kfree_skb', '__kfree_skb', 'kfree_skb_reason', 'trace_', 'event_', 'perf_',
               'stack_trace', '__trace', 'ftrace', 'skb_release')


def trace_clear(path):
    try:
        with open(path, 'w') as f:
            f.write('')
    except OSError:
        pass


def trace_drops(path):
    """The kfree_skb events since the last clear: [(reason, 'f1 < f2 < f3')]."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out, cur, frames = [], None, []
    for line in lines:
        if line.startswith('#'):
            continue
        if 'kfree_skb:' in line:
            if cur is not None:
                out.append((cur, ' < '.join(frames[:3])))
            cur, frames = line.rsplit('reason:', 1)[-1].strip() if 'reason:' in line else '?', []
        elif line.strip().startswith('=>') and cur is not None:
            fn = line.strip()[2:].strip().split('+')[0]
            if not fn.startswith(SKIP_FRAMES):
                frames.append(fn)
    if cur is not None:
        out.append((cur, ' < '.join(frames[:3])))
    return out


WATCH = ('tun_rx_packets', 'tun_rx_errs', 'tun_rx_drop', 'IcmpInEchos', 'IcmpOutDestUnreachs',
         'UdpInDatagrams', 'UdpInErrors', 'UdpNoPorts', 'UdpInCsumErrors', 'IpInUnknownProtos',
         'IpInDiscards', 'IpInHdrErrors', 'IpExtInNoECTPkts')


def cmd_malformed(argv):
    import argparse
    ap = argparse.ArgumentParser(prog='gue_frames.py malformed')
    ap.add_argument('--ifname', required=True)      # sender's underlay device (this netns)
    ap.add_argument('--src', required=True)         # outer IPv4 addresses
    ap.add_argument('--dst', required=True)
    ap.add_argument('--dst-mac', required=True)     # receiver's underlay MAC
    ap.add_argument('--tsrc', required=True)        # tenant addresses (inner IPv4)
    ap.add_argument('--tdst', required=True)
    ap.add_argument('--tsrc-mac', required=True)    # inner Ethernet addresses
    ap.add_argument('--tdst-mac', required=True)
    ap.add_argument('--key', type=int, required=True)
    ap.add_argument('--port', type=int, default=GUE_PORT)
    ap.add_argument('--peer-pid', type=int, required=True)
    ap.add_argument('--peer-tun', required=True)    # receiver's gretap device
    ap.add_argument('--trace', default=TRACE)       # tracefs's trace file
    a = ap.parse_args(argv)

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.ifname, 0))
    src_mac = s.getsockname()[4]
    dst_mac = bytes.fromhex(a.dst_mac.replace(':', ''))
    tsrc_mac = bytes.fromhex(a.tsrc_mac.replace(':', ''))
    tdst_mac = bytes.fromhex(a.tdst_mac.replace(':', ''))
    seq = [0]

    def inner(ident=0x5354):
        seq[0] += 1
        pkt = ipv4(a.tsrc, a.tdst, 1, icmp_echo(ident, seq[0]), ident=0x1000 + seq[0])
        return tdst_mac + tsrc_mac + b'\x08\x00' + pkt

    def frame(udp_payload, csum='zero', sport=50001):
        u = udp4(a.src, a.dst, sport, a.port, udp_payload, csum)
        return dst_mac + src_mac + b'\x08\x00' + ipv4(a.src, a.dst, 17, u)

    K = a.key
    direct = ipv4(a.tsrc, a.tdst, 1, icmp_echo(0x5355, 1))  # an IPv4 packet right after UDP
    # (name, udp payload or full frame, udp checksum, expected: delivered?, what the reading says)
    cases = [
        ('valid: v0, no flags, GRE K+TEB, key K, UDP checksum 0',
         gue_hdr() + gre_teb(K) + inner(), 'zero', True, 'accepted'),
        ('valid with a computed UDP checksum',
         gue_hdr() + gre_teb(K) + inner(), 'good', True, 'accepted'),
        ('(a) unknown standard GUE flag 0x8000',
         gue_hdr(flags=0x8000) + gre_teb(K) + inner(), 'zero', False, 'validate_gue_flags: flags & ~GUE_FLAGS_ALL'),
        ('(a) unknown standard GUE flag 0x0002',
         gue_hdr(flags=0x0002) + gre_teb(K) + inner(), 'zero', False, 'validate_gue_flags: flags & ~GUE_FLAGS_ALL'),
        ('(a) P flag without room for the private flags (hlen 0)',
         gue_hdr(flags=0x0001) + gre_teb(K) + inner(), 'zero', False, 'validate_gue_flags: len > optlen'),
        ('(b) hlen 1, no flags, option word 0xdeadbeef',
         gue_hdr(hlen=1) + b'\xde\xad\xbe\xef' + gre_teb(K) + inner(), 'zero', True,
         'options no flag accounts for are skipped'),
        ('(b) hlen 3, P flag, unknown private flag 0x00000001, then a 64-bit cookie-like word',
         gue_hdr(hlen=3, flags=0x0001) + struct.pack('!I', 1) + b'\x01\x02\x03\x04\x05\x06\x07\x08' +
         gre_teb(K) + inner(), 'zero', False, 'validate_gue_flags: pflags & ~GUE_PFLAGS_ALL'),
        ('(b) the proposed stt security cookie: hlen 3, P flag, private flag 0x40000000, 8-byte cookie',
         gue_hdr(hlen=3, flags=0x0001) + struct.pack('!I', 0x40000000) + b'\x5a' * 8 +
         gre_teb(K) + inner(), 'zero', False, 'validate_gue_flags: pflags & ~GUE_PFLAGS_ALL'),
        ('(b) hlen 1, P flag, private flags 0 (known, empty)',
         gue_hdr(hlen=1, flags=0x0001) + struct.pack('!I', 0) + gre_teb(K) + inner(), 'zero', True,
         'P with no private flag set is valid'),
        ('(b) hlen 31 but the datagram is shorter',
         gue_hdr(hlen=31) + gre_teb(K) + inner()[:60], 'zero', False, 'pskb_may_pull(len + optlen) fails'),
        ('C bit (control message), ctype 0',
         gue_hdr(c=1, proto=0) + gre_teb(K) + inner(), 'zero', False, 'gue_control_message: no support, freed'),
        ('(c) version 1 with a non-IP first nibble (0x50)',
         b'\x50\x00\x00\x00' + gre_teb(K) + inner(), 'zero', False, 'version 1 needs IP version 4 or 6'),
        ('(c) version 1 = direct IPv4 (0x45...), not GRE',
         direct, 'zero', False, 'resubmitted as IPPROTO_IPIP: no ipip tunnel here'),
        ('(c) version 2',
         b'\x80\x2f\x00\x00' + gre_teb(K) + inner(), 'zero', False, 'undefined version'),
        ('(c) version 3',
         b'\xc0\x2f\x00\x00' + gre_teb(K) + inner(), 'zero', False, 'undefined version'),
        ('unknown GRE key (K+1)',
         gue_hdr() + gre_teb(K + 1) + inner(), 'zero', False, 'ip_gre: no tunnel with that key'),
        ('GRE without a key (K bit clear)',
         gue_hdr() + gre_teb(None) + inner(), 'zero', False, 'ip_gre: the tunnel has a key'),
        ('wrong UDP checksum (nonzero)',
         gue_hdr() + gre_teb(K) + inner(), 'bad', False, 'UDP checks the checksum before encap_rcv'),
        ('truncated: 2 bytes of UDP payload',
         b'\x00\x2f', 'zero', False, 'pskb_may_pull(udphdr + guehdr) fails'),
    ]
    passed = failed = 0
    results = []
    for name, payload, csum, expect, reading in cases:
        before = read_counters(a.peer_pid, a.peer_tun)
        trace_clear(a.trace)
        s.send(frame(payload, csum))
        time.sleep(0.4)
        after = read_counters(a.peer_pid, a.peer_tun)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in WATCH}
        delivered = delta['tun_rx_packets'] > 0 and delta['IcmpInEchos'] > 0
        drops = trace_drops(a.trace)
        ch = ' '.join('%s+%d' % (k, v) for k, v in delta.items() if v)
        where = '; '.join('%s (%s)' % (f, r) for r, f in drops) or 'none traced'
        verdict = 'delivered to the tenant' if delivered else 'dropped'
        ok = delivered == expect
        print('%s - Linux GUE rx: %s: %s' % ('ok' if ok else 'not ok', name, verdict))
        print('#     counters: %s' % (ch or 'no change'))
        print('#     kfree_skb at: %s' % where)
        print('#     reading: %s' % reading)
        results.append((name, verdict, ch, where))
        passed += ok
        failed += not ok
    print('# malformed-case table (case | Linux 6.1 did | receiver counter deltas | where freed)')
    for name, verdict, ch, where in results:
        print('#| %s | %s | %s | %s |' % (name, verdict, ch or '-', where))
    print('# malformed cases: %d as the reading predicts, %d not' % (passed, failed))
    return 0 if failed == 0 else 1


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'annotate':
        return cmd_annotate(args)
    if cmd == 'first':
        return cmd_first(args)
    if cmd == 'gsostat':
        return cmd_gsostat(args)
    if cmd == 'malformed':
        return cmd_malformed(args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
