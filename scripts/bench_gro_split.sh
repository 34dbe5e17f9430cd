#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Why does GRO split STT frames on the receiving veth underlay? (issue 14, docs/DESIGN.md
# "Why GRO splits frames".) One topology (scripts/lib.sh, prefix "stgs-", underlay veths
# named ulgs1/ulgs2 so that the tracepoint filter below sees no other test's devices), STT
# between the hosts, sttd on both, tenants with veth defaults (TSO/GSO on, MTU 1500), the
# underlay in wire mode (tx checksum, TSO and GSO off: the sender segments in software, the
# receiver merges with GRO), 1-stream iperf3 t1 -> t2.
#
# Per run it counts:
#   large   multi-segment STT frames h1 sent: tx_gso_frames (a tenant TSO burst, one GSO
#           skb) + tx_cut_frames (a lone full-size tenant segment, 1514 bytes, cut in two)
#   whole   frames that reached h2's TC whole, merged by GRO (rx_gro_frames)
#   split   large - whole, as % of large (a frame that lost a segment counts here too:
#           the ring drops below say whether any did)
#   pieces  what reached TC of frames GRO left incomplete (rx_pieces_direct + rx_to_sttd)
#   segs/frame  STT segments h2 received (rx_segments) per large frame
#   polls   NAPI polls of the receiving underlay veth (ulgs2) that did work, from the
#           napi:napi_poll tracepoint (a tracefs instance of our own, filtered on the device);
#           full = polls that used their whole budget (work == budget, 64 on a veth), after
#           which __napi_poll flushes every packet GRO holds when HZ < 1000
#   drops   packets the sender's veth dropped (ulgs1 tx_dropped: the peer's 256-entry ring full)
#
# Variants (each run starts from the default, then changes one thing):
#   default      what sttctl attach sets (GRO on at the receiver)
#   segsN        tenant t1: ip link set dev eth0 gso_max_segs N (N = 32 31 16 15): TSO bursts
#                of at most N inner segments; STT adds 84 bytes of headers (STT 18, inner
#                Ethernet 14, IPv4 20, TCP 32) in front, so a full burst of N inner segments
#                of 1448 bytes is N + 1 STT segments of 1448
#   flush        h2: gro_flush_timeout 50000 ns on ulgs2 (GRO keeps what it holds when a poll
#                empties the ring, for up to 50 us, instead of flushing it)
#   flush-defer  h2: the same and napi_defer_hard_irqs 2
#   qdisc        h1: a pfifo qdisc on ulgs1 (veth then stops its queue instead of dropping
#                when the peer's ring is full)
#   threaded     h2: threaded NAPI on ulgs2 (/sys/class/net/ulgs2/threaded 1)
#   xdp          h2: sttctl attach ulgs2 --xdp on (native XDP on the veth: the program runs
#                on every segment inside the NAPI poll, as before `--xdp auto` left it off)
#   segs31-flush segs31 and flush together
#   p4           the default with 4 iperf3 streams (not the 1-stream goal; for the docs' limits)
# Every variant runs once per round, rounds interleave the variants; the table gives the
# median and the min-max over the rounds. With STGS_CAPTURE=1 (default) a last run per
# variant in STGS_CAPTURE_VARIANTS captures what GRO handed to TC (tcpdump on ulgs2, inbound,
# 96 bytes a packet) and prints, from the STT SEQ field (frame length << 16 | offset), how
# many segments each frame had and after how many segments GRO cut the frames it split.
# The capture costs CPU and changes timing: its split rate is not the table's.
#
# Usage: scripts/bench_gro_split.sh [ROUNDS] [SECONDS]   (default 3 rounds of 3 s; run under
#        `flock /tmp/stt-bench.lock`, as `make bench-gro` does). STGS_VARIANTS overrides the
#        list of variants; STTCTL and STTD (scripts/lib.sh) measure another build.
# Results and what they say: docs/BENCH.md "GRO splits", docs/DESIGN.md "Why GRO splits frames".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STGS_NS_PREFIX:-stgs-}
# shellcheck source=lib.sh
source "$HERE/lib.sh"
UL1=ulgs1 UL2=ulgs2 # lib.sh's names, made unique: the tracepoint filter is by device name

