#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# STT over an IPv6 underlay (draft 3.3), end to end, on the standard two-host topology
# (scripts/lib.sh) with IPv6 on the underlay: h1 2001:db8:1::1, h2 2001:db8:1::2.
#   - an IPv6-only endpoint (attach --local 2001:db8:...): ARP, pings, large pings cut in
#     segments and reassembled by sttd; on the wire (tshark's STT dissector, TCP checksums
#     checked by tshark over the IPv6 pseudo header): IPv6, next header TCP, port 7471, the
#     context, a flow label;
#   - TSO bursts as one STT frame over IPv6 (iperf3), IPv4 and IPv6 inside, in offload
#     mode and in wire mode (the sending underlay segments in software: tshark checks every
#     segment's checksum and STT offsets);
#   - the XDP fast path over IPv6;
#   - a dual-stack endpoint: one remote over IPv4 and then over IPv6, nothing lost;
#   - an ICMPv6 packet too big about an STT segment lowers the path MTU toward that remote;
#   - sttctl ping (OAM) over IPv6; strict peers with IPv6 senders.
# Prints `ok - NAME` / `not ok - NAME: why` / `skip - NAME: reason`, and a summary line.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${ST6_NS_PREFIX:-st6-}
# Tenant frames fit one segment behind the 78 bytes of IPv6 + TCP + STT headers.
TENANT_MTU=${TENANT_MTU:-1408}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

UL1_IP6=2001:db8:1::1 UL2_IP6=2001:db8:1::2
T1_IP6=2001:db8:100::1 T2_IP6=2001:db8:100::2

