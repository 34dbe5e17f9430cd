# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# stt's GUE against Linux's own GUE, in the VM of tests/vm/interop_gue.sh: sourced by its guest
# side (which defines ok/not_ok/skip/diag, cap_start/cap_stop/pcap_print, TMP, PIDS, KEY,
# PORT), run as stt_interop; stt_interop_cleanup is part of that script's cleanup.
#
#   gue-lx: Linux                         gue-st: stt                       gue-tn: stt's tenant
#   ip fou add port 6080 gue              sttctl attach ul --local .12      eth0 198.18.102.2/24
#   gt: gretap key 4242 encap gue         vport vp (context 4242) ------    MTU 1446, TSO on
#       encap-sport auto encap-dport 6080 remote set .11 --encap gue
#       198.18.102.1/24 (MTU 1446)        fdb: gt's MAC, broadcast -> .11
#   ul 198.18.0.11/24 ==================== ul 198.18.0.12/24 (veth underlay)
#
# Checks: ping both ways with ARP through the tunnel (flooded to Linux), with a capture of
# what stt sends (stt-gue.pcap: the host side of interop_gue.sh decodes it with tshark and
# compares the frame count with the gretap's rx_packets, printed here as an `# interop-count`
# line); iperf3 both ways (stt's UDP-tunnel GSO skbs to Linux, Linux's GSO skbs to stt);
# stt's XDP receive; a frame with stt's security cookie, which Linux must drop
# (stt-gue-cookie.pcap).
#
# Uses build/sttctl and build/*.bpf.o as built on the host (make all).

# shellcheck source=../../scripts/lib.sh
source "$TOP/scripts/lib.sh"

NS_LX=gue-lx NS_ST=gue-st NS_TN=gue-tn
UL_LX=198.18.0.11 UL_ST=198.18.0.12 # underlay
T_LX=198.18.102.1 T_ST=198.18.102.2 # tenants: Linux's gretap, stt's tenant
COOKIE=0123456789abcdef
TMTU=1446 # the largest tenant MTU over GUE on a 1500 underlay (docs/GUE.md section 0)

stt_interop_cleanup() {
	local ns ino
	for ns in $NS_LX $NS_ST $NS_TN; do
		[ -e "/run/netns/$ns" ] || continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ino=$(stt_ns_inode "$ns")
		if [ "$ns" = $NS_ST ] && [ -x "$STTCTL" ]; then
			timeout 20 "$STTCTL" -n "$ns" vport del vp >/dev/null 2>&1
			timeout 20 "$STTCTL" -n "$ns" detach ul >/dev/null 2>&1
		fi
		ip netns del "$ns" 2>/dev/null
		[ -z "$ino" ] || rm -rf "${STT_PIN_BASE:?}/$ino"
	done
}

sctl() { timeout 60 "$STTCTL" -n $NS_ST "$@"; }
# scount NAME: a counter of stt's endpoint (stats --json), a drop reason by its name too
scount() { sctl stats --json 2>/dev/null | jq -r --arg n "$1" '(.counters[$n] // .drops[$n] // 0)'; }
# sdrops: the drop counters that are not zero, as NAME=N words
sdrops() { sctl stats --json 2>/dev/null | jq -r '.drops | to_entries[] | select(.value != 0) | "\(.key)=\(.value)"' | tr '\n' ' '; }
sdrops_sum() { sctl stats --json 2>/dev/null | jq '[.drops[]] | add // 0'; }
# lxrx: rx_packets of Linux's gretap
lxrx() { ip -n $NS_LX -s -j link show gt | jq '.[0].stats64.rx.packets'; }
# spings NS DST [COUNT]: answered pings
spings() {
	timeout 30 ip netns exec "$1" ping -n -c "${3:-3}" -i 0.3 -W 2 "$2" >"$TMP/sping.log" 2>&1
	grep -c 'bytes from' "$TMP/sping.log"
}

