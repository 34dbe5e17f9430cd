#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Loss, duplication and reordering of STT segments on the underlay, injected by
# build/stt_fault (tests/tools/stt_fault.bpf.c; built here on demand with `make build/stt_fault`).
#
# Topology: scripts/lib.sh's hosts and tenants (prefix "stf-"), tenants at veth defaults
# (TSO on, MTU 1500), underlay in wire mode (ul1/ul2: tso, gso, tx checksum off; GRO on at
# the receiver), and the underlay link runs through a "wire" namespace with a bridge:
#
#   stf-h1 ul1 ---- w1 [br0 in stf-w] w2 ---- ul2 stf-h2
#                                      ^ stt_fault on w2's egress (toward h2)
#
# Why not on ul1's egress: TC egress runs before GSO, so on the sending underlay a tenant
# TSO burst is still ONE skb (the fault injector counts it as gso_skbs; see
# test_sending_underlay). w1 has no NAPI (veth GRO off), so the segments ul1's software GSO
# emits reach the bridge one by one, and w2's egress sees each STT segment on its own.
#
# Each fault run is short (2 s iperf3 t1 -> t2). When build/sttd exists it runs for each
# host; the assertions about reassembly are skipped while it does not.
# Output like test_basic.sh; last line `N passed, N failed, N skipped`; exit 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STF_NS_PREFIX:-stf-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

TENANT_MTU=1500 TENANT_TSO=default # veth defaults: large frames
NS_W=${STT_NS_PREFIX}w
WDEV=w2 # the wire's port toward h2: the fault injector's device
FAULT=${STT_FAULT:-$STT_REPO/build/stt_fault}
SEED=${STF_SEED:-7471}
RUN_SECS=2


TMP=$(mktemp -d /tmp/stf-test.XXXXXX)
CAP_PID='' IPERF_PID=''
FAULT_DEVS=() # "NS DEV" pairs with an injector attached, detached in cleanup

