#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Benchmark: tenant-to-tenant TCP goodput (iperf3 t1 -> t2, 1 and 4 streams, 3 s each) over
# one topology (scripts/lib.sh's hosts and tenants, namespace prefix "stb-"), for three
# paths and two underlay modes, in one invocation:
#
#   stt     this project: sttctl attach/vport/fdb (sttd too, when built); tenants MTU 1500
#   vxlan   kernel VXLAN: in each host a vxlan device (VNI 100, UDP 4789, on the underlay
#           veth) and a bridge with the vport; tenants MTU 1450 (1500 - 50 bytes of VXLAN
#           over IPv4), because the underlay stays at MTU 1500 for every path
#   none    no tunnel: in each host a bridge with the vport and the underlay veth itself;
#           tenants MTU 1500
#   stt6    stt over an IPv6 underlay (2001:db8:1::1 and ::2 on the same veths, every
#           remote IPv6); tenants MTU 1500
#   vxlan6  kernel VXLAN over IPv6 (the same addresses); tenants MTU 1430 (1500 - 70)
#   gue     this project's GUE (sttctl remote set --encap gue on both hosts, docs/GUE.md);
#           tenants MTU 1446 (1500 - 54: GUE cannot cut a frame larger than the path)
#
#   offload  underlay veths at their defaults (tso/gso/tx checksum on), GRO on
#   wire     underlay veths with tso, gso and tx checksum off (the kernel segments and
#            checksums in software what goes on the "wire"), GRO on
#
# GRO is on at both underlay ends for every path (sttctl attach turns it on for STT; the
# other paths get it too, so that all receive the same way). Tenants keep veth defaults
# (TSO/GSO on, GRO off) apart from the MTU. Note: STT's XDP program on the underlay makes
# the kernel turn TSO off on the veth peer (veth does that whenever XDP is attached), so in
# offload mode STT's underlay segments in software (GSO) while VXLAN's and no-tunnel's hand
# whole TSO skbs to the veth; that is part of the STT datapath as built.
#
# CPU: busy jiffies of the whole machine (/proc/stat: user nice system irq softirq steal)
# during each run, as CPU seconds per GB of goodput. The machine is shared: anything else
# running counts too. Numbers drift between runs; compare only within one invocation.
#
# Small packets: also, per path in offload mode, iperf3 UDP with 64-byte payloads (packets a
# second received), a per-packet cost that TCP goodput hides.
#
# Usage: scripts/bench.sh [SECONDS]   (default 3; `make bench` runs it)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STB_NS_PREFIX:-stb-}
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

SECS=${1:-3}
TENANT_MTU=1500 TENANT_TSO=default # veth defaults: large frames
VXLAN_MTU=1450
VXLAN6_MTU=1430
GUE_MTU=1446
UL1_IP6=2001:db8:1::1 UL2_IP6=2001:db8:1::2
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/stb-bench.XXXXXX)
IPERF_PID=''
declare -A GBPS CPU RETR PPS

