#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Benchmark: tenant-to-tenant TCP goodput (iperf3 t1 -> t2, 1 and 4 streams) and small-packet
# rate over one topology (scripts/lib.sh's hosts and tenants, namespace prefix "stb-"), for
# every path below and two underlay modes, in ROUNDS rounds:
#
#   stt     this project: sttctl attach/vport/fdb (sttd too, when built); tenants MTU 1500
#   vxlan   kernel VXLAN: in each host a vxlan device (VNI 100, UDP 4789, on the underlay
#           veth) and a bridge with the vport; tenants MTU 1450 (1500 - 50 bytes of VXLAN
#           over IPv4), because the underlay stays at MTU 1500 for every path
#   none    no tunnel: in each host a bridge with the vport and the underlay veth itself;
#           tenants MTU 1500
#   gue     this project's GUE (sttctl remote set --encap gue on both hosts, docs/GUE.md);
#           tenants MTU 1446 (1500 - 54: GUE cannot cut a frame larger than the path)
#   stt6    stt over an IPv6 underlay (2001:db8:1::1 and ::2 on the same veths, every
#           remote IPv6); tenants MTU 1500
#   vxlan6  kernel VXLAN over IPv6 (the same addresses); tenants MTU 1430 (1500 - 70)
#   sttxdp  stt with native XDP on the underlay (attach --xdp on, vport add --xdp), so that
#           XDP decapsulates and delivers: tenants MTU 1428 (a frame in one STT segment),
#           tx checksum, TSO and GSO off (no partial checksums, which XDP leaves to TC),
#           GRO on (XDP redirects into a veth need NAPI at its peer). Not a goodput rival:
#           it is there for the XDP program's cost under traffic
#
#   offload  underlay veths at their defaults (tso/gso/tx checksum on), GRO on
#   wire     underlay veths with tso, gso and tx checksum off (the kernel segments and
#            checksums in software what goes on the "wire"), GRO on
#
# A round sets every path up in turn, measures it (offload: 1 and 4 streams, then the
# small-packet cell; wire: 1 and 4 streams) and tears it down. The order of the paths is
# rotated from round to round, so that none always runs first or last while the shared
# machine's load drifts. Ratios (STT/VXLAN, ...) are taken within each round, and the tables
# give the median over rounds with the spread (min-max).
#
# GRO is on at both underlay ends for every path (sttctl attach turns it on for STT; the
# other paths get it too, so that all receive the same way). Tenants keep veth defaults
# (TSO/GSO on, GRO off) apart from the MTU (and sttxdp's). Native XDP on a veth makes the
# kernel turn TSO off on its peer (sttxdp's underlay shows "tso off" in offload mode).
#
# CPU: busy jiffies of the whole machine (/proc/stat: user nice system irq softirq steal)
# during each run, as CPU seconds per GB of goodput; retransmits (iperf3's sender) per GB.
# The machine is shared: anything else running counts too.
#
# Small packets: iperf3 UDP with 64-byte payloads as fast as one sender goes (offload mode),
# packets a second received.
#
# Program cost under traffic: while this project's paths run, kernel.bpf_stats_enabled is 1
# (the old value is restored after each path and on exit); per cell, the run_time_ns and
# run_cnt deltas of the receiver's (h2) stt_xdp_rx and stt_tc_rx and the sender's (h1)
# stt_tc_tx, found through sttctl's pins. The stats add two clock reads to every program
# run, which those paths' goodput includes.
#
# Usage: scripts/bench.sh [ROUNDS [SECONDS]]   (defaults 3 and 3; `make bench` runs it)
#        STB_PATHS="stt vxlan" scripts/bench.sh 1 1   (only these paths, to try it out)
#        STB_CELLS="small" STB_PERF=DIR scripts/bench.sh 1 10   (profile: see below)
# STB_UL_QDISC: a root qdisc with its parameters for both underlay veths ("pfifo limit
# 1000"), instead of veth's noqueue (bench_lib.sh, set_mode).
# STB_CELLS: only these cells ("offload/1 wire/4 small", ...); the tables keep their shape.
# STB_PERF=DIR: a profile, not a benchmark. Around each cell of this project's paths,
# `perf record -a -g` into DIR/ROUND-PATH-MODE-STREAMS.data, then per program the share of
# its samples by the function it called (a helper, a map's lookup, a subprogram) and by
# the leaf function. perf's sampling slows everything: do not read goodput from such a run.
# Hold /tmp/stt-bench.lock while it runs (flock; `make bench` does).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STB_NS_PREFIX:-stb-}
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

case "${1:-}" in -h | --help)
	sed -n '/^# Usage:/,/^# Hold/s/^# //p' "$0"
	exit 0
	;;