stt_interop_setup() {
	local ns lxmac
	for ns in $NS_LX $NS_ST $NS_TN; do
		ip netns add $ns && ip -n $ns link set lo up &&
			ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
			return 1
	done
	ip link add ul netns $NS_LX type veth peer name ul netns $NS_ST &&
		ip -n $NS_LX addr add $UL_LX/24 dev ul && ip -n $NS_ST addr add $UL_ST/24 dev ul &&
		ip -n $NS_LX link set ul up && ip -n $NS_ST link set ul up || return 1
	# Linux: exactly the device of the Linux-vs-Linux part.
	ip netns exec $NS_LX ip fou add port $PORT gue &&
		ip -n $NS_LX link add gt type gretap local $UL_LX remote $UL_ST key $KEY \
			encap gue encap-sport auto encap-dport $PORT &&
		ip -n $NS_LX addr add $T_LX/24 dev gt && ip -n $NS_LX link set gt up || return 1
	# stt: the tenant behind a vport, TSO and GSO on (GRO on: XDP redirects need the peer's NAPI).
	ip -n $NS_ST link add vp mtu $TMTU type veth peer name eth0 netns $NS_TN mtu $TMTU &&
		ip -n $NS_TN addr add $T_ST/24 dev eth0 &&
		ip netns exec $NS_TN ethtool -K eth0 tso on gso on gro on >/dev/null &&
		ip -n $NS_TN link set eth0 up && ip -n $NS_ST link set vp up || return 1
	lxmac=$(stt_mac $NS_LX gt)
	sctl attach ul --local $UL_ST --xdp off --gue-port $PORT >/dev/null &&
		sctl vport add vp --context $KEY &&
		sctl remote set $UL_LX --encap gue &&
		sctl fdb add --context $KEY --mac ff:ff:ff:ff:ff:ff --remote $UL_LX &&
		sctl fdb add --context $KEY --mac "$lxmac" --remote $UL_LX
}

# iperf3 for 2 s: siperf NAME SERVER-NS SERVER-ADDR CLIENT-NS; sets IPERF_BYTES (received)
siperf() {
	local name=$1 sns=$2 saddr=$3 cns=$4 i
	IPERF_BYTES=0
	timeout 40 ip netns exec "$sns" iperf3 -s -1 -B "$saddr" >"$TMP/$name-s.log" 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$sns" ss -Hltn 'sport = :5201' | grep -q . && break
		sleep 0.1
	done
	timeout 40 ip netns exec "$cns" iperf3 -c "$saddr" -t 2 -J >"$TMP/$name.json" 2>"$TMP/$name.err"
	IPERF_BYTES=$(jq -r '.end.sum_received.bytes // 0' "$TMP/$name.json" 2>/dev/null)
	IPERF_BPS=$(jq -r '.end.sum_received.bits_per_second // 0' "$TMP/$name.json" 2>/dev/null |
		awk '{printf "%.0f Mbit/s", $1 / 1e6}')
	[ -n "$IPERF_BYTES" ] || IPERF_BYTES=0
}