ROUNDS=${1:-3} SECS=${2:-3}
TENANT_MTU=1500 TENANT_TSO=default # veth defaults: TSO bursts of up to 64 KB
VARIANTS=${STGS_VARIANTS:-"default segs32 segs31 segs16 segs15 flush flush-defer qdisc threaded xdp segs31-flush p4"}
CAPTURE=${STGS_CAPTURE:-1}
CAPTURE_VARIANTS=${STGS_CAPTURE_VARIANTS:-"default segs32 segs31 flush xdp"}
FLUSH_NS=50000
TMP=$(mktemp -d /tmp/stgs-bench.XXXXXX)
TRACEFS=/sys/kernel/tracing
TRI='' # our tracefs instance
declare -A RES # RES[variant/metric] = "value value ..." (one per round)

cleanup() {
	if [ -n "$TRI" ] && [ -d "$TRI" ]; then
		echo 0 >"$TRI/tracing_on" 2>/dev/null
		echo 0 >"$TRI/events/napi/napi_poll/enable" 2>/dev/null
		rmdir "$TRI" 2>/dev/null
	fi
	local pid
	for pid in "${STTD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stt_topo_down # also ends what still runs in our namespaces (iperf3, tcpdump)
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

q() { "$@" >/dev/null 2>&1; }

# All counters of a host, as "name value" lines.
counters() { "$STTCTL" -n "$1" stats --json | jq -r '.counters | to_entries[] | "\(.key) \(.value)"'; }
# delta FILE0 FILE1 NAME
delta() { awk -v n="$3" 'FNR == NR { if ($1 == n) a = $2; next } $1 == n { b = $2 } END { print b - a }' "$1" "$2"; }
tx_dropped() { ip -n "$NS_H1" -s -j link show "$UL1" | jq '.[0].stats64.tx.dropped // 0'; }

sysfs_set() { # NS DEV FILE VALUE
	ip netns exec "$1" sh -c "echo $4 > /sys/class/net/$2/$3"
}

# The default: wire mode, GRO on at both ends, nothing else.
XDP_ON=0 STREAMS=1
baseline() {
	local ns ul
	STREAMS=1
	if [ "$XDP_ON" = 1 ]; then # back to attach's default (--xdp auto: none on a veth)
		stt_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" >/dev/null
		XDP_ON=0
	fi
	for ns in "$NS_H1" "$NS_H2"; do
		if [ "$ns" = "$NS_H1" ]; then ul=$UL1; else ul=$UL2; fi
		q nsx "$ns" ethtool -K "$ul" tso off gso off tx off
		q nsx "$ns" ethtool -K "$ul" gro on
		q sysfs_set "$ns" "$ul" gro_flush_timeout 0
		q sysfs_set "$ns" "$ul" napi_defer_hard_irqs 0
		q sysfs_set "$ns" "$ul" threaded 0
		q tc -n "$ns" qdisc del dev "$ul" root
	done
	ip -n "$NS_T1" link set dev eth0 gso_max_segs 65535
}

variant() {
	baseline
	case $1 in
	default) ;;
	p4) STREAMS=4 ;;
	segs[0-9] | segs[0-9][0-9]) ip -n "$NS_T1" link set dev eth0 gso_max_segs "${1#segs}" ;;
	flush) sysfs_set "$NS_H2" "$UL2" gro_flush_timeout "$FLUSH_NS" ;;
	flush-defer)
		sysfs_set "$NS_H2" "$UL2" gro_flush_timeout "$FLUSH_NS"
		sysfs_set "$NS_H2" "$UL2" napi_defer_hard_irqs 2
		;;
	qdisc) tc -n "$NS_H1" qdisc replace dev "$UL1" root pfifo limit 1000 ;;
	threaded) sysfs_set "$NS_H2" "$UL2" threaded 1 ;;
	xdp) XDP_ON=1 && stt_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --xdp on >/dev/null ;;
	segs31-flush)
		ip -n "$NS_T1" link set dev eth0 gso_max_segs 31
		sysfs_set "$NS_H2" "$UL2" gro_flush_timeout "$FLUSH_NS"
		;;
	*)
		echo "bench_gro_split.sh: unknown variant $1" >&2
		return 1
		;;
	esac
}