esac
ROUNDS=${1:-3} SECS=${2:-3}
if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ && $SECS =~ ^[1-9][0-9]*$ ]] || [ $# -gt 2 ]; then
	echo "usage: scripts/bench.sh [ROUNDS [SECONDS]]" >&2
	exit 2
fi
TENANT_MTU=1500 TENANT_TSO=default # veth defaults: large frames
VXLAN_MTU=1450
VXLAN6_MTU=1430
GUE_MTU=1446
STTXDP_MTU=1428
UL1_IP6=2001:db8:1::1 UL2_IP6=2001:db8:1::2
STT_QUIET=1 # path setup prints one line; sttctl's errors go to the setup log
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/stb-bench.XXXXXX)
IPERF_PID=''
declare -A GBPS CPU RETR PPS
# V[METRIC/ROUND/PATH/CELL]: every measurement; CELL is MODE/STREAMS or "small"
declare -A V
# STB_PATHS (a subset, in this order) is for trying the script out; tables keep their shape
read -r -a PATHS <<<"${STB_PATHS:-stt vxlan none gue stt6 vxlan6 sttxdp}"
OURS=" stt gue stt6 sttxdp " # the paths whose BPF programs are measured
CELLS=(offload/1 offload/4 wire/1 wire/4)
UL_QDISC=${STB_UL_QDISC:-}
WANT_CELLS=" ${STB_CELLS:-offload/1 offload/4 wire/1 wire/4 small} "
PERF_DIR=${STB_PERF:-}
if [ -n "$PERF_DIR" ] && ! { mkdir -p "$PERF_DIR" && command -v perf >/dev/null; }; then
	echo "bench.sh: STB_PERF needs perf and a directory it can write" >&2
	exit 2
fi
PERF_PID=''
BPF_STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo '')
BPF_IDS='' # "PROG_ID ROLE" lines of the path being measured