stt_interop() {
	local n m r0 r1 g0 g1 d0 d1 f0 f1 x0 x1 t0 t1 why start cap drops0 arp_lx arp_tn
	echo "# stt's GUE against Linux's: Linux in $NS_LX ($UL_LX, gretap gt $T_LX), stt in $NS_ST ($UL_ST," \
		"vport vp, context $KEY) with its tenant in $NS_TN ($T_ST)"
	if [ ! -x "$STTCTL" ] || ! ls "$TOP"/build/stt_tx.bpf.o >/dev/null 2>&1; then
		not_ok "stt vs Linux: setup" "no build/sttctl or build/*.bpf.o (make all on the host)"
		return
	fi
	start=$SECONDS
	if ! stt_interop_setup 2>"$TMP/stt-setup.err"; then
		not_ok "stt vs Linux: setup (Linux gretap + stt attach, vport, remote --encap gue, fdb)" \
			"$(tail -n 3 "$TMP/stt-setup.err" | tr '\n' ' ')"
		return
	fi
	ok "stt vs Linux: setup (Linux gretap key $KEY encap gue; stt attach, vport, remote set --encap gue, fdb) in $((SECONDS - start))s"
	sctl remote list | diag

	# 1 + 4. Pings both ways, ARP through the tunnel; stt's frames captured on its underlay.
	cap_start stt-gue $NS_ST ul udp port $PORT || not_ok "tcpdump on stt's underlay" "$(cat "$TMP/stt-gue.err")"
	cap=$CAP_PID
	r0=$(lxrx) f0=$(scount tx_flood_copies) g0=$(scount rx_gue_frames) d0=$(sdrops_sum)
	n=$(spings $NS_TN $T_LX)
	diag <"$TMP/sping.log"
	m=$(spings $NS_LX $T_ST)
	cap_stop "$cap"
	r1=$(lxrx) f1=$(scount tx_flood_copies) g1=$(scount rx_gue_frames) d1=$(sdrops_sum)
	arp_lx=$(ip -n $NS_LX neigh show $T_ST dev gt) arp_tn=$(ip -n $NS_TN neigh show $T_LX dev eth0)
	if [ "$n" = 3 ] && [ "$m" = 3 ] && [ -n "$arp_lx" ] && [ -n "$arp_tn" ]; then
		ok "stt vs Linux: ping stt tenant -> Linux tenant 3/3 and Linux -> stt 3/3, ARP through the tunnel (flood copies +$((f1 - f0)))"
	else
		not_ok "stt vs Linux: ping both ways" "stt->Linux $n/3, Linux->stt $m/3; neighbours: Linux '$arp_lx', stt tenant '$arp_tn'; flood copies +$((f1 - f0)); stt drops: $(sdrops)"
	fi
	echo "#   stt: rx_gue_frames +$((g1 - g0)), drops +$((d1 - d0)); Linux gretap rx_packets +$((r1 - r0))"
	# For the host's tshark check: what Linux's gretap took in while stt's frames were captured.
	echo "# interop-count stt-gue linux-rx $((r1 - r0))"
	ip -n $NS_LX -s link show gt | diag
	pcap_print stt-gue

	# 2. iperf3 both ways.
	g0=$(scount tx_gso_frames) t0=$(scount tx_gue_frames) r0=$(lxrx)
	siperf stt-lx $NS_LX $T_LX $NS_TN
	g1=$(scount tx_gso_frames) t1=$(scount tx_gue_frames) r1=$(lxrx)
	if [ "$IPERF_BYTES" -gt 0 ] && [ "$((g1 - g0))" -gt 0 ]; then
		ok "stt vs Linux: iperf3 stt tenant -> Linux tenant 2 s (TSO on): $IPERF_BYTES bytes ($IPERF_BPS), tx_gso_frames +$((g1 - g0)), tx_gue_frames +$((t1 - t0)); Linux gretap rx_packets +$((r1 - r0))"
	else
		not_ok "stt vs Linux: iperf3 stt tenant -> Linux tenant (TSO on)" \
			"$IPERF_BYTES bytes, tx_gso_frames +$((g1 - g0)), tx_gue_frames +$((t1 - t0)); $(tail -n 2 "$TMP/stt-lx.err" | tr '\n' ' ')"
		ip -n $NS_LX -s link show gt | diag
	fi
	g0=$(scount rx_gue_frames) d0=$(sdrops_sum) x0=$(scount rx_segments)
	drops0=$(sdrops)
	siperf lx-stt $NS_TN $T_ST $NS_LX
	g1=$(scount rx_gue_frames) d1=$(sdrops_sum) x1=$(scount rx_segments)
	if [ "$IPERF_BYTES" -gt 0 ] && [ "$((g1 - g0))" -gt 0 ] && [ "$d1" = "$d0" ]; then
		ok "stt vs Linux: iperf3 Linux tenant -> stt tenant 2 s: $IPERF_BYTES bytes ($IPERF_BPS), rx_gue_frames +$((g1 - g0)) (rx_segments +$((x1 - x0)): Linux's GSO skbs taken whole), no drop"
	else
		not_ok "stt vs Linux: iperf3 Linux tenant -> stt tenant" \
			"$IPERF_BYTES bytes, rx_gue_frames +$((g1 - g0)), drops +$((d1 - d0)) (before: ${drops0:-none}; after: $(sdrops))"
	fi
	ip netns exec $NS_LX ethtool -k gt 2>/dev/null | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload):' | diag

	# 3. stt's XDP receive.
	why=''
	if ! sctl attach ul --local $UL_ST --xdp on --gue-port $PORT >"$TMP/xdp.err" 2>&1; then
		why="attach --xdp on: $(tail -n 1 "$TMP/xdp.err")"
	elif ! { sctl vport del vp && sctl vport add vp --context $KEY --xdp; } >"$TMP/xdp.err" 2>&1; then
		why="vport add --xdp: $(tail -n 1 "$TMP/xdp.err")"
	fi
	if [ -n "$why" ]; then
		skip "stt vs Linux: XDP receive" "$why"
	else
		x0=$(scount rx_xdp_frames) r0=$(lxrx)
		n=$(spings $NS_LX $T_ST 5)
		m=$(spings $NS_TN $T_LX 3)
		x1=$(scount rx_xdp_frames) r1=$(lxrx)
		if [ "$n" = 5 ] && [ "$m" = 3 ] && [ "$((x1 - x0))" -ge 8 ]; then
			ok "stt vs Linux: XDP receive: ping Linux -> stt 5/5 and stt -> Linux 3/3, rx_xdp_frames +$((x1 - x0))"
		else
			not_ok "stt vs Linux: XDP receive" "Linux->stt $n/5, stt->Linux $m/3, rx_xdp_frames +$((x1 - x0)), stt drops: $(sdrops)"
		fi
	fi

	# 5. stt's security cookie: Linux drops it (validate_gue_flags: unknown private flag).
	if ! sctl remote set $UL_LX --encap gue --cookie $COOKIE; then
		not_ok "stt vs Linux: remote set --cookie"
		return
	fi
	cap_start stt-gue-cookie $NS_ST ul udp port $PORT || true
	cap=$CAP_PID
	r0=$(lxrx) t0=$(scount tx_gue_frames)
	n=$(spings $NS_TN $T_LX 3)
	cap_stop "$cap"
	r1=$(lxrx) t1=$(scount tx_gue_frames)
	if [ "$n" = 0 ] && [ "$((t1 - t0))" -ge 3 ] && [ "$r1" = "$r0" ]; then
		ok "stt vs Linux: stt's GUE with the cookie: tx_gue_frames +$((t1 - t0)), Linux gretap rx_packets +0, 0/3 pings"
	else
		not_ok "stt vs Linux: stt's GUE with the cookie is dropped by Linux" \
			"$n/3 pings, tx_gue_frames +$((t1 - t0)), Linux gretap rx_packets +$((r1 - r0))"
	fi
	echo "# interop-count stt-gue-cookie linux-rx $((r1 - r0))"
	pcap_print stt-gue-cookie
	sctl remote set $UL_LX --encap gue --no-cookie >/dev/null
	n=$(spings $NS_TN $T_LX 2)
	[ "$n" = 2 ] && ok "stt vs Linux: without the cookie again: ping 2/2" ||
		not_ok "stt vs Linux: without the cookie again" "ping $n/2"
	echo "# stt vs Linux: $((SECONDS - start))s; stt's counters that are not zero:"
	{
		sctl stats --json 2>/dev/null | jq -r '(.counters, .drops) | to_entries[] | select(.value != 0) | "\(.key) \(.value)"' |
			tr '\n' ' ' | fold -s -w 96
		echo
	} | diag
}

