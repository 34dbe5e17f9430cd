#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Large frames end to end: tenants with default veth settings (TSO/GSO on, MTU 1500 = the
# underlay MTU), so a tenant TSO burst leaves as ONE STT frame that the kernel segments,
# non-GSO frames larger than a segment are cut by the BPF program, GRO on the receiving
# underlay merges the segments, and TC decapsulates whole frames (sttd, when built,
# reassembles what GRO leaves in pieces).
#
# Topology: scripts/lib.sh's two hosts and three tenants, namespace prefix "stl-", with
# the tenants at veth defaults, plus stl-t4 behind t2 (t2 routes; its veth to t4 has tx
# checksumming off, so t2's kernel computes what it forwards):
#
#   stl-t1 198.19.0.1 --vp1-- stl-h1 ul1 ==== ul2 stl-h2 --vp2-- stl-t2 198.19.0.2
#                                                                   fwd0 198.19.4.1
#                                                                     |
#                                                                  stl-t4 198.19.4.2
#
# Underlay modes, in this order:
#   offload  veth defaults on ul1/ul2 (what a host with offloading NICs does).
#   wire     ul1 and ul2 (each is a sender, iperf3 -R reverses): tso, gso, tx checksum
#            off, so the kernel segments and checksums in software what goes on the "wire";
#            GRO stays on at the receiver (sttctl attach turns it on).
#
# Goodput is printed (informational); nothing is asserted about speed. Captures are taken
# on ul1, the SENDING underlay, in both directions: an AF_PACKET tap on the receiving
# underlay sees packets after GRO (merged frames whose checksum fields no longer cover
# their bytes), while ul1's tap sees the segments exactly as they leave, after software
# segmentation and checksumming, and sees whatever h2 sends back (RSTs included).
#
# Output like test_basic.sh: `ok - NAME`, `not ok - NAME: why`, `skip - NAME: reason`,
# `# ...` diagnostics, and a last line `N passed, N failed, N skipped`; exit 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STL_NS_PREFIX:-stl-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

TENANT_MTU=1500 TENANT_TSO=default # veth defaults: large frames
NS_T4=${STT_NS_PREFIX}t4
T4_IP=198.19.4.2 T2_FWD_IP=198.19.4.1 FWD_NET=198.19.4.0/24
IPERF_SECS=3


TMP=$(mktemp -d /tmp/stl-test.XXXXXX)
CAP_PID='' IPERF_PID='' MODE=''
RESULTS=()

