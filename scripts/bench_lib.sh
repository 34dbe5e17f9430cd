# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The measurements shared by scripts/bench.sh and scripts/bench_compare.sh: underlay mode,
# one iperf3 TCP run between the tenants of scripts/lib.sh's topology, and ratios. Source it
# after lib.sh, with SECS, HZ and TMP set and GBPS, CPU, RETR declared as associative arrays.
# run also leaves the bytes received in RUN_BYTES (retransmits per GB need them).
q() { "$@" >/dev/null 2>&1; }

# set_mode offload|wire. With UL_QDISC set (a qdisc and its parameters, "pfifo limit
# 1000"), it is the root qdisc of both underlay veths; else they keep veth's noqueue, and
# a full ring at the peer drops (veth stops its queue instead only when it has a qdisc).
set_mode() {
	local f=on
	[ "$1" = wire ] && f=off
	q nsx "$NS_H1" ethtool -K "$UL1" tso "$f" gso "$f" tx "$f"
	q nsx "$NS_H2" ethtool -K "$UL2" tso "$f" gso "$f" tx "$f"
	q nsx "$NS_H1" ethtool -K "$UL1" gro on
	q nsx "$NS_H2" ethtool -K "$UL2" gro on
	if [ -n "${UL_QDISC:-}" ]; then
		# shellcheck disable=SC2086 # the qdisc's words
		q tc -n "$NS_H1" qdisc replace dev "$UL1" root $UL_QDISC
		# shellcheck disable=SC2086
		q tc -n "$NS_H2" qdisc replace dev "$UL2" root $UL_QDISC
	fi
}

ul_features() {
	[ -z "${UL_QDISC:-}" ] || printf 'qdisc %s ' "$(tc -n "$1" qdisc show dev "$2" root | awk '{print $2; exit}')"
	nsx "$1" ethtool -k "$2" | awk -F': ' '/^(tcp-segmentation-offload|generic-segmentation-offload|tx-checksumming|generic-receive-offload):/ {
		sub(/-offload$/, "", $1); sub(/^tcp-segmentation$/, "tso", $1); sub(/^generic-segmentation$/, "gso", $1);
		sub(/^generic-receive$/, "gro", $1); sub(/^tx-checksumming$/, "tx", $1); printf "%s %s ", $1, $2}'
}

busy_jiffies() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

# Packets the kernel dropped for a full backlog queue (netif_rx, and so bpf_redirect to a
# veth without NAPI), over all CPUs: the second column of /proc/net/softnet_stat. The
# machine is shared: other namespaces' traffic counts too.
backlog_drops() {
	local _ d s=0
	while read -r _ d _; do s=$((s + 16#$d)); done </proc/net/softnet_stat
	echo "$s"
}

# run PATH MODE STREAMS
run() {
	local path=$1 mode=$2 p=$3 j0 j1 d0 d1 bytes gbps retr cpu key="$1/$2/$3"
	timeout $((SECS + 20)) ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >/dev/null 2>&1 &
	IPERF_PID=$!
	stt_wait_listen "$NS_T2" 5201
	j0=$(busy_jiffies) d0=$(backlog_drops)
	timeout $((SECS + 15)) ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -t "$SECS" -P "$p" -J \
		--connect-timeout 3000 >"$TMP/iperf.json" 2>/dev/null
	j1=$(busy_jiffies) d1=$(backlog_drops)
	timeout 5 tail --pid="$IPERF_PID" -f /dev/null 2>/dev/null || kill "$IPERF_PID" 2>/dev/null
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	bytes=$(jq -r '.end.sum_received.bytes // 0 | floor' "$TMP/iperf.json" 2>/dev/null || echo 0)
	gbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' "$TMP/iperf.json" 2>/dev/null || echo 0)
	retr=$(jq -r '.end.sum_sent.retransmits // "?"' "$TMP/iperf.json" 2>/dev/null || echo '?')
	[[ $bytes =~ ^[0-9]+$ ]] || bytes=0
	if [ "$bytes" -gt 0 ]; then
		cpu=$(awk -v j=$((j1 - j0)) -v hz="$HZ" -v b="$bytes" 'BEGIN {printf "%.2f", j / hz / (b / 1e9)}')
	else
		cpu=-
	fi
	GBPS[$key]=$(printf '%.2f' "$gbps") CPU[$key]=$cpu RETR[$key]=$retr RUN_BYTES=$bytes
	printf '# %-5s %-7s -P %s: %6s Gbit/s, %11s bytes, %6s retransmits, %5.2f CPU s busy, %s CPU s/GB, %s backlog drops\n' \
		"$path" "$mode" "$p" "${GBPS[$key]}" "$bytes" "$retr" "$(awk -v j=$((j1 - j0)) -v hz="$HZ" 'BEGIN {print j / hz}')" "$cpu" "$((d1 - d0))"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0 && a != "-") printf "%.2f", a / b; else print "-"}'
}