cleanup() {
	local pid
	for pid in $IPERF_PID "${STTD_PIDS[@]}"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

set_tenant_mtu() {
	ip -n "$NS_T1" link set eth0 mtu "$1" && ip -n "$NS_H1" link set vp1 mtu "$1" &&
		ip -n "$NS_T2" link set eth0 mtu "$1" && ip -n "$NS_H2" link set vp2 mtu "$1"
}

sttd_start() { stt_sttd_start "$TMP"; }

sttd_stop() {
	local pid
	for pid in "${STTD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	STTD_PIDS=()
}

# Path configuration ------------------------------------------------------------------------

path_stt() {
	# stt_topo_up configured STT; only sttd is left to start.
	sttd_start
	echo "# stt: sttctl attach/vport/fdb as in scripts/lib.sh; sttd: $([ ${#STTD_PIDS[@]} -gt 0 ] && echo running || echo 'not built')"
}

unpath_stt() {
	sttd_stop
	q stt_ctl "$NS_H1" vport del vp1
	q stt_ctl "$NS_H2" vport del vp2
	q stt_ctl "$NS_H2" vport del vp3
	q stt_ctl "$NS_H1" detach "$UL1"
	q stt_ctl "$NS_H2" detach "$UL2"
}

path_gue() {
	STT_QUIET=1 stt_topo_configure >"$TMP/gue.log" 2>&1 &&
		stt_run_ctl "$NS_H1" remote set "$UL2_IP" --encap gue >/dev/null &&
		stt_run_ctl "$NS_H2" remote set "$UL1_IP" --encap gue >/dev/null &&
		set_tenant_mtu "$GUE_MTU" || return 1
	echo "# gue: sttctl as for stt, every remote --encap gue (UDP 6080); tenants MTU $GUE_MTU"
}

unpath_gue() {
	set_tenant_mtu "$TENANT_MTU"
	unpath_stt
}

# IPv6 on the underlay veths (the hosts run with IPv6 off, scripts/lib.sh), no DAD.
underlay_ipv6() {
	local n
	for n in 1 2; do
		q nsx "${STT_NS_PREFIX}h$n" sysctl -qw "net.ipv6.conf.ul$n.disable_ipv6=0" || return 1
		ip -n "${STT_NS_PREFIX}h$n" addr replace "2001:db8:1::$n/64" dev "ul$n" nodad || return 1
	done
}

path_stt6() {
	stt_run_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP6" &&
		stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP6" &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" &&
		stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL2_IP6" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL1_IP6" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP6" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac "$T1_MAC" --remote "$UL1_IP6" || return 1
	q ip -n "$NS_T1" neigh flush dev eth0
	q ip -n "$NS_T2" neigh flush dev eth0
	sttd_start
	echo "# stt6: attach --local IPv6, every remote IPv6; sttd: $([ ${#STTD_PIDS[@]} -gt 0 ] && echo running || echo 'not built')"
}

path_vxlan() {
	local h ns ul lip rip vp
	for h in 1 2; do
		if [ "$h" = 1 ]; then
			ns=$NS_H1 ul=$UL1 lip=${1:-$UL1_IP} rip=${2:-$UL2_IP} vp=vp1
		else
			ns=$NS_H2 ul=$UL2 lip=${2:-$UL2_IP} rip=${1:-$UL1_IP} vp=vp2
		fi
		ip -n "$ns" link add vx0 type vxlan id 100 local "$lip" remote "$rip" dstport 4789 dev "$ul" || return 1
		ip -n "$ns" link add br0 type bridge || return 1
		ip -n "$ns" link set vx0 master br0 || return 1
		ip -n "$ns" link set "$vp" master br0 || return 1
		ip -n "$ns" link set vx0 up && ip -n "$ns" link set br0 up || return 1
	done
	set_tenant_mtu "${3:-$VXLAN_MTU}" || return 1
	echo "# vxlan: vx0 (VNI 100, port 4789, MTU $(ip -n "$NS_H1" -j link show vx0 | jq '.[0].mtu'), $lip <-> $rip) + br0 with the vport in each host; tenants MTU ${3:-$VXLAN_MTU}"
}

unpath_vxlan() {
	local ns
	for ns in "$NS_H1" "$NS_H2"; do
		ip -n "$ns" link del vx0 2>/dev/null
		ip -n "$ns" link del br0 2>/dev/null
	done
	set_tenant_mtu "$TENANT_MTU"
}

path_none() {
	local ns ul vp
	for ns in "$NS_H1" "$NS_H2"; do
		if [ "$ns" = "$NS_H1" ]; then ul=$UL1 vp=vp1; else ul=$UL2 vp=vp2; fi
		ip -n "$ns" addr flush dev "$ul" || return 1
		ip -n "$ns" link add br0 type bridge || return 1
		ip -n "$ns" link set "$ul" master br0 || return 1
		ip -n "$ns" link set "$vp" master br0 || return 1
		ip -n "$ns" link set br0 up || return 1
	done
	echo "# none: br0 with the vport and the underlay veth in each host; tenants MTU $TENANT_MTU"
}

# Measurement ---------------------------------------------------------------------------------

# run_small PATH: small packets, iperf3 UDP with 64-byte payloads as fast as it sends, for
# SECS: packets a second received by t2 (offload mode; a per-packet cost, not goodput).
run_small() {
	local path=$1 pps
	timeout $((SECS + 20)) ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >/dev/null 2>&1 &
	IPERF_PID=$!
	stt_wait_listen "$NS_T2" 5201
	timeout $((SECS + 15)) ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -u -b 0 -l 64 \
		-t "$SECS" -J --connect-timeout 3000 >"$TMP/iperf.json" 2>/dev/null
	timeout 5 tail --pid="$IPERF_PID" -f /dev/null 2>/dev/null || kill "$IPERF_PID" 2>/dev/null
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	pps=$(jq -r --arg s "$SECS" '((.end.sum.packets // 0) - (.end.sum.lost_packets // 0)) / ($s | tonumber) | floor' \
		"$TMP/iperf.json" 2>/dev/null || echo 0)
	[[ $pps =~ ^[0-9]+$ ]] || pps=0
	PPS[$path]=$pps
	printf '# %-6s 64-byte UDP: %s packets/s received\n' "$path" "$pps"
}

measure_path() {
	local path=$1 mode p
	for mode in offload wire; do
		set_mode "$mode"
		echo "# $path $mode: ul1 $(ul_features "$NS_H1" "$UL1")| ul2 $(ul_features "$NS_H2" "$UL2")"
		q timeout 10 ip netns exec "$NS_T1" ping -c 2 -W 1 "$T2_IP"
		for p in 1 4; do
			run "$path" "$mode" "$p"
		done
		[ "$mode" = offload ] && run_small "$path"
	done
}

# Main ----------------------------------------------------------------------------------------

if ! why=$(stt_prereqs); then
	echo "bench.sh: $why" >&2
	exit 1
fi
echo "# bench.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, iperf3 -t $SECS, prefix $STT_NS_PREFIX"
echo "# git: $(git -C "$STT_REPO" describe --always --dirty 2>/dev/null || echo unknown)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! STT_QUIET=1 stt_topo_up >"$TMP/setup.log" 2>&1; then
	cat "$TMP/setup.log" >&2
	echo "bench.sh: topology setup failed" >&2
	exit 1
fi

path_stt
measure_path stt
unpath_stt
if underlay_ipv6 && path_stt6 >"$TMP/stt6.log" 2>&1; then
	cat "$TMP/stt6.log"
	measure_path stt6
else
	cat "$TMP/stt6.log"
	echo "# stt6: setup failed"
fi
unpath_stt
if path_vxlan; then
	measure_path vxlan
else
	echo "# vxlan: setup failed"
fi
unpath_vxlan
if path_vxlan "$UL1_IP6" "$UL2_IP6" "$VXLAN6_MTU"; then
	measure_path vxlan6
else
	echo "# vxlan6: setup failed"
fi
unpath_vxlan
if path_gue; then
	measure_path gue
else
	cat "$TMP/gue.log"
	echo "# gue: setup failed"
fi
unpath_gue
if path_none; then
	measure_path none
else
	echo "# none: setup failed"
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "Goodput in Gbit/s (iperf3 t1 -> t2, ${SECS} s) and whole-machine CPU seconds per GB of goodput:"
echo
echo "| underlay | streams | STT | VXLAN | no tunnel | STT/VXLAN | STT/no tunnel | CPU s/GB STT | CPU s/GB VXLAN | CPU s/GB no tunnel | retransmits STT / VXLAN / none |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for mode in offload wire; do
	for p in 1 4; do
		s=${GBPS[stt/$mode/$p]:--} v=${GBPS[vxlan/$mode/$p]:--} n=${GBPS[none/$mode/$p]:--}
		echo "| $mode | $p | $s | $v | $n | $(ratio "$s" "$v") | $(ratio "$s" "$n") |" \
			"${CPU[stt/$mode/$p]:--} | ${CPU[vxlan/$mode/$p]:--} | ${CPU[none/$mode/$p]:--} |" \
			"${RETR[stt/$mode/$p]:--} / ${RETR[vxlan/$mode/$p]:--} / ${RETR[none/$mode/$p]:--} |"
	done
done
echo
echo "Over an IPv6 underlay (the same veths; no-tunnel as above):"
echo
echo "| underlay | streams | STT6 | VXLAN6 | STT6/VXLAN6 | STT6/no tunnel | STT6/STT (IPv4) | CPU s/GB STT6 | CPU s/GB VXLAN6 | retransmits STT6 / VXLAN6 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for mode in offload wire; do
	for p in 1 4; do
		s=${GBPS[stt6/$mode/$p]:--} v=${GBPS[vxlan6/$mode/$p]:--} n=${GBPS[none/$mode/$p]:--} s4=${GBPS[stt/$mode/$p]:--}
		echo "| $mode | $p | $s | $v | $(ratio "$s" "$v") | $(ratio "$s" "$n") | $(ratio "$s" "$s4") |" \
			"${CPU[stt6/$mode/$p]:--} | ${CPU[vxlan6/$mode/$p]:--} | ${RETR[stt6/$mode/$p]:--} / ${RETR[vxlan6/$mode/$p]:--} |"
	done
done
echo
echo "GUE, this project's second encapsulation, over the same IPv4 underlay (tenants MTU $GUE_MTU):"
echo
echo "| underlay | streams | GUE | GUE/VXLAN | GUE/STT | GUE/no tunnel | CPU s/GB GUE | retransmits GUE |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for mode in offload wire; do
	for p in 1 4; do
		g=${GBPS[gue/$mode/$p]:--}
		echo "| $mode | $p | $g | $(ratio "$g" "${GBPS[vxlan/$mode/$p]:--}") | $(ratio "$g" "${GBPS[stt/$mode/$p]:--}") |" \
			"$(ratio "$g" "${GBPS[none/$mode/$p]:--}") | ${CPU[gue/$mode/$p]:--} | ${RETR[gue/$mode/$p]:--} |"
	done
done
echo
echo "GUE small packets (as below): ${PPS[gue]:--} packets/s, GUE/VXLAN $(ratio "${PPS[gue]:--}" "${PPS[vxlan]:--}")"
echo
echo "Small packets: iperf3 UDP, 64-byte payloads, as fast as one sender goes (offload mode), packets a second received:"
echo
echo "| STT | VXLAN | no tunnel | STT6 | VXLAN6 | STT/VXLAN | STT6/VXLAN6 |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| ${PPS[stt]:--} | ${PPS[vxlan]:--} | ${PPS[none]:--} | ${PPS[stt6]:--} | ${PPS[vxlan6]:--} |" \
	"$(ratio "${PPS[stt]:--}" "${PPS[vxlan]:--}") | $(ratio "${PPS[stt6]:--}" "${PPS[vxlan6]:--}") |"