cleanup() {
	local pid
	for pid in $CAP_PID $IPERF_PID "${STTD_PIDS[@]}"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Topology ------------------------------------------------------------------------------


# t4 behind t2: t2 forwards between eth0 (tunnel side) and fwd0, fwd0 has tx checksum off.
setup_forwarding() {
	ip netns add "$NS_T4" || return 1
	ip -n "$NS_T4" link set lo up || return 1
	nsx "$NS_T4" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
		return 1
	ip -n "$NS_T2" link add fwd0 type veth peer name eth0 netns "$NS_T4" || return 1
	ip -n "$NS_T2" addr add "$T2_FWD_IP/24" dev fwd0 || return 1
	ip -n "$NS_T4" addr add "$T4_IP/24" dev eth0 || return 1
	nsx "$NS_T2" ethtool -K fwd0 tx off >/dev/null || return 1
	ip -n "$NS_T2" link set fwd0 up || return 1
	ip -n "$NS_T4" link set eth0 up || return 1
	nsx "$NS_T2" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_T1" route add "$FWD_NET" via "$T2_IP" || return 1
	ip -n "$NS_T4" route add default via "$T2_FWD_IP" || return 1
}

# sttd for each host, when it is built. STTD_STATE: running | absent | "died: ..."
sttd_start() { stt_sttd_start "$TMP"; }

sttd_check() {
	local pid
	[ "$STTD_STATE" = running ] || return 0
	for pid in "${STTD_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || STTD_STATE="died during the run: $(cat "$TMP"/sttd-*.log | tr '\n' ' ')"
	done
}

set_mode() {
	MODE=$1
	if [ "$MODE" = wire ]; then
		nsx "$NS_H1" ethtool -K "$UL1" tso off gso off tx off >/dev/null 2>&1
		nsx "$NS_H2" ethtool -K "$UL2" tso off gso off tx off >/dev/null 2>&1
	fi
	echo "# mode $MODE: ul1 $(nsx "$NS_H1" ethtool -k "$UL1" | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|tx-checksumming|generic-receive-offload):' | tr -s ' \n' ' ')"
	echo "# mode $MODE: ul2 $(nsx "$NS_H2" ethtool -k "$UL2" | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|tx-checksumming|generic-receive-offload):' | tr -s ' \n' ' ')"
}

# Counters --------------------------------------------------------------------------------

stats_json() { stt_ctl "$1" stats --json 2>/dev/null; }

# Packets the underlay veth itself dropped (e.g. its peer's NAPI ring was full), as counters
# ul_rx_dropped, ul_tx_dropped and their sum ul_dropped, added to sttctl's stats.
JQ_UL='.[0].stats64 as $s | {ul_rx_dropped: ($s.rx.dropped // 0), ul_tx_dropped: ($s.tx.dropped // 0),
	ul_dropped: (($s.rx.dropped // 0) + ($s.tx.dropped // 0))}'

# snap NAME: save both hosts' stats as $TMP/snap-NAME-{h1,h2}.json
snap() {
	local ul
	ul=$(ip -n "$NS_H1" -s -j link show "$UL1" 2>/dev/null | jq -c "$JQ_UL" 2>/dev/null)
	[ -n "$ul" ] || ul='{}'
	stats_json "$NS_H1" | jq -c --argjson u "$ul" '.counters += $u' >"$TMP/snap-$1-h1.json"
	ul=$(ip -n "$NS_H2" -s -j link show "$UL2" 2>/dev/null | jq -c "$JQ_UL" 2>/dev/null)
	[ -n "$ul" ] || ul='{}'
	stats_json "$NS_H2" | jq -c --argjson u "$ul" '.counters += $u' >"$TMP/snap-$1-h2.json"
}

# One flat object: counters, drops.* and reasm_* (wherever sttctl puts them).
JQ_FLAT='def flat: (.counters // {}) + ((.drops // {}) | with_entries(.key = "drops." + .key)) + (.reasm // {});'

# delta FROM TO HOST KEY: the counter's growth between two snapshots (0 if absent)
delta() {
	jq -n --slurpfile a "$TMP/snap-$1-$3.json" --slurpfile b "$TMP/snap-$2-$3.json" --arg k "$4" \
		"$JQ_FLAT"' (($b[0] | flat)[$k] // 0) - (($a[0] | flat)[$k] // 0)' 2>/dev/null || echo 0
}

# value SNAP HOST KEY
value() {
	jq --arg k "$3" "$JQ_FLAT"' (flat)[$k] // 0' "$TMP/snap-$1-$2.json" 2>/dev/null || echo 0
}

# show_deltas FROM TO: every counter that moved, per host
show_deltas() {
	local h
	for h in h1 h2; do
		echo "$h: $(jq -n -c --slurpfile a "$TMP/snap-$1-$h.json" --slurpfile b "$TMP/snap-$2-$h.json" \
			"$JQ_FLAT"' ($a[0] | flat) as $x | ($b[0] | flat) | with_entries(.value -= ($x[.key] // 0))
			| with_entries(select(.value != 0))' 2>/dev/null)"
	done
}

# Traffic ---------------------------------------------------------------------------------

# iperf_run CLIENT_NS SERVER_NS SERVER_IP [IPERF3 ARGS...]: JSON in $TMP/iperf.json; iperf3's
# status. The server serves one test and exits.
iperf_run() {
	local cns=$1 sns=$2 sip=$3 rc
	shift 3
	timeout 40 ip netns exec "$sns" iperf3 -s -1 -p 5201 -B "$sip" >"$TMP/iperf-server.log" 2>&1 &
	IPERF_PID=$!
	if ! stt_wait_listen "$sns" 5201; then
		echo '{"error":"iperf3 server did not start"}' >"$TMP/iperf.json"
		kill "$IPERF_PID" 2>/dev/null
		wait "$IPERF_PID" 2>/dev/null
		IPERF_PID=
		return 1
	fi
	timeout 30 ip netns exec "$cns" iperf3 -c "$sip" -p 5201 -J --connect-timeout 3000 "$@" \
		>"$TMP/iperf.json" 2>"$TMP/iperf.err"
	rc=$?
	timeout 5 tail --pid="$IPERF_PID" -f /dev/null 2>/dev/null || kill "$IPERF_PID" 2>/dev/null
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	return $rc
}

# Results of the last iperf_run: IP_BYTES IP_GBPS IP_RETR IP_ERR
iperf_parse() {
	IP_BYTES=$(jq -r '.end.sum_received.bytes // 0 | floor' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_GBPS=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9 * 100 | floor / 100' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_RETR=$(jq -r '.end.sum_sent.retransmits // "?"' "$TMP/iperf.json" 2>/dev/null || echo '?')
	IP_ERR=$(jq -r '.error // empty' "$TMP/iperf.json" 2>/dev/null)
	[[ $IP_BYTES =~ ^[0-9]+$ ]] || IP_BYTES=0
}

# tcp_case NAME SENDER_HOST(h1|h2) LABEL IPERF3 ARGS...: t1 is the client, t2 the server.
tcp_case() {
	local name=$1 sender=$2 label=$3 rc gso cut receiver
	shift 3
	[ "$sender" = h1 ] && receiver=h2 || receiver=h1
	snap before
	iperf_run "$NS_T1" "$NS_T2" "$T2_IP" -t "$IPERF_SECS" "$@"
	rc=$?
	snap after
	sttd_check
	iperf_parse
	gso=$(delta before after "$sender" tx_gso_frames)
	cut=$(delta before after "$sender" tx_cut_frames)
	echo "# goodput $MODE $label: $IP_GBPS Gbit/s, $IP_BYTES bytes, $IP_RETR retransmits;" \
		"$sender tx_frames +$(delta before after "$sender" tx_frames) tx_gso_frames +$gso tx_cut_frames +$cut;" \
		"$receiver rx_frames +$(delta before after "$receiver" rx_frames) rx_gro_frames +$(delta before after "$receiver" rx_gro_frames)" \
		"multi_segment drops +$(delta before after "$receiver" drops.multi_segment)" \
		"rx_to_sttd +$(delta before after "$receiver" rx_to_sttd) reasm_frames +$(delta before after "$receiver" reasm_frames);" \
		"underlay veth drops: $sender tx +$(delta before after "$sender" ul_tx_dropped) rx +$(delta before after "$sender" ul_rx_dropped)," \
		"$receiver tx +$(delta before after "$receiver" ul_tx_dropped) rx +$(delta before after "$receiver" ul_rx_dropped)"
	RESULTS+=("$(printf '%-8s %-28s %7s Gbit/s  %6s retransmits' "$MODE" "$label" "$IP_GBPS" "$IP_RETR")")
	if [ "$rc" -ne 0 ] || [ -n "$IP_ERR" ] || [ "$IP_BYTES" -le 0 ]; then
		diag <"$TMP/iperf.err"
		show_deltas before after | diag
		not_ok "$name" "iperf3 rc=$rc bytes=$IP_BYTES${IP_ERR:+ error=$IP_ERR}"
	elif ! [ "$gso" -gt 0 ] 2>/dev/null; then
		show_deltas before after | diag
		not_ok "$name" "$sender tx_gso_frames did not grow: tenant TSO bursts did not leave as one STT frame"
	else
		ok "$name"
	fi
}

# sttd_case NAME FROM_SNAP: over the runs since FROM_SNAP, every piece GRO left went to sttd
# and came out as a frame: nothing may be lost on the way to sttd (reasm_lost, multi_segment
# drops), fail a check or be evicted, and a frame may time out only for a lost piece or a
# packet the underlay veths themselves dropped (their rx/tx dropped counters).
sttd_case() {
	local name=$1 from=$2 h pieces frames why='' k v uld lost
	if [ "$STTD_STATE" = absent ]; then
		skip "$name" "build/sttd is not built yet"
		return
	fi
	if [ "$STTD_STATE" != running ]; then
		not_ok "$name" "sttd $STTD_STATE"
		return
	fi
	# Frames still incomplete time out after sttd's timeout (1 s by default): wait past it.
	sleep 1.5
	snap sttd-end
	for h in h1 h2; do
		pieces=$(delta "$from" sttd-end "$h" rx_to_sttd)
		frames=$(delta "$from" sttd-end "$h" reasm_frames)
		echo "# $h: rx_to_sttd +$pieces, reasm_pieces +$(delta "$from" sttd-end "$h" reasm_pieces)," \
			"reasm_frames +$frames, multi_segment drops +$(delta "$from" sttd-end "$h" drops.multi_segment)," \
			"reasm_timeouts +$(delta "$from" sttd-end "$h" reasm_timeouts), reasm_lost +$(delta "$from" sttd-end "$h" reasm_lost)," \
			"reasm_inflight $(value sttd-end "$h" reasm_inflight), reasm_mem_bytes $(value sttd-end "$h" reasm_mem_bytes)," \
			"underlay veth drops +$(delta "$from" sttd-end "$h" ul_dropped)"
		# A frame whose other segments the underlay veth dropped only times out (checked below).
		uld=$(($(delta "$from" sttd-end h1 ul_dropped) + $(delta "$from" sttd-end h2 ul_dropped)))
		if [ "$pieces" -gt 0 ] && [ "$frames" -le 0 ] && [ "$uld" = 0 ]; then
			why+="$h: $pieces pieces to sttd, no frame reassembled; "
		fi
		for k in drops.multi_segment reasm_evicted reasm_lost reasm_bad_csum \
			reasm_conflicts reasm_invalid reasm_bad_frame reasm_tx_errors reasm_id_reuse; do
			v=$(delta "$from" sttd-end "$h" "$k")
			[ "$v" = 0 ] || why+="$h $k +$v; "
		done
		v=$(delta "$from" sttd-end "$h" reasm_timeouts)
		uld=$(($(delta "$from" sttd-end h1 ul_dropped) + $(delta "$from" sttd-end h2 ul_dropped)))
		lost=$(delta "$from" sttd-end "$h" reasm_lost)
		[ "$v" -le $((uld + lost)) ] ||
			why+="$h reasm_timeouts +$v, more than the $lost pieces lost + $uld packets the underlay veths dropped; "
		v=$(value sttd-end "$h" reasm_inflight)
		[ "$v" = 0 ] || why+="$h reasm_inflight $v after 1.5 s of quiet; "
	done
	if [ -n "$why" ]; then
		show_deltas "$from" sttd-end | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Tests -----------------------------------------------------------------------------------

test_fwd() { tcp_case "$MODE: iperf3 t1 -> t2, 1 stream" h1 "t1->t2 1 stream"; }
test_rev() { tcp_case "$MODE: iperf3 t2 -> t1 (-R), 1 stream" h2 "t2->t1 (-R) 1 stream" -R; }
test_par() { tcp_case "$MODE: iperf3 t1 -> t2, 4 streams (-P 4)" h1 "t1->t2 -P 4" -P 4; }
test_sttd() { sttd_case "$MODE: sttd reassembles every piece GRO left (lossless underlay)" "mode-$MODE"; }

# Wire mode, capture with -s 200 of a 1 s, 200 Mbit/s stream on ul1 (both directions):
# segments of multi-segment frames exist, everything to the STT port decodes as STT (v0 where
# the header is present, i.e. in first segments) with no expert warning, and no packet
# carries a RST.
test_wire_capture() {
	local name="wire: STT segments on the wire (capture -s 200), no RST" pcap=$TMP/wire200.pcap
	local total nstt badver nseg nframes nrst experts
	if ! stt_capture_start "$NS_H1" "$UL1" "$pcap" --immediate-mode -s 200 tcp; then
		not_ok "$name" "could not start tcpdump on $UL1"
		return
	fi
	CAP_PID=$STT_CAP_PID
	iperf_run "$NS_T1" "$NS_T2" "$T2_IP" -t 1 -b 200M >/dev/null
	stt_capture_stop "$CAP_PID"
	CAP_PID=
	# Outer headers as plain TCP (no heuristic): the first TCP layer is the outer one.
	tshark -r "$pcap" -E occurrence=f -T fields -e frame.number -e tcp.dstport -e tcp.flags.reset \
		2>/dev/null >"$TMP/wire200-tcp.txt"
	total=$(awk -F'\t' -v p="$STT_PORT" '$2 == p' "$TMP/wire200-tcp.txt" | wc -l)
	nrst=$(awk -F'\t' '$3 == "1" || $3 == "True"' "$TMP/wire200-tcp.txt" | wc -l)
	# STT dissector (heuristic first): every segment has an ID; first segments a header.
	tshark -r "$pcap" -o ip.try_heuristic_first:TRUE -Y stt -E occurrence=f -T fields \
		-e frame.number -e stt.pkt_id -e stt.seg_off -e stt.version 2>/dev/null >"$TMP/wire200-stt.txt"
	nstt=$(awk -F'\t' '$2 != ""' "$TMP/wire200-stt.txt" | wc -l)
	badver=$(awk -F'\t' '$4 != "" && $4 != "0"' "$TMP/wire200-stt.txt" | wc -l)
	nseg=$(awk -F'\t' '$3 != "" && $3 > 0' "$TMP/wire200-stt.txt" | wc -l)
	nframes=$(awk -F'\t' '$3 != "" && $3 > 0 {print $2}' "$TMP/wire200-stt.txt" | sort -u | wc -l)
	experts=$(tshark -r "$pcap" -o ip.try_heuristic_first:TRUE -Y 'stt.version_unknown.expert or
		stt.l4offset_bad.expert or stt.mss_bad.expert or stt.data_offset_bad.expert' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	echo "# capture on $UL1 (-s 200): $(wc -l <"$TMP/wire200-tcp.txt") TCP packets, $total to port $STT_PORT," \
		"$nstt decoded as STT ($badver with a version other than 0), $nseg segments with stt.seg_off > 0" \
		"in $nframes frames, $experts STT expert warnings, $nrst RSTs; tcpdump: $(tail -3 "$pcap.log" | tr '\n' ' ')"
	if [ "$total" -eq 0 ]; then
		not_ok "$name" "no STT packets captured"
	elif [ "$nseg" -eq 0 ]; then
		not_ok "$name" "no segment with stt.seg_off > 0: no multi-segment frame on the wire"
	elif [ "$nstt" -ne "$total" ] || [ "$badver" -ne 0 ] || [ "$experts" -ne 0 ]; then
		not_ok "$name" "$nstt of $total packets to port $STT_PORT decode as STT, $badver bad versions, $experts expert warnings"
	elif [ "$nrst" -ne 0 ]; then
		tshark -r "$pcap" -Y 'tcp.flags.reset == 1' 2>/dev/null | head -5 | diag
		not_ok "$name" "$nrst packets with RST"
	else
		ok "$name"
	fi
}

# Wire mode, full capture of a short transfer (1 MB): every outer TCP checksum of what h1
# sends is good, and tshark reassembles every multi-segment frame whose segments were all
# captured into an inner IPv4/TCP frame for t2. Frames cut by the BPF program carry a
# complete inner checksum (the STT header says it is not partial): that one must be good too.
test_wire_reassembly() {
	local name="wire: outer checksums good, tshark reassembles every multi-segment frame"
	local pcap=$TMP/wirefull.pcap total good bad complete reasm cut_good cut_bad nrst
	local not_t2 why=''
	if ! stt_capture_start "$NS_H1" "$UL1" "$pcap" --immediate-mode tcp; then
		not_ok "$name" "could not start tcpdump on $UL1"
		return
	fi
	CAP_PID=$STT_CAP_PID
	iperf_run "$NS_T1" "$NS_T2" "$T2_IP" -n 1M -b 100M >/dev/null
	stt_capture_stop "$CAP_PID"
	CAP_PID=
	# Pass 1, no heuristic: the outer TCP as plain TCP, checksums verified.
	tshark -r "$pcap" -o tcp.check_checksum:TRUE -E occurrence=f -T fields -e ip.src \
		-e tcp.dstport -e tcp.checksum.status -e tcp.flags.reset 2>/dev/null >"$TMP/csum.txt"
	total=$(awk -F'\t' -v s="$UL1_IP" -v p="$STT_PORT" '$1 == s && $2 == p' "$TMP/csum.txt" | wc -l)
	good=$(awk -F'\t' -v s="$UL1_IP" -v p="$STT_PORT" '$1 == s && $2 == p && $3 == 1' "$TMP/csum.txt" | wc -l)
	bad=$((total - good))
	nrst=$(awk -F'\t' '$4 == "1" || $4 == "True"' "$TMP/csum.txt" | wc -l)
	# Frames whose segments were all captured (sum of payloads = STT frame length).
	tshark -r "$pcap" -o ip.try_heuristic_first:TRUE -E occurrence=f -T fields -e ip.src \
		-e stt.pkt_id -e stt.seg_off -e stt.pkt_len -e ip.len 2>/dev/null |
		LC_ALL=C awk -F'\t' -v s="$UL1_IP" '$1 == s && $2 != "" {n[$2]++; sum[$2] += $5 - 40; len[$2] = $4; if ($3 > 0) multi[$2] = 1}
			END {for (k in multi) if (sum[k] == len[k]) print k}' | LC_ALL=C sort >"$TMP/complete.txt"
	complete=$(wc -l <"$TMP/complete.txt")
	# Pass 2, reassembly: one line per reassembled frame (outer and inner fields).
	tshark -2 -r "$pcap" -o ip.try_heuristic_first:TRUE -o tcp.check_checksum:TRUE \
		-Y "stt.reassembled.length and ip.src == $UL1_IP" -T fields -E occurrence=l \
		-e stt.pkt_id -e ip.dst -e stt.flags.csum_partial -e tcp.checksum.status \
		-e stt.segment.count 2>/dev/null | LC_ALL=C sort -u >"$TMP/reasm.txt"
	reasm=$(LC_ALL=C join -t$'\t' "$TMP/complete.txt" "$TMP/reasm.txt" | wc -l)
	not_t2=$(awk -F'\t' -v d="$T2_IP" '$2 != d' "$TMP/reasm.txt" | wc -l)
	cut_good=$(awk -F'\t' '($3 == "0" || $3 == "False") && $4 == 1' "$TMP/reasm.txt" | wc -l)
	cut_bad=$(awk -F'\t' '($3 == "0" || $3 == "False") && $4 != 1' "$TMP/reasm.txt" | wc -l)
	echo "# full capture on $UL1: $total STT segments from $UL1_IP, outer TCP checksums good/bad $good/$bad;" \
		"$complete multi-segment frames complete in the capture, $reasm of them reassembled by tshark" \
		"($(wc -l <"$TMP/reasm.txt") reassembled in all, $not_t2 with an inner destination other than $T2_IP);" \
		"cut frames (inner checksum complete) good/bad $cut_good/$cut_bad; $nrst RSTs"
	[ "$total" -gt 0 ] || why+="no STT segment from $UL1_IP captured; "
	[ "$bad" -eq 0 ] || why+="$bad outer TCP checksums not good; "
	[ "$complete" -gt 0 ] || why+="no complete multi-segment frame captured; "
	[ "$reasm" -eq "$complete" ] || why+="tshark reassembled $reasm of $complete frames; "
	[ "$not_t2" -eq 0 ] || why+="$not_t2 reassembled frames not IPv4 for $T2_IP; "
	[ "$cut_bad" -eq 0 ] || why+="$cut_bad cut frames with a bad inner TCP checksum; "
	[ "$nrst" -eq 0 ] || why+="$nrst RSTs; "
	if [ -n "$why" ]; then
		awk -F'\t' -v s="$UL1_IP" -v p="$STT_PORT" '$1 == s && $2 == p && $3 != 1' "$TMP/csum.txt" | head -5 | diag
		LC_ALL=C comm -23 "$TMP/complete.txt" <(cut -f1 "$TMP/reasm.txt") | head -5 | sed 's/^/not reassembled: /' | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# A decapsulated frame that the tenant forwards must still be correct: t1 -> t4 through t2
# (fwd0 has tx checksumming off, so t2's kernel completes every checksum it forwards).
# iperf3 for goodput, then a full capture of a short transfer on t4's side: every TCP
# checksum from t1 good, and t4's TcpInCsumErrors unchanged.
test_forward() {
	local name="$MODE: t1 -> t4 forwarded by t2: TCP checksums good at t4"
	local rc pcap=$TMP/t4-$MODE.pcap total good e0 e1 why=''
	snap before
	iperf_run "$NS_T1" "$NS_T4" "$T4_IP" -t "$IPERF_SECS"
	rc=$?
	snap after
	iperf_parse
	RESULTS+=("$(printf '%-8s %-28s %7s Gbit/s  %6s retransmits' "$MODE" "t1->t4 forwarded by t2" "$IP_GBPS" "$IP_RETR")")
	echo "# goodput $MODE t1->t4 (forwarded by t2): $IP_GBPS Gbit/s, $IP_BYTES bytes, $IP_RETR retransmits"
	[ "$rc" -eq 0 ] && [ -z "$IP_ERR" ] && [ "$IP_BYTES" -gt 0 ] || why+="iperf3 rc=$rc bytes=$IP_BYTES${IP_ERR:+ error=$IP_ERR}; "
	e0=$(nsx "$NS_T4" nstat -az TcpInCsumErrors 2>/dev/null | awk '$1 == "TcpInCsumErrors" {print $2}')
	if ! stt_capture_start "$NS_T4" eth0 "$pcap" --immediate-mode -Q in tcp; then
		not_ok "$name" "could not start tcpdump on t4"
		return
	fi
	CAP_PID=$STT_CAP_PID
	iperf_run "$NS_T1" "$NS_T4" "$T4_IP" -n 2M -b 200M >/dev/null
	stt_capture_stop "$CAP_PID"
	CAP_PID=
	e1=$(nsx "$NS_T4" nstat -az TcpInCsumErrors 2>/dev/null | awk '$1 == "TcpInCsumErrors" {print $2}')
	tshark -r "$pcap" -o tcp.check_checksum:TRUE -E occurrence=f -T fields -e ip.src \
		-e tcp.checksum.status -e tcp.len 2>/dev/null >"$TMP/t4.txt"
	total=$(awk -F'\t' -v s="$T1_IP" '$1 == s' "$TMP/t4.txt" | wc -l)
	good=$(awk -F'\t' -v s="$T1_IP" '$1 == s && $2 == 1' "$TMP/t4.txt" | wc -l)
	echo "# t4 received from t1: $total TCP packets ($(awk -F'\t' -v s="$T1_IP" '$1 == s && $3 > 0' "$TMP/t4.txt" | wc -l) with data)," \
		"checksums good $good, not good $((total - good)); t4 TcpInCsumErrors ${e0:-?} -> ${e1:-?}"
	[ "$total" -gt 0 ] || why+="t4 captured nothing from t1; "
	[ "$good" -eq "$total" ] || why+="$((total - good)) of $total TCP checksums not good at t4; "
	[ "${e0:-x}" = "${e1:-y}" ] || why+="t4 TcpInCsumErrors ${e0:-?} -> ${e1:-?}; "
	if [ -n "$why" ]; then
		awk -F'\t' -v s="$T1_IP" '$1 == s && $2 != 1' "$TMP/t4.txt" | sort | uniq -c | head -5 | diag
		show_deltas before after | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# ECN on whole frames (offload mode: the tenant's TSO burst stays one GSO skb from ul1 to
# ul2, and stt_tc_rx decapsulates it as one merged frame). The fault injector stands in for
# an AQM on the sending underlay and sets CE on every STT frame of an ECN TCP flow (this
# kernel has no RED or fq_codel); the tenant must receive CE packets (RFC 6040), none may be
# dropped as Not-ECT, and the frames must have taken the merged-frame path.
FAULT=${STT_FAULT:-$STT_REPO/build/stt_fault}
test_ecn_merged() {
	local name="$MODE: ecn: CE on merged frames reaches the tenant" ce0 ce1 why=''
	if ! make -C "$STT_REPO" --no-print-directory -s build/stt_fault >"$TMP/fault-build.log" 2>&1; then
		diag <"$TMP/fault-build.log"
		not_ok "$name" "cannot build build/stt_fault"
		return
	fi
	nsx "$NS_T1" sysctl -qw net.ipv4.tcp_ecn=1
	nsx "$NS_T2" sysctl -qw net.ipv4.tcp_ecn=1
	ce0=$(ip netns exec "$NS_T2" nstat -az IpExtInCEPkts | awk '$1 == "IpExtInCEPkts" {print $2}')
	snap before
	if timeout 20 "$FAULT" -n "$NS_H1" "$UL1" --ce-rate 100 >"$TMP/fault.txt" 2>&1; then
		iperf_run "$NS_T1" "$NS_T2" "$T2_IP" -t 2 >/dev/null
		iperf_parse
		timeout 20 "$FAULT" -n "$NS_H1" "$UL1" --detach --json >"$TMP/fault.json" 2>&1
	else
		why+="stt_fault attach failed: $(tr '\n' ' ' <"$TMP/fault.txt"); "
	fi
	snap after
	ce1=$(ip netns exec "$NS_T2" nstat -az IpExtInCEPkts | awk '$1 == "IpExtInCEPkts" {print $2}')
	nsx "$NS_T1" sysctl -qw net.ipv4.tcp_ecn=2
	nsx "$NS_T2" sysctl -qw net.ipv4.tcp_ecn=2
	echo "# ecn $MODE: t2 IpExtInCEPkts $ce0 -> $ce1; injector $(jq -c '{ce_marked: .counters.ce_marked, gso_skbs: .counters.gso_skbs}' "$TMP/fault.json" 2>/dev/null);" \
		"h2 rx_gro_frames +$(delta before after h2 rx_gro_frames), ecn_ce_not_ect +$(delta before after h2 drops.ecn_ce_not_ect); iperf3 $IP_BYTES bytes"
	[ "$IP_BYTES" -gt 0 ] || why+="iperf3 moved nothing; "
	[[ $ce0 =~ ^[0-9]+$ && $ce1 =~ ^[0-9]+$ ]] && [ "$ce1" -gt "$ce0" ] || why+="t2 received no CE packet; "
	[ "$(delta before after h2 rx_gro_frames)" -gt 0 ] || why+="no merged frame on h2; "
	[ "$(delta before after h2 drops.ecn_ce_not_ect)" -eq 0 ] || why+="ECT packets dropped as Not-ECT; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# IPv6 inside: the tenants talk TCP over IPv6 with TSO. Each burst must leave as one GSO STT
# frame (none dropped as too big), arrive with good checksums, and on the wire (wire mode)
# carry the draft's flags for IPv6: IPv4 bit clear, TCP set, and on partial-checksum frames
# the L4 offset right behind the 40-byte header (54).
T1_IP6=2001:db8:100::1 T2_IP6=2001:db8:100::2
ipv6_up() {
	local ns ip
	for ns in "$NS_T1" "$NS_T2"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 || return 1
	done
	ip -n "$NS_T1" addr add "$T1_IP6/64" dev eth0 nodad &&
		ip -n "$NS_T2" addr add "$T2_IP6/64" dev eth0 nodad
}

test_ipv6_inner() {
	local name="$MODE: ipv6 inside: TSO bursts over IPv6 as one STT frame, checksums good"
	local gso big c0 c1 why='' wire=''
	snap before
	c0=$(ip netns exec "$NS_T2" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" {print $2}')
	if [ "$MODE" = wire ]; then
		stt_capture_start "$NS_H1" "$UL1" "$TMP/v6.pcap" -Q out -c 2000 tcp dst port "$STT_PORT" ||
			why+="capture failed; "
		V6_CAP=$STT_CAP_PID
	fi
	iperf_run "$NS_T1" "$NS_T2" "$T2_IP6" -t 2 >/dev/null
	iperf_parse
	[ -z "${V6_CAP:-}" ] || { stt_capture_stop "$V6_CAP"; V6_CAP=; }
	snap after
	c1=$(ip netns exec "$NS_T2" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" {print $2}')
	gso=$(delta before after h1 tx_gso_frames)
	big=$(delta before after h1 drops.tx_too_big)
	if [ "$MODE" = wire ] && [ -s "$TMP/v6.pcap" ]; then
		# ipv4 flag, tcp flag, partial flag, L4 offset: one line per distinct combination.
		wire=$(tshark -r "$TMP/v6.pcap" -o ip.try_heuristic_first:TRUE -Y 'stt && stt.seg_off == 0' \
			-T fields -e stt.flags.ipv4 -e stt.flags.tcp -e stt.flags.csum_partial -e stt.l4offset \
			2>/dev/null | sort | uniq -c | xargs)
		bad=$(tshark -r "$TMP/v6.pcap" -o tcp.check_checksum:TRUE -Y "tcp.dstport == $STT_PORT && tcp.checksum.status != 1" \
			-T fields -e frame.number 2>/dev/null | wc -l)
		[ "$bad" -eq 0 ] || why+="$bad STT segments whose TCP checksum tshark does not call good; "
		# Data frames: IPv4 bit clear, TCP set; a partial checksum comes with L4 offset 54.
		grep -Eq '(^| )[0-9]+ (False|0) (True|1) (True|1) 54( |$)' <<<"$wire" ||
			why+="no first segment with IPv4 clear, TCP set, checksum partial, L4 offset 54 ($wire); "
		grep -Eq ' (True|1) [0-9]+ [0-9]+( |$)' <<<"$(tshark -r "$TMP/v6.pcap" -o ip.try_heuristic_first:TRUE -Y 'stt && stt.seg_off == 0' -T fields -e stt.flags.ipv4 -e stt.flags.tcp -e stt.flags.csum_partial -e stt.l4offset 2>/dev/null | sort -u | awk '$1 == "True" || $1 == "1"' | head -1)" &&
			why+="an IPv6 frame said IPv4; "
	fi
	echo "# ipv6 $MODE: $IP_GBPS Gbit/s, $IP_BYTES bytes; h1 tx_gso_frames +$gso, tx_too_big +$big; t2 TcpInCsumErrors $c0 -> $c1${wire:+; first segments (count ipv4 tcp partial l4off): $wire}"
	[ "$IP_BYTES" -gt 0 ] || why+="iperf3 over IPv6 moved nothing${IP_ERR:+ ($IP_ERR)}; "
	[ "$gso" -gt 0 ] || why+="no IPv6 TSO burst left as one GSO frame; "
	[ "$big" -eq 0 ] || why+="$big frames dropped as tx_too_big; "
	[ "$c0" = "$c1" ] || why+="t2 TcpInCsumErrors $c0 -> $c1; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# Main ------------------------------------------------------------------------------------

NAMES=("offload: iperf3 t1 -> t2" "offload: iperf3 t2 -> t1 (-R)" "offload: iperf3 -P 4" "offload: sttd"
	"offload: forwarding" "offload: ecn" "offload: ipv6" "wire: iperf3 t1 -> t2" "wire: iperf3 t2 -> t1 (-R)" "wire: iperf3 -P 4"
	"wire: sttd" "wire: capture" "wire: reassembly" "wire: forwarding" "wire: ipv6")

if ! reason=$(stt_prereqs); then
	for t in "${NAMES[@]}"; do skip "$t" "$reason"; done
elif ! { stt_topo_up && setup_forwarding && ipv6_up; } >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${NAMES[@]}"; do not_ok "$t" "topology setup failed"; done
else
	stt_log "topology up (prefix $STT_NS_PREFIX): t1 $T1_MAC, t2 $T2_MAC; tenants at veth defaults, MTU $TENANT_MTU"
	sttd_start
	stt_log "sttd: $STTD_STATE"
	# Resolve ARP (tenants and forwarding) before anything is counted.
	timeout 10 ip netns exec "$NS_T1" ping -c 2 -W 1 "$T4_IP" >/dev/null 2>&1
	timeout 10 ip netns exec "$NS_T1" ping -c 1 -W 1 "$T2_IP" >/dev/null 2>&1

	set_mode offload
	snap mode-offload
	test_fwd
	test_rev
	test_par
	test_sttd
	test_forward
	test_ecn_merged
	test_ipv6_inner

	set_mode wire
	snap mode-wire
	test_fwd
	test_rev
	test_par
	test_sttd
	test_wire_capture
	test_wire_reassembly
	test_forward
	test_ipv6_inner

	echo "# goodput summary (informational; one 3 s run each, shared machine):"
	printf '%s\n' "${RESULTS[@]}" | diag
fi

harness_summary
