#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Does GRO help GUE? (issue 13, docs/GUE.md section 0.1). One topology (scripts/lib.sh,
# prefix "stg-"), GUE between the hosts (sttctl remote set --encap gue), tenants MTU 1446
# with TSO, the underlay in wire mode (tx checksum, TSO and GSO off: segments on the wire).
# Variants, measured in interleaved rounds (iperf3 t1 -> t2, 1 stream):
#   ul-gro      underlay GRO on (what sttctl attach sets), tenant GRO off (veth default)
#   no-ul-gro   underlay GRO off, tenant GRO off
#   tenant-gro  underlay GRO on, GRO on the receiving tenant's veth
#   udp-fwd     underlay GRO on with rx-udp-gro-forwarding on (UDP GRO for datagrams no
#               socket claims): reported with the receiver's drops
# Prints per round, then the median and spread (min-max) of Gbit/s and the receiver's
# rx_gue_frames per MB (how many GUE datagrams, merged or not, stt decapsulated).
#
# Usage: scripts/bench_gue_gro.sh [ROUNDS] [SECONDS]   (default 3 rounds of 3 s)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STG_NS_PREFIX:-stg-}
# shellcheck source=lib.sh
source "$HERE/lib.sh"

ROUNDS=${1:-3} SECS=${2:-3}
TENANT_MTU=1446 TENANT_TSO=on
VARIANTS="ul-gro no-ul-gro tenant-gro udp-fwd"
TMP=$(mktemp -d /tmp/stg-bench.XXXXXX)
declare -A RES

cleanup() {
	ip netns pids "$NS_T2" 2>/dev/null | xargs -r kill 2>/dev/null
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctr() { "$STTCTL" -n "$1" stats --json | jq -r --arg n "$2" '.counters[$n] // 0'; }
drops() { "$STTCTL" -n "$1" stats --json | jq '[.drops[]] | add // 0'; }

variant() {
	local gro=on tgro=off fwd=off ns ul
	case $1 in
	no-ul-gro) gro=off ;;
	tenant-gro) tgro=on ;;
	udp-fwd) fwd=on ;;
	esac
	for ns in "$NS_H1" "$NS_H2"; do
		if [ "$ns" = "$NS_H1" ]; then ul=$UL1; else ul=$UL2; fi
		nsx "$ns" ethtool -K "$ul" tx off tso off gso off gro "$gro" >/dev/null 2>&1
		nsx "$ns" ethtool -K "$ul" rx-udp-gro-forwarding "$fwd" >/dev/null 2>&1
	done
	nsx "$NS_T2" ethtool -K eth0 gro "$tgro" >/dev/null 2>&1
}

measure() { # VARIANT
	local f0 d0 bytes f1 d1 gbps
	variant "$1"
	f0=$(ctr "$NS_H2" rx_gue_frames) d0=$(drops "$NS_H2")
	timeout $((SECS + 20)) ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	stt_wait_listen "$NS_T2" 5201
	bytes=$(timeout $((SECS + 15)) ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -t "$SECS" -J \
		--connect-timeout 3000 2>/dev/null | jq -r '.end.sum_received.bytes // 0')
	wait
	f1=$(ctr "$NS_H2" rx_gue_frames) d1=$(drops "$NS_H2")
	[[ $bytes =~ ^[0-9]+$ ]] || bytes=0
	gbps=$(awk -v b="$bytes" -v s="$SECS" 'BEGIN { printf "%.2f", b * 8 / s / 1e9 }')
	RES[$1]+="$gbps "
	printf '# %-10s %6s Gbit/s, %7d GUE frames decapsulated (%s per MB), receiver drops +%d\n' \
		"$1" "$gbps" "$((f1 - f0))" \
		"$(awk -v f=$((f1 - f0)) -v b="$bytes" 'BEGIN { if (b > 0) printf "%.1f", f / (b / 1e6); else print "-" }')" \
		"$((d1 - d0))"
}

if ! why=$(stt_prereqs); then
	echo "bench_gue_gro.sh: $why" >&2
	exit 1
fi
echo "# bench_gue_gro.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, $ROUNDS rounds of $SECS s"
echo "# git: $(git -C "$STT_REPO" describe --always --dirty 2>/dev/null || echo unknown)"
if ! STT_QUIET=1 stt_topo_up >"$TMP/setup.log" 2>&1 ||
	! "$STTCTL" -n "$NS_H1" remote set "$UL2_IP" --encap gue ||
	! "$STTCTL" -n "$NS_H2" remote set "$UL1_IP" --encap gue; then
	cat "$TMP/setup.log" >&2
	echo "bench_gue_gro.sh: setup failed" >&2
	exit 1
fi
ip netns exec "$NS_T1" ping -c 2 -W 1 "$T2_IP" >/dev/null 2>&1
for ((r = 1; r <= ROUNDS; r++)); do
	echo "# round $r"
	for v in $VARIANTS; do
		measure "$v"
	done
done
echo
echo "| variant | Gbit/s median | min - max |"
echo "| --- | ---: | ---: |"
for v in $VARIANTS; do
	# shellcheck disable=SC2086
	echo "| $v | $(printf '%s\n' ${RES[$v]} | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] " | " a[1] " - " a[NR] }') |"
done