TMP=$(mktemp -d /tmp/stt-ipv6.XXXXXX)
cleanup() {
	captures_kill
	[ -n "${ST6_KEEP:-}" ] && return # debugging: leave the topology up
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

counter() { stt_ctl "$1" stats --json 2>/dev/null | jq -r --arg r "$2" '.counters[$r] // 0'; }
drop_count() { stt_ctl "$1" stats --json 2>/dev/null | jq -r --arg r "$2" '.drops[$r] // 0'; }

# pings NS COUNT SIZE DST: prints the number answered
pings() {
	timeout 20 ip netns exec "$1" ping -n -c "$2" -i 0.2 -W 1 -s "$3" "$4" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p' | head -1 | grep . || echo 0
}


# STT fields of a capture, one line per packet (the IPv6 heuristic must be asked for).
stt_fields() {
	local f=$1
	shift
	tshark -r "$f" -o ipv6.try_heuristic_first:TRUE -o ip.try_heuristic_first:TRUE \
		-Y 'stt' -T fields "$@" 2>/dev/null
}

# TCP checksum verdicts of every STT packet of a capture: "N status" lines (1 = good).
csum_status() {
	tshark -r "$1" -o tcp.check_checksum:TRUE -Y 'tcp.dstport == 7471' -T fields \
		-e tcp.checksum.status 2>/dev/null | sort | uniq -c | xargs
}

# The topology of scripts/lib.sh, then IPv6 on the underlay, the endpoints attached by
# their IPv6 addresses only, and every forwarding entry naming an IPv6 remote.
topo_up() {
	local n ns
	stt_topo_down
	stt_build_devices || return 1
	for n in 1 2; do
		ns=${STT_NS_PREFIX}h$n
		nsx "$ns" sysctl -qw "net.ipv6.conf.ul$n.disable_ipv6=0" || return 1
		ip -n "$ns" addr add "2001:db8:1::$n/64" dev "ul$n" nodad || return 1
	done
	T1_MAC=$(stt_mac "$NS_T1" eth0)
	T2_MAC=$(stt_mac "$NS_T2" eth0)
	T3_MAC=$(stt_mac "$NS_T3" eth0)
	stt_run_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP6" &&
		stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP6" &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" &&
		stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" &&
		stt_run_ctl "$NS_H2" vport add vp3 --context "$CTX_B" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL2_IP6" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL1_IP6" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP6" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac "$T1_MAC" --remote "$UL1_IP6" ||
		return 1
	# Tenant IPv6 (for IPv6 inside): on eth0 only, no DAD.
	for n in 1 2; do
		ns=${STT_NS_PREFIX}t$n
		nsx "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.eth0.accept_dad=0 || return 1
		ip -n "$ns" addr add "2001:db8:100::$n/64" dev eth0 nodad || return 1
	done
	# The managed neighbour entries sttctl made resolve in the background.
	stt_wait_neigh "$NS_H1" "$UL2_IP6"
	stt_wait_neigh "$NS_H2" "$UL1_IP6"
}

# Tests -----------------------------------------------------------------------------------

test_attach_v6() {
	local name="attach --local IPv6: stt_cfg6 set, IPv6 forwarding on, managed neighbour" why='' j fwd neigh w
	j=$(stt_ctl "$NS_H1" show --json 2>/dev/null)
	fwd=$(nsx "$NS_H1" sysctl -n "net.ipv6.conf.$UL1.forwarding")
	neigh=$(ip -n "$NS_H1" -6 neigh show "$UL2_IP6" dev "$UL1")
	echo "show --json: $(jq -c '.endpoint // .' <<<"$j" | cut -c1-300); forwarding $fwd; neigh '$neigh'" | diag
	grep -q "$UL1_IP6" <<<"$j" || why+="show --json does not name $UL1_IP6; "
	[ "$fwd" = 1 ] || why+="IPv6 forwarding on $UL1 is '$fwd'; "
	grep -q managed <<<"$neigh" || why+="no managed neighbour for $UL2_IP6; "
	stt_ctl "$NS_H1" fdb show 2>/dev/null | grep -q "$UL2_IP6" || why+="fdb show does not print $UL2_IP6; "
	# An address the host does not have: attached, with a warning that says so.
	w=$(stt_ctl "$NS_H1" attach "$UL1" --local 2001:db8:1::99 2>&1 >/dev/null) || why+="attach with a foreign --local failed: $w; "
	grep -q "not an address of this host" <<<"$w" || why+="no warning for a --local the host does not have ('$w'); "
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP6" 2>&1 | grep -q warning && why+="a warning for $UL1_IP6, which h1 has; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_ping_v6() {
	local name="IPv4 tenants over an IPv6 underlay: pings 3/3, on the wire IPv6/TCP 7471 with the context" why='' got w cs fl
	capture p6 "$NS_H2" "$UL2" ip6 and tcp dst port 7471 || { not_ok "$name" "capture"; return; }
	got=$(pings "$NS_T1" 3 56 "$T2_IP")
	stt_capture_stop "$LAST_CAP"
	# (The capture holds only TCP to 7471; STT's heuristic leaves no tcp.* fields.)
	w=$(stt_fields "$TMP/p6.pcap" -E occurrence=f -e ipv6.src -e ipv6.dst -e ipv6.nxt -e stt.context_id | sort | uniq -c | xargs)
	fl=$(stt_fields "$TMP/p6.pcap" -E occurrence=f -e ipv6.flow | sort -u | xargs)
	cs=$(csum_status "$TMP/p6.pcap")
	echo "answered $got/3; wire: $w; flow labels: $fl; checksums: $cs" | diag
	[ "$got" = 3 ] || why+="$got/3 answered; "
	grep -q "$UL1_IP6 $UL2_IP6 6 0x0000000000000064" <<<"$w" || why+="no STT from $UL1_IP6 to $UL2_IP6 in context 100 on the wire; "
	grep -q "$UL2_IP6 $UL1_IP6 6 0x0000000000000064" <<<"$w" || why+="no STT back from $UL2_IP6; "
	[[ $cs =~ ^[0-9]+\ 1$ ]] || why+="TCP checksums: '$cs' (want all 1 = good); "
	[ -n "$fl" ] && ! grep -qx '0x00000' <<<"$fl" || why+="flow label zero or missing: '$fl'; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_dscp_v6() {
	local name="uniform DSCP/ECN over IPv6: the inner TOS is the outer traffic class" why='' got w
	capture ds6 "$NS_H2" "$UL2" ip6 src "$UL1_IP6" and tcp dst port 7471 || { not_ok "$name" "capture"; return; }
	got=$(timeout 20 ip netns exec "$NS_T1" ping -n -c 3 -i 0.2 -W 1 -Q 0xba "$T2_IP" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p' | head -1 | grep . || echo 0)
	stt_capture_stop "$LAST_CAP"
	w=$(stt_fields "$TMP/ds6.pcap" -Y 'stt && icmp.type == 8' -e ipv6.tclass -e ip.dsfield | sort | uniq -c | xargs)
	echo "answered $got/3; echo requests (count, outer traffic class, inner TOS): $w" | diag
	[ "$got" = 3 ] || why+="$got/3 answered; "
	[[ $w =~ ^3\ 0x0*ba\ 0x0*ba$ ]] || why+="wire: '$w' (want 3 with 0xba outside and in); "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_large_ping_v6() {
	local name="frames larger than a segment over IPv6: cut, reassembled, 3/3" why='' got segs
	if [ "$STTD_STATE" != running ]; then
		skip "$name" "sttd is $STTD_STATE"
		return
	fi
	# Tenants at MTU 1500: a 1442-byte frame needs 1520 bytes behind IPv6 (cut in two).
	set_tenant_mtu 1500
	capture l6 "$NS_H2" "$UL2" ip6 || { not_ok "$name" "capture"; return; }
	got=$(pings "$NS_T1" 3 1400 "$T2_IP")
	stt_capture_stop "$LAST_CAP"
	set_tenant_mtu "$TENANT_MTU"
	# Each echo request: a 1460-byte STT frame in two segments, at offsets 0 and 1440.
	segs=$(stt_fields "$TMP/l6.pcap" -Y 'stt && ipv6.src == '"$UL1_IP6" -e stt.seg_off -e stt.pkt_len | sort | uniq -c | xargs)
	echo "answered $got/3; segments (count offset frame-length): $segs; checksums $(csum_status "$TMP/l6.pcap")" | diag
	[ "$got" = 3 ] || why+="$got/3 answered; "
	grep -qE '[1-9] [1-9][0-9]* 14[0-9][0-9]' <<<"$segs" || why+="no segment at a non-zero offset of a ~1400-byte frame; "
	[[ $(csum_status "$TMP/l6.pcap") =~ ^[0-9]+\ 1$ ]] || why+="bad TCP checksums; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# iperf_run SRCNS DST SECONDS: prints "received-bytes"
iperf_run() {
	local out
	nsx "$NS_T2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
	stt_wait_listen "$NS_T2" 5201 || { echo 0; return; }
	out=$(timeout 30 ip netns exec "$1" iperf3 -c "$2" -t "$3" -J 2>/dev/null)
	jq -r '.end.sum_received.bytes // 0' <<<"$out" 2>/dev/null | cut -d. -f1 | grep . || echo 0
}

set_tenant_mtu() {
	local i
	for i in 1 2; do
		ip -n "${STT_NS_PREFIX}h$i" link set "vp$i" mtu "$1"
		ip -n "${STT_NS_PREFIX}t$i" link set eth0 mtu "$1"
	done
}

tenant_tso() {
	local ns
	for ns in "$NS_T1" "$NS_T2"; do
		nsx "$ns" ethtool -K eth0 tso "$1" gso "$1" >/dev/null 2>&1
	done
}

test_tso_v6() {
	local name="TSO bursts over IPv6 (offload mode), IPv4 and IPv6 inside: one STT frame each" why=''
	local g0 g1 r0 r1 b4 b6 d0 d1
	if [ "$STTD_STATE" != running ]; then
		skip "$name" "sttd is $STTD_STATE"
		return
	fi
	tenant_tso on
	g0=$(counter "$NS_H1" tx_gso_frames)
	r0=$(counter "$NS_H2" rx_frames6)
	d0=$(stt_ctl "$NS_H2" stats --json | jq '[.drops[]] | add')
	b4=$(iperf_run "$NS_T1" "$T2_IP" 3)
	b6=$(iperf_run "$NS_T1" "$T2_IP6" 3)
	g1=$(counter "$NS_H1" tx_gso_frames)
	r1=$(counter "$NS_H2" rx_frames6)
	d1=$(stt_ctl "$NS_H2" stats --json | jq '[.drops[]] | add')
	tenant_tso off
	echo "iperf3 3 s: IPv4 inside $b4 bytes, IPv6 inside $b6 bytes; h1 tx_gso_frames +$((g1 - g0)), h2 rx_frames6 +$((r1 - r0)), h2 drops +$((d1 - d0))" | diag
	[ "$b4" -gt 10000000 ] || why+="IPv4 inside moved $b4 bytes; "
	[ "$b6" -gt 10000000 ] || why+="IPv6 inside moved $b6 bytes; "
	[ "$((g1 - g0))" -gt 100 ] || why+="tx_gso_frames +$((g1 - g0)); "
	[ "$((r1 - r0))" -gt 100 ] || why+="rx_frames6 +$((r1 - r0)); "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_wire_v6() {
	local name="wire mode over IPv6: software-segmented STT frames, every segment's checksum good (tshark)" why='' cs offs
	if [ "$STTD_STATE" != running ]; then
		skip "$name" "sttd is $STTD_STATE"
		return
	fi
	tenant_tso on
	nsx "$NS_H1" ethtool -K "$UL1" tso off gso on tx off >/dev/null 2>&1
	# Goodput first, with what the receiver made of GRO's output: whole frames, pieces
	# delivered directly (stt_rx_piece), frames sttd reassembled.
	local p0 p1 f0 f1 g0 g1 b
	p0=$(counter "$NS_H2" rx_pieces_direct) g0=$(counter "$NS_H2" rx_gro_frames)
	f0=$(stt_ctl "$NS_H2" stats --json | jq '.reasm.reasm_frames // 0')
	b=$(iperf_run "$NS_T1" "$T2_IP" 3)
	p1=$(counter "$NS_H2" rx_pieces_direct) g1=$(counter "$NS_H2" rx_gro_frames)
	f1=$(stt_ctl "$NS_H2" stats --json | jq '.reasm.reasm_frames // 0')
	echo "iperf3 3 s wire mode: $b bytes; h2 rx_gro_frames +$((g1 - g0)), rx_pieces_direct +$((p1 - p0)), reasm_frames +$((f1 - f0))" | diag
	[ "$b" -gt 10000000 ] || why+="iperf3 moved $b bytes in 3 s; "
	# Captured where the segments leave (after software GSO): the receiver's GRO would
	# merge them again before its packet taps.
	capture wf6 "$NS_H1" "$UL1" ip6 src "$UL1_IP6" and tcp dst port 7471 || { not_ok "$name" "capture"; return; }
	nsx "$NS_T2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
	stt_wait_listen "$NS_T2" 5201
	timeout 20 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -n 300K >/dev/null 2>&1
	stt_capture_stop "$LAST_CAP"
	nsx "$NS_H1" ethtool -K "$UL1" tso on tx on >/dev/null 2>&1
	tenant_tso off
	cs=$(csum_status "$TMP/wf6.pcap")
	offs=$(stt_fields "$TMP/wf6.pcap" -e stt.seg_off | grep -vc '^0$')
	echo "300 KB by iperf3: checksums of every STT segment (count status): $cs; segments at a non-zero offset: $offs" | diag
	[[ $cs =~ ^[0-9]+\ 1$ ]] || why+="checksums '$cs' (want all 1); "
	[ "$offs" -gt 10 ] || why+="$offs segments at non-zero offsets (want > 10: TSO frames cut by GSO); "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_ipv6_inside_ping() {
	local name="IPv6 inside IPv6: ping6 3/3, STT flags say not IPv4" why='' got fl
	capture i6 "$NS_H2" "$UL2" ip6 and tcp dst port 7471 || { not_ok "$name" "capture"; return; }
	got=$(timeout 20 ip netns exec "$NS_T1" ping -6 -n -c 3 -i 0.2 -W 1 "$T2_IP6" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p' | head -1 | grep . || echo 0)
	stt_capture_stop "$LAST_CAP"
	fl=$(stt_fields "$TMP/i6.pcap" -Y 'stt && icmpv6.type == 128' -e stt.flags.ipv4 | sort | uniq -c | xargs)
	echo "answered $got/3; echo requests by STT IPv4 flag: '$fl'" | diag
	[ "$got" = 3 ] || why+="$got/3 answered; "
	[[ $fl =~ ^3\ (False|0)$ ]] || why+="IPv4 flag on echo requests: '$fl' (want 3 with the flag clear); "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_xdp_v6() {
	local name="XDP fast path over IPv6: single-segment frames redirected by XDP" why='' x0 x1 got
	if ! stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP6" --xdp on >/dev/null 2>&1; then
		not_ok "$name" "attach --xdp on failed"
		return
	fi
	stt_run_ctl "$NS_H2" vport del vp2 >/dev/null 2>&1
	stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" --xdp >/dev/null 2>&1
	x0=$(counter "$NS_H2" rx_xdp_frames)
	got=$(pings "$NS_T1" 5 56 "$T2_IP")
	x1=$(counter "$NS_H2" rx_xdp_frames)
	stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP6" --xdp off >/dev/null 2>&1
	echo "answered $got/5; h2 rx_xdp_frames +$((x1 - x0))" | diag
	[ "$got" = 5 ] || why+="$got/5 answered; "
	[ "$((x1 - x0))" -ge 5 ] || why+="rx_xdp_frames +$((x1 - x0)) (want >= 5); "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_dual_stack() {
	local name="dual stack: the same remote by IPv4, then by IPv6, traffic follows" why='' g4 g6 w
	stt_run_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" --local "$UL1_IP6" &&
		stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --local "$UL2_IP6" ||
		{ not_ok "$name" "dual-stack attach failed"; return; }
	stt_run_ctl "$NS_H1" fdb del --context "$CTX_A" --mac "$T2_MAC" >/dev/null 2>&1
	stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP" ||
		{ not_ok "$name" "fdb add IPv4 remote"; return; }
	capture ds "$NS_H2" "$UL2" tcp dst port 7471 || { not_ok "$name" "capture"; return; }
	g4=$(pings "$NS_T1" 3 56 "$T2_IP")
	stt_run_ctl "$NS_H1" fdb del --context "$CTX_A" --mac "$T2_MAC" >/dev/null 2>&1
	stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP6" >/dev/null 2>&1
	g6=$(pings "$NS_T1" 3 56 "$T2_IP")
	stt_capture_stop "$LAST_CAP"
	w=$(stt_fields "$TMP/ds.pcap" -Y 'stt && icmp.type == 8' -E occurrence=f -e ip.src -e ipv6.src | sort | uniq -c | xargs)
	echo "IPv4 remote $g4/3, IPv6 remote $g6/3; echo requests by outer source: $w" | diag
	[ "$g4" = 3 ] || why+="over IPv4 $g4/3; "
	[ "$g6" = 3 ] || why+="over IPv6 $g6/3; "
	grep -q "3 $UL1_IP" <<<"$w" || why+="no 3 requests from $UL1_IP on the wire; "
	grep -qE "^(.* )?3 $T1_IP $UL1_IP6( |$)" <<<"$w" || why+="no 3 requests from $UL1_IP6 on the wire; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# An ICMPv6 packet too big from h2's side of the underlay to h1, quoting an STT segment
# h1 sent to h2 (the first 80 bytes), as a router on the path would.
send_ptb() {
	local mtu=$1 ul1mac ul2mac
	ul1mac=$(stt_mac "$NS_H1" "$UL1")
	ul2mac=$(stt_mac "$NS_H2" "$UL2")
	ip netns exec "$NS_H2" python3 - "$UL2" "$ul1mac" "$ul2mac" "$UL2_IP6" "$UL1_IP6" "$mtu" <<'EOF'
import socket, struct, sys
dev, dmac, smac, src, dst, mtu = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
a6 = lambda s: socket.inet_pton(socket.AF_INET6, s)
# The quoted segment: IPv6 from h1 (dst) to h2 (src), TCP 50000 -> 7471, then STT bytes.
q = struct.pack("!IHBB16s16s", 0x60000000, 1400, 6, 64, a6(dst), a6(src))
q += struct.pack("!HHIIBBHHH", 50000, 7471, 1400 << 16, 1, 0x50, 0x10, 0, 0, 0) + bytes(40)
icmp = struct.pack("!BBHI", 2, 0, 0, mtu) + q
ph = a6(src) + a6(dst) + struct.pack("!IxxxB", len(icmp), 58)
icmp = icmp[:2] + struct.pack("!H", csum(ph + icmp)) + icmp[4:]
ip6 = struct.pack("!IHBB16s16s", 0x60000000, len(icmp), 58, 255, a6(src), a6(dst))
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
s.send(mac(dmac) + mac(smac) + b"\x86\xdd" + ip6 + icmp)
EOF
}

test_pmtu_v6() {
	local name="ICMPv6 packet too big for STT lowers the path MTU toward that remote" why=''
	local l0 l1 i0 i1 got big
	if [ "$STTD_STATE" != running ]; then
		skip "$name" "sttd is $STTD_STATE"
		return
	fi
	l0=$(counter "$NS_H1" pmtu_learned)
	i0=$(counter "$NS_H1" pmtu_ignored)
	send_ptb 1000 # below the IPv6 minimum: not taken
	send_ptb 1300
	sleep 0.2
	l1=$(counter "$NS_H1" pmtu_learned)
	i1=$(counter "$NS_H1" pmtu_ignored)
	capture pm "$NS_H2" "$UL2" ip6 src "$UL1_IP6" and tcp dst port 7471 || { not_ok "$name" "capture"; return; }
	got=$(pings "$NS_T1" 3 1300 "$T2_IP")
	stt_capture_stop "$LAST_CAP"
	big=$(tshark -r "$TMP/pm.pcap" -T fields -e ipv6.plen 2>/dev/null | sort -n | tail -1)
	echo "pmtu_learned +$((l1 - l0)), pmtu_ignored +$((i1 - i0)); 1342-byte frames answered $got/3; largest IPv6 payload on the wire $big (+40 = packet)" | diag
	[ "$((l1 - l0))" -eq 1 ] || why+="pmtu_learned +$((l1 - l0)) (want 1); "
	[ "$((i1 - i0))" -eq 1 ] || why+="pmtu_ignored +$((i1 - i0)) (want 1: MTU 1000); "
	[ "$got" = 3 ] || why+="$got/3 answered; "
	[ -n "$big" ] && [ "$((big + 40))" -le 1300 ] || why+="an IPv6 packet of $((${big:-0} + 40)) bytes after the path said 1300; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_oam_v6() {
	local name="sttctl ping over IPv6: 3 replies, CFM on the wire in context 100, nothing reaches t2" why=''
	local js out t2a t2b wire bad
	capture oam "$NS_H2" "$UL2" ip6 and tcp || { not_ok "$name" "capture"; return; }
	t2a=$(ip -n "$NS_T2" -s -j link show eth0 | jq '.[0].stats64.rx.packets')
	js=$(stt_ctl "$NS_H1" ping --context "$CTX_A" --remote "$UL2_IP6" --count 3 --interval 0.2 --json 2>"$TMP/oam.err")
	out=$?
	t2b=$(ip -n "$NS_T2" -s -j link show eth0 | jq '.[0].stats64.rx.packets')
	stt_capture_stop "$LAST_CAP"
	wire=$(stt_fields "$TMP/oam.pcap" -Y 'stt && cfm' -e stt.context_id -e cfm.opcode | sort | uniq -c | xargs)
	bad=$(tshark -r "$TMP/oam.pcap" -o tcp.check_checksum:TRUE -Y 'tcp.checksum.status != 1' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	echo "ping exit $out: $(jq -c '{sent, received, rtt_avg_ms}' <<<"$js" 2>/dev/null) $(head -c 300 "$TMP/oam.err"); wire (count context opcode): $wire; bad TCP checksums $bad; t2 rx +$((t2b - t2a))" | diag
	[ "$out" -eq 0 ] && [ "$(jq -r .received <<<"$js" 2>/dev/null)" = 3 ] || why+="ping exit $out, received $(jq -r .received <<<"$js" 2>/dev/null); "
	[ "$wire" = "3 0x0000000000000064 2 3 0x0000000000000064 3" ] || why+="tshark: '$wire' (want 3 messages (3) and 3 replies (2)); "
	[ "$bad" -eq 0 ] || why+="$bad segments with a bad TCP checksum; "
	[ "$t2b" -eq "$t2a" ] || why+="t2 received $((t2b - t2a)) frames; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_peers_v6() {
	local name="strict peers with IPv6 senders: refused until the sender is a peer" why='' g0 g1 d0 d1
	stt_run_ctl "$NS_H2" vport del vp2 >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" --peers strict >/dev/null 2>&1 ||
		{ not_ok "$name" "vport --peers strict refused"; return; }
	d0=$(drop_count "$NS_H2" peer_denied)
	g0=$(pings "$NS_T1" 2 56 "$T2_IP")
	d1=$(drop_count "$NS_H2" peer_denied)
	stt_run_ctl "$NS_H2" peer add --context "$CTX_A" "$UL1_IP6" >/dev/null 2>&1
	g1=$(pings "$NS_T1" 2 56 "$T2_IP")
	stt_run_ctl "$NS_H2" peer del --context "$CTX_A" "$UL1_IP6" >/dev/null 2>&1
	stt_run_ctl "$NS_H2" vport del vp2 >/dev/null 2>&1
	stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" >/dev/null 2>&1
	echo "not a peer: $g0/2 answered, peer_denied +$((d1 - d0)); a peer: $g1/2" | diag
	[ "$g0" = 0 ] || why+="$g0/2 answered while not a peer; "
	[ "$((d1 - d0))" -ge 2 ] || why+="peer_denied +$((d1 - d0)); "
	[ "$g1" = 2 ] || why+="$g1/2 answered as a peer; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# Learning over IPv6: h1's static entry for t2 goes and vp1 learns; t2's MAC is learned
# behind h2's IPv6 address (it has a remote index: the flood list names it) and unicast to
# it goes by the learned entry.
test_learning_v6() {
	local name="learning over IPv6: t2's MAC learned behind $UL2_IP6 and used for unicast" why='' got fdb tl0 tl1
	stt_run_ctl "$NS_H1" fdb del --context "$CTX_A" --mac "$T2_MAC" >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" --learn --learn-cap 64 >/dev/null 2>&1 ||
		{ not_ok "$name" "reconfiguring h1 failed"; return; }
	ip -n "$NS_T1" neigh flush dev eth0
	tl0=$(counter "$NS_H1" tx_learned)
	got=$(pings "$NS_T1" 3 56 "$T2_IP")
	tl1=$(counter "$NS_H1" tx_learned)
	fdb=$(stt_ctl "$NS_H1" fdb show --json 2>/dev/null)
	echo "pings $got/3; h1 tx_learned +$((tl1 - tl0)); learned: $(jq -c '[.[] | select(.type == "learned")]' <<<"$fdb")" | diag
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1
	stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" >/dev/null 2>&1
	stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP6" >/dev/null 2>&1
	[ "$got" = 3 ] || why+="$got/3 answered; "
	jq -e --arg m "$T2_MAC" --arg r "$UL2_IP6" \
		'any(.[]; .type == "learned" and .mac == $m and .remote == $r and .context == "100")' \
		<<<"$fdb" >/dev/null || why+="t2's MAC not learned behind $UL2_IP6; "
	[ "$((tl1 - tl0))" -ge 2 ] || why+="tx_learned +$((tl1 - tl0)): unicast did not use the learned entry; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_isolation_v6() {
	local name="context 200 (t3) sees nothing of context 100 over IPv6" n0 n1
	n0=$(nsx "$NS_T3" ip -j -s link show eth0 | jq '.[0].stats64.rx.packets')
	pings "$NS_T1" 3 56 "$T2_IP" >/dev/null
	n1=$(nsx "$NS_T3" ip -j -s link show eth0 | jq '.[0].stats64.rx.packets')
	if [ "$((n1 - n0))" -eq 0 ]; then ok "$name"; else not_ok "$name" "t3 received $((n1 - n0)) frames"; fi
}

# Main ------------------------------------------------------------------------------------

TESTS=(test_attach_v6 test_ping_v6 test_dscp_v6 test_large_ping_v6 test_ipv6_inside_ping test_isolation_v6
	test_tso_v6 test_wire_v6 test_peers_v6 test_learning_v6 test_oam_v6 test_pmtu_v6
	test_xdp_v6 test_dual_stack)
# ST6_TESTS="test_a test_b" runs only those (debugging).
[ -z "${ST6_TESTS:-}" ] || read -r -a TESTS <<<"$ST6_TESTS"

if ! reason=$(stt_prereqs); then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "$reason"; done
elif ! topo_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	stt_sttd_start "$TMP"
	stt_log "topology up (prefix $STT_NS_PREFIX): t1 $T1_MAC, t2 $T2_MAC; sttd $STTD_STATE"
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