trace_setup() {
	mountpoint -q "$TRACEFS" || mount -t tracefs nodev "$TRACEFS" || return 1
	[ -e "$TRACEFS/events/napi/napi_poll" ] || return 1
	TRI=$TRACEFS/instances/stgs-$$
	mkdir "$TRI" || { TRI=''; return 1; }
	echo 0 >"$TRI/tracing_on"
	echo 8192 >"$TRI/buffer_size_kb" # per CPU
	echo "dev_name == \"$UL2\" && work > 0" >"$TRI/events/napi/napi_poll/filter" || return 1
	echo 1 >"$TRI/events/napi/napi_poll/enable"
}

trace_start() {
	[ -n "$TRI" ] || return 0
	echo >"$TRI/trace"
	echo 1 >"$TRI/tracing_on"
}

# Prints "polls full packets overrun" for what the instance saw since trace_start.
trace_stop() {
	[ -n "$TRI" ] || { echo "- - - -"; return 0; }
	echo 0 >"$TRI/tracing_on"
	local over
	over=$(cat "$TRI"/per_cpu/cpu*/stats 2>/dev/null | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	awk -v over="$over" '/napi poll on napi struct/ {
			for (i = 1; i < NF; i++) { if ($i == "work") w = $(i + 1); if ($i == "budget") b = $(i + 1) }
			polls++; pk += w; if (w == b) full++ }
		END { printf "%d %d %d %d\n", polls, full, pk, over }' "$TRI/trace"
}

iperf() { # prints "gbps retransmits"
	timeout $((SECS + 20)) ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >/dev/null 2>&1 &
	local srv=$!
	stt_wait_listen "$NS_T2" 5201
	timeout $((SECS + 15)) ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -t "$SECS" -P "$STREAMS" -J \
		--connect-timeout 3000 >"$TMP/iperf.json" 2>/dev/null
	timeout 5 tail --pid="$srv" -f /dev/null 2>/dev/null || kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	jq -r '"\((.end.sum_received.bits_per_second // 0) / 1e9 * 100 | round / 100) \(.end.sum_sent.retransmits // "-")"' \
		"$TMP/iperf.json" 2>/dev/null || echo "0 -"
}

keep() { RES[$1/$2]+="$3 "; }

measure() { # VARIANT
	local v=$1 d0 d1 gbps retr large whole split pieces segs polls full pk over fullpct spf
	variant "$v" || return 1
	q timeout 5 ip netns exec "$NS_T1" ping -c 1 -W 1 "$T2_IP"
	sleep 0.2
	counters "$NS_H1" >"$TMP/h1.0"
	counters "$NS_H2" >"$TMP/h2.0"
	d0=$(tx_dropped)
	trace_start
	read -r gbps retr < <(iperf)
	sleep 0.3 # the last frames reach TC
	read -r polls full pk over < <(trace_stop)
	counters "$NS_H1" >"$TMP/h1.1"
	counters "$NS_H2" >"$TMP/h2.1"
	d1=$(tx_dropped)
	large=$(($(delta "$TMP/h1.0" "$TMP/h1.1" tx_gso_frames) + $(delta "$TMP/h1.0" "$TMP/h1.1" tx_cut_frames)))
	whole=$(delta "$TMP/h2.0" "$TMP/h2.1" rx_gro_frames)
	pieces=$(($(delta "$TMP/h2.0" "$TMP/h2.1" rx_pieces_direct) + $(delta "$TMP/h2.0" "$TMP/h2.1" rx_to_sttd)))
	segs=$(delta "$TMP/h2.0" "$TMP/h2.1" rx_segments)
	split=$(awk -v l="$large" -v w="$whole" 'BEGIN { if (l > 0) printf "%.2f", (l - w) * 100 / l; else print "-" }')
	spf=$(awk -v l="$large" -v s="$segs" 'BEGIN { if (l > 0) printf "%.1f", s / l; else print "-" }')
	fullpct=$(awk -v p="$polls" -v f="$full" 'BEGIN { if (p > 0) printf "%.1f", f * 100 / p; else print "-" }')
	keep "$v" gbps "$gbps"
	keep "$v" retr "$retr"
	keep "$v" spf "$spf"
	keep "$v" split "$split"
	keep "$v" nsplit "$((large - whole))"
	keep "$v" full "$full"
	keep "$v" drops "$((d1 - d0))"
	printf '# %-12s %6s Gbit/s %6s retr | large %6d whole %6d split %6s%% pieces %6d segs/frame %5s | polls %6s full %6s (%s%%) pkts %7s overrun %s | drops %d\n' \
		"$v" "$gbps" "$retr" "$large" "$whole" "$split" "$pieces" "$spf" "$polls" "$full" "$fullpct" "$pk" "$over" "$((d1 - d0))"
}

