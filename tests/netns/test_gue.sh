#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# GUE next to STT on one endpoint (issue 13, docs/GUE.md). Three hosts on an underlay
# bridge; h1 reaches h2 over GUE and h3 over STT, one context (100) across all three, and
# h2 has a tenant of another context (300). Checks: both encapsulations at once (a flooded
# ARP leaves h1 as a GUE copy and an STT copy of the same frame), the GUE wire decoded by
# tshark's own IPv4/UDP/GRE/Ethernet dissectors (tshark 4.0 has no GUE dissector: the GUE
# word is checked here, the rest re-wrapped as IP protocol 47 for tshark), TSO bursts as
# UDP-tunnel GSO skbs, XDP delivery, the security cookie, isolation between contexts; then
# GUE over an IPv6 underlay between two more hosts (h5, h6), with the zero UDP checksum that
# needs each remote's consent (docs/GUE.md section 5). Ends with `N passed, N failed, N skipped`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export STT_NS_PREFIX=${STT_NS_PREFIX:-stgu-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

P=$STT_NS_PREFIX
SW=${P}sw H1=${P}h1 H2=${P}h2 H3=${P}h3 T1=${P}t1 T2=${P}t2 T3=${P}t3 T4=${P}t4
H5=${P}h5 H6=${P}h6 T5=${P}t5 T6=${P}t6
IP5=2001:db8:6::5 IP6=2001:db8:6::6 TIP5=198.19.6.5 TIP6=198.19.6.6
IP1=198.18.0.1 IP2=198.18.0.2 IP3=198.18.0.3
TIP1=198.19.0.1 TIP2=198.19.0.2 TIP3=198.19.0.3 TIP4=198.19.0.4
COOKIE=0123456789abcdef
TMP=$(mktemp -d /tmp/stt-gue.XXXXXX)