cleanup() {
	local pid fd
	for fd in "${FAULT_DEVS[@]}"; do
		# shellcheck disable=SC2086 # "NS DEV"
		timeout 10 "$FAULT" -n $fd --detach >/dev/null 2>&1
	done
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


# lib.sh's devices, with the underlay through the wire namespace's bridge.
stt_build_devices() {
	local ns
	for ns in "$NS_H1" "$NS_H2" "$NS_T1" "$NS_T2" "$NS_T3" "$NS_W"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	ip -n "$NS_H1" link add "$UL1" mtu "$UL_MTU" type veth peer name w1 netns "$NS_W" mtu "$UL_MTU" || return 1
	ip -n "$NS_H2" link add "$UL2" mtu "$UL_MTU" type veth peer name w2 netns "$NS_W" mtu "$UL_MTU" || return 1
	ip -n "$NS_W" link add br0 type bridge || return 1
	ip -n "$NS_W" link set w1 master br0 || return 1
	ip -n "$NS_W" link set w2 master br0 || return 1
	ip -n "$NS_W" link set br0 up || return 1
	ip -n "$NS_W" link set w1 up || return 1
	ip -n "$NS_W" link set w2 up || return 1
	ip -n "$NS_H1" addr add "$UL1_IP/24" dev "$UL1" || return 1
	ip -n "$NS_H2" addr add "$UL2_IP/24" dev "$UL2" || return 1
	ip -n "$NS_H1" link set "$UL1" up || return 1
	ip -n "$NS_H2" link set "$UL2" up || return 1
	stt_add_tenant "$NS_H1" vp1 "$NS_T1" "$T1_IP" || return 1
	stt_add_tenant "$NS_H2" vp2 "$NS_T2" "$T2_IP" || return 1
	stt_add_tenant "$NS_H2" vp3 "$NS_T3" "$T3_IP" || return 1
}

# Wire mode on both underlay ends (each sends: data one way, ACKs the other).
set_wire_mode() {
	nsx "$NS_H1" ethtool -K "$UL1" tso off gso off tx off >/dev/null 2>&1 &&
		nsx "$NS_H2" ethtool -K "$UL2" tso off gso off tx off >/dev/null 2>&1
}

sttd_start() { stt_sttd_start "$TMP"; }

sttd_check() {
	local pid
	[ "$STTD_STATE" = running ] || return 0
	for pid in "${STTD_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || STTD_STATE="died during the run: $(cat "$TMP"/sttd-*.log | tr '\n' ' ')"
	done
}

# Build the fault injector if it is missing or older than its sources.
build_fault() {
	local f
	if [ -x "$FAULT" ]; then
		for f in "$STT_REPO/tests/tools/stt_fault.bpf.c" "$STT_REPO/tests/tools/stt_fault.c"; do
			[ "$f" -nt "$FAULT" ] && break
			f=
		done
		[ -z "$f" ] && return 0
	fi
	make -C "$STT_REPO" --no-print-directory -s build/stt_fault
}

# Counters --------------------------------------------------------------------------------

stats_json() { stt_ctl "$1" stats --json 2>/dev/null; }

# Packets lost on the path by the kernel itself, not by the injector: rx/tx drops of the
# underlay veths (ul1, ul2, w1, w2) and of the per-CPU backlog queues (/proc/net/softnet_stat,
# machine-wide, so other traffic on the machine counts too: an upper bound).
path_dropped() {
	local n=0 ns dev v ns_dev
	for ns_dev in "$NS_H1 $UL1" "$NS_H2 $UL2" "$NS_W w1" "$NS_W w2"; do
		read -r ns dev <<<"$ns_dev"
		v=$(ip -n "$ns" -s -j link show "$dev" 2>/dev/null | jq '.[0].stats64 | (.rx.dropped // 0) + (.tx.dropped // 0)' 2>/dev/null)
		n=$((n + ${v:-0}))
	done
	while read -r _ v _; do
		n=$((n + 16#${v:-0}))
	done </proc/net/softnet_stat
	echo "$n"
}

# snap NAME: both hosts' stats in $TMP/snap-NAME-{h1,h2}.json; h2's also carries
# counters.path_dropped (see path_dropped).
snap() {
	stats_json "$NS_H1" >"$TMP/snap-$1-h1.json"
	stats_json "$NS_H2" | jq -c --argjson d "$(path_dropped)" '.counters.path_dropped = $d' >"$TMP/snap-$1-h2.json"
}

JQ_FLAT='def flat: (.counters // {}) + ((.drops // {}) | with_entries(.key = "drops." + .key)) + (.reasm // {});'

delta() {
	jq -n --slurpfile a "$TMP/snap-$1-$3.json" --slurpfile b "$TMP/snap-$2-$3.json" --arg k "$4" \
		"$JQ_FLAT"' (($b[0] | flat)[$k] // 0) - (($a[0] | flat)[$k] // 0)' 2>/dev/null || echo 0
}

value() {
	jq --arg k "$3" "$JQ_FLAT"' (flat)[$k] // 0' "$TMP/snap-$1-$2.json" 2>/dev/null || echo 0
}

show_deltas() {
	local h
	for h in h1 h2; do
		echo "$h: $(jq -n -c --slurpfile a "$TMP/snap-$1-$h.json" --slurpfile b "$TMP/snap-$2-$h.json" \
			"$JQ_FLAT"' ($a[0] | flat) as $x | ($b[0] | flat) | with_entries(.value -= ($x[.key] // 0))
			| with_entries(select(.value != 0))' 2>/dev/null)"
	done
}

# fc NAME: a counter of the last detached fault injector ($TMP/fault.json)
fc() { jq -r --arg k "$1" '.counters[$k] // 0' "$TMP/fault.json" 2>/dev/null || echo 0; }

# csum_errors NS: TcpInCsumErrors of a tenant (absolute, as nstat -a shows it)
csum_errors() {
	nsx "$1" nstat -az TcpInCsumErrors 2>/dev/null | awk '$1 == "TcpInCsumErrors" {print $2}' | grep . || echo '?'
}

# Traffic ---------------------------------------------------------------------------------

# iperf_run [IPERF3 ARGS...]: t1 -> t2; JSON in $TMP/iperf.json; iperf3's status.
iperf_run() {
	local rc
	timeout 40 ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >"$TMP/iperf-server.log" 2>&1 &
	IPERF_PID=$!
	if ! stt_wait_listen "$NS_T2" 5201; then
		echo '{"error":"iperf3 server did not start"}' >"$TMP/iperf.json"
		kill "$IPERF_PID" 2>/dev/null
		wait "$IPERF_PID" 2>/dev/null
		IPERF_PID=
		return 1
	fi
	timeout 30 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -J --connect-timeout 3000 "$@" \
		>"$TMP/iperf.json" 2>"$TMP/iperf.err"
	rc=$?
	timeout 10 tail --pid="$IPERF_PID" -f /dev/null 2>/dev/null || kill "$IPERF_PID" 2>/dev/null
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	return $rc
}

# file_run FILE OUT: send FILE from t1 to t2 (stt_file_transfer). Sets the IP_* results
# like iperf_parse; returns the transfer's status.
file_run() {
	stt_file_transfer "$1" "$2" "$TMP" 60
	cp "$TMP/send.err" "$TMP/iperf.err" 2>/dev/null
	IP_BYTES=$STT_XF_BYTES
	IP_GBPS=$(awk -v b="$IP_BYTES" -v s="$STT_XF_SECS" 'BEGIN {printf "%.2f", (s > 0) ? b * 8 / s / 1e9 : 0}')
	IP_MBPS=$(awk -v b="$IP_BYTES" -v s="$STT_XF_SECS" 'BEGIN {printf "%d", (s > 0) ? b * 8 / s / 1e6 : 0}')
	IP_RETR='?'
	IP_ERR=$(cat "$TMP/sink.err")
	return "$STT_XF_RC"
}

iperf_parse() {
	IP_BYTES=$(jq -r '.end.sum_received.bytes // 0 | floor' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_GBPS=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9 * 100 | floor / 100' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_MBPS=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_RETR=$(jq -r '.end.sum_sent.retransmits // "?"' "$TMP/iperf.json" 2>/dev/null || echo '?')
	IP_ERR=$(jq -r '.error // empty' "$TMP/iperf.json" 2>/dev/null)
	[[ $IP_BYTES =~ ^[0-9]+$ ]] || IP_BYTES=0
}

# fault_attach NS DEV ARGS...: attach, remember it for cleanup
fault_attach() {
	local ns=$1 dev=$2
	shift 2
	if ! timeout 20 "$FAULT" -n "$ns" "$dev" "$@" >"$TMP/fault-attach.txt" 2>&1; then
		cat "$TMP/fault-attach.txt" >&2
		return 1
	fi
	FAULT_DEVS+=("$ns $dev")
}

# fault_detach NS DEV: detach; its counters go to $TMP/fault.json
fault_detach() {
	local ns=$1 dev=$2 i
	timeout 20 "$FAULT" -n "$ns" "$dev" --detach --json >"$TMP/fault.json" 2>"$TMP/fault.err"
	for i in "${!FAULT_DEVS[@]}"; do
		[ "${FAULT_DEVS[$i]}" = "$ns $dev" ] && unset 'FAULT_DEVS[i]'
	done
}

# fault_run LABEL STT_FAULT ARGS...: one run with the injector on w2. Leaves the iperf3
# results (IP_*), the injector's counters ($TMP/fault.json), stats snapshots "before" and
# "after" (taken after sttd's 1 s timeout has passed), and CSUM_* before/after.
fault_run() {
	local label=$1
	shift
	FR_RC=1 FR_ERR=
	CSUM_T1_0=$(csum_errors "$NS_T1") CSUM_T2_0=$(csum_errors "$NS_T2")
	if ! fault_attach "$NS_W" "$WDEV" --seed "$SEED" "$@" 2>"$TMP/fault-attach.err"; then
		FR_ERR="stt_fault attach failed: $(tr '\n' ' ' <"$TMP/fault-attach.err")"
		return 1
	fi
	snap before
	if [ -n "${FR_FILE:-}" ]; then
		file_run "$FR_FILE" "$FR_FILE.recv"
		FR_RC=$?
	else
		iperf_run -t "$RUN_SECS"
		FR_RC=$?
		iperf_parse
	fi
	sleep 1.5 # frames left incomplete time out in sttd after 1 s
	snap after
	fault_detach "$NS_W" "$WDEV"
	sttd_check
	CSUM_T1_1=$(csum_errors "$NS_T1") CSUM_T2_1=$(csum_errors "$NS_T2")
	echo "# $label: ${FR_FILE:+file transfer }$IP_MBPS Mbit/s, $IP_BYTES bytes, $IP_RETR retransmits, rc=$FR_RC${IP_ERR:+, error: $IP_ERR}"
	echo "# $label: stt_fault $(jq -c '.counters | with_entries(select(.value != 0))' "$TMP/fault.json" 2>/dev/null)"
	echo "# $label: h2 rx_frames +$(delta before after h2 rx_frames) rx_gro_frames +$(delta before after h2 rx_gro_frames)" \
		"multi_segment drops +$(delta before after h2 drops.multi_segment) rx_to_sttd +$(delta before after h2 rx_to_sttd)" \
		"reasm_frames +$(delta before after h2 reasm_frames) timeouts +$(delta before after h2 reasm_timeouts)" \
		"duplicates +$(delta before after h2 reasm_duplicates) overlaps +$(delta before after h2 reasm_overlaps)" \
		"conflicts +$(delta before after h2 reasm_conflicts) lost +$(delta before after h2 reasm_lost)" \
		"inflight $(value after h2 reasm_inflight); kernel drops on the path +$(delta before after h2 path_dropped);" \
		"TcpInCsumErrors t1 $CSUM_T1_0 -> $CSUM_T1_1, t2 $CSUM_T2_0 -> $CSUM_T2_1"
	FR_ERR=
}

# recovered NAME: iperf3 completed with goodput, and no tenant saw a bad TCP checksum.
recovered() {
	local name=$1 why=''
	[ -z "$FR_ERR" ] || { not_ok "$name" "$FR_ERR"; return; }
	[ "$FR_RC" -eq 0 ] && [ -z "$IP_ERR" ] && [ "$IP_BYTES" -gt 0 ] ||
		why+="iperf3 rc=$FR_RC bytes=$IP_BYTES${IP_ERR:+ error=$IP_ERR}; "
	[ "$CSUM_T1_0" = "$CSUM_T1_1" ] && [ "$CSUM_T1_0" != '?' ] || why+="t1 TcpInCsumErrors $CSUM_T1_0 -> $CSUM_T1_1; "
	[ "$CSUM_T2_0" = "$CSUM_T2_1" ] && [ "$CSUM_T2_0" != '?' ] || why+="t2 TcpInCsumErrors $CSUM_T2_0 -> $CSUM_T2_1; "
	if [ -n "$why" ]; then
		diag <"$TMP/iperf.err"
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Tests -----------------------------------------------------------------------------------

# The bridge alone: the path works before any fault (and ARP is resolved).
test_baseline() {
	local name="wire bridge, no faults: iperf3 t1 -> t2"
	iperf_run -t "$RUN_SECS"
	local rc=$?
	iperf_parse
	echo "# baseline: $IP_GBPS Gbit/s, $IP_BYTES bytes, $IP_RETR retransmits"
	if [ "$rc" -ne 0 ] || [ "$IP_BYTES" -le 0 ]; then
		diag <"$TMP/iperf.err"
		not_ok "$name" "iperf3 rc=$rc bytes=$IP_BYTES${IP_ERR:+ error=$IP_ERR}"
	else
		ok "$name"
	fi
}

# in_ce NS: packets the namespace received with ECN CE (IpExtInCEPkts)
in_ce() { ip netns exec "$1" nstat -az IpExtInCEPkts 2>/dev/null | awk '$1 == "IpExtInCEPkts" {print $2}' | grep . || echo '?'; }

# The path marks CE on STT segments of an ECN TCP flow (an AQM's mark, as the injector
# makes it), two ways: on every segment at w2 (segments on the wire: GRO may merge them,
# since it merges equal TOS only, or they arrive as pieces), and on whole GSO frames at
# ul1's egress (GSO segments them at w2). Either way the inner
# ECT packets must arrive CE (RFC 6040) and none may be dropped as Not-ECT.
test_ecn_path() {
	local name="ecn: CE from the path reaches the tenant (segments delivered as pieces or reassembled)"
	local ce0 ce1 ce2 gro1 gro2 pieces1 pieces2 why=''
	nsx "$NS_T1" sysctl -qw net.ipv4.tcp_ecn=1
	nsx "$NS_T2" sysctl -qw net.ipv4.tcp_ecn=1
	ce0=$(in_ce "$NS_T2")
	fault_run "ce 100% at w2" --ce-rate 100
	ce1=$(in_ce "$NS_T2")
	gro1=$(delta before after h2 rx_gro_frames)
	pieces1=$(delta before after h2 rx_pieces_direct)
	[ -z "$FR_ERR" ] || why+="$FR_ERR; "
	[ "$(delta before after h2 drops.ecn_ce_not_ect)" -eq 0 ] || why+="ECT packets dropped as Not-ECT (w2); "
	echo "# ecn at w2: t2 IpExtInCEPkts $ce0 -> $ce1; injector marked $(jq -r '.counters.ce_marked // 0' "$TMP/fault.json" 2>/dev/null); h2 rx_gro_frames +$gro1, rx_pieces_direct +$pieces1, reasm_frames +$(delta before after h2 reasm_frames)"
	snap before
	if fault_attach "$NS_H1" "$UL1" --ce-rate 100 2>"$TMP/fault-attach.err"; then
		iperf_run -t 2 >/dev/null
		iperf_parse
		fault_detach "$NS_H1" "$UL1"
	else
		why+="attach on ul1 failed; "
	fi
	snap after
	ce2=$(in_ce "$NS_T2")
	gro2=$(delta before after h2 rx_gro_frames)
	pieces2=$(delta before after h2 rx_pieces_direct)
	[ "$(delta before after h2 drops.ecn_ce_not_ect)" -eq 0 ] || why+="ECT packets dropped as Not-ECT (ul1); "
	echo "# ecn at ul1: t2 IpExtInCEPkts $ce1 -> $ce2; injector marked $(jq -r '.counters.ce_marked // 0' "$TMP/fault.json" 2>/dev/null) (GSO skbs $(jq -r '.counters.gso_skbs // 0' "$TMP/fault.json" 2>/dev/null)); h2 rx_gro_frames +$gro2, rx_pieces_direct +$pieces2, reasm_frames +$(delta before after h2 reasm_frames); iperf3 $IP_BYTES bytes"
	nsx "$NS_T1" sysctl -qw net.ipv4.tcp_ecn=2
	nsx "$NS_T2" sysctl -qw net.ipv4.tcp_ecn=2
	[[ $ce0 =~ ^[0-9]+$ && $ce1 =~ ^[0-9]+$ && $ce2 =~ ^[0-9]+$ ]] || why+="no IpExtInCEPkts counter; "
	[ "${ce1:-0}" -gt "${ce0:-0}" ] 2>/dev/null || why+="no CE packet at t2 from segments marked at w2; "
	[ "${ce2:-0}" -gt "${ce1:-0}" ] 2>/dev/null || why+="no CE packet at t2 from frames marked at ul1; "
	# In this wire topology the frames reach h2 as segments, delivered one by one as pieces
	# (their outer checksum summed in TC) or reassembled by sttd (the merged-frame path is
	# covered in test_large.sh): say which path took them.
	[ "$(delta before after h2 reasm_frames)" -gt 0 ] || [ "$gro2" -gt 0 ] || [ "$pieces2" -gt 0 ] ||
		why+="no frame decapsulated by any path during the ul1 run; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Drop 1% of STT segments.
test_drop() {
	local n dm to lost pd why=''
	fault_run "drop 1%" --drop-rate 1
	recovered "drop 1%: TCP recovers, no bad checksum reaches a tenant"
	[ -z "$FR_ERR" ] || return
	n=$(fc dropped) dm=$(fc dropped_multi)
	# Without sttd, a frame that lost a segment reaches TC in pieces: multi_segment drops.
	[ "$n" -gt 0 ] || why+="the injector dropped nothing; "
	if [ "$STTD_STATE" != running ] && [ "$dm" -gt 0 ] && [ "$(delta before after h2 drops.multi_segment)" -le 0 ]; then
		why+="$dm segments of multi-segment frames dropped, but no multi_segment drop at h2; "
	fi
	if [ -n "$why" ]; then
		show_deltas before after | diag
		not_ok "drop 1%: counters show the drops" "${why%; }"
	else
		ok "drop 1%: counters show the drops"
	fi
	# With sttd: every frame that lost a segment is held, then timed out; none completes and
	# none stays held. A frame can lose more than one segment, so timeouts <= dropped_multi,
	# plus one per piece lost on the way to sttd.
	if [ "$STTD_STATE" = absent ]; then
		skip "drop 1%: sttd times out the frames that lost a segment" "build/sttd is not built yet"
		return
	fi
	why=''
	[ "$STTD_STATE" = running ] || why+="sttd $STTD_STATE; "
	to=$(delta before after h2 reasm_timeouts) lost=$(delta before after h2 reasm_lost)
	pd=$(delta before after h2 path_dropped)
	[ "$dm" -le 0 ] || [ "$to" -gt 0 ] || why+="$dm segments of multi-segment frames dropped, reasm_timeouts +0; "
	[ "$to" -le $((dm + lost + pd)) ] ||
		why+="reasm_timeouts +$to > dropped_multi $dm + reasm_lost $lost + $pd kernel drops on the path: frames lost without cause; "
	[ "$(delta before after h2 reasm_conflicts)" -eq 0 ] || why+="reasm_conflicts +$(delta before after h2 reasm_conflicts); "
	[ "$(value after h2 reasm_inflight)" -eq 0 ] || why+="reasm_inflight $(value after h2 reasm_inflight) after the timeout; "
	if [ -n "$why" ]; then
		show_deltas before after | diag
		not_ok "drop 1%: sttd times out the frames that lost a segment" "${why%; }"
	else
		ok "drop 1%: sttd times out the frames that lost a segment"
	fi
}

# Duplicate 1% of STT segments.
test_dup() {
	local n dm dup ovl why=''
	fault_run "duplicate 1%" --dup-rate 1
	recovered "duplicate 1%: TCP recovers, no bad checksum reaches a tenant"
	[ -z "$FR_ERR" ] || return
	n=$(fc duplicated) dm=$(fc duplicated_multi)
	[ "$n" -gt 0 ] || why+="the injector duplicated nothing; "
	[ "$(fc clones_passed)" -eq "$n" ] || why+="$n duplicates made, $(fc clones_passed) left the device; "
	if [ "$STTD_STATE" != running ] && [ "$dm" -gt 0 ] && [ "$(delta before after h2 drops.multi_segment)" -le 0 ]; then
		why+="$dm segments of multi-segment frames duplicated, but no multi_segment drop at h2; "
	fi
	if [ -n "$why" ]; then
		show_deltas before after | diag
		not_ok "duplicate 1%: counters show the duplicates" "${why%; }"
	else
		ok "duplicate 1%: counters show the duplicates"
	fi
	# With sttd: a duplicate splits its frame into overlapping pieces. The pieces stt_tc_rx
	# delivers itself (TSO frames and cut TCP segments whose outer checksum holds) reach
	# the tenant's TCP twice, which drops the repeat (the test above checks it recovers);
	# a repeat that comes after its frame was complete finds no kept headers and goes to
	# sttd, where it times out alone. The pieces that go to sttd whole must show the
	# repeated bytes (duplicates/overlaps), and sttd never a conflict (identical bytes).
	local name="duplicate 1%: repeated pieces reach TCP or sttd, sttd sees no conflict" pd
	if [ "$STTD_STATE" = absent ]; then
		skip "$name" "build/sttd is not built yet"
		return
	fi
	why=''
	[ "$STTD_STATE" = running ] || why+="sttd $STTD_STATE; "
	dup=$(delta before after h2 reasm_duplicates) ovl=$(delta before after h2 reasm_overlaps)
	pd=$(delta before after h2 rx_pieces_direct)
	echo "# duplicate 1%: h2 rx_pieces_direct +$pd, reasm_duplicates +$dup, reasm_overlaps +$ovl"
	[ "$dm" -le 0 ] || [ $((dup + ovl)) -gt 0 ] || [ "$pd" -gt 0 ] ||
		why+="$dm segments of multi-segment frames duplicated, but no piece delivered in TC and reasm_duplicates + reasm_overlaps +0; "
	[ "$(delta before after h2 reasm_conflicts)" -eq 0 ] || why+="reasm_conflicts +$(delta before after h2 reasm_conflicts); "
	if [ -n "$why" ]; then
		show_deltas before after | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Reorder 1% of STT segments. First a short capture on w2's egress proves the segments
# really leave out of order; then the full run.
test_reorder() {
	local name="reorder 1%: segments leave w2 out of order" pcap=$TMP/reorder.pcap n ooo
	local rm to lost pd why=''
	if fault_attach "$NS_W" "$WDEV" --seed "$SEED" --reorder-rate 1 2>"$TMP/fault-attach.err" &&
		stt_capture_start "$NS_W" "$WDEV" "$pcap" --immediate-mode -s 128 -Q out tcp port "$STT_PORT"; then
		CAP_PID=$STT_CAP_PID
		iperf_run -t 1 -b 200M >/dev/null
		stt_capture_stop "$CAP_PID"
		CAP_PID=
		fault_detach "$NS_W" "$WDEV"
		# Out of order: a segment whose offset is below one already seen of its frame.
		ooo=$(tshark -r "$pcap" -o ip.try_heuristic_first:TRUE -Y stt -E occurrence=f -T fields \
			-e stt.pkt_id -e stt.seg_off 2>/dev/null |
			awk -F'\t' '$1 != "" { if (($1 in max) && $2 < max[$1]) n++; if (!($1 in max) || $2 > max[$1]) max[$1] = $2 } END {print n + 0}')
		n=$(fc reordered_multi)
		echo "# reorder capture (1 s at 200 Mbit/s): stt_fault reordered $(fc reordered) segments" \
			"($n of multi-segment frames, $(fc reorder_returned) back from the detour);" \
			"$ooo segments left w2 after a later segment of their frame"
		if [ "$(fc reordered)" -le 0 ]; then
			not_ok "$name" "the injector reordered nothing"
		elif [ "$(fc reorder_returned)" -ne "$(fc reordered)" ]; then
			not_ok "$name" "$(fc reordered) segments sent on the detour, $(fc reorder_returned) came back"
		elif [ "$n" -gt 0 ] && [ "$ooo" -le 0 ]; then
			not_ok "$name" "$n segments of multi-segment frames reordered, none out of order on the wire"
		else
			ok "$name"
		fi
	else
		not_ok "$name" "could not attach the injector or start tcpdump: $(tr '\n' ' ' <"$TMP/fault-attach.err")"
	fi

	fault_run "reorder 1%" --reorder-rate 1
	recovered "reorder 1%: TCP recovers, no bad checksum reaches a tenant"
	[ -z "$FR_ERR" ] || return
	rm=$(fc reordered_multi)
	[ "$(fc reordered)" -gt 0 ] || why+="the injector reordered nothing; "
	[ "$(fc reorder_returned)" -eq "$(fc reordered)" ] || why+="$(fc reordered) reordered, $(fc reorder_returned) returned; "
	if [ "$STTD_STATE" != running ] && [ "$rm" -gt 0 ] && [ "$(delta before after h2 drops.multi_segment)" -le 0 ]; then
		why+="$rm segments of multi-segment frames reordered, but no multi_segment drop at h2; "
	fi
	if [ -n "$why" ]; then
		show_deltas before after | diag
		not_ok "reorder 1%: counters show the reordering" "${why%; }"
	else
		ok "reorder 1%: counters show the reordering"
	fi
	# With sttd: reordering loses nothing, so every frame it split must be reassembled:
	# frames come out and nothing times out, except one frame per piece lost on the way to
	# sttd (those losses are test_no_lost_pieces' business).
	if [ "$STTD_STATE" = absent ]; then
		skip "reorder 1%: sttd reassembles every reordered frame" "build/sttd is not built yet"
		return
	fi
	why=''
	[ "$STTD_STATE" = running ] || why+="sttd $STTD_STATE; "
	to=$(delta before after h2 reasm_timeouts) lost=$(delta before after h2 reasm_lost)
	pd=$(delta before after h2 path_dropped)
	[ "$rm" -le 0 ] || [ "$(delta before after h2 reasm_frames)" -gt 0 ] || why+="$rm segments of multi-segment frames reordered, reasm_frames +0; "
	[ "$to" -le $((lost + pd)) ] ||
		why+="reasm_timeouts +$to with only $lost pieces lost and $pd kernel drops on the path: reordered frames not completed; "
	[ "$(delta before after h2 reasm_evicted)" -eq 0 ] || why+="reasm_evicted +$(delta before after h2 reasm_evicted); "
	[ "$(delta before after h2 reasm_conflicts)" -eq 0 ] || why+="reasm_conflicts +$(delta before after h2 reasm_conflicts); "
	if [ -n "$why" ]; then
		show_deltas before after | diag
		not_ok "reorder 1%: sttd reassembles every reordered frame" "${why%; }"
	else
		ok "reorder 1%: sttd reassembles every reordered frame"
	fi
}

# Faults by index: segment 0 of every 5th multi-segment frame reordered, segment 2 of the
# same frames duplicated. On the wire (w2's egress): the chosen frames' first segment leaves
# after a later one, and the only repeated offset of a frame is its third segment's.
test_index() {
	local name="index faults hit exactly the chosen segments" pcap=$TMP/index.pcap res
	local ooo dup2 dupx why=''
	if ! fault_attach "$NS_W" "$WDEV" --seed "$SEED" --only-multi --reorder-index 0 --dup-index 2 \
		--every 5 2>"$TMP/fault-attach.err" ||
		! stt_capture_start "$NS_W" "$WDEV" "$pcap" --immediate-mode -s 128 -Q out tcp port "$STT_PORT"; then
		not_ok "$name" "could not attach the injector or start tcpdump: $(tr '\n' ' ' <"$TMP/fault-attach.err")"
		return
	fi
	CAP_PID=$STT_CAP_PID
	iperf_run -t 1 -b 100M >/dev/null
	stt_capture_stop "$CAP_PID"
	CAP_PID=
	fault_detach "$NS_W" "$WDEV"
	# Per frame: offsets in the order they left. S = the smallest non-zero offset.
	res=$(tshark -r "$pcap" -o ip.try_heuristic_first:TRUE -Y stt -E occurrence=f -T fields \
		-e stt.pkt_id -e stt.seg_off 2>/dev/null | awk -F'\t' '
		$1 != "" { k = $1; n[k]++; o[k, n[k]] = $2 + 0; seen[k, $2 + 0]++
			if ($2 + 0 > 0 && (!(k in S) || $2 + 0 < S[k])) S[k] = $2 + 0 }
		END { for (k in n) {
			if (o[k, 1] != 0) for (i = 2; i <= n[k]; i++) if (o[k, i] == 0) { ooo++; break }
			for (i = 1; i <= n[k]; i++) if (seen[k, o[k, i]] > 1) {
				if (o[k, i] == 2 * S[k]) dup2++; else dupx++
				seen[k, o[k, i]] = 1 }
		} print ooo + 0, dup2 + 0, dupx + 0 }')
	read -r ooo dup2 dupx <<<"$res"
	echo "# index faults (1 s at 100 Mbit/s): stt_fault reordered $(fc reordered), duplicated $(fc duplicated)" \
		"(index_unknown $(fc index_unknown)); on the wire: $ooo frames with segment 0 after a later" \
		"segment, $dup2 frames with segment 2 repeated, $dupx other repeated offsets"
	[ "$(fc reordered)" -gt 0 ] && [ "$(fc duplicated)" -gt 0 ] || why+="the injector did nothing; "
	[ "${ooo:-0}" -gt 0 ] || why+="no frame's first segment left after a later one; "
	[ "${dup2:-0}" -gt 0 ] || why+="no frame with its third segment repeated; "
	[ "${dupx:-1}" -eq 0 ] || why+="$dupx repeated offsets that are not segment 2; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# All three at once on a file transfer: the bytes t2 receives are the bytes t1 sent. A
# reassembled frame whose inner checksum is still partial is not verified by the tenant's
# TCP, so only a comparison of the data shows that no corrupted frame got through.
test_integrity() {
	# Without sttd every fault costs a whole frame and TCP crawls: a smaller file then.
	local mb=32 name s0 s1 why=''
	[ "$STTD_STATE" = running ] || mb=4
	name="drop + duplicate + reorder 1%: a $mb MB file arrives intact"
	head -c $((mb << 20)) /dev/urandom >"$TMP/file.bin"
	FR_FILE=$TMP/file.bin
	fault_run "drop+dup+reorder 1%, file" --drop-rate 1 --dup-rate 1 --reorder-rate 1
	FR_FILE=
	[ -z "$FR_ERR" ] || { not_ok "$name" "$FR_ERR"; return; }
	s0=$(sha256sum <"$TMP/file.bin" | cut -c1-16)
	s1=$(sha256sum <"$TMP/file.bin.recv" 2>/dev/null | cut -c1-16)
	echo "# file: sent $(stat -c %s "$TMP/file.bin") bytes sha256 $s0..., received $IP_BYTES bytes sha256 ${s1:-none}..."
	[ "$FR_RC" -eq 0 ] || why+="transfer failed (status $FR_RC)${IP_ERR:+: $IP_ERR}; "
	[ "$s0" = "$s1" ] || why+="the received file differs from the sent one; "
	[ "$CSUM_T2_0" = "$CSUM_T2_1" ] || why+="t2 TcpInCsumErrors $CSUM_T2_0 -> $CSUM_T2_1; "
	if [ -n "$why" ]; then
		[ "$s0" = "$s1" ] || cmp "$TMP/file.bin" "$TMP/file.bin.recv" 2>&1 | head -2 | diag
		diag <"$TMP/iperf.err"
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Over all the fault runs: no piece of a frame may be lost between the datapath and sttd
# (a lost piece costs its whole frame, on top of the injected fault).
test_no_lost_pieces() {
	local name="faults: no piece lost between the datapath and sttd" lost ms
	if [ "$STTD_STATE" = absent ]; then
		skip "$name" "build/sttd is not built yet"
		return
	fi
	snap faults-end
	lost=$(delta faults-start faults-end h2 reasm_lost)
	ms=$(delta faults-start faults-end h2 drops.multi_segment)
	echo "# h2 over the fault runs: rx_to_sttd +$(delta faults-start faults-end h2 rx_to_sttd)," \
		"reasm_pieces +$(delta faults-start faults-end h2 reasm_pieces), reasm_lost +$lost, multi_segment drops +$ms," \
		"reasm_mem_peak $(value faults-end h2 reasm_mem_peak)"
	if [ "$STTD_STATE" != running ]; then
		not_ok "$name" "sttd $STTD_STATE"
	elif [ "$lost" -ne 0 ] || [ "$ms" -ne 0 ]; then
		not_ok "$name" "reasm_lost +$lost, multi_segment drops +$ms (pieces the datapath could not hand to sttd)"
	else
		ok "$name"
	fi
}

# The injector on the sending underlay itself (ul1, next to sttctl's filters): TC egress
# runs before GSO, so tenant TSO bursts pass as whole GSO skbs (per-segment faults need the
# wire namespace); sttctl's ingress program keeps working and survives the detach.
test_sending_underlay() {
	local name="injector on ul1 (sending underlay): coexists with sttctl, sees GSO frames whole"
	local rc why='' filters
	if ! fault_attach "$NS_H1" "$UL1" 2>"$TMP/fault-attach.err"; then
		not_ok "$name" "attach failed: $(tr '\n' ' ' <"$TMP/fault-attach.err")"
		return
	fi
	iperf_run -t 1 -R >/dev/null
	rc=$?
	iperf_parse
	fault_detach "$NS_H1" "$UL1"
	# sttctl's ingress program: a tcx link (listed by tests/tools/stt_foreign) or, on a
	# kernel without tcx, a clsact filter with priority 0x5354.
	filters=$(tc -n "$NS_H1" filter show dev "$UL1" ingress 2>/dev/null | grep -c 'pref 21332')
	if make -C "$STT_REPO" --no-print-directory -s build/stt_foreign >/dev/null 2>&1; then
		filters=$((filters + $("$STT_REPO/build/stt_foreign" -n "$NS_H1" query "$UL1" 2>/dev/null |
			grep -c ' stt_tc_rx$')))
	fi
	echo "# ul1 egress, 1 s iperf3 -R (t2 sends data, t1 ACKs): $IP_GBPS Gbit/s; stt_fault" \
		"$(jq -c '.counters | with_entries(select(.value != 0))' "$TMP/fault.json" 2>/dev/null);" \
		"sttctl ingress programs on ul1 after detach: $filters"
	[ "$rc" -eq 0 ] && [ "$IP_BYTES" -gt 0 ] || why+="iperf3 rc=$rc bytes=$IP_BYTES; "
	[ "$(fc stt)" -gt 0 ] || why+="no STT packet seen at ul1's egress; "
	[ "$filters" -ge 1 ] || why+="sttctl's ingress program on ul1 is gone; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
	# The forward direction carries TSO bursts from t1: they must show up as GSO skbs.
	fault_attach "$NS_H1" "$UL1" 2>/dev/null
	iperf_run -t 1 >/dev/null
	fault_detach "$NS_H1" "$UL1"
	echo "# ul1 egress, 1 s iperf3 t1 -> t2: stt_fault $(jq -c '.counters | with_entries(select(.value != 0))' "$TMP/fault.json" 2>/dev/null)"
	if [ "$(fc gso_skbs)" -gt 0 ]; then
		ok "injector on ul1: tenant TSO bursts are one GSO skb at TC egress ($(fc gso_skbs) seen)"
	else
		not_ok "injector on ul1: tenant TSO bursts are one GSO skb at TC egress" "gso_skbs 0"
	fi
}

# Main ------------------------------------------------------------------------------------

NAMES=("baseline" "drop" "duplicate" "reorder" "index" "integrity" "lost pieces" "sending underlay" "ecn path")

if ! reason=$(stt_prereqs); then
	for t in "${NAMES[@]}"; do skip "$t" "$reason"; done
elif ! build_fault >"$TMP/build.log" 2>&1 || [ ! -x "$FAULT" ]; then
	diag <"$TMP/build.log"
	for t in "${NAMES[@]}"; do not_ok "$t" "cannot build $FAULT (make build/stt_fault)"; done
elif ! { stt_topo_up && set_wire_mode; } >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${NAMES[@]}"; do not_ok "$t" "topology setup failed"; done
else
	stt_log "topology up (prefix $STT_NS_PREFIX, wire namespace $NS_W, injector on $WDEV, seed $SEED)"
	sttd_start
	stt_log "sttd: $STTD_STATE"
	timeout 10 ip netns exec "$NS_T1" ping -c 2 -W 1 "$T2_IP" >/dev/null 2>&1
	test_baseline
	snap faults-start
	test_drop
	test_dup
	test_reorder
	test_index
	test_integrity
	test_no_lost_pieces
	test_sending_underlay
	test_ecn_path
fi

harness_summary
