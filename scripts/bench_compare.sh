#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Two builds side by side, for a change that must not cost speed: in each of ROUNDS rounds
# (the order of the two trees alternates from round to round), for each tree,
#   - build/stt_unit --bench: ns per packet (fresh runs) of encap (stt_tc_tx), XDP decap
#     and TC decap of a 1442-byte inner frame, and of an empty TC program;
#   - iperf3 t1 -> t2 for SECS seconds, one stream, in offload and wire mode, over
#     scripts/lib.sh's topology (prefix "stbc-", veth defaults for the tenants, MTU 1500)
#     configured by that tree's sttctl, with its sttd running.
# Prints every measurement, then per metric the median over rounds of each tree and the
# median NEW/OLD ratio of the rounds with its spread (min..max). The machine is shared:
# compare only within one invocation.
#
#   scripts/bench_compare.sh OLD_TREE NEW_TREE [ROUNDS (5)] [SECS (3)]   (as root)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 2 ] || { sed -n 3,14p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OLD=$(cd "$1" && pwd) NEW=$(cd "$2" && pwd) || exit 2
ROUNDS=${3:-5} SECS=${4:-3}
STT_NS_PREFIX=stbc- TENANT_MTU=1500 TENANT_TSO=default
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/stbc.XXXXXX)
IPERF_PID=''
declare -A GBPS CPU RETR
declare -A VALUES # "TREE METRIC" -> space-separated values, one per round

cleanup() {
	[ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

add() { VALUES["$1 $2"]+="$3 "; }

# unit_bench TREE: per-packet costs from the tree's own unit binary.
unit_bench() {
	local t=$1 out
	out=$("${!t}/build/stt_unit" --bench 2>/dev/null) || { echo "# $t: stt_unit --bench failed"; return; }
	add "$t" encap_ns "$(awk '$1 == "encap" && $3 == 1442 {print $5}' <<<"$out")"
	add "$t" xdp_decap_ns "$(awk '$2 == "stt_xdp_rx" && $3 == 1442 {print $5}' <<<"$out")"
	add "$t" tc_decap_ns "$(awk '$2 == "stt_tc_rx" && $3 == 1442 {print $5}' <<<"$out")"
	add "$t" null_tc_ns "$(awk '$1 == "null" && $2 == "tc" && $4 == 1442 {print $6}' <<<"$out")"
}

# goodput TREE: the topology built by the tree's sttctl (and sttd), one stream per mode.
goodput() {
	local t=$1 mode
	STTCTL=${!t}/build/sttctl STTD=${!t}/build/sttd
	STT_QUIET=1 stt_topo_up >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log"; return 1; }
	stt_sttd_start "$TMP"
	for mode in offload wire; do
		set_mode "$mode"
		q timeout 10 ip netns exec "$NS_T1" ping -c 2 -W 1 "$T2_IP"
		run "$t" "$mode" 1
		add "$t" "gbps_$mode" "${GBPS[$t/$mode/1]}"
	done
	stt_topo_down
	STTD_PIDS=()
}

# median: of the numbers on stdin, one per line
median() { sort -g | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

if ! why=$(stt_prereqs); then
	echo "bench_compare.sh: $why" >&2
	exit 1
fi
echo "# bench_compare.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs," \
	"$ROUNDS rounds, iperf3 -t $SECS"
echo "# OLD $OLD ($(git -C "$OLD" describe --always --dirty 2>/dev/null))"
echo "# NEW $NEW ($(git -C "$NEW" describe --always --dirty 2>/dev/null))"
for ((r = 1; r <= ROUNDS; r++)); do
	order="OLD NEW"
	((r % 2)) || order="NEW OLD"
	for t in $order; do
		echo "# round $r: $t"
		unit_bench "$t"
		goodput "$t" || echo "# $t: topology setup failed"
	done
done

printf '%-14s %12s %12s %10s %s\n' metric "OLD median" "NEW median" NEW/OLD "spread (min..max)"
for m in encap_ns xdp_decap_ns tc_decap_ns null_tc_ns gbps_offload gbps_wire; do
	read -r -a o <<<"${VALUES[OLD $m]:-}"
	read -r -a n <<<"${VALUES[NEW $m]:-}"
	ratios=()
	for ((i = 0; i < ${#o[@]} && i < ${#n[@]}; i++)); do
		ratios+=("$(ratio "${n[$i]}" "${o[$i]}")")
	done
	printf '%-14s %12s %12s %10s %s\n' "$m" \
		"$(printf '%s\n' "${o[@]}" | median)" "$(printf '%s\n' "${n[@]}" | median)" \
		"$(printf '%s\n' "${ratios[@]}" | grep -v '^-$' | median)" \
		"$(printf '%s\n' "${ratios[@]}" | grep -v '^-$' | sort -g | sed -n '1p;$p' | paste -sd' ' | sed 's/ /../')"
done