cleanup() {
	local pid
	for pid in $IPERF_PID $PERF_PID "${STTD_PIDS[@]}"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	bpf_stats_restore
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bpf_stats_on() { [ -z "$BPF_STATS_OLD" ] || sysctl -qw kernel.bpf_stats_enabled=1; }
bpf_stats_restore() { [ -z "$BPF_STATS_OLD" ] || sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_OLD"; }

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

sttd_state() { [ ${#STTD_PIDS[@]} -gt 0 ] && echo running || echo 'not built'; }

# The hosts resolve each other on the underlay before a tunnel sends: until then the datapath
# drops what it cannot send (tx_no_neigh), and IPv6 neighbour discovery takes about a second.
underlay_neigh() {
	q timeout 5 ip netns exec "$NS_H1" ping -c 1 -W 1 "$UL2_IP"
	q timeout 5 ip netns exec "$NS_H2" ping -c 1 -W 1 "$UL1_IP"
	q timeout 5 ip netns exec "$NS_H1" ping -6 -c 1 -W 1 "$UL2_IP6"
	q timeout 5 ip netns exec "$NS_H2" ping -6 -c 1 -W 1 "$UL1_IP6"
	stt_wait_neigh "$NS_H1" "$UL2_IP6" 20
	stt_wait_neigh "$NS_H2" "$UL1_IP6" 20
}

# Path configuration: path_P sets path P up on the bare topology and prints one line;
# unpath_P takes it down again, whether or not its setup got through. ----------------------

path_stt() {
	stt_topo_configure || return 1
	sttd_start
	echo "stt: sttctl attach/vport/fdb as in scripts/lib.sh; sttd: $(sttd_state)"
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
	stt_topo_configure &&
		stt_run_ctl "$NS_H1" remote set "$UL2_IP" --encap gue &&
		stt_run_ctl "$NS_H2" remote set "$UL1_IP" --encap gue &&
		set_tenant_mtu "$GUE_MTU" || return 1
	echo "gue: sttctl as for stt, every remote --encap gue (UDP 6080); tenants MTU $GUE_MTU"
}

unpath_gue() {
	set_tenant_mtu "$TENANT_MTU"
	unpath_stt
}

# sttxdp: re-running attach replaces the programs and keeps the maps, and a vport's context
# binding outlives its removal (as in tests/netns/test_basic.sh's XDP fast path). XDP delivers
# only whole single-segment frames without a partial checksum (stt_xdp_can_deliver), so the
# tenants checksum in software and send no GSO frames (tx and gso off, which takes TSO too).
path_sttxdp() {
	local h ns
	stt_topo_configure &&
		stt_run_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" --xdp on &&
		stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --xdp on || return 1
	for h in 1 2; do
		ns=${STT_NS_PREFIX}h$h
		stt_run_ctl "$ns" vport del "vp$h" &&
			stt_run_ctl "$ns" vport add "vp$h" --context "$CTX_A" --xdp &&
			nsx "${STT_NS_PREFIX}t$h" ethtool -K eth0 tx off gso off gro on >/dev/null || return 1
	done
	set_tenant_mtu "$STTXDP_MTU" || return 1
	sttd_start
	echo "sttxdp: stt with attach --xdp on, vport add --xdp; tenants MTU $STTXDP_MTU, tx/tso/gso off, gro on; sttd: $(sttd_state)"
}

unpath_sttxdp() {
	q nsx "$NS_T1" ethtool -K eth0 tx on tso on gso on gro off
	q nsx "$NS_T2" ethtool -K eth0 tx on tso on gso on gro off
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
	echo "stt6: attach --local IPv6, every remote IPv6; sttd: $(sttd_state)"
}

unpath_stt6() { unpath_stt; }

# path_vxlan [NAME LOCAL REMOTE TENANT_MTU]
path_vxlan() {
	local h ns ul lip rip vp
	for h in 1 2; do
		if [ "$h" = 1 ]; then
			ns=$NS_H1 ul=$UL1 lip=${2:-$UL1_IP} rip=${3:-$UL2_IP} vp=vp1
		else
			ns=$NS_H2 ul=$UL2 lip=${3:-$UL2_IP} rip=${2:-$UL1_IP} vp=vp2
		fi
		ip -n "$ns" link add vx0 type vxlan id 100 local "$lip" remote "$rip" dstport 4789 dev "$ul" || return 1
		ip -n "$ns" link add br0 type bridge || return 1
		ip -n "$ns" link set vx0 master br0 || return 1
		ip -n "$ns" link set "$vp" master br0 || return 1
		ip -n "$ns" link set vx0 up && ip -n "$ns" link set br0 up || return 1
	done
	set_tenant_mtu "${4:-$VXLAN_MTU}" || return 1
	echo "${1:-vxlan}: vx0 (VNI 100, port 4789, MTU $(ip -n "$NS_H1" -j link show vx0 | jq '.[0].mtu'), $lip <-> $rip) + br0 with the vport in each host; tenants MTU ${4:-$VXLAN_MTU}"
}

unpath_vxlan() {
	local ns
	for ns in "$NS_H1" "$NS_H2"; do
		ip -n "$ns" link del vx0 2>/dev/null
		ip -n "$ns" link del br0 2>/dev/null
	done
	set_tenant_mtu "$TENANT_MTU"
}

path_vxlan6() { path_vxlan vxlan6 "$UL1_IP6" "$UL2_IP6" "$VXLAN6_MTU"; }
unpath_vxlan6() { unpath_vxlan; }

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
	echo "none: br0 with the vport and the underlay veth in each host; tenants MTU $TENANT_MTU"
}

# The underlay gets its addresses back (path_none flushed them) for the paths after it, the
# IPv6 link-local one too (turning IPv6 off and on makes it again): without it, neighbour
# discovery's probes went unanswered once the entries aged, and stt6 after none stalled
# (tx_no_neigh) about 10 s in.
unpath_none() {
	q ip -n "$NS_H1" link del br0
	q ip -n "$NS_H2" link del br0
	q nsx "$NS_H1" sysctl -qw "net.ipv6.conf.$UL1.disable_ipv6=1"
	q nsx "$NS_H2" sysctl -qw "net.ipv6.conf.$UL2.disable_ipv6=1"
	ip -n "$NS_H1" addr replace "$UL1_IP/24" dev "$UL1" &&
		ip -n "$NS_H2" addr replace "$UL2_IP/24" dev "$UL2" && underlay_ipv6
}

# Program cost ----------------------------------------------------------------------------

# bpf_ids: "PROG_ID ROLE" of the programs whose cost is reported, through sttctl's pins (a
# prog_* pin is a program, a link_* pin names its program): the sender's (h1) transmit program
# and the receiver's (h2) XDP and TC receive programs. Other programs of the same names run
# in other test namespaces on this machine; their ids differ.
bpf_ids() {
	local h dir pin id name
	for h in 1 2; do
		dir=$STT_PIN_BASE/$(stt_ns_inode "${STT_NS_PREFIX}h$h")
		for pin in "$dir"/prog_* "$dir"/link_*; do
			[ -e "$pin" ] || continue
			case "$pin" in
			*/prog_*) id=$(bpftool prog show pinned "$pin" -j 2>/dev/null | jq -r '.id // empty') ;;
			*) id=$(bpftool link show pinned "$pin" -j 2>/dev/null | jq -r '.prog_id // empty') ;;
			esac
			[ -n "$id" ] || continue
			name=$(bpftool prog show id "$id" -j 2>/dev/null | jq -r '.name // empty')
			case "$h/$name" in
			1/stt_tc_tx) echo "$id tx" ;;
			2/stt_tc_rx) echo "$id rx" ;;
			2/stt_xdp_rx) echo "$id xdp" ;;
			esac
		done
	done | sort -u
}

