#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# End-to-end tests of sttctl and the BPF datapath on the standard two-host topology
# (scripts/lib.sh). Needs root, bpffs and a built build/sttctl.
# Prints `ok - NAME`, `not ok - NAME: why` or `skip - NAME: reason` per test, diagnostics as
# `# ...` lines, and ends with `N passed, N failed, N skipped`. Exit status 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"


TMP=$(mktemp -d /tmp/stt-test.XXXXXX)
T3_CAP_PID='' WIRE_CAP_PID='' IPERF_PID=''
WIRE_PCAP=$TMP/wire.pcap
T3_PCAP=$TMP/t3.pcap
T3_RX_BEFORE='' T2_RX_BEFORE=''

cleanup() {
	local pid
	for pid in $T3_CAP_PID $WIRE_CAP_PID $IPERF_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Helpers ---------------------------------------------------------------------------------

rx_packets() { ip -n "$1" -s -j link show "$2" | jq -r '.[0].stats64.rx.packets'; }

# stats_json NS: sttctl stats --json, or nothing if it fails
stats_json() { stt_ctl "$1" stats --json 2>/dev/null; }

# ping_count NS DST: the number of answered pings out of 3; the output goes to $TMP/ping.log
ping_count() {
	timeout 15 ip netns exec "$1" ping -n -c 3 -W 1 "$2" >"$TMP/ping.log" 2>&1
	sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$TMP/ping.log" | head -1 | grep . || echo 0
}

# iperf_run SECONDS [IPERF3 ARGS...]: TCP t1 -> t2; JSON in $TMP/iperf.json; returns iperf3's
# status
iperf_run() {
	local secs=$1 rc
	shift
	timeout 30 ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >"$TMP/iperf-server.log" 2>&1 &
	IPERF_PID=$!
	if ! stt_wait_listen "$NS_T2" 5201; then
		echo '{"error":"iperf3 server did not start"}' >"$TMP/iperf.json"
		kill "$IPERF_PID" 2>/dev/null
		wait "$IPERF_PID" 2>/dev/null
		IPERF_PID=
		return 1
	fi
	timeout 20 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -t "$secs" -J --connect-timeout 3000 "$@" \
		>"$TMP/iperf.json" 2>"$TMP/iperf.err"
	rc=$?
	# The server exits after one test; if the client never reached it, stop it.
	timeout 5 tail --pid="$IPERF_PID" -f /dev/null 2>/dev/null || kill "$IPERF_PID" 2>/dev/null
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	return $rc
}

show_drops() {
	local ns
	for ns in "$NS_H1" "$NS_H2"; do
		echo "$ns: $(stats_json "$ns" | jq -c '{counters, drops: (.drops | with_entries(select(.value != 0)))}' 2>/dev/null)"
	done | diag
}

# Tests -----------------------------------------------------------------------------------

# (a) t1 pings t2 across the tunnel; t1 learns t2's MAC by ARP (nothing is static).
test_ping_arp() {
	local name="ping t1 -> t2 with ARP" before got neigh lladdr state
	before=$(ip -n "$NS_T1" -j neigh show "$T2_IP" dev eth0 | jq -r '.[0].lladdr // empty')
	got=$(ping_count "$NS_T1" "$T2_IP")
	neigh=$(ip -n "$NS_T1" -j neigh show "$T2_IP" dev eth0)
	lladdr=$(jq -r '.[0].lladdr // empty' <<<"$neigh")
	state=$(jq -r '.[0].state // [] | join(",")' <<<"$neigh")
	echo "# ping: $got of 3 answered; t1 neighbour $T2_IP: lladdr=${lladdr:-none} state=${state:-none} (t2 is $T2_MAC)"
	if [ -n "$before" ]; then
		not_ok "$name" "t1 already had a neighbour entry for $T2_IP before the ping"
	elif [ "$got" != 3 ]; then
		diag <"$TMP/ping.log"
		show_drops
		not_ok "$name" "$got of 3 pings answered"
	elif [ "$lladdr" != "$T2_MAC" ]; then
		not_ok "$name" "neighbour entry ${lladdr:-missing}, expected t2's MAC $T2_MAC"
	elif [[ ",$state," == *,PERMANENT,* || ",$state," == *,NOARP,* ]]; then
		not_ok "$name" "neighbour entry is $state, not learned by ARP"
	else
		ok "$name"
	fi
}

# (b) A 3-second iperf3 TCP stream t1 -> t2.
test_iperf3() {
	local name="iperf3 TCP t1 -> t2" rc bytes err mbps retr
	iperf_run 3
	rc=$?
	bytes=$(jq -r '.end.sum_received.bytes // 0' "$TMP/iperf.json" 2>/dev/null || echo 0)
	err=$(jq -r '.error // empty' "$TMP/iperf.json" 2>/dev/null)
	mbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' "$TMP/iperf.json" 2>/dev/null)
	retr=$(jq -r '.end.sum_sent.retransmits // "?"' "$TMP/iperf.json" 2>/dev/null)
	echo "# iperf3: rc=$rc, ${bytes:-0} bytes received, ${mbps:-?} Mbit/s, $retr retransmits${err:+, error: $err}"
	if [ "$rc" -ne 0 ] || [ -n "$err" ] || ! [ "${bytes:-0}" -gt 0 ] 2>/dev/null; then
		diag <"$TMP/iperf.err"
		show_drops
		not_ok "$name" "rc=$rc bytes=${bytes:-0}${err:+ error=$err}"
	else
		ok "$name"
	fi
}

# (c) t3 (context 200, same subnet) receives nothing of context 100. Its eth0 was captured
# from before (a) until now.
test_context_isolation() {
	local name="context 200 (t3) receives nothing from context 100" got t3_rx t2_rx n_ctx100 n_in
	got=$(ping_count "$NS_T1" "$T3_IP")
	stt_capture_stop "$T3_CAP_PID"
	T3_CAP_PID=
	t3_rx=$(($(rx_packets "$NS_T3" eth0) - T3_RX_BEFORE))
	t2_rx=$(($(rx_packets "$NS_T2" eth0) - T2_RX_BEFORE))
	if ! tcpdump -n -r "$T3_PCAP" >"$TMP/t3.txt" 2>"$TMP/t3.err"; then
		not_ok "$name" "the capture on t3 is unreadable: $(cat "$TMP/t3.err" "$T3_PCAP.log" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	n_in=$(wc -l <"$TMP/t3.txt")
	n_ctx100=$(tcpdump -n -r "$T3_PCAP" "ether src $T1_MAC or ether src $T2_MAC or host $T1_IP or host $T2_IP" \
		2>/dev/null | wc -l)
	echo "# t3 eth0: $n_in frames received in the capture, $n_ctx100 from context 100; rx_packets +$t3_rx;" \
		"t2 rx_packets +$t2_rx meanwhile; t1 -> $T3_IP: $got of 3 pings answered"
	if [ "$t2_rx" -le 0 ]; then
		not_ok "$name" "no context-100 traffic reached t2 during the capture: the check would be vacuous"
	elif [ "$n_ctx100" -ne 0 ] || [ "$n_in" -ne 0 ] || [ "$t3_rx" -ne 0 ]; then
		tcpdump -n -e -r "$T3_PCAP" 2>/dev/null | head -10 | diag
		not_ok "$name" "t3 received $n_in frames ($n_ctx100 from context 100), rx_packets +$t3_rx"
	elif [ "$got" != 0 ]; then
		not_ok "$name" "t1 got $got answers from $T3_IP across contexts"
	else
		ok "$name"
	fi
}

# (d) What goes on the wire: with the underlay's segmentation and checksum offloads off (so
# the kernel computes what a NIC would), every TCP packet to port 7471 captured on ul2 is STT
# version 0, context 100, and has good TCP and IP checksums.
test_wire_format() {
	local name="wire: STT v0, context 100, good checksums" total n_stt bad_ctx bad_ver ctxs
	local csum_good csum_bad ip_good ip_bad experts
	nsx "$NS_H1" ethtool -K "$UL1" tso off gso off tx off >/dev/null 2>&1
	nsx "$NS_H2" ethtool -K "$UL2" tso off gso off tx off >/dev/null 2>&1
	if ! stt_capture_start "$NS_H2" "$UL2" "$WIRE_PCAP" tcp; then
		not_ok "$name" "could not start tcpdump on $UL2"
		return
	fi
	WIRE_CAP_PID=$STT_CAP_PID
	ping_count "$NS_T1" "$T2_IP" >/dev/null
	# A modest rate keeps the capture small enough for tshark to read quickly.
	iperf_run 2 -b 20M >/dev/null
	stt_capture_stop "$WIRE_CAP_PID"
	WIRE_CAP_PID=

	total=$(tshark -r "$WIRE_PCAP" -Y "tcp.dstport==$STT_PORT" -T fields -e frame.number 2>/dev/null | wc -l)
	tshark -r "$WIRE_PCAP" -o ip.try_heuristic_first:TRUE -Y stt \
		-T fields -e frame.number -e stt.context_id -e stt.version 2>/dev/null >"$TMP/stt.txt"
	n_stt=$(wc -l <"$TMP/stt.txt")
	# stt.context_id prints in hex (0x0000000000000064); compare numerically.
	bad_ctx=0 bad_ver=0 ctxs=
	while read -r _ ctx ver; do
		if [ -z "$ctx" ] || [ $((ctx)) -ne "$CTX_A" ]; then bad_ctx=$((bad_ctx + 1)); fi
		if [ "$ver" != 0 ]; then bad_ver=$((bad_ver + 1)); fi
	done <"$TMP/stt.txt"
	ctxs=$(awk '{print $2}' "$TMP/stt.txt" | sort -u | while read -r c; do [ -n "$c" ] && echo $((c)); done |
		paste -sd, -)
	experts=$(tshark -r "$WIRE_PCAP" -o ip.try_heuristic_first:TRUE -Y 'stt.version_unknown.expert or
		stt.l4offset_bad.expert or stt.mss_bad.expert or stt.data_offset_bad.expert' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	tshark -r "$WIRE_PCAP" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y "tcp.dstport==$STT_PORT" \
		-T fields -e tcp.checksum.status -e ip.checksum.status 2>/dev/null >"$TMP/csum.txt"
	csum_good=$(awk '$1 == 1' "$TMP/csum.txt" | wc -l)
	csum_bad=$(awk '$1 != 1' "$TMP/csum.txt" | wc -l)
	ip_good=$(awk '$2 == 1' "$TMP/csum.txt" | wc -l)
	ip_bad=$(awk '$2 != 1' "$TMP/csum.txt" | wc -l)
	echo "# wire: $total packets to port $STT_PORT, $n_stt decoded as STT, contexts seen: ${ctxs:-none}," \
		"$bad_ver with version != 0, $experts with STT expert warnings;" \
		"TCP checksums good/bad: $csum_good/$csum_bad, IP checksums good/bad: $ip_good/$ip_bad"
	if [ "$total" -eq 0 ]; then
		not_ok "$name" "no STT packets captured on $UL2"
	elif [ "$n_stt" -ne "$total" ] || [ "$bad_ctx" -ne 0 ] || [ "$bad_ver" -ne 0 ] || [ "$experts" -ne 0 ]; then
		head -5 "$TMP/stt.txt" | diag
		not_ok "$name" "$n_stt of $total decoded as STT, $bad_ctx with a context other than $CTX_A, $bad_ver bad versions, $experts expert warnings"
	elif [ "$csum_bad" -ne 0 ] || [ "$ip_bad" -ne 0 ]; then
		sort "$TMP/csum.txt" | uniq -c | diag
		not_ok "$name" "$csum_bad bad TCP checksums, $ip_bad bad IP checksums of $total"
	else
		ok "$name"
	fi
}

# (e) Nothing ever answers an STT segment with a TCP RST (same capture as (d)).
test_no_rst() {
	local name="no TCP RST on the underlay" n total
	total=$(tshark -r "$WIRE_PCAP" -T fields -e frame.number 2>/dev/null | wc -l)
	n=$(tshark -r "$WIRE_PCAP" -Y 'tcp.flags.reset==1' -T fields -e frame.number 2>/dev/null | wc -l)
	echo "# underlay capture: $total TCP packets, $n with RST"
	if [ "$total" -eq 0 ]; then
		not_ok "$name" "the underlay capture is empty"
	elif [ "$n" -ne 0 ]; then
		tshark -r "$WIRE_PCAP" -Y 'tcp.flags.reset==1' 2>/dev/null | head -5 | diag
		not_ok "$name" "$n RST segments"
	else
		ok "$name"
	fi
}

# (f) Counters agree with the traffic of (a)-(e).
test_stats() {
	local name="sttctl stats counters" s1 s2 why=
	s1=$(stats_json "$NS_H1")
	s2=$(stats_json "$NS_H2")
	if ! jq -e .counters <<<"$s1" >/dev/null 2>&1 || ! jq -e .counters <<<"$s2" >/dev/null 2>&1; then
		not_ok "$name" "stats --json did not give JSON with counters: h1='${s1:0:100}' h2='${s2:0:100}'"
		return
	fi
	echo "# h1: $(jq -c '.counters' <<<"$s1")"
	echo "# h2: $(jq -c '.counters' <<<"$s2")"
	jq -e '.counters.tx_frames > 0 and .counters.tx_bytes > 0' <<<"$s1" >/dev/null || why+="h1 tx_frames/tx_bytes 0; "
	jq -e '.counters.rx_frames > 0 and .counters.rx_bytes > 0' <<<"$s2" >/dev/null || why+="h2 rx_frames/rx_bytes 0; "
	jq -e '.counters.rx_frames > 0 and .counters.tx_frames > 0' <<<"$s1" >/dev/null || why+="h1 rx or tx frames 0; "
	jq -e '.counters.tx_frames > 0' <<<"$s2" >/dev/null || why+="h2 tx_frames 0; "
	jq -e '.counters.rx_segments >= .counters.rx_frames' <<<"$s2" >/dev/null || why+="h2 rx_segments < rx_frames; "
	jq -e '.counters.tx_segments >= .counters.tx_frames' <<<"$s1" >/dev/null || why+="h1 tx_segments < tx_frames; "
	jq -e '.drops.unknown_context == 0' <<<"$s1" >/dev/null || why+="h1 drops.unknown_context $(jq .drops.unknown_context <<<"$s1"); "
	jq -e '.drops.unknown_context == 0' <<<"$s2" >/dev/null || why+="h2 drops.unknown_context $(jq .drops.unknown_context <<<"$s2"); "
	if [ -n "$why" ]; then
		show_drops
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

stats_show_xdp() { stt_ctl "$1" show --json | jq -r '.attachment.xdp'; }

# (g) With `attach --xdp on` and `vport add --xdp`, frames for t2 are delivered by the XDP
# fast path.
test_xdp_fast_path() {
	local name="XDP fast path (vport add --xdp)" before after got
	# On a veth underlay attach leaves XDP off by default (it would turn off the peer's
	# TSO); re-attaching with --xdp on replaces the programs and keeps the maps.
	if [ "$(stats_show_xdp "$NS_H2")" != false ]; then
		not_ok "$name" "attach on a veth did not leave XDP off by default"
		return
	fi
	if ! stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --xdp on >/dev/null ||
		[ "$(stats_show_xdp "$NS_H2")" != true ]; then
		not_ok "$name" "could not re-attach $UL2 with --xdp on"
		return
	fi
	if ! stt_run_ctl "$NS_H2" vport del vp2 >/dev/null ||
		! stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" --xdp >/dev/null; then
		not_ok "$name" "could not re-add vp2 with --xdp"
		return
	fi
	before=$(stats_json "$NS_H2" | jq -r '.counters.rx_xdp_frames // empty')
	got=$(ping_count "$NS_T1" "$T2_IP")
	after=$(stats_json "$NS_H2" | jq -r '.counters.rx_xdp_frames // empty')
	echo "# h2 rx_xdp_frames: ${before:-?} -> ${after:-?}; $got of 3 pings answered"
	if [ -z "$before" ] || [ -z "$after" ]; then
		not_ok "$name" "no rx_xdp_frames counter in stats --json"
	elif [ "$got" != 3 ]; then
		diag <"$TMP/ping.log"
		show_drops
		not_ok "$name" "$got of 3 pings answered"
	elif [ "$after" -le "$before" ]; then
		not_ok "$name" "rx_xdp_frames did not grow ($before -> $after)"
	else
		ok "$name"
	fi
}

# (h) Bad input: non-zero exit, a one-line error on stderr, state unchanged.
# bad_case DESCRIPTION ARGS...  (run in h1)
bad_case() {
	local desc=$1 rc lines
	shift
	timeout 20 "$STTCTL" -n "$NS_H1" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
	rc=$?
	lines=$(wc -l <"$TMP/bad.err")
	if [ "$rc" -eq 0 ]; then
		not_ok "bad input: $desc" "\`sttctl $*\` exited 0"
	elif [ "$rc" -ge 124 ]; then
		not_ok "bad input: $desc" "\`sttctl $*\` timed out or crashed (status $rc)"
	elif [ "$lines" -ne 1 ] || ! grep -q '[^[:space:]]' "$TMP/bad.err"; then
		diag <"$TMP/bad.err"
		not_ok "bad input: $desc" "\`sttctl $*\` printed $lines lines on stderr, expected one"
	else
		echo "# sttctl $*: status $rc: $(cat "$TMP/bad.err")"
		ok "bad input: $desc"
	fi
}

test_bad_input() {
	local before after
	before=$(stt_ctl "$NS_H1" show --json 2>/dev/null | jq -S . 2>/dev/null)
	if [ -z "$before" ]; then
		not_ok "bad input" "sttctl show --json gave no JSON"
		return
	fi
	bad_case "unknown device (attach)" attach nosuchdev0 --local "$UL1_IP"
	bad_case "unknown device (vport add)" vport add nosuchdev0 --context "$CTX_A"
	bad_case "malformed MAC (5 bytes)" fdb add --context "$CTX_A" --mac 02:00:00:00:00 --remote "$UL2_IP"
	bad_case "malformed MAC (not hex)" fdb add --context "$CTX_A" --mac 02:00:00:00:00:zz --remote "$UL2_IP"
	bad_case "malformed address (octet 256)" fdb add --context "$CTX_A" --mac 02:00:00:00:00:01 --remote 198.18.0.256
	bad_case "malformed address (3 octets)" fdb add --context "$CTX_A" --mac 02:00:00:00:00:01 --remote 198.18.0
	bad_case "context not a number (fdb)" fdb add --context abc --mac 02:00:00:00:00:01 --remote "$UL2_IP"
	bad_case "context not a number (vport)" vport add vp1 --context 12x
	bad_case "duplicate vport add" vport add vp1 --context "$CTX_A"
	bad_case "detach of a device not attached (vport)" detach vp1
	bad_case "detach of a device not attached (lo)" detach lo
	after=$(stt_ctl "$NS_H1" show --json 2>/dev/null | jq -S . 2>/dev/null)
	if [ "$before" == "$after" ]; then
		ok "bad input: sttctl show --json unchanged"
	else
		diff <(echo "$before") <(echo "$after") | head -20 | diag
		not_ok "bad input: sttctl show --json unchanged" "the state changed"
	fi
}

# tcx_or_clsact DEV: an stt TC program is at DEV's ingress in h1 (tcx link or clsact filter)
tcx_or_clsact() {
	"$STT_REPO/build/stt_foreign" -n "$NS_H1" query "$1" 2>/dev/null | grep -q ' stt_tc_' ||
		tc -n "$NS_H1" filter show dev "$1" ingress 2>/dev/null | grep -q 'handle 0x5354'
}

# (i) detach and vport del remove exactly what attach and vport add installed: the XDP and
# TC programs (tcx links, or clsact filters and the clsact qdiscs stt created), the pinned
# state, the managed neighbours, and the forwarding and GRO settings (back to what they
# were). Runs last: it tears h1 down.
test_detach_cleans_up() {
	local name="detach and vport del remove what attach installed" ino errs='' dev
	local fwd_before gro_before
	ino=$(stt_ns_inode "$NS_H1")
	# What h1 looked like before attach: a fresh veth has forwarding 0 and GRO off.
	fwd_before=0 gro_before=off
	# The TC programs hang on tcx links (no clsact): tests/tools/stt_foreign lists them.
	if ! make -C "$STT_REPO" --no-print-directory -s build/stt_foreign >"$TMP/make.log" 2>&1; then
		not_ok "$name" "cannot build build/stt_foreign: $(tr '\n' ' ' <"$TMP/make.log")"
		return
	fi
	for dev in "$UL1" vp1; do
		tcx_or_clsact "$dev" || errs+="no stt TC program on $dev before detach; "
	done
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null || errs+="vport del failed; "
	stt_run_ctl "$NS_H1" detach "$UL1" >/dev/null || errs+="detach failed; "
	[ -e "$STT_PIN_BASE/$ino" ] && errs+="pins left in $STT_PIN_BASE/$ino; "
	tc -n "$NS_H1" qdisc show dev "$UL1" | grep -q clsact && errs+="clsact left on $UL1; "
	tc -n "$NS_H1" qdisc show dev vp1 | grep -q clsact && errs+="clsact left on vp1; "
	# (Without tcx links, Linux < 6.6, the clsact checks above are the whole story.)
	if stt_kernel_has_tcx; then
		for dev in "$UL1" vp1; do
			[ -z "$("$STT_REPO/build/stt_foreign" -n "$NS_H1" query "$dev" 2>&1)" ] ||
				errs+="tcx programs left on $dev; "
		done
	fi
	ip -n "$NS_H1" -d link show "$UL1" | grep -q 'prog/xdp' && errs+="XDP left on $UL1; "
	ip -n "$NS_H1" neigh show dev "$UL1" | grep -q managed && errs+="managed neighbour left; "
	[ "$(nsx "$NS_H1" sysctl -n "net.ipv4.conf.$UL1.forwarding")" = "$fwd_before" ] ||
		errs+="forwarding not restored; "
	nsx "$NS_H1" ethtool -k "$UL1" | grep -q "generic-receive-offload: $gro_before" ||
		errs+="GRO not restored; "
	stt_ctl "$NS_H1" show --json | jq -e '.attachment == null and .vports == []' >/dev/null ||
		errs+="show still lists state; "
	if [ -n "$errs" ]; then
		not_ok "$name" "$errs"
	else
		ok "$name"
	fi
}

# Main ------------------------------------------------------------------------------------

TESTS=(test_ping_arp test_iperf3 test_context_isolation test_wire_format test_no_rst test_stats
	test_xdp_fast_path test_bad_input test_detach_cleans_up)

if ! reason=$(stt_prereqs); then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "$reason"; done
elif ! stt_topo_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	stt_log "topology up: t1 $T1_MAC, t2 $T2_MAC, t3 $T3_MAC"
	T3_RX_BEFORE=$(rx_packets "$NS_T3" eth0)
	T2_RX_BEFORE=$(rx_packets "$NS_T2" eth0)
	# t3 is watched for the whole run; only frames it receives count.
	if stt_capture_start "$NS_T3" eth0 "$T3_PCAP" -Q in; then
		T3_CAP_PID=$STT_CAP_PID
	fi
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