# ------------------------------------------------------------------- the same over IPv6
# stt's GUE over an IPv6 underlay against Linux's ip6gretap (fou6): the zero UDP checksum
# stt sends by the remote's consent (remote set --udp6-zero-csum, docs/GUE.md section 5)
# and Linux's `noencap-udp6-csum encaplimit none`, which is what stt accepts; then what stt
# does with Linux's defaults (a Destination Options header, a computed checksum).
UL6_LX=2001:db8:47::11 UL6_ST=2001:db8:47::12
T6_LX=198.18.103.1 T6_ST=198.18.103.2
TMTU6=1426 # 1500 - IPv6 40 - UDP 8 - GUE 4 - GRE 8 - Ethernet 14

# stt_interop6_gt6 [OPTIONS...]: (re)make Linux's ip6gretap gt6 with these encap options
stt_interop6_gt6() {
	ip -n $NS_LX link del gt6 2>/dev/null
	ip -n $NS_LX link add gt6 type ip6gretap local $UL6_LX remote $UL6_ST key $KEY \
		encap gue encap-sport auto encap-dport $PORT "$@" &&
		ip -n $NS_LX link set gt6 mtu $TMTU6 &&
		ip -n $NS_LX addr add $T6_LX/24 dev gt6 && ip -n $NS_LX link set gt6 up
}