# capture VARIANT: what GRO handed to TC, from STT's SEQ (frame length << 16 | offset).
capture() {
	local v=$1 f=$TMP/cap-$1.pcap
	variant "$v" || return 1
	q timeout 5 ip netns exec "$NS_T1" ping -c 1 -W 1 "$T2_IP"
	stt_capture_start "$NS_H2" "$UL2" "$f" -Q in -s 96 "tcp dst port $STT_PORT" || return 1
	local cap=$STT_CAP_PID
	q iperf
	stt_capture_stop "$cap"
	# One line per skb: seq_raw tcp_len. Frame segments: ceil(frame_len / 1448) (the tenant's
	# MSS is the STT segment size); a piece at offset 0 shorter than its frame: a split, cut
	# after len / 1448 segments.
	tshark -r "$f" -T fields -e tcp.seq_raw -e tcp.len 2>/dev/null | awk '
		NF == 2 {
			fl = int($1 / 65536); off = $1 % 65536; len = $2
			if (fl <= 1448) next # single-segment frames
			segs = int((fl + 1447) / 1448)
			if (off == 0) { print "F", segs; if (len < fl) print "C", segs "/" int(len / 1448) }
		}' >"$TMP/cap-$v.txt"
	awk -v v="$v" '$1 == "F" { f++ } $1 == "C" { c++ }
		END { printf "# capture %-12s %d large frames at TC, %d of them split (%.1f%%)\n", v, f, c, f ? c * 100 / f : 0 }' \
		"$TMP/cap-$v.txt"
	echo "#   segments a frame (count x segments): $(awk '$1 == "F" { print $2 }' "$TMP/cap-$v.txt" |
		sort -n | uniq -c | sort -rn | head -n 8 | awk '{ printf "%s%dx%s", sep, $1, $2; sep = ", " }')"
	echo "#   split frames (count x frame segments/segments before the cut): $(awk '$1 == "C" { print $2 }' "$TMP/cap-$v.txt" |
		sort | uniq -c | sort -rn | head -n 12 | awk '{ printf "%s%dx%s", sep, $1, $2; sep = ", " }')"
}

median_range() { # values...: "median (min - max)" (numeric; "-" when none)
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		print m " (" a[1] " - " a[NR] ")" }'
}

if ! why=$(stt_prereqs); then
	echo "bench_gro_split.sh: $why" >&2
	exit 1
fi
echo "# bench_gro_split.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, HZ $(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p'), $ROUNDS rounds of $SECS s"
echo "# git: $(git -C "$STT_REPO" describe --always --dirty 2>/dev/null || echo unknown); sttctl $STTCTL, sttd $STTD"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! STT_QUIET=1 stt_topo_up >"$TMP/setup.log" 2>&1; then
	cat "$TMP/setup.log" >&2
	echo "bench_gro_split.sh: setup failed" >&2
	exit 1
fi
stt_sttd_start "$TMP"
echo "# sttd: $STTD_STATE"
if [ "${STGS_TRACE:-1}" = 1 ] && trace_setup; then
	echo "# napi:napi_poll traced in $TRI, filter: $(head -n 1 "$TRI/events/napi/napi_poll/filter")"
else
	echo "# napi:napi_poll not available (tracefs): polls not counted"
	[ -z "$TRI" ] || rmdir "$TRI" 2>/dev/null
	TRI=''
fi
for ((r = 1; r <= ROUNDS; r++)); do
	echo "# round $r"
	for v in $VARIANTS; do
		measure "$v"
	done
done
if [ "$CAPTURE" = 1 ]; then
	for v in $CAPTURE_VARIANTS; do
		capture "$v"
	done
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Wire mode, 1 stream unless said, $ROUNDS rounds of $SECS s: median (min - max). split frames = large - whole;"
echo "full polls = NAPI polls of $UL2 that used their whole budget (napi:napi_poll, work == budget)."
echo
echo "| variant | STT segments a frame | split % of large frames | split frames | full-budget polls | Gbit/s | retransmits | ring drops |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in $VARIANTS; do
	line="| $v"
	for m in spf split nsplit full gbps retr drops; do
		# shellcheck disable=SC2086 # one value per word
		line+=" | $(median_range ${RES[$v/$m]:-})"
	done
	echo "$line |"
done
