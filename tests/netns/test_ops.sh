#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Operations: upgrades under traffic, sttd restarts, coexistence with other XDP and TC
# programs, and `make install`. The standard two-host topology of scripts/lib.sh with the
# namespace prefix "sto-" (STO_NS_PREFIX to change it). Needs root, bpffs, a built
# build/sttctl and build/sttd; builds build/stt_foreign (tests/tools/) on demand, and uses
# xdp-filter (xdp-tools) when installed.
# Output like test_basic.sh; last line `N passed, N failed, N skipped`; exit 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STO_NS_PREFIX:-sto-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"


TMP=$(mktemp -d /tmp/stt-ops.XXXXXX)
FOREIGN=${STT_FOREIGN:-$STT_REPO/build/stt_foreign}
# Pins of the foreign TC programs (one directory per test run, removed by cleanup).
FOREIGN_DIR=/sys/fs/bpf/${STT_NS_PREFIX}foreign-$$
PING_PID='' INSTALL_DIR=''
XDP_FILTER_ON=() # namespaces where xdp-filter was loaded on the underlay

cleanup() {
	local ns
	[ -z "$PING_PID" ] || { kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null; }
	stt_sttd_stop
	for ns in "${XDP_FILTER_ON[@]}"; do
		nsenter --net="/run/netns/$ns" xdp-filter unload "$UL2" >/dev/null 2>&1 || true
	done
	if [ -x "$FOREIGN" ]; then
		"$FOREIGN" -n "$NS_H2" detach tcx "$UL2" "$FOREIGN_DIR/tcx" >/dev/null 2>&1
		"$FOREIGN" -n "$NS_H2" detach clsact "$UL2" "$FOREIGN_DIR/clsact" >/dev/null 2>&1
	fi
	rm -rf "$FOREIGN_DIR" 2>/dev/null
	# xdp-filter leaves its pin directories behind; remove them only when empty.
	rmdir /sys/fs/bpf/xdp-filter/programs /sys/fs/bpf/xdp-filter 2>/dev/null
	stt_topo_down
	[ -z "$INSTALL_DIR" ] || rm -rf "$INSTALL_DIR"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Helpers ---------------------------------------------------------------------------------

stt_sttd_stop() {
	local pid
	for pid in "${STTD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	STTD_PIDS=()
}

# counter NS PATH: a value of `sttctl stats --json` (jq path), 0 if absent
counter() { stt_ctl "$1" stats --json 2>/dev/null | jq -r "$2 // 0" 2>/dev/null || echo 0; }

# State that an upgrade must keep: vports, forwarding entries, flood lists.
entries() { stt_ctl "$1" show --json 2>/dev/null | jq -S -c '{vports, fdb, flood}'; }

# The programs at DEV's TC ingress, "ID NAME" per line in order: its tcx chain, or on a
# kernel without tcx links (Linux < 6.6) its clsact filters.
tc_progs() {
	if stt_kernel_has_tcx; then
		"$FOREIGN" -n "$1" query "$2" 2>/dev/null
	else
		tc -n "$1" -j filter show dev "$2" ingress 2>/dev/null |
			jq -r '.[].options.prog // empty | "\(.id) \(.name)"'
	fi
}

# ID of the stt program NAME attached at the TC ingress of DEV (empty if none).
tcx_id() { tc_progs "$1" "$2" | awk -v n="$3" '$2 == n {print $1}' | paste -sd, -; }
xdp_id() { ip -n "$1" link show "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\) name \([^ ]*\).*/\1 \2/p'; }

# ping_bg NS DST COUNT INTERVAL [SIZE]: ping in the background into $TMP/ping.log (PING_PID)
ping_bg() {
	timeout 120 ip netns exec "$1" ping -n -q -c "$3" -i "$4" -W 2 ${5:+-s "$5"} "$2" \
		>"$TMP/ping.log" 2>&1 &
	PING_PID=$!
}

# ping_wait: wait for ping_bg; sets PING_TX and PING_RX (transmitted, received). Not in a
# subshell: only this shell can wait for the ping it started.
ping_wait() {
	local line
	wait "$PING_PID" 2>/dev/null
	PING_PID=
	line=$(sed -n 's/^\([0-9]\+\) packets transmitted, \([0-9]\+\) received.*/\1 \2/p' "$TMP/ping.log" | head -1)
	read -r PING_TX PING_RX <<<"${line:-0 0}"
}

# answered NS DST COUNT [SIZE]: how many of COUNT pings were answered
answered() {
	timeout 30 ip netns exec "$1" ping -n -c "$3" -i 0.3 -W 2 ${4:+-s "$4"} "$2" >"$TMP/p1.log" 2>&1
	sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$TMP/p1.log" | head -1 | grep . || echo 0
}

# Re-attach both hosts N times while a ping flood crosses the tunnel: upgrade_under_flood
# NAME N H2_ATTACH_ARGS...
upgrade_under_flood() {
	local name=$1 n=$2 i tx rx why='' e1 e2 after1 after2 tc1 tc2 c1 c2
	shift 2
	e1=$(entries "$NS_H1") e2=$(entries "$NS_H2")
	tc1=$(tcx_id "$NS_H2" "$UL2" stt_tc_rx)
	c1=$(counter "$NS_H2" .counters.rx_frames)
	# 2500 requests 2 ms apart: about 5 s of traffic, 400 frames a second each way.
	ping_bg "$NS_T1" "$T2_IP" 2500 0.002
	sleep 0.5
	for ((i = 0; i < n; i++)); do
		stt_ctl "$NS_H1" attach "$UL1" >/dev/null 2>"$TMP/attach.err" || why+="attach h1 #$i failed: $(cat "$TMP/attach.err"); "
		stt_ctl "$NS_H2" attach "$UL2" "$@" >/dev/null 2>"$TMP/attach.err" || why+="attach h2 #$i failed: $(cat "$TMP/attach.err"); "
	done
	ping_wait
	tx=$PING_TX rx=$PING_RX
	after1=$(entries "$NS_H1") after2=$(entries "$NS_H2")
	tc2=$(tcx_id "$NS_H2" "$UL2" stt_tc_rx)
	c2=$(counter "$NS_H2" .counters.rx_frames)
	echo "# $name: $n re-attaches per host during the flood; ping $rx of $tx answered;" \
		"stt_tc_rx on $UL2: id $tc1 -> $tc2; h2 rx_frames $c1 -> $c2"
	[ "$tx" -eq 2500 ] && [ "$rx" -eq "$tx" ] || why+="ping: $rx of $tx answered (expected 2500 of 2500); "
	[ "$e1" == "$after1" ] && [ "$e2" == "$after2" ] || why+="map entries changed; "
	[ -n "$tc2" ] && [ "$tc2" != "$tc1" ] || why+="stt_tc_rx was not replaced ($tc1 -> $tc2); "
	[[ $tc2 != *,* ]] || why+="more than one stt_tc_rx on $UL2 ($tc2); "
	[ "$c2" -gt "$c1" ] || why+="rx_frames did not keep counting ($c1 -> $c2): stats map replaced?; "
	REPLY=$why
}

# Tests -----------------------------------------------------------------------------------

# (0) An upgrade from the previous release: the hosts run as the release's sttctl set them
# up (its build of the programs and maps), and this build's attach takes over under a ping
# flood. Pinned map layouts did not change (stt_maps.h: IPv6 remotes live in new maps), so
# every entry stays and nothing is lost. STT_UPGRADE_FROM names the release (a git
# revision of this repository; skipped without git history).
STT_UPGRADE_FROM=${STT_UPGRADE_FROM:-a0ddf62}
test_upgrade_release() {
	local name="upgrade from the previous release ($STT_UPGRADE_FROM) under a ping flood" why=''
	local old=$TMP/release e1 e2 a1 a2 n
	if ! git -C "$STT_REPO" cat-file -e "$STT_UPGRADE_FROM^{commit}" 2>/dev/null; then
		skip "$name" "no git history with $STT_UPGRADE_FROM here"
		return
	fi
	mkdir -p "$old"
	if ! git -C "$STT_REPO" archive "$STT_UPGRADE_FROM" | tar -x -C "$old" ||
		! make -C "$old" -s build/sttctl >"$TMP/release-make.log" 2>&1; then
		diag <"$TMP/release-make.log"
		not_ok "$name" "building $STT_UPGRADE_FROM failed"
		return
	fi
	# Both hosts set up again by the release, as scripts/lib.sh does.
	for n in 1 2; do
		stt_ctl "${STT_NS_PREFIX}h$n" vport del "vp$n" >/dev/null 2>&1
		stt_ctl "${STT_NS_PREFIX}h$n" detach "ul$n" >/dev/null 2>&1
	done
	stt_ctl "$NS_H2" vport del vp3 >/dev/null 2>&1
	if ! STTCTL=$old/build/sttctl stt_topo_configure >"$TMP/release.log" 2>&1; then
		diag <"$TMP/release.log"
		# The release's TC programs predate the changes that Linux 6.1's verifier needs.
		if grep -q 'Permission denied' "$TMP/release.log" && ! stt_kernel_has_tcx; then
			skip "$name" "the release's programs do not pass the verifier of Linux $(uname -r) (< 6.6)"
		else
			not_ok "$name" "the release's sttctl could not set the hosts up"
		fi
		# This build sets the hosts up again for the tests that follow.
		for n in 1 2; do
			stt_ctl "${STT_NS_PREFIX}h$n" vport del "vp$n" >/dev/null 2>&1
			stt_ctl "${STT_NS_PREFIX}h$n" detach "ul$n" >/dev/null 2>&1
		done
		stt_ctl "$NS_H2" vport del vp3 >/dev/null 2>&1
		stt_topo_configure >"$TMP/release.log" 2>&1 || diag <"$TMP/release.log"
		return
	fi
	e1=$(entries "$NS_H1") e2=$(entries "$NS_H2")
	ping_bg "$NS_T1" "$T2_IP" 2500 0.002
	sleep 0.5
	stt_ctl "$NS_H1" attach "$UL1" >/dev/null 2>"$TMP/attach.err" || why+="attach h1: $(cat "$TMP/attach.err"); "
	stt_ctl "$NS_H2" attach "$UL2" >/dev/null 2>"$TMP/attach.err" || why+="attach h2: $(cat "$TMP/attach.err"); "
	ping_wait
	a1=$(entries "$NS_H1") a2=$(entries "$NS_H2")
	echo "# $name: ping $PING_RX of $PING_TX answered; entries kept: h1 $([ "$e1" == "$a1" ] && echo yes || echo no), h2 $([ "$e2" == "$a2" ] && echo yes || echo no); after: $(answered "$NS_T1" "$T2_IP" 3) of 3"
	[ "$PING_TX" -eq 2500 ] && [ "$PING_RX" -eq "$PING_TX" ] || why+="ping: $PING_RX of $PING_TX answered; "
	[ "$e1" == "$a1" ] && [ "$e2" == "$a2" ] && [ -n "$e1" ] || why+="map entries changed or unreadable; "
	if [ -n "$why" ]; then
		diag <"$TMP/ping.log"
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (a) Re-running attach (a new build, same maps) under a ping flood: nothing lost, entries
# kept, the TC programs really replaced (new IDs), no program twice.
test_upgrade_tc() {
	local name="upgrade under a ping flood (TC, tcx links)" v mode=tcx
	stt_kernel_has_tcx || name="upgrade under a ping flood (TC, clsact: no tcx in Linux $(uname -r))" mode=clsact
	upgrade_under_flood "$name" 5
	v=$(stt_ctl "$NS_H2" show --json | jq -r '.status.attachment.tc // empty')
	[ "$v" == "$mode" ] || REPLY+="show says tc=${v:-nothing}, expected $mode; "
	if [ -n "$REPLY" ]; then
		diag <"$TMP/ping.log"
		not_ok "$name" "${REPLY%; }"
	else
		ok "$name"
	fi
}

# (b) The same with XDP on the receiving underlay (re-attached with --xdp on each time).
test_upgrade_xdp() {
	local name="upgrade under a ping flood (XDP on)" x1 x2
	if ! stt_run_ctl "$NS_H2" attach "$UL2" --xdp on >/dev/null; then
		not_ok "$name" "attach --xdp on failed"
		return
	fi
	x1=$(xdp_id "$NS_H2" "$UL2")
	upgrade_under_flood "$name" 5 --xdp on
	x2=$(xdp_id "$NS_H2" "$UL2")
	echo "# XDP on $UL2: '$x1' -> '$x2'"
	[[ $x1 == *" stt_xdp_rx" || $x1 == *" xdp_dispatcher" ]] || REPLY+="no stt XDP program on $UL2 before ('$x1'); "
	[ -n "$x2" ] && [ "$x2" != "$x1" ] || REPLY+="the XDP program was not replaced ('$x1' -> '$x2'); "
	[ "$(stt_ctl "$NS_H2" show --json | jq -r '.attachment.xdp')" == true ] || REPLY+="show says xdp off; "
	if [ -n "$REPLY" ]; then
		diag <"$TMP/ping.log"
		not_ok "$name" "${REPLY%; }"
	else
		ok "$name"
	fi
	stt_run_ctl "$NS_H2" attach "$UL2" --xdp off >/dev/null
}

# (c) sttd stopped and started under traffic. Tenant MTU 1500 over a 1500-byte underlay:
# 1514-byte frames are cut in two segments; with GRO off on the underlays every piece goes
# to sttd. While sttd is down, small pings keep flowing (all-BPF path) and large ones do
# not (so the check is not vacuous); after a restart (and an upgrade while it was down) sttd
# finds everything in the pins and large pings work again.
test_sttd_restart() {
	local name="sttd stopped and restarted under traffic" why='' big tx rx down_big f1 f2 ns
	if [ ! -x "$STTD" ]; then
		skip "$name" "build/sttd is not built"
		return
	fi
	for ns in "$NS_T1" "$NS_T2"; do ip -n "$ns" link set eth0 mtu 1500; done
	ip -n "$NS_H1" link set vp1 mtu 1500
	ip -n "$NS_H2" link set vp2 mtu 1500
	nsx "$NS_H1" ethtool -K "$UL1" gro off >/dev/null
	nsx "$NS_H2" ethtool -K "$UL2" gro off >/dev/null
	stt_sttd_start "$TMP"
	if [ "$STTD_STATE" != running ]; then
		not_ok "$name" "sttd $STTD_STATE"
		return
	fi
	big=$(answered "$NS_T1" "$T2_IP" 3 1472)
	[ "$big" -eq 3 ] || why+="with sttd up, $big of 3 large pings answered; "
	stt_sttd_stop
	# Down: a small-ping flood, large pings, and an upgrade of both hosts meanwhile.
	ping_bg "$NS_T1" "$T2_IP" 400 0.005
	down_big=$(answered "$NS_T1" "$T2_IP" 3 1472)
	stt_ctl "$NS_H1" attach "$UL1" >/dev/null 2>&1 || why+="attach h1 while sttd was down failed; "
	stt_ctl "$NS_H2" attach "$UL2" >/dev/null 2>&1 || why+="attach h2 while sttd was down failed; "
	ping_wait
	tx=$PING_TX rx=$PING_RX
	stt_sttd_start "$TMP"
	[ "$STTD_STATE" == running ] || why+="sttd did not restart: $STTD_STATE; "
	# The restarted sttd publishes its own counters, from 0.
	f1=$(counter "$NS_H2" .reasm.reasm_frames)
	big=$(answered "$NS_T1" "$T2_IP" 3 1472)
	f2=$(counter "$NS_H2" .reasm.reasm_frames)
	echo "# small pings while sttd was down: $rx of $tx; large pings: $down_big of 3 while down," \
		"$big of 3 after the restart; h2 reasm_frames of the restarted sttd $f1 -> $f2," \
		"multi_segment drops h2 $(counter "$NS_H2" .drops.multi_segment)"
	[ "$tx" -eq 400 ] && [ "$rx" -eq "$tx" ] || why+="small pings while sttd was down: $rx of $tx answered; "
	[ "$down_big" -eq 0 ] || why+="$down_big large pings answered without sttd: the test does not exercise sttd; "
	[ "$big" -eq 3 ] || why+="after the restart, $big of 3 large pings answered; "
	[ "$f2" -gt "$f1" ] || why+="the restarted sttd reassembled nothing (reasm_frames $f1 -> $f2); "
	stt_sttd_stop
	nsx "$NS_H1" ethtool -K "$UL1" gro on >/dev/null
	nsx "$NS_H2" ethtool -K "$UL2" gro on >/dev/null
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# UDP datagrams from h1 to h2's underlay address: udp_probe PORT COUNT
udp_probe() {
	local i
	for ((i = 0; i < $2; i++)); do
		nsx "$NS_H1" bash -c "echo probe > /dev/udp/$UL2_IP/$1" 2>/dev/null
	done
}

# How many UDP datagrams to PORT the capture FILE holds.
udp_seen() { tcpdump -n -r "$1" "udp dst port $2" 2>/dev/null | wc -l; }

# xdp-filter on h2's underlay, dropping UDP to port 9999.
xdp_filter_load() {
	nsenter --net="/run/netns/$NS_H2" xdp-filter load -m native "$UL2" >"$TMP/xf.log" 2>&1 || return 1
	XDP_FILTER_ON+=("$NS_H2")
	nsenter --net="/run/netns/$NS_H2" xdp-filter port -p udp 9999 >>"$TMP/xf.log" 2>&1
}
xdp_filter_unload() { nsenter --net="/run/netns/$NS_H2" xdp-filter unload "$UL2" >/dev/null 2>&1; }

# xdp-filter drops UDP 9999 on ul2 (and lets 9998 through) while STT traffic flows.
# Sets REPLY to the reasons it does not, empty if it does.
check_filter_and_stt() {
	local got s9999 s9998
	REPLY=''
	if ! stt_capture_start "$NS_H2" "$UL2" "$TMP/udp.pcap" udp; then
		REPLY="tcpdump did not start; "
		return
	fi
	udp_probe 9999 5
	udp_probe 9998 5
	got=$(answered "$NS_T1" "$T2_IP" 3)
	stt_capture_stop "$STT_CAP_PID"
	s9999=$(udp_seen "$TMP/udp.pcap" 9999)
	s9998=$(udp_seen "$TMP/udp.pcap" 9998)
	echo "# behind XDP on $UL2: UDP to 9999 seen $s9999 times, to 9998 $s9998 times (5 sent each);" \
		"STT pings $got of 3"
	[ "$s9999" -eq 0 ] || REPLY+="$s9999 UDP datagrams to 9999 got past xdp-filter; "
	[ "$s9998" -eq 5 ] || REPLY+="$s9998 of 5 UDP datagrams to 9998 arrived; "
	[ "$got" -eq 3 ] || REPLY+="STT: $got of 3 pings answered; "
}

xdp_programs() { nsenter --net="/run/netns/$NS_H2" xdp-loader status "$UL2" 2>&1; }

# Can libxdp build its multi-program dispatcher here? xdp-filter alone shows it: its own
# program alone on the device means libxdp fell back to one program per device.
XDP_MULTI=''

# (d) xdp-filter loaded before `attach --xdp on`, and (e) after it.
test_xdp_coexist_before() {
	local name="coexistence: xdp-filter loaded before attach --xdp on" why='' rc err
	if ! command -v xdp-filter >/dev/null; then
		skip "$name" "xdp-filter (xdp-tools) is not installed"
		return
	fi
	if ! xdp_filter_load; then
		diag <"$TMP/xf.log"
		not_ok "$name" "xdp-filter load failed"
		return
	fi
	if [[ $(xdp_id "$NS_H2" "$UL2") == *" xdp_dispatcher" ]]; then XDP_MULTI=yes; else XDP_MULTI=no; fi
	echo "# libxdp dispatcher usable here: $XDP_MULTI (xdp-filter alone: $(xdp_id "$NS_H2" "$UL2"))"
	err=$(stt_ctl "$NS_H2" attach "$UL2" --xdp on 2>&1 >/dev/null)
	rc=$?
	echo "# attach --xdp on: status $rc${err:+: $err}"
	if [ "$XDP_MULTI" == yes ]; then
		[ "$rc" -eq 0 ] || why+="attach --xdp on failed next to xdp-filter: $err; "
		xdp_programs | grep -q stt_xdp_rx || why+="stt_xdp_rx not in the dispatcher; "
	else
		# One program per device: stt must refuse cleanly and leave xdp-filter alone.
		[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] ||
			why+="attach --xdp on did not fail with one line (status $rc); "
		[ "$(stt_ctl "$NS_H2" show --json | jq -r '.attachment.xdp')" == false ] ||
			why+="show claims XDP on; "
	fi
	xdp_programs | grep -q xdpfilt_ || why+="xdp-filter is gone after attach; "
	check_filter_and_stt
	why+=$REPLY
	# detach leaves xdp-filter in place (and it still drops); then attach again, TC only.
	stt_run_ctl "$NS_H2" detach "$UL2" >/dev/null || why+="detach failed; "
	xdp_programs | grep -q xdpfilt_ || why+="detach removed xdp-filter; "
	if stt_capture_start "$NS_H2" "$UL2" "$TMP/udp2.pcap" udp; then
		udp_probe 9999 3
		stt_capture_stop "$STT_CAP_PID"
		[ "$(udp_seen "$TMP/udp2.pcap" 9999)" -eq 0 ] || why+="xdp-filter stopped dropping after detach; "
	fi
	stt_run_ctl "$NS_H2" attach "$UL2" --xdp off >/dev/null || why+="attach (TC only) next to xdp-filter failed; "
	xdp_filter_unload
	if [ -n "$why" ]; then
		xdp_programs | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

test_xdp_coexist_after() {
	local name="coexistence: xdp-filter loaded after attach --xdp on" why='' x1 x2 rc
	if ! command -v xdp-filter >/dev/null; then
		skip "$name" "xdp-filter (xdp-tools) is not installed"
		return
	fi
	stt_run_ctl "$NS_H2" attach "$UL2" --xdp on >/dev/null || { not_ok "$name" "attach --xdp on failed"; return; }
	x1=$(xdp_id "$NS_H2" "$UL2")
	xdp_filter_load
	rc=$?
	x2=$(xdp_id "$NS_H2" "$UL2")
	echo "# xdp-filter load after stt: status $rc; XDP on $UL2: '$x1' -> '$x2'"
	if [ "$XDP_MULTI" == yes ]; then
		[ "$rc" -eq 0 ] || why+="xdp-filter could not join stt in the dispatcher: $(tr '\n' ' ' <"$TMP/xf.log"); "
		xdp_programs | grep -q stt_xdp_rx || why+="stt_xdp_rx left the dispatcher; "
		check_filter_and_stt
		why+=$REPLY
		stt_run_ctl "$NS_H2" detach "$UL2" >/dev/null || why+="detach failed; "
		xdp_programs | grep -q xdpfilt_ || why+="detach removed xdp-filter; "
		xdp_programs | grep -q stt_xdp_rx && why+="detach left stt_xdp_rx; "
		stt_run_ctl "$NS_H2" attach "$UL2" --xdp off >/dev/null || why+="attach again failed; "
	else
		# One program per device: xdp-filter cannot load, and stt must not be disturbed.
		[ "$rc" -ne 0 ] || why+="xdp-filter loaded although libxdp has no dispatcher here; "
		[ "$x2" == "$x1" ] || why+="stt's XDP program changed ('$x1' -> '$x2'); "
		[ "$(answered "$NS_T1" "$T2_IP" 3)" -eq 3 ] || why+="STT pings fail after the attempt; "
		stt_run_ctl "$NS_H2" attach "$UL2" --xdp off >/dev/null || why+="attach --xdp off failed; "
	fi
	xdp_filter_unload
	if [ -n "$why" ]; then
		xdp_programs | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (f) Foreign TC programs attached first (a tcx link and a clsact filter on ul2's ingress),
# then stt: both keep running (the tcx one sees STT, the clsact one what stt passes on),
# stt works and upgrades, and detach leaves both in place.
test_tc_coexist() {
	local name="coexistence: foreign tcx and clsact programs attached before stt" why='' order
	local t0 t1 c0 c1 got
	if ! stt_kernel_has_tcx; then
		skip "$name" "no tcx links in Linux $(uname -r) (6.6+)"
		return
	fi
	if ! make -C "$STT_REPO" --no-print-directory -s build/stt_foreign >"$TMP/make.log" 2>&1; then
		diag <"$TMP/make.log"
		not_ok "$name" "cannot build build/stt_foreign"
		return
	fi
	stt_run_ctl "$NS_H2" detach "$UL2" >/dev/null || { not_ok "$name" "detach failed"; return; }
	mkdir -p "$FOREIGN_DIR"
	if ! "$FOREIGN" -n "$NS_H2" attach tcx "$UL2" "$FOREIGN_DIR/tcx" ||
		! "$FOREIGN" -n "$NS_H2" attach clsact "$UL2" "$FOREIGN_DIR/clsact"; then
		not_ok "$name" "cannot attach the foreign programs"
		return
	fi
	stt_run_ctl "$NS_H2" attach "$UL2" >/dev/null || why+="attach next to foreign programs failed; "
	stt_run_ctl "$NS_H2" attach "$UL2" >/dev/null || why+="re-attach (upgrade) failed; "
	order=$("$FOREIGN" -n "$NS_H2" query "$UL2" | awk '{print $2}' | paste -sd' ' -)
	t0=$("$FOREIGN" -n "$NS_H2" count "$FOREIGN_DIR/tcx")
	c0=$("$FOREIGN" -n "$NS_H2" count "$FOREIGN_DIR/clsact")
	got=$(answered "$NS_T1" "$T2_IP" 3)
	answered "$NS_H1" "$UL2_IP" 3 >/dev/null # not STT: stt passes it on to the clsact filter
	t1=$("$FOREIGN" -n "$NS_H2" count "$FOREIGN_DIR/tcx")
	c1=$("$FOREIGN" -n "$NS_H2" count "$FOREIGN_DIR/clsact")
	echo "# tcx ingress of $UL2: $order; foreign tcx counter $t0 -> $t1, foreign clsact $c0 -> $c1;" \
		"STT pings $got of 3"
	[ "$order" == "foreign_tc stt_tc_rx" ] || why+="tcx chain is '$order', expected 'foreign_tc stt_tc_rx'; "
	[ "$got" -eq 3 ] || why+="STT: $got of 3 pings answered; "
	[ $((t1 - t0)) -ge 6 ] || why+="the foreign tcx program saw $((t1 - t0)) packets (>= 6 expected); "
	[ $((c1 - c0)) -ge 3 ] || why+="the foreign clsact filter saw $((c1 - c0)) packets (>= 3 expected): stt ends the chain; "
	stt_run_ctl "$NS_H2" detach "$UL2" >/dev/null || why+="detach failed; "
	order=$("$FOREIGN" -n "$NS_H2" query "$UL2" | awk '{print $2}' | paste -sd' ' -)
	[ "$order" == foreign_tc ] || why+="after detach the tcx chain is '$order', expected 'foreign_tc'; "
	[ "$("$FOREIGN" -n "$NS_H2" clsact "$UL2")" == 1 ] || why+="detach removed the foreign clsact filter; "
	"$FOREIGN" -n "$NS_H2" detach tcx "$UL2" "$FOREIGN_DIR/tcx"
	"$FOREIGN" -n "$NS_H2" detach clsact "$UL2" "$FOREIGN_DIR/clsact"
	tc -n "$NS_H2" qdisc del dev "$UL2" clsact # the foreign tool's, not stt's
	stt_run_ctl "$NS_H2" attach "$UL2" >/dev/null || why+="attach again failed; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (g) An install made by an stt that attached through clsact (an older version, or a kernel
# without tcx: STT_TC_MODE=clsact) moves to tcx links on the next attach, under a ping flood;
# detach and vport del then remove the clsact qdiscs it had created. Tears h1 down.
test_clsact_to_tcx() {
	local name="upgrade from clsact filters to tcx links" why='' tx rx dev
	if ! stt_kernel_has_tcx; then
		skip "$name" "no tcx links in Linux $(uname -r) (6.6+)"
		return
	fi
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null && stt_run_ctl "$NS_H1" detach "$UL1" >/dev/null ||
		{ not_ok "$name" "tearing h1 down failed"; return; }
	STT_TC_MODE=clsact stt_run_ctl "$NS_H1" attach "$UL1" >/dev/null &&
		STT_TC_MODE=clsact stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" >/dev/null &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL2_IP" >/dev/null &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP" >/dev/null ||
		{ not_ok "$name" "setting h1 up with clsact failed"; return; }
	for dev in "$UL1" vp1; do
		tc -n "$NS_H1" filter show dev "$dev" ingress | grep -q 'handle 0x5354' ||
			why+="no clsact filter of stt on $dev; "
	done
	[ "$(stt_ctl "$NS_H1" show --json | jq -r '.status.attachment.tc')" == clsact ] || why+="show does not say clsact; "
	ping_bg "$NS_T1" "$T2_IP" 1500 0.002
	sleep 0.5
	stt_ctl "$NS_H1" attach "$UL1" >/dev/null 2>&1 || why+="attach (to tcx) failed; "
	ping_wait
	tx=$PING_TX rx=$PING_RX
	echo "# clsact -> tcx under a ping flood: $rx of $tx answered; tcx on $UL1:" \
		"$(tcx_id "$NS_H1" "$UL1" stt_tc_rx), on vp1: $(tcx_id "$NS_H1" vp1 stt_tc_tx)"
	[ "$tx" -eq 1500 ] && [ "$rx" -eq "$tx" ] || why+="ping: $rx of $tx answered; "
	for dev in "$UL1" vp1; do
		tc -n "$NS_H1" filter show dev "$dev" ingress | grep -q 'handle 0x5354' &&
			why+="the clsact filter of stt is still on $dev; "
	done
	[ -n "$(tcx_id "$NS_H1" "$UL1" stt_tc_rx)" ] || why+="no stt_tc_rx tcx link on $UL1; "
	[ -n "$(tcx_id "$NS_H1" vp1 stt_tc_tx)" ] || why+="no stt_tc_tx tcx link on vp1; "
	[ "$(stt_ctl "$NS_H1" show --json | jq -r '.status.attachment.tc')" == tcx ] || why+="show does not say tcx; "
	# The clsact qdiscs stt created stay (empty) until detach and vport del remove them:
	# removing a qdisc stops the device's transmit queues for a moment.
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null || why+="vport del failed; "
	stt_run_ctl "$NS_H1" detach "$UL1" >/dev/null || why+="detach failed; "
	for dev in "$UL1" vp1; do
		tc -n "$NS_H1" qdisc show dev "$dev" | grep -q clsact && why+="clsact left on $dev after detach; "
		[ -z "$("$FOREIGN" -n "$NS_H1" query "$dev")" ] || why+="tcx programs left on $dev; "
	done
	if [ -n "$why" ]; then
		diag <"$TMP/ping.log"
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (h) detach and vport del after all this leave nothing of stt: no tcx program, no XDP, no
# clsact, no pins.
test_detach_clean() {
	local name="detach after upgrades removes every link and pin" why='' ino dev
	ino=$(stt_ns_inode "$NS_H2")
	stt_run_ctl "$NS_H2" attach "$UL2" --xdp on >/dev/null || why+="attach --xdp on failed; "
	# Something to remove, or the checks below would be vacuous.
	for dev in "$UL2" vp2 vp3; do
		[ -n "$(tc_progs "$NS_H2" "$dev")" ] || why+="no TC program on $dev before detach; "
	done
	ip -n "$NS_H2" link show "$UL2" | grep -q 'prog/xdp' || why+="no XDP on $UL2 before detach; "
	for dev in vp2 vp3; do stt_run_ctl "$NS_H2" vport del "$dev" >/dev/null || why+="vport del $dev failed; "; done
	stt_run_ctl "$NS_H2" detach "$UL2" >/dev/null || why+="detach failed; "
	for dev in "$UL2" vp2 vp3; do
		[ -z "$(tc_progs "$NS_H2" "$dev")" ] || why+="TC programs left on $dev; "
		tc -n "$NS_H2" qdisc show dev "$dev" | grep -q clsact && why+="clsact left on $dev; "
	done
	ip -n "$NS_H2" link show "$UL2" | grep -q 'prog/xdp' && why+="XDP left on $UL2; "
	[ -e "$STT_PIN_BASE/$ino" ] && why+="pins left: $(ls "$STT_PIN_BASE/$ino" | paste -sd' ' -); "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (i) make install with DESTDIR and PREFIX puts the binaries, man pages and systemd units
# where a package would.
test_make_install() {
	local name="make install DESTDIR=... PREFIX=/usr" why='' f
	INSTALL_DIR=$(mktemp -d /tmp/stt-install.XXXXXX)
	if ! make -C "$STT_REPO" --no-print-directory -s install DESTDIR="$INSTALL_DIR" PREFIX=/usr \
		>"$TMP/install.log" 2>&1; then
		diag <"$TMP/install.log"
		not_ok "$name" "make install failed"
		return
	fi
	for f in usr/sbin/sttctl usr/sbin/sttd; do
		[ -x "$INSTALL_DIR/$f" ] || why+="$f missing or not executable; "
	done
	for f in usr/share/man/man8/sttctl.8 usr/share/man/man8/sttd.8 \
		usr/lib/systemd/system/sttd.service usr/lib/systemd/system/sttd@.service \
		usr/lib/systemd/system/stt-agent@.service; do
		[ -f "$INSTALL_DIR/$f" ] || why+="$f missing; "
	done
	grep -q '^ExecStart=/usr/sbin/sttd' "$INSTALL_DIR/usr/lib/systemd/system/sttd.service" 2>/dev/null ||
		why+="sttd.service does not start /usr/sbin/sttd; "
	grep -q '^ExecStart=/usr/sbin/sttd -n %i' "$INSTALL_DIR/usr/lib/systemd/system/sttd@.service" 2>/dev/null ||
		why+="sttd@.service does not start /usr/sbin/sttd -n %i; "
	grep -q '^ExecStart=/usr/sbin/sttctl -n %i fleet agent' \
		"$INSTALL_DIR/usr/lib/systemd/system/stt-agent@.service" 2>/dev/null ||
		why+="stt-agent@.service does not start /usr/sbin/sttctl -n %i fleet agent; "
	"$INSTALL_DIR/usr/sbin/sttctl" attach help >/dev/null 2>&1 || why+="the installed sttctl does not run; "
	echo "# installed: $(cd "$INSTALL_DIR" && find . -type f | sort | paste -sd' ' -)"
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Main ------------------------------------------------------------------------------------

TESTS=(test_upgrade_release test_upgrade_tc test_upgrade_xdp test_sttd_restart test_xdp_coexist_before
	test_xdp_coexist_after test_tc_coexist test_clsact_to_tcx test_detach_clean test_make_install)

if ! reason=$(stt_prereqs); then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "$reason"; done
elif ! make -C "$STT_REPO" --no-print-directory -s build/stt_foreign >"$TMP/make.log" 2>&1; then
	diag <"$TMP/make.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "cannot build build/stt_foreign"; done
elif ! stt_topo_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	stt_log "topology up (prefix $STT_NS_PREFIX): t1 $T1_MAC, t2 $T2_MAC, t3 $T3_MAC"
	stt_kernel_has_tcx || stt_log "no tcx links in Linux $(uname -r): stt attaches through clsact"
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