# bpf_snap: "ROLE RUN_TIME_NS RUN_CNT" summed over the programs of BPF_IDS
bpf_snap() {
	local id role
	while read -r id role; do
		[ -n "$id" ] || continue
		bpftool prog show id "$id" -j 2>/dev/null |
			jq -r --arg r "$role" '"\($r) \(.run_time_ns // 0) \(.run_cnt // 0)"'
	done <<<"$BPF_IDS" | awk '{t[$1] += $2; c[$1] += $3} END {for (r in t) print r, t[r], c[r]}'
}

# bpf_delta ROUND PATH CELL BEFORE AFTER: ns per run and runs a second of each role
bpf_delta() {
	local r=$1 path=$2 cell=$3 role line ns rate
	line=''
	for role in xdp rx tx; do
		read -r ns rate < <(awk -v role="$role" -v s="$SECS" '
			$1 == role && FILENAME == "-" {t1 = $2; c1 = $3}
			$1 == role && FILENAME != "-" {t0 = $2; c0 = $3}
			END {c = c1 - c0; if (c > 0) printf "%.0f %.0f\n", (t1 - t0) / c, c / s; else print "- 0"}' \
			<(printf '%s\n' "$4") - <<<"$5")
		V[ns_$role/$r/$path/$cell]=$ns V[rate_$role/$r/$path/$cell]=$rate
		line+=" $role $ns ns x $rate/s,"
	done
	echo "#   bpf ns/run x runs/s:${line%,}"
}

# perf_callees FILE: of each of our programs' samples in a perf.data (STB_PERF), the share
# by the kernel function our code called (a helper, a map lookup; "own": our programs' and
# subprograms' own instructions) and by the leaf function, eight of each
perf_callees() {
	perf script -i "$1" -F comm,ip,sym 2>/dev/null | awk -v RS='' -F'\n' '
		function name(s) { sub(/^bpf_prog_[0-9a-f]+_/, "", s); return s }
		{
			n = 0
			for (i = 2; i <= NF; i++) { split($i, w, " "); f[++n] = name(w[2]) }
			for (i = n; i >= 1; i--) if (f[i] ~ /^stt_(tc_tx|tc_rx|xdp_rx)$/) break
			if (i < 1) next
			p = f[i]; tot[p]++
			for (j = i - 1; j >= 1 && f[j] ~ /^stt_/; j--)
				;
			callee[p SUBSEP (j >= 1 ? f[j] : "own")]++
			leaf[p SUBSEP (f[1] ~ /^stt_/ ? "own" : f[1])]++
		}
		END {
			for (p in tot) {
				printf "#   perf %s: %d samples\n", p, tot[p]
				top("kernel function called", callee, p); top("leaf", leaf, p)
			}
		}
		function top(what, a, p,   k, b, c, m, j, best, line) {
			m = 0
			for (k in a) { split(k, b, SUBSEP); if (b[1] == p) { c[++m] = b[2] } }
			line = ""
			for (j = 1; j <= 8 && m > 0; j++) {
				best = 0
				for (k = 1; k <= m; k++) if (c[k] != "" && (best == 0 || a[p SUBSEP c[k]] > a[p SUBSEP c[best]])) best = k
				if (best == 0) break
				line = line sprintf(" %s %.0f%%,", c[best], 100 * a[p SUBSEP c[best]] / tot[p])
				c[best] = ""
			}
			sub(/,$/, "", line)
			printf "#     by %s:%s\n", what, line
		}'
}

# Measurement -----------------------------------------------------------------------------

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

# ctr_snap: the counters that say how frames travelled, the sender's (h1) then the
# receiver's (h2), as "NAME VALUE" lines
CTRS_TX="tx_frames tx_gso_frames tx_cut_frames"
CTRS_RX="rx_frames rx_gro_frames rx_pieces_direct rx_to_sttd reasm_frames"
ctr_snap() {
	local h n
	for h in 1 2; do
		n=$CTRS_TX
		[ "$h" = 2 ] && n=$CTRS_RX
		stt_ctl "${STT_NS_PREFIX}h$h" stats --json 2>/dev/null |
			jq -r --arg n "$n" '(.counters + (.reasm // {})) as $c | ($n | split(" "))[] | "\(.) \($c[.] // 0)"'
	done
}
# name_deltas LABEL all|moved BEFORE AFTER: "#   LABEL: NAME DELTA, ..." of two "NAME VALUE"
# snapshots, every name or only those that moved
name_deltas() {
	awk -v all="$2" 'NR == FNR {b[$1] = $2; next} all == "all" || $2 - b[$1] > 0 {printf " %s %d,", $1, $2 - b[$1]}' \
		<(printf '%s\n' "$3") <(printf '%s\n' "$4") | sed "s/,\$//; s/^/#   $1:/"
	echo
}

# link_drops: "NS/DEV rx_dropped tx_dropped" of every link in the hosts and tenants, the
# other place where segments can be lost (a veth's ring toward a NAPI peer, a full queue)
link_drops() {
	local ns
	for ns in "$NS_H1" "$NS_H2" "$NS_T1" "$NS_T2"; do
		ip -n "$ns" -s -j link show 2>/dev/null | jq -r --arg ns "${ns#"$STT_NS_PREFIX"}" \
			'.[] | "\($ns)/\(.ifname) \(.stats64.rx.dropped // 0) \(.stats64.tx.dropped // 0)"'
	done
}
# link_drops_delta BEFORE AFTER: the links whose drop counters moved, or "none"
link_drops_delta() {
	local out
	out=$(awk 'NR == FNR {r[$1] = $2; t[$1] = $3; next}
		($2 - r[$1]) + ($3 - t[$1]) > 0 {printf " %s rx %d tx %d,", $1, $2 - r[$1], $3 - t[$1]}' \
		<(printf '%s\n' "$1") <(printf '%s\n' "$2"))
	echo "#   link drops:${out:- none}" | sed 's/,$//'
}

# tcp_snap: what the tenants' TCP says of a run, "NS/COUNTER VALUE": the sender's (t1)
# retransmissions by kind and the receiver's (t2) out-of-order and duplicate segments, to
# tell segments lost from segments reordered or merely late
TCP_T1="TcpRetransSegs TcpExtTCPLossProbes TcpExtTCPFastRetrans TcpExtTCPSlowStartRetrans TcpExtTCPTimeouts TcpExtTCPSACKReorder TcpExtTCPDSACKRecv TcpExtTCPSpuriousRtxHostQueues"
TCP_T2="TcpExtTCPOFOQueue TcpExtTCPDSACKOldSent TcpExtTCPDSACKOfoSent"
tcp_snap() {
	# shellcheck disable=SC2086 # the counters' names, one word each
	ip netns exec "$NS_T1" nstat -asz $TCP_T1 2>/dev/null | awk '/^Tcp/ {print "t1/" $1, $2}'
	# shellcheck disable=SC2086
	ip netns exec "$NS_T2" nstat -asz $TCP_T2 2>/dev/null | awk '/^Tcp/ {print "t2/" $1, $2}'
}

# cell ROUND PATH CELL: one measurement, with the programs' cost around it for our paths
cell() {
	local r=$1 path=$2 c=$3 k="$1/$2/$3" before='' ctrs='' links tcps pdata
	[[ $WANT_CELLS == *" $c "* ]] || return 0
	[ -z "$BPF_IDS" ] || before=$(bpf_snap)
	[ -z "$BPF_IDS" ] || ctrs=$(ctr_snap)
	links=$(link_drops) tcps=$(tcp_snap)
	if [ -n "$PERF_DIR" ] && [[ $OURS == *" $path "* ]]; then
		pdata=$PERF_DIR/$r-$path-${c/\//-}.data
		perf record -q -a -g -F 999 -o "$pdata" >/dev/null 2>&1 &
		PERF_PID=$!
	fi
	if [ "$c" = small ]; then
		run_small "$path"
		V[pps/$k]=${PPS[$path]}
	else
		run "$path" "${c%/*}" "${c#*/}"
		V[gbps/$k]=${GBPS[$path/$c]} V[cpu/$k]=${CPU[$path/$c]}
		V[rpg/$k]=$(awk -v n="${RETR[$path/$c]}" -v b="$RUN_BYTES" \
			'BEGIN {if (b > 0 && n ~ /^[0-9]+$/) printf "%.0f", n / (b / 1e9); else print "-"}')
	fi
	[ -z "$BPF_IDS" ] || bpf_delta "$r" "$path" "$c" "$before" "$(bpf_snap)"
	[ -z "$BPF_IDS" ] || name_deltas counters all "$ctrs" "$(ctr_snap)"
	link_drops_delta "$links" "$(link_drops)"
	[ "$c" = small ] || name_deltas tcp moved "$tcps" "$(tcp_snap)"
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID" 2>/dev/null
		PERF_PID=''
		perf_callees "$pdata"
	fi
	# Nothing got through: the sender's drop counters (since attach) say where it stopped.
	if [[ $OURS == *" $path "* ]] && [ "${V[pps/$k]:-${RUN_BYTES:-0}}" = 0 ]; then
		echo "#   nothing received; $NS_H1 drops: $(stt_ctl "$NS_H1" stats --json 2>/dev/null |
			jq -r '[.drops // {} | to_entries[] | select(.value > 0) | "\(.key) \(.value)"] | join(", ")')"
	fi
}

# measure_path ROUND PATH: set the path up, measure every cell, take it down
measure_path() {
	local r=$1 path=$2 mode p
	[[ $OURS == *" $path "* ]] && bpf_stats_on
	# Not in $(...): the path's sttd must be this shell's child, for sttd_stop.
	if "path_$path" >"$TMP/desc" 2>"$TMP/setup.log"; then
		echo "# round $r, $(cat "$TMP/desc")"
		BPF_IDS=''
		[[ $OURS == *" $path "* ]] && BPF_IDS=$(bpf_ids)
		[ -n "$BPF_IDS" ] || [[ $OURS != *" $path "* ]] ||
			echo "#   bpf: no program of this path found through its pins"
		[ "$path" = none ] || underlay_neigh
		for mode in offload wire; do
			set_mode "$mode"
			echo "# $path $mode: ul1 $(ul_features "$NS_H1" "$UL1")| ul2 $(ul_features "$NS_H2" "$UL2")"
			q timeout 10 ip netns exec "$NS_T1" ping -c 2 -W 1 "$T2_IP"
			for p in 1 4; do
				cell "$r" "$path" "$mode/$p"
			done
			[ "$mode" = offload ] && cell "$r" "$path" small
		done
	else
		echo "# round $r, $path: setup failed: $(tr '\n' ' ' <"$TMP/setup.log")"
	fi
	BPF_IDS=''
	"unpath_$path"
	bpf_stats_restore
}

# Summaries -------------------------------------------------------------------------------

# per METRIC PATH CELL: the metric in each round, one a line ("-" where missing)
per() {
	local r
	for ((r = 1; r <= ROUNDS; r++)); do echo "${V[$1/$r/$2/$3]:--}"; done
}

# per_ratio METRIC A B CELL: A/B within each round
per_ratio() {
	local r
	# ratio prints no newline
	for ((r = 1; r <= ROUNDS; r++)); do ratio "${V[$1/$r/$2/$4]:--}" "${V[$1/$r/$3/$4]:--}" && echo; done
}

# agg FORMAT < values: "median (min-max)" of the numbers among them, "-" if there are none
agg() {
	grep -E '^[0-9]+(\.[0-9]+)?$' | sort -g | awk -v f="$1" '{v[NR] = $1} END {
		if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf f " (" f "-" f ")\n", m, v[1], v[NR]}'
}

# goal TEXT CELL OP LIMIT FORMAT < per-round values: a row of the goals table, with the
# number of rounds that met the goal
goal() {
	local vals
	vals=$(cat)
	printf '| %s | %s | %s %s | %s | %s of %s |\n' "$1" "$2" "$3" "$4" "$(agg "$5" <<<"$vals")" \
		"$(awk -v op="$3" -v l="$4" '/^[0-9.]+$/ && ((op == ">=" && $1 >= l) || (op == "<=" && $1 <= l)) {n++}
			END {print n + 0}' <<<"$vals")" "$ROUNDS"
}

# retr_le A B CELL: per round, A's retransmits per GB over B's; 1 where both are 0
retr_le() {
	local r a b
	for ((r = 1; r <= ROUNDS; r++)); do
		a=${V[rpg/$r/$1/$3]:--} b=${V[rpg/$r/$2/$3]:--}
		if [ "$a" = 0 ] && [ "$b" = 0 ]; then echo 1; else ratio "$a" "$b" && echo; fi
	done
}

report() {
	local c mode p g2="%.2f"
	echo
	echo "Medians over $ROUNDS rounds, with the spread (min-max) of the rounds; ratios are taken within each round."
	echo
	echo "Goodput in Gbit/s (iperf3 t1 -> t2, $SECS s), IPv4 underlay:"
	echo
	echo "| underlay | streams | STT | VXLAN | no tunnel | STT/VXLAN | STT/no tunnel |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for c in "${CELLS[@]}"; do
		mode=${c%/*} p=${c#*/}
		echo "| $mode | $p | $(per gbps stt "$c" | agg $g2) | $(per gbps vxlan "$c" | agg $g2) |" \
			"$(per gbps none "$c" | agg $g2) | $(per_ratio gbps stt vxlan "$c" | agg $g2) |" \
			"$(per_ratio gbps stt none "$c" | agg $g2) |"
	done
	echo
	echo "Whole-machine CPU seconds per GB of goodput, and retransmits per GB:"
	echo
	echo "| underlay | streams | CPU s/GB STT | CPU s/GB VXLAN | CPU s/GB no tunnel | CPU STT/VXLAN | retransmits/GB STT | retransmits/GB VXLAN | retransmits/GB no tunnel |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for c in "${CELLS[@]}"; do
		mode=${c%/*} p=${c#*/}
		echo "| $mode | $p | $(per cpu stt "$c" | agg $g2) | $(per cpu vxlan "$c" | agg $g2) |" \
			"$(per cpu none "$c" | agg $g2) | $(per_ratio cpu stt vxlan "$c" | agg $g2) |" \
			"$(per rpg stt "$c" | agg %.0f) | $(per rpg vxlan "$c" | agg %.0f) | $(per rpg none "$c" | agg %.0f) |"
	done
	echo
	echo "IPv6 underlay (the same veths; no tunnel as above):"
	echo
	echo "| underlay | streams | STT6 | VXLAN6 | STT6/VXLAN6 | STT6/no tunnel | STT6/STT | CPU s/GB STT6 | CPU s/GB VXLAN6 | retransmits/GB STT6 | retransmits/GB VXLAN6 |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for c in "${CELLS[@]}"; do
		mode=${c%/*} p=${c#*/}
		echo "| $mode | $p | $(per gbps stt6 "$c" | agg $g2) | $(per gbps vxlan6 "$c" | agg $g2) |" \
			"$(per_ratio gbps stt6 vxlan6 "$c" | agg $g2) | $(per_ratio gbps stt6 none "$c" | agg $g2) |" \
			"$(per_ratio gbps stt6 stt "$c" | agg $g2) | $(per cpu stt6 "$c" | agg $g2) |" \
			"$(per cpu vxlan6 "$c" | agg $g2) | $(per rpg stt6 "$c" | agg %.0f) | $(per rpg vxlan6 "$c" | agg %.0f) |"
	done
	echo
	echo "GUE (tenants MTU $GUE_MTU) and STT-XDP (attach --xdp on, vport add --xdp; tenants MTU $STTXDP_MTU without checksum offload, TSO and GSO: single-segment frames that XDP delivers), IPv4 underlay:"
	echo
	echo "| underlay | streams | GUE | GUE/VXLAN | GUE/STT | GUE/no tunnel | CPU s/GB GUE | retransmits/GB GUE | STT-XDP | STT-XDP/STT | STT-XDP/VXLAN | CPU s/GB STT-XDP | retransmits/GB STT-XDP |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for c in "${CELLS[@]}"; do
		mode=${c%/*} p=${c#*/}
		echo "| $mode | $p | $(per gbps gue "$c" | agg $g2) | $(per_ratio gbps gue vxlan "$c" | agg $g2) |" \
			"$(per_ratio gbps gue stt "$c" | agg $g2) | $(per_ratio gbps gue none "$c" | agg $g2) |" \
			"$(per cpu gue "$c" | agg $g2) | $(per rpg gue "$c" | agg %.0f) | $(per gbps sttxdp "$c" | agg $g2) |" \
			"$(per_ratio gbps sttxdp stt "$c" | agg $g2) | $(per_ratio gbps sttxdp vxlan "$c" | agg $g2) |" \
			"$(per cpu sttxdp "$c" | agg $g2) | $(per rpg sttxdp "$c" | agg %.0f) |"
	done
	echo
	echo "Small packets: iperf3 UDP, 64-byte payloads, as fast as one sender goes (offload mode), packets a second received; ratios to VXLAN of the same underlay family:"
	echo
	echo "| path | packets/s | /VXLAN | /no tunnel |"
	echo "| --- | ---: | ---: | ---: |"
	local path ref name
	for path in stt vxlan none gue sttxdp stt6 vxlan6; do
		ref=vxlan name=${path^^}
		case "$path" in stt6 | vxlan6) ref=vxlan6 ;; none) name='no tunnel' ;; sttxdp) name=STT-XDP ;; esac
		echo "| $name | $(per pps "$path" small | agg %.0f) | $(per_ratio pps "$path" "$ref" small | agg $g2) |" \
			"$(per_ratio pps "$path" none small | agg $g2) |"
	done
	echo
	echo "Program cost under traffic (kernel.bpf_stats_enabled: run_time_ns / run_cnt over each cell): ns per run and thousands of runs a second; XDP and TC receive on the receiver (h2), transmit on the sender (h1); \"-\" where the program did not run:"
	echo
	echo "| path | cell | XDP stt_xdp_rx ns | XDP k runs/s | TC rx stt_tc_rx ns/skb | TC rx k runs/s | TC tx stt_tc_tx ns/frame | TC tx k runs/s |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	local role row
	for path in stt stt6 gue sttxdp; do
		for c in "${CELLS[@]}" small; do
			row="| ${path^^} | ${c/\// -P } |"
			for role in xdp rx tx; do
				row+=" $(per "ns_$role" "$path" "$c" | agg %.0f) |"
				row+=" $(per "rate_$role" "$path" "$c" | awk '/^[0-9]+$/ {printf "%.1f\n", $1 / 1000; next} {print}' | agg %.1f) |"
			done
			echo "${row/STTXDP/STT-XDP}"
		done
	done
	echo
	echo "Goals (issue 14): median (min-max) of the per-round values, and the rounds that met the goal:"
	echo
	echo "| measure | cell | goal | median (min-max) | rounds met |"
	echo "| --- | --- | --- | ---: | ---: |"
	for c in "${CELLS[@]}"; do
		mode=${c%/*}
		if [ "$mode" = offload ]; then g=1.1; else g=1.2; fi
		per_ratio gbps stt vxlan "$c" | goal "goodput STT/VXLAN" "${c/\// -P }" ">=" "$g" $g2
		per_ratio gbps stt none "$c" | goal "goodput STT/no tunnel" "${c/\// -P }" ">=" 0.95 $g2
	done
	for c in "${CELLS[@]}"; do
		per_ratio cpu stt vxlan "$c" | goal "CPU s/GB STT/VXLAN" "${c/\// -P }" "<=" 0.9 $g2
	done
	for c in "${CELLS[@]}"; do
		retr_le stt vxlan "$c" | goal "retransmits/GB STT/VXLAN" "${c/\// -P }" "<=" 1 $g2
	done
	for c in "${CELLS[@]}" small; do
		per ns_xdp sttxdp "$c" | goal "XDP decap ns (STT-XDP)" "${c/\// -P }" "<=" 100 %.0f
	done
	for c in "${CELLS[@]}" small; do
		per ns_rx stt "$c" | goal "TC receive ns/skb (STT)" "${c/\// -P }" "<=" 150 %.0f
	done
	for c in "${CELLS[@]}" small; do
		per ns_tx stt "$c" | goal "transmit ns/frame (STT)" "${c/\// -P }" "<=" 200 %.0f
	done
	per_ratio pps stt vxlan small | goal "small packets/s STT/VXLAN" small ">=" 1.5 $g2
	per_ratio pps stt none small | goal "small packets/s STT/no tunnel" small ">=" 1.0 $g2
}

# Main --------------------------------------------------------------------------------------

if ! why=$(stt_prereqs); then
	echo "bench.sh: $why" >&2
	exit 1
fi
command -v bpftool >/dev/null || { echo "bench.sh: bpftool missing (run scripts/deps.sh)" >&2; exit 1; }
echo "# bench.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, $ROUNDS rounds, iperf3 -t $SECS, prefix $STT_NS_PREFIX"
echo "# git: $(git -C "$STT_REPO" describe --always --dirty 2>/dev/null || echo unknown)"
echo "# kernel.bpf_stats_enabled: ${BPF_STATS_OLD:-unavailable}, 1 while${OURS% } run"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
stt_topo_down
if ! stt_build_devices >"$TMP/setup.log" 2>&1 || ! underlay_ipv6 >>"$TMP/setup.log" 2>&1; then
	cat "$TMP/setup.log" >&2
	echo "bench.sh: topology setup failed" >&2
	exit 1
fi
T1_MAC=$(stt_mac "$NS_T1" eth0) T2_MAC=$(stt_mac "$NS_T2" eth0)

# Rotation: round r starts (r-1)*stride paths further on, spread over the list.
n=${#PATHS[@]} stride=$((${#PATHS[@]} / ROUNDS))
[ "$stride" -ge 1 ] || stride=1
for ((r = 1; r <= ROUNDS; r++)); do
	order=()
	for ((i = 0; i < n; i++)); do order+=("${PATHS[$(((i + (r - 1) * stride) % n))]}"); done
	echo "# round $r of $ROUNDS at +${SECONDS} s: ${order[*]}; load $(cut -d' ' -f1-3 /proc/loadavg)"
	for path in "${order[@]}"; do
		measure_path "$r" "$path"
	done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); +${SECONDS} s"
report