cleanup() {
	captures_kill
	local ns
	for ns in $H1 $H2 $H3 $H5 $H6; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		"$STTCTL" -n "$ns" detach "ul" >/dev/null 2>&1
		[ -e "/run/netns/$ns" ] && rm -rf "$STT_PIN_BASE/$(stt_ns_inode "$ns")"
	done
	for ns in $SW $H1 $H2 $H3 $T1 $T2 $T3 $T4 $H5 $H6 $T5 $T6; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctl() { "$STTCTL" -n "$@"; }
# counter NS NAME: an endpoint counter (sttctl stats --json), drops by their name too
counter() {
	ctl "$1" stats --json 2>/dev/null |
		jq -r --arg n "$2" '(.counters[$n] // .drops[$n] // 0)'
}
pings() { ip netns exec "$1" ping -c "${3:-3}" -i 0.2 -W 1 "$2" 2>&1 | grep -c 'bytes from'; }

# host NS IP: a host namespace with its underlay on the bridge
host() {
	ip netns add "$1" && ip -n "$1" link set lo up &&
		ip -n "$SW" link add "p-$1" type veth peer name ul netns "$1" &&
		ip -n "$SW" link set "p-$1" master br0 up &&
		ip -n "$1" addr add "$2/24" dev ul && ip -n "$1" link set ul up &&
		nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}
# tenant HOSTNS VPORT TENANTNS ADDR TSO
tenant() {
	ip netns add "$3" && ip -n "$3" link set lo up &&
		ip -n "$1" link add "$2" mtu 1400 type veth peer name eth0 netns "$3" mtu 1400 &&
		ip -n "$3" addr add "$4/24" dev eth0 &&
		nsx "$3" ethtool -K eth0 tso "$5" gso "$5" >/dev/null &&
		nsx "$3" ethtool -K eth0 gro on >/dev/null &&
		ip -n "$3" link set eth0 up && ip -n "$1" link set "$2" up &&
		nsx "$3" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

setup() {
	ip netns add "$SW" && ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up &&
		host "$H1" $IP1 && host "$H2" $IP2 && host "$H3" $IP3 &&
		tenant "$H1" vp1 "$T1" $TIP1 on && tenant "$H2" vp2 "$T2" $TIP2 on &&
		tenant "$H3" vp3 "$T3" $TIP3 off && tenant "$H2" vp4 "$T4" $TIP4 off || return 1
	local m1 m2 m3
	m1=$(stt_mac "$T1" eth0) m2=$(stt_mac "$T2" eth0) m3=$(stt_mac "$T3" eth0)
	ctl "$H1" attach ul --local $IP1 --xdp off &&
		ctl "$H2" attach ul --local $IP2 --xdp off &&
		ctl "$H3" attach ul --local $IP3 --xdp off &&
		ctl "$H1" vport add vp1 --context 100 &&
		ctl "$H2" vport add vp2 --context 100 && ctl "$H2" vport add vp4 --context 300 &&
		ctl "$H3" vport add vp3 --context 100 &&
		ctl "$H1" remote set $IP2 --encap gue && ctl "$H2" remote set $IP1 --encap gue &&
		ctl "$H1" fdb add --context 100 --mac ff:ff:ff:ff:ff:ff --remote $IP2 &&
		ctl "$H1" fdb add --context 100 --mac ff:ff:ff:ff:ff:ff --remote $IP3 &&
		ctl "$H1" fdb add --context 100 --mac "$m2" --remote $IP2 &&
		ctl "$H1" fdb add --context 100 --mac "$m3" --remote $IP3 &&
		ctl "$H2" fdb add --context 100 --mac ff:ff:ff:ff:ff:ff --remote $IP1 &&
		ctl "$H2" fdb add --context 100 --mac "$m1" --remote $IP1 &&
		ctl "$H3" fdb add --context 100 --mac ff:ff:ff:ff:ff:ff --remote $IP1 &&
		ctl "$H3" fdb add --context 100 --mac "$m1" --remote $IP1
}

stt_prereqs || exit 1
if ! setup; then
	not_ok "setup: three hosts, GUE toward h2, STT toward h3"
	harness_summary
	exit 1
fi
ok "setup: three hosts, GUE toward h2, STT toward h3"

# 1. One flooded ARP, two encapsulations; then unicast both ways on each.
nsx "$H1" ethtool -K ul tx off tso off gso off >/dev/null 2>&1
capture wire "$H1" ul -s 0 'udp port 6080 or tcp port 7471'
g0=$(counter "$H1" tx_gue_frames) c0=$(counter "$H1" tx_flood_copies)
n2=$(pings "$T1" $TIP2) n3=$(pings "$T1" $TIP3)
sleep 0.5
captures_kill
g1=$(counter "$H1" tx_gue_frames) c1=$(counter "$H1" tx_flood_copies)
if [ "$n2" = 3 ] && [ "$n3" = 3 ]; then
	ok "ping t1 -> t2 over GUE and t1 -> t3 over STT (3/3 each)"
else
	not_ok "ping over both encapsulations" "t2 $n2/3, t3 $n3/3"
fi
r2=$(counter "$H2" rx_gue_frames) r3g=$(counter "$H3" rx_gue_frames) r3=$(counter "$H3" rx_frames)
if [ "$((g1 - g0))" -ge 4 ] && [ "$((c1 - c0))" -ge 2 ] && [ "$r2" -ge 4 ] &&
	[ "$r3g" = 0 ] && [ "$r3" -ge 4 ]; then
	ok "counters: h1 sent GUE and flooded copies, h2 received GUE, h3 only STT"
else
	not_ok "counters" "h1 tx_gue +$((g1 - g0)) flood copies +$((c1 - c0)); h2 rx_gue $r2; h3 rx_gue $r3g rx $r3"
fi

# The first broadcast ARP from t1: a GUE copy to h2 and an STT copy to h3.
arp_gue=$(tshark -r "$TMP/wire.pcap" -Y "ip.dst==$IP2 && udp.dstport==6080 && udp.payload[12:6]==ff:ff:ff:ff:ff:ff" \
	-T fields -e frame.number 2>/dev/null | head -1)
arp_stt=$(tshark -r "$TMP/wire.pcap" -o ip.try_heuristic_first:TRUE \
	-Y "ip.dst==$IP3 && stt && eth.dst==ff:ff:ff:ff:ff:ff" -T fields -e frame.number 2>/dev/null | head -1)
if [ -n "$arp_gue" ] && [ -n "$arp_stt" ]; then
	ok "a flooded ARP left h1 as a GUE copy (frame $arp_gue) and an STT copy (frame $arp_stt)"
else
	not_ok "flooded ARP in both encapsulations" "GUE frame '${arp_gue}', STT frame '${arp_stt}'"
fi

# 2. The GUE wire, by tshark: outer IPv4 and UDP with tshark's checksum checks, the GUE word
# here, then the rest as GRE (IP protocol 47) through text2pcap for tshark's GRE/TEB/Ethernet.
tshark -r "$TMP/wire.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y "udp.dstport==6080 && ip.src==$IP1" -T fields -E separator=, \
	-e ip.flags.df -e ip.ttl -e ip.checksum.status -e udp.srcport -e udp.length -e ip.len \
	-e udp.checksum -e udp.payload >"$TMP/gue.csv" 2>/dev/null
bad=$(awk -F, '{ sp = $4 + 0
	if ($1 != 1 || $2 != 64 || $3 != 1 || sp < 32768 || sp > 60999 || $5 + 20 != $6 ||
	    $7 != "0x0000" || substr($8, 1, 8) != "002f0000") print }' "$TMP/gue.csv" | head -3)
ngue=$(wc -l <"$TMP/gue.csv")
if [ "$ngue" -ge 4 ] && [ -z "$bad" ]; then
	ok "GUE wire: $ngue datagrams, DF, TTL 64, IPv4 checksum good, sport in 32768-60999, UDP checksum 0, GUE 002f0000"
else
	not_ok "GUE wire (outer)" "$ngue datagrams; first bad: $bad"
fi
# GRE and the inner frame: strip the GUE word and let tshark decode the rest as GRE in IPv4.
awk -F, '{ p = substr($8, 9); printf "000000"; for (i = 1; i <= length(p); i += 2) printf " %s", substr(p, i, 2); print "" }' \
	"$TMP/gue.csv" >"$TMP/gre.txt"
text2pcap -i 47 -4 198.18.0.1,198.18.0.2 "$TMP/gre.txt" "$TMP/gre.pcap" >/dev/null 2>&1
tshark -r "$TMP/gre.pcap" -o ip.check_checksum:TRUE -T fields -E separator=, -E occurrence=l \
	-e gre.flags_and_version -e gre.proto -e gre.key -e eth.type -e icmp.checksum.status \
	>"$TMP/gre.csv" 2>/dev/null
# eth.type: the last one, the inner frame's (text2pcap's dummy Ethernet header comes first).
badgre=$(awk -F, '$1 != "0x2000" || $2 != "0x6558" || $3 != "0x00000064" || ($4 == "0x0800" && $5 != 1)' "$TMP/gre.csv" | head -3)
nicmp=$(awk -F, '$4 == "0x0800" && $5 == 1' "$TMP/gre.csv" | wc -l)
if [ "$(wc -l <"$TMP/gre.csv")" -eq "$ngue" ] && [ -z "$badgre" ] && [ "$nicmp" -ge 3 ]; then
	ok "GUE wire: GRE K only, TEB, key 100, inner ICMP checksums good ($nicmp) per tshark"
else
	not_ok "GUE wire (GRE, inner)" "$(wc -l <"$TMP/gre.csv") decoded; bad: $badgre; good ICMP $nicmp"
	diag <"$TMP/gre.csv"
fi

# 3. Isolation: t4 (context 300 on h2) is not reachable from context 100.
if [ "$(pings "$T1" $TIP4 2)" = 0 ]; then
	ok "isolation: t1 (context 100) does not reach t4 (context 300) on the GUE host"
else
	not_ok "isolation" "t1 reached t4"
fi

# tso_check NAME TX-HOST TX-TENANT RX-HOST RX-TENANT RX-ADDR: iperf3 for 2 s with tenant TSO;
# the sender must send UDP-tunnel GSO skbs (tx_gso_frames) and the receiver drop nothing.
tso_check() {
	local name=$1 hs=$2 ts=$3 hr=$4 tr=$5 addr=$6 s0 s1 out bytes drops
	ip netns exec "$tr" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
	stt_wait_listen "$tr" 5201 >/dev/null 2>&1 || sleep 0.5
	s0=$(counter "$hs" tx_gso_frames)
	out=$(ip netns exec "$ts" timeout 20 iperf3 -c "$addr" -p 5201 -t 2 -J 2>/dev/null)
	bytes=$(jq -r '.end.sum_received.bytes // 0' <<<"$out" 2>/dev/null)
	s1=$(counter "$hs" tx_gso_frames)
	drops=$(ctl "$hr" stats --json | jq '[.drops[]] | add // 0')
	if [ "${bytes:-0}" -gt 1000000 ] && [ "$((s1 - s0))" -gt 10 ] && [ "$drops" = 0 ]; then
		ok "$name: iperf3 $bytes bytes, $((s1 - s0)) GSO frames, no drop on the receiver"
	else
		not_ok "$name" "bytes ${bytes:-0}, GSO frames +$((s1 - s0)), receiver drops $drops"
		diag <<<"$(ctl "$hr" stats 2>&1 | tail -20)"
	fi
}

# 4. TSO bursts: one UDP-tunnel GSO skb per burst, segmented by GSO.
tso_check "TSO over GUE" "$H1" "$T1" "$H2" "$T2" $TIP2

# 4b. A tagged frame from a plain vport: the tag travels in-band over GUE, for single frames
# and for TSO bursts (an 18-byte inner L2 header). The kernel here has no 8021q and no bridge
# VLAN filtering: tests/tools/vlan_tag.bpf.c tags what leaves t1 (VID 100) and untags what
# reaches t2; the tag on the wire is checked in the capture.
vlan_tc() { # NS DIRECTION SECTION
	nsx "$1" tc qdisc add dev eth0 clsact 2>/dev/null
	nsx "$1" tc filter add dev eth0 "$2" bpf da obj "$STT_REPO/build/vlan_tag.bpf.o" sec "$3"
}
vlan_tenant() { # NS
	vlan_tc "$1" egress tc && vlan_tc "$1" ingress classifier
}
if make -s -C "$STT_REPO" build/vlan_tag.bpf.o >/dev/null && vlan_tenant "$T1" && vlan_tenant "$T2"; then
	capture vlan "$H1" ul -s 200 'udp port 6080'
	n=$(pings "$T1" $TIP2 3)
	ip netns exec "$T2" iperf3 -s -1 -D -p 5202 >/dev/null 2>&1
	stt_wait_listen "$T2" 5202 >/dev/null 2>&1 || sleep 0.5
	s0=$(counter "$H1" tx_gso_frames)
	out=$(ip netns exec "$T1" timeout 20 iperf3 -c $TIP2 -p 5202 -t 1 -J 2>/dev/null)
	bytes=$(jq -r '.end.sum_received.bytes // 0' <<<"$out" 2>/dev/null)
	s1=$(counter "$H1" tx_gso_frames)
	captures_kill
	# Inner Ethernet at UDP payload byte 12: its type is 0x8100 and the VID 100.
	tagged=$(tshark -r "$TMP/vlan.pcap" -Y "ip.src==$IP1 && udp.payload[24:2]==81:00 && udp.payload[26:2]==00:64" \
		-T fields -e frame.number 2>/dev/null | wc -l)
	if [ "$n" = 3 ] && [ "${bytes:-0}" -gt 1000000 ] && [ "$((s1 - s0))" -gt 10 ] && [ "$tagged" -ge 3 ]; then
		ok "VLAN 100 over GUE: 3/3 pings, iperf3 $bytes bytes in $((s1 - s0)) GSO frames, $tagged tagged on the wire"
	else
		not_ok "VLAN 100 over GUE" "$n/3 pings, iperf3 ${bytes:-0} bytes, GSO frames +$((s1 - s0)), $tagged tagged on the wire"
	fi
	nsx "$T1" tc qdisc del dev eth0 clsact
	nsx "$T2" tc qdisc del dev eth0 clsact
else
	not_ok "VLAN 100 over GUE" "attaching tests/tools/vlan_tag.bpf.o failed"
fi

# 5. XDP delivery of GUE on h2.
if ctl "$H2" attach ul --local $IP2 --xdp on >/dev/null && ctl "$H2" vport del vp2 &&
	ctl "$H2" vport add vp2 --context 100 --xdp; then
	x0=$(counter "$H2" rx_xdp_frames)
	n=$(pings "$T1" $TIP2 5)
	x1=$(counter "$H2" rx_xdp_frames)
	if [ "$n" = 5 ] && [ "$((x1 - x0))" -ge 5 ]; then
		ok "XDP delivers GUE frames (5/5 pings, rx_xdp_frames +$((x1 - x0)))"
	else
		not_ok "XDP delivery of GUE" "$n/5 pings, rx_xdp_frames +$((x1 - x0))"
	fi
else
	not_ok "XDP delivery of GUE" "re-attach with --xdp on failed"
fi

# 6. The security cookie: both sides agree -> delivered, with the option on the wire;
# a different cookie -> dropped and counted.
capture cookie "$H1" ul -s 0 'udp port 6080'
ctl "$H1" remote set $IP2 --encap gue --cookie $COOKIE && ctl "$H2" remote set $IP1 --encap gue --cookie $COOKIE
n=$(pings "$T1" $TIP2 3)
sleep 0.3
captures_kill
opt=$(tshark -r "$TMP/cookie.pcap" -Y "ip.src==$IP1" -T fields -e udp.payload 2>/dev/null | head -1)
if [ "$n" = 3 ] && [ "${opt:0:40}" = "032f000140000000${COOKIE}20006558" ]; then
	ok "cookie: 3/3 pings, option on the wire (hlen 3, P, private flag 0x40000000, cookie)"
else
	not_ok "cookie" "$n/3 pings, payload starts ${opt:0:40}"
fi
k0=$(counter "$H2" gue_cookie)
ctl "$H2" remote set $IP1 --encap gue --cookie fedcba9876543210
n=$(pings "$T1" $TIP2 2)
k1=$(counter "$H2" gue_cookie)
if [ "$n" = 0 ] && [ "$((k1 - k0))" -ge 2 ]; then
	ok "cookie mismatch: nothing delivered, gue_cookie +$((k1 - k0))"
else
	not_ok "cookie mismatch" "$n pings answered, gue_cookie +$((k1 - k0))"
fi
ctl "$H2" remote set $IP1 --encap gue --no-cookie
k0=$(counter "$H2" gue_cookie)
n=$(pings "$T1" $TIP2 2)
k1=$(counter "$H2" gue_cookie)
if [ "$n" = 0 ] && [ "$((k1 - k0))" -ge 2 ]; then
	ok "cookie from a remote configured without one: dropped, gue_cookie +$((k1 - k0))"
else
	not_ok "unexpected cookie" "$n pings answered, gue_cookie +$((k1 - k0))"
fi

# 7. GUE off (port 0) on h2: UDP to 6080 is not ours any more, h1's GUE frames reach no tenant.
# (sttctl refuses GUE off while a remote is set to GUE: h2's goes first.)
ctl "$H1" remote set $IP2 --encap gue --no-cookie
ctl "$H2" remote del $IP1 &&
	ctl "$H2" attach ul --local $IP2 --xdp off --gue-port 0 >/dev/null
p0=$(counter "$H2" rx_gue_frames)
n=$(pings "$T1" $TIP2 2)
p1=$(counter "$H2" rx_gue_frames)
ctl "$H2" attach ul --local $IP2 --xdp off --gue-port 6080 >/dev/null &&
	ctl "$H2" remote set $IP1 --encap gue
m=$(pings "$T1" $TIP2 2)
if [ "$n" = 0 ] && [ "$p1" = "$p0" ] && [ "$m" = 2 ]; then
	ok "gue-port 0 turns GUE receive off; 6080 again turns it on"
else
	not_ok "gue-port 0" "$n pings with GUE off (rx_gue_frames +$((p1 - p0))), $m after turning it on"
fi

# 8. GUE over an IPv6 underlay: h5 and h6 (IPv6 only) on the same bridge, context 600, each
# the other's GUE remote with the zero-checksum consent.
host6() {
	ip netns add "$1" && ip -n "$1" link set lo up &&
		ip -n "$SW" link add "p-$1" type veth peer name ul netns "$1" &&
		ip -n "$SW" link set "p-$1" master br0 up &&
		ip -n "$1" addr add "$2/64" dev ul nodad && ip -n "$1" link set ul up
}
setup6() {
	host6 "$H5" $IP5 && host6 "$H6" $IP6 &&
		tenant "$H5" vp5 "$T5" $TIP5 on && tenant "$H6" vp6 "$T6" $TIP6 on || return 1
	local m5 m6
	m5=$(stt_mac "$T5" eth0) m6=$(stt_mac "$T6" eth0)
	ctl "$H5" attach ul --local $IP5 --xdp off && ctl "$H6" attach ul --local $IP6 --xdp off &&
		ctl "$H5" vport add vp5 --context 600 && ctl "$H6" vport add vp6 --context 600 &&
		ctl "$H5" remote set $IP6 --encap gue --udp6-zero-csum &&
		ctl "$H6" remote set $IP5 --encap gue --udp6-zero-csum &&
		ctl "$H5" fdb add --context 600 --mac ff:ff:ff:ff:ff:ff --remote $IP6 &&
		ctl "$H5" fdb add --context 600 --mac "$m6" --remote $IP6 &&
		ctl "$H6" fdb add --context 600 --mac ff:ff:ff:ff:ff:ff --remote $IP5 &&
		ctl "$H6" fdb add --context 600 --mac "$m5" --remote $IP5
}
if ! setup6 >"$TMP/setup6.log" 2>&1; then
	not_ok "IPv6 setup: h5, h6, remote set --encap gue --udp6-zero-csum" "$(tail -n 3 "$TMP/setup6.log")"
	harness_summary
	exit 1
fi
if out=$(ctl "$H5" remote set 2001:db8:6::7 --encap gue 2>&1); then
	not_ok "GUE to an IPv6 remote without --udp6-zero-csum is refused" "accepted"
else
	ok "GUE to an IPv6 remote without --udp6-zero-csum is refused: ${out:0:120}"
fi
# Neighbour discovery takes about a second after the underlay comes up (scripts/lib.sh);
# until then the hosts drop what they cannot send, and three quick pings can all be lost.
stt_wait_neigh "$H5" $IP6
stt_wait_neigh "$H6" $IP5
nsx "$H5" ethtool -K ul tx off tso off gso off >/dev/null 2>&1
capture wire6 "$H5" ul -s 0 'udp port 6080'
n=$(pings "$T5" $TIP6 3)
sleep 0.3
captures_kill
r6=$(counter "$H6" rx_gue_frames) f6=$(counter "$H6" rx_frames6)
if [ "$n" = 3 ] && [ "$r6" -ge 3 ] && [ "$f6" -ge 3 ]; then
	ok "GUE over IPv6: ping t5 -> t6 3/3 (h6 rx_gue_frames $r6, rx_frames6 $f6)"
else
	not_ok "GUE over IPv6: ping" "$n/3, h6 rx_gue_frames $r6 rx_frames6 $f6; drops: $(ctl "$H6" stats --json | jq -c '.drops | with_entries(select(.value != 0))')"
fi
# tshark: IPv6 next header UDP, hop limit 64, UDP to 6080 with checksum 0 and the right
# length, GUE 002f0000; then GRE (key 600 = 0x258) and the inner ICMP re-wrapped for tshark.
tshark -r "$TMP/wire6.pcap" -Y "udp.dstport==6080 && ipv6.src==$IP5" -T fields -E separator=, \
	-e ipv6.nxt -e ipv6.hlim -e udp.srcport -e udp.length -e ipv6.plen -e udp.checksum \
	-e udp.payload >"$TMP/gue6.csv" 2>/dev/null
bad=$(awk -F, '{ sp = $3 + 0
	if ($1 != 17 || $2 != 64 || sp < 32768 || sp > 60999 || $4 != $5 || $6 != "0x0000" ||
	    substr($7, 1, 8) != "002f0000") print }' "$TMP/gue6.csv" | head -3)
ngue=$(wc -l <"$TMP/gue6.csv")
awk -F, '{ p = substr($7, 9); printf "000000"; for (i = 1; i <= length(p); i += 2) printf " %s", substr(p, i, 2); print "" }' \
	"$TMP/gue6.csv" >"$TMP/gre6.txt"
text2pcap -i 47 -6 $IP5,$IP6 "$TMP/gre6.txt" "$TMP/gre6.pcap" >/dev/null 2>&1
tshark -r "$TMP/gre6.pcap" -o ip.check_checksum:TRUE -T fields -E separator=, -E occurrence=l \
	-e gre.flags_and_version -e gre.proto -e gre.key -e eth.type -e icmp.checksum.status \
	>"$TMP/gre6.csv" 2>/dev/null
badgre=$(awk -F, '$1 != "0x2000" || $2 != "0x6558" || $3 != "0x00000258" || ($4 == "0x0800" && $5 != 1)' "$TMP/gre6.csv" | head -3)
nicmp=$(awk -F, '$4 == "0x0800" && $5 == 1' "$TMP/gre6.csv" | wc -l)
if [ "$ngue" -ge 4 ] && [ -z "$bad" ] && [ -z "$badgre" ] && [ "$nicmp" -ge 3 ]; then
	ok "GUE over IPv6 wire per tshark: $ngue datagrams, next header UDP, hop limit 64, UDP checksum 0, GUE 002f0000, GRE K+TEB key 600, inner ICMP checksums good ($nicmp)"
else
	not_ok "GUE over IPv6 wire" "$ngue datagrams; bad outer: $bad; bad GRE: $badgre; good ICMP $nicmp"
	diag <"$TMP/gue6.csv"
fi
# TSO bursts over IPv6: UDP-tunnel GSO skbs (the underlay's offloads back on).
nsx "$H5" ethtool -K ul tx on tso on gso on >/dev/null 2>&1
tso_check "TSO over GUE over IPv6" "$H5" "$T5" "$H6" "$T6" $TIP6
# h6 withdraws its consent (STT toward h5): h5's zero-checksum GUE is dropped and counted.
ctl "$H6" remote set $IP5 --encap stt --no-udp6-zero-csum >/dev/null
z0=$(counter "$H6" gue_udp6_zero_csum)
n=$(pings "$T5" $TIP6 2)
z1=$(counter "$H6" gue_udp6_zero_csum)
if [ "$n" = 0 ] && [ "$((z1 - z0))" -ge 2 ]; then
	ok "without h6's consent, h5's zero-checksum GUE is dropped: gue_udp6_zero_csum +$((z1 - z0))"
else
	not_ok "zero checksum without consent" "$n/2 pings, gue_udp6_zero_csum +$((z1 - z0))"
fi

harness_summary
