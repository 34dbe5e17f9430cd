#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Exhaustion: floods of crafted underlay packets (build/stt_flood, tests/tools/stt_flood.c,
# built here on demand) against h2 of scripts/lib.sh's topology (prefix "sth-"), tenants at
# veth defaults (TSO on, MTU 1500: large frames).
#
#  (a) reassembly memory: sttd runs on h2 with a small cap (--mem, EXH_MEM, default 4 MiB)
#      while h1 floods h2 for EXH_SECS (default 5) with first segments of 65000-byte frames
#      that never complete (random frame IDs, random source ports, 200 spoofed source
#      addresses), as fast as the sender goes, and until the transfers below are over.
#      Meanwhile t1 sends t2 a file (EXH_MB, default 32 MB) over TCP, then runs a 2 s iperf3.
#      Asserts: the flood reached sttd and filled its cap (evictions), reasm_mem_peak and every
#      sample of reasm_mem_bytes <= the cap, sttd still runs, the file arrives intact (sha256),
#      iperf3 completes. Prints the goodputs, sttd's CPU time and peak RSS as `#` lines.
#      Twice: with the underlay veths' offloads (tenant TSO bursts cross as GSO skbs), and in
#      wire mode (segmented by ul1, merged by ul2's GRO where it can: the rest needs sttd).
#  (b) XDP drops: with `attach --xdp on`, N whole STT frames for unbound contexts and M UDP
#      packets (not STT): unknown_context grows by exactly N, pass by M; the kernel's stack
#      (nstat IpInReceives, TcpInSegs in h2) does not see the N.
#  (c) learning: vports of contexts 100 and 200 learn with a cap of 64 MACs each; one frame
#      of context 200, then 20000 frames of context 100 from random source MACs: context
#      100's table holds at most 64, context 200's still holds its one MAC.
# Output like test_basic.sh; last line `N passed, N failed, N skipped`; exit 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STT_NS_PREFIX:-sth-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

# shellcheck disable=SC2034 # read by lib.sh's stt_add_tenant
TENANT_MTU=1500 TENANT_TSO=default
FLOOD=${STT_FLOOD:-$STT_REPO/build/stt_flood}
MEM_CAP=${EXH_MEM:-4194304}
SECS=${EXH_SECS:-5}
MB=${EXH_MB:-32}
N_UNKNOWN=${EXH_UNKNOWN:-200000}
N_NONSTT=${EXH_NONSTT:-50000}


TMP=$(mktemp -d /tmp/sth-exhaust.XXXXXX)
STTD_PID='' SINK_PID='' FLOOD_PID='' SAMPLER_PID=''