stt_interop6_setup() {
	local ns lxmac
	for ns in $NS_LX $NS_ST $NS_TN; do
		ip netns add $ns && ip -n $ns link set lo up || return 1
	done
	ip netns exec $NS_TN sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || return 1
	ip link add ul netns $NS_LX type veth peer name ul netns $NS_ST &&
		ip -n $NS_LX addr add $UL6_LX/64 dev ul nodad && ip -n $NS_ST addr add $UL6_ST/64 dev ul nodad &&
		ip -n $NS_LX link set ul up && ip -n $NS_ST link set ul up || return 1
	ip netns exec $NS_LX ip fou add port $PORT gue -6 &&
		stt_interop6_gt6 noencap-udp6-csum encaplimit none || return 1
	ip -n $NS_ST link add vp mtu $TMTU6 type veth peer name eth0 netns $NS_TN mtu $TMTU6 &&
		ip -n $NS_TN addr add $T6_ST/24 dev eth0 &&
		ip netns exec $NS_TN ethtool -K eth0 tso on gso on gro on >/dev/null &&
		ip -n $NS_TN link set eth0 up && ip -n $NS_ST link set vp up || return 1
	lxmac=$(stt_mac $NS_LX gt6)
	sctl attach ul --local $UL6_ST --xdp off --gue-port $PORT >/dev/null &&
		sctl vport add vp --context $KEY &&
		sctl remote set $UL6_LX --encap gue --udp6-zero-csum &&
		sctl fdb add --context $KEY --mac ff:ff:ff:ff:ff:ff --remote $UL6_LX &&
		sctl fdb add --context $KEY --mac "$lxmac" --remote $UL6_LX
}

stt_interop6() {
	local n m d0 d1 t0 t1 r0 r1 x0 x1 start
	stt_interop_cleanup
	NS_LX=gue6-lx NS_ST=gue6-st NS_TN=gue6-tn
	echo "# stt's GUE over IPv6 against Linux's ip6gretap: Linux in $NS_LX ($UL6_LX), stt in $NS_ST ($UL6_ST)"
	start=$SECONDS
	if ! stt_interop6_setup 2>"$TMP/stt6-setup.err"; then
		not_ok "stt vs Linux over IPv6: setup" "$(tail -n 3 "$TMP/stt6-setup.err" | tr '\n' ' ')"
		return
	fi
	ok "stt vs Linux over IPv6: setup (ip6gretap noencap-udp6-csum encaplimit none; remote set --encap gue --udp6-zero-csum) in $((SECONDS - start))s"
	ip -n $NS_LX -d link show gt6 | diag

	d0=$(sdrops_sum) t0=$(scount tx_gue_frames) r0=$(scount rx_gue_frames)
	n=$(spings $NS_TN $T6_LX)
	m=$(spings $NS_LX $T6_ST)
	d1=$(sdrops_sum) t1=$(scount tx_gue_frames) r1=$(scount rx_gue_frames)
	if [ "$n" = 3 ] && [ "$m" = 3 ] && [ "$d1" = "$d0" ]; then
		ok "stt vs Linux over IPv6: ping 3/3 both ways, ARP through the tunnel (tx_gue_frames +$((t1 - t0)), rx_gue_frames +$((r1 - r0))), no drop"
	else
		not_ok "stt vs Linux over IPv6: ping both ways" "stt->Linux $n/3, Linux->stt $m/3; stt drops: $(sdrops)"
	fi

	x0=$(scount tx_gso_frames)
	siperf ip6-st-lx $NS_LX $T6_LX $NS_TN
	x1=$(scount tx_gso_frames)
	if [ "$IPERF_BYTES" -gt 1000000 ] && [ "$((x1 - x0))" -gt 10 ]; then
		ok "stt vs Linux over IPv6: iperf3 stt tenant -> Linux 2 s: $IPERF_BYTES bytes ($IPERF_BPS), tx_gso_frames +$((x1 - x0))"
	else
		not_ok "stt vs Linux over IPv6: iperf3 stt tenant -> Linux" "$IPERF_BYTES bytes, tx_gso_frames +$((x1 - x0)); stt drops: $(sdrops)"
	fi
	d0=$(sdrops_sum)
	siperf ip6-lx-st $NS_TN $T6_ST $NS_LX
	d1=$(sdrops_sum)
	if [ "$IPERF_BYTES" -gt 1000000 ] && [ "$d1" = "$d0" ]; then
		ok "stt vs Linux over IPv6: iperf3 Linux -> stt tenant 2 s: $IPERF_BYTES bytes ($IPERF_BPS), no drop"
	else
		not_ok "stt vs Linux over IPv6: iperf3 Linux -> stt tenant" "$IPERF_BYTES bytes; drops +$((d1 - d0)): $(sdrops)"
	fi

	# Linux's default encaplimit 4 puts a Destination Options header before UDP: not ours.
	stt_interop6_gt6 noencap-udp6-csum
	d0=$(scount ipv6_outer)
	m=$(spings $NS_LX $T6_ST 3)
	d1=$(scount ipv6_outer)
	if [ "$m" = 0 ] && [ "$((d1 - d0))" -ge 3 ]; then
		ok "stt vs Linux over IPv6: Linux's default encaplimit (Destination Options) dropped, ipv6_outer +$((d1 - d0))"
	else
		not_ok "stt vs Linux over IPv6: Linux's encaplimit 4" "$m/3 pings, ipv6_outer +$((d1 - d0)); drops: $(sdrops)"
	fi

	# Without stt's consent, Linux's zero checksums are dropped (RFC 6936), counted.
	stt_interop6_gt6 noencap-udp6-csum encaplimit none
	sctl remote set $UL6_LX --encap stt --no-udp6-zero-csum >/dev/null
	d0=$(scount gue_udp6_zero_csum)
	m=$(spings $NS_LX $T6_ST 3)
	d1=$(scount gue_udp6_zero_csum)
	if [ "$m" = 0 ] && [ "$((d1 - d0))" -ge 3 ]; then
		ok "stt vs Linux over IPv6: without the consent, zero checksums dropped, gue_udp6_zero_csum +$((d1 - d0))"
	else
		not_ok "stt vs Linux over IPv6: zero checksum without consent" "$m/3 pings, gue_udp6_zero_csum +$((d1 - d0)); drops: $(sdrops)"
	fi

	# Linux's computed checksums (encap-udp6-csum, iproute2's default): what stt does with them.
	sctl remote set $UL6_LX --encap gue --udp6-zero-csum >/dev/null
	stt_interop6_gt6 encap-udp6-csum encaplimit none
	d0=$(scount gue_udp_csum) x0=$(scount rx_gue_frames)
	m=$(spings $NS_LX $T6_ST 3)
	d1=$(scount gue_udp_csum) x1=$(scount rx_gue_frames)
	echo "# interop6 computed checksums: $m/3 pings, rx_gue_frames +$((x1 - x0)), gue_udp_csum +$((d1 - d0))"
	if [ "$m" = 3 ] || [ "$((d1 - d0))" -ge 3 ]; then
		ok "stt vs Linux over IPv6: Linux's computed UDP checksums: $m/3 delivered, gue_udp_csum +$((d1 - d0)) (docs/GUE.md section 0)"
	else
		not_ok "stt vs Linux over IPv6: computed checksums neither delivered nor counted" "$m/3, drops: $(sdrops)"
	fi
	echo "# stt vs Linux over IPv6: $((SECONDS - start))s"
}