cleanup() {
	local pid
	for pid in $FLOOD_PID $SINK_PID $SAMPLER_PID $STTD_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stats_json() { stt_ctl "$1" stats --json 2>/dev/null; }
JQ_FLAT='def flat: (.counters // {}) + ((.drops // {}) | with_entries(.key = "drops." + .key)) + (.reasm // {});'
# val FILE KEY: a counter of a saved stats snapshot
val() { jq -r --arg k "$2" "$JQ_FLAT"' (flat)[$k] // 0' "$1" 2>/dev/null || echo 0; }
nstat_val() { nsx "$1" nstat -az "$2" 2>/dev/null | awk -v k="$2" '$1 == k {print $2}' | grep . || echo 0; }
# cpu_ticks PID: utime + stime (clock ticks)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

build_flood() {
	if [ ! -x "$FLOOD" ] || [ "$STT_REPO/tests/tools/stt_flood.c" -nt "$FLOOD" ]; then
		make -C "$STT_REPO" --no-print-directory -s build/stt_flood || return 1
	fi
}

# file_run FILE OUT: FILE from t1 to t2 (stt_file_transfer); sets XF_RC, XF_BYTES, XF_SECS.
file_run() {
	stt_file_transfer "$1" "$2" "$TMP" 120
	XF_RC=$STT_XF_RC XF_BYTES=$STT_XF_BYTES XF_SECS=$STT_XF_SECS
}

# iperf_run SECONDS: TCP t1 -> t2; sets IP_RC, IP_BYTES, IP_MBPS, IP_RETR, IP_ERR.
iperf_run() {
	timeout 40 ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >"$TMP/iperf-server.log" 2>&1 &
	SINK_PID=$!
	stt_wait_listen "$NS_T2" 5201
	timeout 30 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -t "$1" -J --connect-timeout 3000 \
		>"$TMP/iperf.json" 2>"$TMP/iperf.err"
	IP_RC=$?
	timeout 10 tail --pid="$SINK_PID" -f /dev/null 2>/dev/null || kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
	IP_BYTES=$(jq -r '.end.sum_received.bytes // 0 | floor' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_MBPS=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' "$TMP/iperf.json" 2>/dev/null || echo 0)
	IP_RETR=$(jq -r '.end.sum_sent.retransmits // "?"' "$TMP/iperf.json" 2>/dev/null || echo '?')
	IP_ERR=$(jq -r '.error // empty' "$TMP/iperf.json" 2>/dev/null)
	[[ $IP_BYTES =~ ^[0-9]+$ ]] || IP_BYTES=0
}

# (a) ------------------------------------------------------------------------------------

# test_reasm_flood MODE: offload (the underlay veths as created: a tenant TSO burst crosses
# as one GSO skb) or wire (ul1 segments in software, ul2's GRO merges what it can and leaves
# the rest in pieces: legitimate frames then need sttd, whose memory the flood fills).
test_reasm_flood() {
	local mode=$1
	local name="first-segment flood ($mode): sttd stays under --mem $MEM_CAP, a file transfer completes intact"
	local ul2_mac c0 c1 tck s0 s1 peak evicted pieces lost to_sttd rss s_a s_b t_start rest why=''
	ul2_mac=$(stt_mac "$NS_H2" "$UL2")
	if [ "$mode" = wire ]; then
		nsx "$NS_H1" ethtool -K "$UL1" tso off gso off tx off >/dev/null 2>&1
		nsx "$NS_H2" ethtool -K "$UL2" tso off gso off tx off >/dev/null 2>&1
	fi
	"$STTD" -n "$NS_H2" --mem "$MEM_CAP" >"$TMP/sttd.log" 2>&1 &
	STTD_PID=$!
	sleep 0.5
	if ! kill -0 "$STTD_PID" 2>/dev/null; then
		not_ok "$name" "sttd did not start: $(tr '\n' ' ' <"$TMP/sttd.log")"
		STTD_PID=
		return
	fi
	head -c $((MB << 20)) /dev/urandom >"$TMP/file.bin"
	# Warm up ARP between the tenants (not counted).
	timeout 10 ip netns exec "$NS_T1" ping -n -c 1 -W 1 "$T2_IP" >/dev/null 2>&1
	# Baseline for the goodput under the flood (a # line only).
	iperf_run 2
	echo "# $mode: baseline iperf3 t1 -> t2 (2 s, no flood, sttd running): $IP_MBPS Mbit/s, $IP_RETR retransmits"
	stats_json "$NS_H2" >"$TMP/a0.json"
	c0=$(cpu_ticks "$STTD_PID")
	# Sample sttd's memory while the flood runs (reasm_mem_bytes; VmHWM at the end).
	(
		while :; do
			stats_json "$NS_H2" | jq -r '.reasm.reasm_mem_bytes // 0'
			sleep 0.2
		done >"$TMP/mem-samples.txt" 2>/dev/null
	) &
	SAMPLER_PID=$!
	# The flood runs until both transfers are over, and at least SECS seconds.
	t_start=$(date +%s.%N)
	ip netns exec "$NS_H1" "$FLOOD" -i "$UL1" --dst-mac "$ul2_mac" --dst "$UL2_IP" --src 198.18.0.10 \
		--src-count 200 --first --frame-len 65000 --payload 1400 --secs 600 >"$TMP/flood.txt" 2>&1 &
	FLOOD_PID=$!
	sleep 0.5 # the flood is on before the transfers start
	file_run "$TMP/file.bin" "$TMP/file.recv"
	iperf_run 2
	kill -0 "$FLOOD_PID" 2>/dev/null || why+="the flood ended before the transfers: $(cat "$TMP/flood.txt"); "
	rest=$(awk -v a="$t_start" -v z="$(date +%s.%N)" -v s="$SECS" 'BEGIN {r = s - (z - a); print (r > 0) ? r : 0}')
	sleep "$rest"
	kill -INT "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID"
	FLOOD_PID=
	sleep 1.5 # sttd's timeout (1 s) empties what is left
	kill "$SAMPLER_PID" 2>/dev/null
	wait "$SAMPLER_PID" 2>/dev/null
	SAMPLER_PID=
	stats_json "$NS_H2" >"$TMP/a1.json"
	c1=$(cpu_ticks "$STTD_PID")
	tck=$(getconf CLK_TCK)
	rss=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$STTD_PID/status" 2>/dev/null)
	s_a=$(sha256sum <"$TMP/file.bin" | cut -c1-16)
	s_b=$(sha256sum <"$TMP/file.recv" 2>/dev/null | cut -c1-16)
	peak=$(val "$TMP/a1.json" reasm_mem_peak)
	evicted=$(($(val "$TMP/a1.json" reasm_evicted) - $(val "$TMP/a0.json" reasm_evicted)))
	pieces=$(($(val "$TMP/a1.json" reasm_pieces) - $(val "$TMP/a0.json" reasm_pieces)))
	lost=$(($(val "$TMP/a1.json" reasm_lost) - $(val "$TMP/a0.json" reasm_lost)))
	to_sttd=$(($(val "$TMP/a1.json" rx_to_sttd) - $(val "$TMP/a0.json" rx_to_sttd)))
	s0=$(sort -n "$TMP/mem-samples.txt" | tail -1)
	s1=$(wc -l <"$TMP/mem-samples.txt")
	echo "# $mode: flood: $(cat "$TMP/flood.txt")"
	echo "# $mode: h2: rx_to_sttd +$to_sttd, reasm_pieces +$pieces, reasm_lost +$lost (perf buffer), reasm_evicted +$evicted," \
		"reasm_timeouts +$(($(val "$TMP/a1.json" reasm_timeouts) - $(val "$TMP/a0.json" reasm_timeouts)))," \
		"reasm_bad_csum +$(($(val "$TMP/a1.json" reasm_bad_csum) - $(val "$TMP/a0.json" reasm_bad_csum)))," \
		"multi_segment drops +$(($(val "$TMP/a1.json" drops.multi_segment) - $(val "$TMP/a0.json" drops.multi_segment)))"
	echo "# $mode: sttd --mem $MEM_CAP: reasm_mem_peak $peak, largest of $s1 samples of reasm_mem_bytes ${s0:-?}," \
		"reasm_inflight now $(val "$TMP/a1.json" reasm_inflight); CPU time $(awk -v a="$c0" -v b="$c1" -v t="$tck" 'BEGIN {printf "%.2f", (b - a) / t}') s" \
		"over the run; peak RSS ${rss:-?}"
	echo "# $mode: file: $MB MiB sent, $XF_BYTES bytes received in $XF_SECS s" \
		"($(awk -v b="$XF_BYTES" -v s="$XF_SECS" 'BEGIN {printf "%.1f", (s > 0) ? b * 8 / s / 1e6 : 0}') Mbit/s goodput under the flood)," \
		"sha256 $s_a... -> ${s_b:-none}..."
	echo "# $mode: iperf3 t1 -> t2 (2 s, under the flood): rc=$IP_RC, $IP_BYTES bytes, $IP_MBPS Mbit/s, $IP_RETR retransmits${IP_ERR:+, error: $IP_ERR}"
	kill -0 "$STTD_PID" 2>/dev/null || why+="sttd died: $(tr '\n' ' ' <"$TMP/sttd.log"); "
	[ "$pieces" -gt 1000 ] || why+="only $pieces pieces reached sttd: the flood did not test it; "
	[ "$evicted" -gt 0 ] || why+="no eviction: the cap was never reached; "
	[ "$peak" -gt 0 ] && [ "$peak" -le "$MEM_CAP" ] || why+="reasm_mem_peak $peak, cap $MEM_CAP; "
	[ "${s0:-0}" -le "$MEM_CAP" ] || why+="a sample of reasm_mem_bytes was ${s0}; "
	[ "$XF_RC" -eq 0 ] || why+="the transfer failed (status $XF_RC: $(tr '\n' ' ' <"$TMP/send.err" "$TMP/sink.err")); "
	[ "$s_a" = "$s_b" ] || why+="the received file differs ($XF_BYTES bytes); "
	[ "$IP_RC" -eq 0 ] && [ "$IP_BYTES" -gt 0 ] || why+="iperf3 rc=$IP_RC bytes=$IP_BYTES${IP_ERR:+ ($IP_ERR)}; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
	kill "$STTD_PID" 2>/dev/null
	wait "$STTD_PID" 2>/dev/null
	STTD_PID=
	if [ "$mode" = wire ]; then
		nsx "$NS_H1" ethtool -K "$UL1" tso on gso on tx on >/dev/null 2>&1
		nsx "$NS_H2" ethtool -K "$UL2" tso on gso on tx on >/dev/null 2>&1
	fi
}

# (b) ------------------------------------------------------------------------------------

test_xdp_drops() {
	local name="XDP: $N_UNKNOWN unknown-context frames dropped in XDP, the stack never sees them"
	local ul2_mac u1 p1 ipr0 ipr1 tcp0 tcp1 o1 o2 drop_path why='' i
	ul2_mac=$(stt_mac "$NS_H2" "$UL2")
	if ! stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --xdp on >/dev/null ||
		[ "$(stt_ctl "$NS_H2" show --json | jq -r '(.attachment // .attachments[0]).xdp')" != true ]; then
		not_ok "$name" "could not attach $UL2 with --xdp on"
		return
	fi
	# A queue on ul1: when the XDP ring of ul2 is full the veth stops the queue instead of
	# dropping, and the sender retries on ENOBUFS, so every packet arrives.
	tc -n "$NS_H1" qdisc replace dev "$UL1" root pfifo limit 10000 2>/dev/null
	stats_json "$NS_H2" >"$TMP/b0.json"
	ipr0=$(nstat_val "$NS_H2" IpInReceives) tcp0=$(nstat_val "$NS_H2" TcpInSegs)
	drop_path=$(ip -n "$NS_H1" -s -j link show "$UL1" | jq '.[0].stats64.tx.dropped')
	drop_path=$((drop_path + $(ip -n "$NS_H2" -s -j link show "$UL2" | jq '.[0].stats64.rx.dropped')))
	o1=$(nsx "$NS_H1" "$FLOOD" -i "$UL1" --dst-mac "$ul2_mac" --dst "$UL2_IP" --src 198.18.0.10 --src-count 200 \
		--unknown --payload 100 --count "$N_UNKNOWN" 2>&1) || why+="stt_flood --unknown: $o1; "
	o2=$(nsx "$NS_H1" "$FLOOD" -i "$UL1" --dst-mac "$ul2_mac" --dst "$UL2_IP" --src 198.18.0.10 --src-count 200 \
		--nonstt --payload 100 --count "$N_NONSTT" 2>&1) || why+="stt_flood --nonstt: $o2; "
	# Wait (up to 5 s) for the counters to settle: the last packets may still be queued.
	for ((i = 0; i < 50; i++)); do
		stats_json "$NS_H2" >"$TMP/b1.json"
		u1=$(($(val "$TMP/b1.json" drops.unknown_context) - $(val "$TMP/b0.json" drops.unknown_context)))
		p1=$(($(val "$TMP/b1.json" pass) - $(val "$TMP/b0.json" pass)))
		[ "$u1" -ge "$N_UNKNOWN" ] && [ "$p1" -ge "$N_NONSTT" ] && break
		sleep 0.1
	done
	ipr1=$(nstat_val "$NS_H2" IpInReceives) tcp1=$(nstat_val "$NS_H2" TcpInSegs)
	drop_path=$(($(ip -n "$NS_H1" -s -j link show "$UL1" | jq '.[0].stats64.tx.dropped') +
		$(ip -n "$NS_H2" -s -j link show "$UL2" | jq '.[0].stats64.rx.dropped') - drop_path))
	echo "# unknown-context flood: $o1"
	echo "# non-STT flood: $o2"
	echo "# h2 (XDP): unknown_context +$u1 (sent $N_UNKNOWN), pass +$p1 (sent $N_NONSTT non-STT)," \
		"rx_segments +$(($(val "$TMP/b1.json" rx_segments) - $(val "$TMP/b0.json" rx_segments)));" \
		"stack: IpInReceives +$((ipr1 - ipr0)), TcpInSegs +$((tcp1 - tcp0)); veth drops on the path +$drop_path"
	[ "$u1" -eq "$N_UNKNOWN" ] || why+="unknown_context +$u1 for $N_UNKNOWN sent (veth drops on the path +$drop_path); "
	[ "$p1" -ge "$N_NONSTT" ] || why+="pass +$p1 for $N_NONSTT non-STT packets; "
	[ $((ipr1 - ipr0)) -ge "$N_NONSTT" ] || why+="IpInReceives +$((ipr1 - ipr0)): the non-STT packets did not reach the stack; "
	[ $((ipr1 - ipr0)) -lt $((N_NONSTT + N_UNKNOWN / 100)) ] ||
		why+="IpInReceives +$((ipr1 - ipr0)): the stack saw the unknown-context frames; "
	[ $((tcp1 - tcp0)) -lt $((N_UNKNOWN / 100)) ] || why+="TcpInSegs +$((tcp1 - tcp0)); "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
	tc -n "$NS_H1" qdisc del dev "$UL1" root 2>/dev/null
}

# (c) ------------------------------------------------------------------------------------

# learned_dump NS CONTEXT: the learned entries of a context, "mac remote" per line (bpftool on
# the pinned hash of maps stt_learn; keys and values as bytes).
learned_dump() {
	local pin id
	pin=$STT_PIN_BASE/$(stt_ns_inode "$1")/stt_learn
	id=$(bpftool -j map dump pinned "$pin" 2>/dev/null | python3 -c '
import json, sys
want = int(sys.argv[1])
for e in json.load(sys.stdin):
    k = e.get("key")
    if isinstance(k, list):
        k = int.from_bytes(bytes(int(x, 16) for x in k), "little")
    if int(k) == want:
        v = e.get("value")
        print(v if not isinstance(v, list) else int.from_bytes(bytes(int(x, 16) for x in v), "little"))
' "$2")
	[ -n "$id" ] || return 0
	bpftool -j map dump id "$id" 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    k, v = e["key"], e["value"]
    kb = bytes(int(x, 16) for x in k) if isinstance(k, list) else None
    vb = bytes(int(x, 16) for x in v) if isinstance(v, list) else None
    if kb is None:
        print(json.dumps(e)); continue
    print(":".join("%02x" % b for b in kb[:6]), ".".join(str(b) for b in vb[:4]))
'
}

test_learn_flood() {
	local name="learning: a flood of source MACs in one context fills only that context's table"
	local ul2_mac o1 o2 n100 n200 l0 l1 m200=02:c8:00:00:00:01 why=''
	ul2_mac=$(stt_mac "$NS_H2" "$UL2")
	if ! stt_run_ctl "$NS_H2" vport del vp2 >/dev/null || ! stt_run_ctl "$NS_H2" vport del vp3 >/dev/null ||
		! stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" --learn --learn-cap 64 >/dev/null ||
		! stt_run_ctl "$NS_H2" vport add vp3 --context "$CTX_B" --learn --learn-cap 64 >/dev/null; then
		not_ok "$name" "could not re-add vp2/vp3 with --learn --learn-cap 64"
		return
	fi
	l0=$(stats_json "$NS_H2" | jq -r '.counters.learned // 0')
	o1=$(nsx "$NS_H1" "$FLOOD" -i "$UL1" --dst-mac "$ul2_mac" --dst "$UL2_IP" --src "$UL1_IP" --macs \
		--ctx "$CTX_B" --smac "$m200" --payload 100 --count 1 2>&1) || why+="stt_flood: $o1; "
	o2=$(nsx "$NS_H1" "$FLOOD" -i "$UL1" --dst-mac "$ul2_mac" --dst "$UL2_IP" --src 198.18.0.10 --src-count 50 \
		--macs --ctx "$CTX_A" --payload 100 --count 20000 2>&1) || why+="stt_flood: $o2; "
	sleep 0.5
	l1=$(stats_json "$NS_H2" | jq -r '.counters.learned // 0')
	learned_dump "$NS_H2" "$CTX_A" >"$TMP/learn100.txt"
	learned_dump "$NS_H2" "$CTX_B" >"$TMP/learn200.txt"
	n100=$(wc -l <"$TMP/learn100.txt") n200=$(wc -l <"$TMP/learn200.txt")
	echo "# 1 frame of context $CTX_B from $m200, then 20000 of context $CTX_A from random MACs ($o2);" \
		"h2 learned +$((l1 - l0)); table of $CTX_A: $n100 entries (cap 64), of $CTX_B: $n200: $(paste -sd, "$TMP/learn200.txt")"
	[ $((l1 - l0)) -gt 64 ] || why+="learned +$((l1 - l0)): the flood was not learned from; "
	[ "$n100" -ge 1 ] && [ "$n100" -le 64 ] || why+="context $CTX_A holds $n100 entries, cap 64; "
	[ "$n200" -eq 1 ] && grep -qx "$m200 $UL1_IP" "$TMP/learn200.txt" ||
		why+="context $CTX_B's table: $(paste -sd, "$TMP/learn200.txt"), expected only $m200 -> $UL1_IP; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Main ------------------------------------------------------------------------------------

NAMES=("reasm flood (offload)" "reasm flood (wire)" "xdp drops" "learn flood")
if ! reason=$(stt_prereqs); then
	for t in "${NAMES[@]}"; do skip "$t" "$reason"; done
elif ! build_flood >"$TMP/build.log" 2>&1 || [ ! -x "$FLOOD" ]; then
	diag <"$TMP/build.log"
	for t in "${NAMES[@]}"; do not_ok "$t" "cannot build $FLOOD (make build/stt_flood)"; done
elif ! stt_topo_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${NAMES[@]}"; do not_ok "$t" "topology setup failed"; done
else
	stt_log "topology up (prefix $STT_NS_PREFIX); flood ${SECS}s, sttd --mem $MEM_CAP, file ${MB} MiB"
	if [ -x "$STTD" ]; then
		test_reasm_flood offload
		test_reasm_flood wire
	else
		skip "reasm flood (offload)" "build/sttd is not built"
		skip "reasm flood (wire)" "build/sttd is not built"
	fi
	test_xdp_drops
	test_learn_flood
fi

harness_summary