# ------------------------------------------------------------------------------- host side
# host_stt_checks OUT LOG: tshark's reading of stt's frames to Linux (OUT/stt-gue.pcap,
# OUT/stt-gue-cookie.pcap), against what Linux's gretap took in (the `# interop-count` lines
# of LOG). Adds to host_main's p, f and s.
host_stt_checks() {
	local out=$1 log=$2 tmp pcap lxrx nf bad ngre badgre necho prefix
	if ! command -v tshark >/dev/null || ! command -v text2pcap >/dev/null; then
		echo "skip - host: stt's GUE frames by tshark: no tshark or text2pcap (scripts/deps.sh)"
		s=$((s + 1))
		return
	fi
	tmp=$(mktemp -d /tmp/stt-interop.XXXXXX)
	prefix=$(printf '002f000020006558%08x' "$KEY")

	# stt's frames of the pings: the outer headers by tshark (IPv4 checksum, DF, TTL, source
	# port, UDP checksum 0, lengths), the GUE word and GRE header as bytes (tshark 4.0 has no
	# GUE dissector), then GRE and the tenant frame re-wrapped as IP protocol 47 for tshark.
	pcap=$out/stt-gue.pcap
	lxrx=$(sed -n 's/^# interop-count stt-gue linux-rx //p' "$log" | tail -n 1)
	if [ ! -s "$pcap" ] || [ -z "$lxrx" ]; then
		echo "not ok - host: stt's GUE frames to Linux: no capture ($pcap) or no count in the log"
		f=$((f + 1))
	else
		tshark -r "$pcap" -o ip.check_checksum:TRUE -Y "udp.dstport == $PORT && ip.src == $UL_ST && ip.dst == $UL_LX" \
			-T fields -E separator=, -e ip.flags.df -e ip.ttl -e ip.checksum.status -e udp.srcport \
			-e udp.length -e ip.len -e udp.checksum -e udp.payload >"$tmp/stt.csv" 2>"$tmp/tshark.err"
		nf=$(wc -l <"$tmp/stt.csv")
		bad=$(awk -F, -v pre="$prefix" '{ sp = $4 + 0
			if ($1 != 1 || $3 != 1 || sp < 32768 || sp > 60999 || $5 + 20 != $6 ||
			    $7 != "0x0000" || substr($8, 1, 24) != pre) print }' "$tmp/stt.csv" | head -n 3)
		awk -F, '{ p = substr($8, 9); printf "000000"; for (i = 1; i <= length(p); i += 2) printf " %s", substr(p, i, 2); print "" }' \
			"$tmp/stt.csv" >"$tmp/gre.txt"
		text2pcap -i 47 -4 "$UL_ST,$UL_LX" "$tmp/gre.txt" "$tmp/gre.pcap" >/dev/null 2>&1
		# eth.type and the rest: the last occurrence, the tenant frame's (text2pcap's dummy
		# Ethernet header comes first).
		tshark -r "$tmp/gre.pcap" -o ip.check_checksum:TRUE -T fields -E separator=, -E occurrence=l \
			-e gre.flags_and_version -e gre.proto -e gre.key -e eth.type -e icmp.type -e icmp.checksum.status \
			-e arp.opcode >"$tmp/gre.csv" 2>/dev/null
		ngre=$(wc -l <"$tmp/gre.csv")
		badgre=$(awk -F, -v k="$(printf '0x%08x' "$KEY")" '$1 != "0x2000" || $2 != "0x6558" || $3 != k ||
			($4 == "0x0800" && $6 != 1)' "$tmp/gre.csv" | head -n 3)
		necho=$(awk -F, '$4 == "0x0800" && ($5 == 8 || $5 == 0) && $6 == 1' "$tmp/gre.csv" | wc -l)
		echo "# host: stt's GUE frames to Linux by tshark: $nf frames; inner: $(awk -F, '{print ($4 == "0x0806" ? "arp" : $5 == 8 ? "echo-request" : $5 == 0 ? "echo-reply" : $4)}' "$tmp/gre.csv" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')Linux's gretap rx_packets +$lxrx"
		if [ "$nf" -ge 6 ] && [ -z "$bad" ] && [ "$ngre" = "$nf" ] && [ -z "$badgre" ] && [ "$necho" -ge 6 ] &&
			[ "$nf" = "$lxrx" ]; then
			echo "ok - host: stt's $nf GUE frames to Linux (tshark: DF, IPv4 checksum good, sport 32768-60999, UDP checksum 0, GUE 002f0000, GRE K+TEB key $KEY, $necho ICMP echoes with good checksums) = Linux's gretap rx_packets +$lxrx"
			p=$((p + 1))
		else
			echo "not ok - host: stt's GUE frames to Linux by tshark vs Linux's gretap: $nf frames (first bad: ${bad:-none}), GRE decoded $ngre (bad: ${badgre:-none}), good ICMP echoes $necho, Linux rx_packets +$lxrx"
			f=$((f + 1))
			sed 's/^/#   /' "$tmp/tshark.err" | head -n 5
		fi
	fi

	# The frames with the cookie: the option on the wire, none taken in by Linux.
	pcap=$out/stt-gue-cookie.pcap
	lxrx=$(sed -n 's/^# interop-count stt-gue-cookie linux-rx //p' "$log" | tail -n 1)
	if [ -s "$pcap" ] && [ -n "$lxrx" ]; then
		tshark -r "$pcap" -Y "udp.dstport == $PORT && ip.src == $UL_ST" -T fields -e udp.payload \
			>"$tmp/cookie.txt" 2>/dev/null
		nf=$(wc -l <"$tmp/cookie.txt")
		prefix=$(printf '032f000140000000%s20006558%08x' "$COOKIE" "$KEY")
		bad=$(awk -v pre="$prefix" 'substr($1, 1, 48) != pre' "$tmp/cookie.txt" | head -n 1)
		if [ "$nf" -ge 3 ] && [ -z "$bad" ] && [ "$lxrx" = 0 ]; then
			echo "ok - host: stt's $nf GUE frames with the cookie (tshark: hlen 3, P, private flag 0x40000000, cookie $COOKIE, GRE key $KEY): Linux's gretap rx_packets +0"
			p=$((p + 1))
		else
			echo "not ok - host: stt's GUE frames with the cookie: $nf frames (first other: ${bad:0:60}), Linux's gretap rx_packets +$lxrx"
			f=$((f + 1))
		fi
	fi
	rm -rf "$tmp"
}
