#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Observability: `sttctl stats` (per device, per context, per remote, filters), the man page's
# list of counters and drop reasons against what stats reports, `sttctl monitor`, and sttd's
# Prometheus endpoint (`sttd --metrics`), on the standard two-host topology (scripts/lib.sh).
# Needs root, bpffs, bpftool, curl and a built build/sttctl and build/sttd.
# Prints `ok - NAME`, `not ok - NAME: why` or `skip - NAME: reason` per test, diagnostics as
# `# ...` lines, and ends with `N passed, N failed, N skipped`. Exit status 1 on failure.
set -u

STT_NS_PREFIX=${STT_NS_PREFIX:-stm-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"


TMP=$(mktemp -d /tmp/stt-test-obs.XXXXXX)
MAN=$STT_REPO/docs/sttctl.8
METRICS_PORT=9474
# shellcheck disable=SC2034 # read by stt_sttd_start (scripts/lib.sh)
STTD_ARGS=(--metrics "127.0.0.1:$METRICS_PORT")
PING_PID=''
# Entries written with bpftool into the per-context and per-remote maps of h1: a context
# without a vport and a remote nobody talks to, so the datapath never touches them.
INJ_CTX=4242 INJ_REMOTE=198.18.0.99
# Set by setup: does the datapath fill stt_ctx_stats / stt_remote_stats?
DATAPATH_OAM=''

cleanup() {
	if [ -n "$PING_PID" ]; then
		kill "$PING_PID" 2>/dev/null
		wait "$PING_PID" 2>/dev/null
	fi
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Helpers ---------------------------------------------------------------------------------

stats_json() { stt_ctl "$1" stats --json "${@:2}" 2>/dev/null; }

# ping_n NS DST N: the number of answered pings out of N (5 per second)
ping_n() {
	timeout 30 ip netns exec "$1" ping -n -c "$3" -i 0.2 -W 1 "$2" >"$TMP/ping.log" 2>&1
	sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$TMP/ping.log" | head -1 | grep . || echo 0
}

# Possible CPUs (what libbpf sums over): the count of /sys/devices/system/cpu/possible.
ncpus_possible() {
	local total=0 part parts
	IFS=, read -ra parts </sys/devices/system/cpu/possible
	for part in "${parts[@]}"; do
		if [[ $part == *-* ]]; then
			total=$((total + ${part#*-} - ${part%-*} + 1))
		else
			total=$((total + 1))
		fi
	done
	echo "$total"
}

# le64 V: the 8 bytes of V, little-endian, in decimal (bpftool's byte list)
le64() {
	local i out=''
	for ((i = 0; i < 8; i++)); do out+="$((($1 >> (8 * i)) & 255)) "; done
	echo "$out"
}

# Fields of struct stt_flow_stats, in order (the injected values are 1 to 8 in this order).
FLOW_FIELDS=(tx_frames tx_segments tx_bytes tx_drops rx_frames rx_segments rx_bytes rx_drops)

# ctx_field JSON CONTEXT FIELD / rem_field JSON REMOTE FIELD: a counter, 0 if no entry
ctx_field() {
	jq -r --argjson c "$2" --arg f "$3" '[.contexts[]? | select(.context == $c)][0][$f] // 0' <<<"$1"
}
rem_field() {
	jq -r --arg r "$2" --arg f "$3" '[.remotes[]? | select(.remote == $r)][0][$f] // 0' <<<"$1"
}

# scrape NS PATH OUT: HTTP status and content type of GET http://127.0.0.1:PORT/PATH in NS
scrape() {
	nsx "$1" curl -s --max-time 10 -o "$3" -w '%{http_code} %{content_type}' \
		"http://127.0.0.1:$METRICS_PORT$2" 2>/dev/null
}

# check_exposition FILE: a strict reader of the Prometheus text format 0.0.4 as sttd writes
# it. Every line is `# HELP name text`, `# TYPE name type` or a sample
# `name{label="value",...} number`; each family has exactly one HELP then one TYPE before
# its samples, which follow together and carry the family's name (counters end in _total);
# no series twice. Prints the problems (none: valid) and writes `series value` lines to
# FILE.series. Returns 1 if the text is not valid.
check_exposition() {
	local file=$1 line n=0 errs=0 cur='' name series
	local -A help=() type=() seen=()
	local name_re='[a-zA-Z_:][a-zA-Z0-9_:]*'
	local lbl_re='[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\[\\"n])*"'
	local sample_re="^($name_re)(\\{($lbl_re(,$lbl_re)*)?\\})? (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)\$"
	: >"$file.series"
	[ -s "$file" ] || { echo "empty exposition"; return 1; }
	[ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ] || { echo "last line not terminated"; errs=$((errs + 1)); }
	while IFS= read -r line; do
		n=$((n + 1))
		if [[ $line =~ ^#\ HELP\ ($name_re)\ (.+)$ ]]; then
			name=${BASH_REMATCH[1]}
			if [ -n "${help[$name]+x}" ]; then
				echo "line $n: second HELP for $name"
				errs=$((errs + 1))
			fi
			help[$name]=1
			cur=$name
		elif [[ $line =~ ^#\ TYPE\ ($name_re)\ (counter|gauge|histogram|summary|untyped)$ ]]; then
			name=${BASH_REMATCH[1]}
			if [ "$name" != "$cur" ] || [ -n "${type[$name]+x}" ]; then
				echo "line $n: TYPE for $name not right after its HELP (or twice)"
				errs=$((errs + 1))
			fi
			type[$name]=${BASH_REMATCH[2]}
		elif [[ $line =~ $sample_re ]]; then
			name=${BASH_REMATCH[1]}
			series=${line% *}
			if [ "$name" != "$cur" ] || [ -z "${type[$name]+x}" ]; then
				echo "line $n: sample of $name outside its family (HELP and TYPE first, samples together)"
				errs=$((errs + 1))
			elif [ "${type[$name]}" = counter ] && [[ $name != *_total ]]; then
				echo "line $n: counter $name does not end in _total"
				errs=$((errs + 1))
			fi
			if [ -n "${seen[$series]+x}" ]; then
				echo "line $n: series $series twice"
				errs=$((errs + 1))
			fi
			seen[$series]=1
			echo "$series ${line##* }" >>"$file.series"
		else
			echo "line $n: not a HELP, TYPE or sample line: ${line:0:120}"
			errs=$((errs + 1))
		fi
	done <"$file"
	for name in "${!help[@]}"; do
		[ -n "${type[$name]+x}" ] || { echo "family $name has no TYPE"; errs=$((errs + 1)); }
	done
	[ "$errs" -eq 0 ]
}

# series_value FILE.series SERIES: its value, empty if absent
series_value() { awk -v s="$2" '$1 == s {print $2}' "$1"; }

# Tests -----------------------------------------------------------------------------------

# (a) stats --json has the device, the per-context and per-remote sections; the text output
# too; every context with a vport is listed with it.
test_stats_sections() {
	local name="stats: device, contexts and remotes sections" s why=''
	s=$(stats_json "$NS_H1")
	jq -e '.device == "ul1" and (.contexts | type) == "array" and (.remotes | type) == "array"
		and (.counters | type) == "object" and (.drops | type) == "object" and (.reasm | type) == "object"' \
		<<<"$s" >/dev/null || why+="stats --json lacks device/contexts/remotes/counters/drops/reasm; "
	stt_ctl "$NS_H1" stats >"$TMP/stats.txt" 2>&1 || why+="stats failed; "
	grep -q '^device ul1$' "$TMP/stats.txt" || why+="text: no 'device ul1' line; "
	grep -q '^contexts: [0-9]' "$TMP/stats.txt" || why+="text: no 'contexts:' line; "
	grep -q '^remotes: [0-9]' "$TMP/stats.txt" || why+="text: no 'remotes:' line; "
	if [ -n "$DATAPATH_OAM" ]; then
		jq -e '[.contexts[] | select(.context == 100 and .vport == "vp1")] | length == 1' \
			<<<"$s" >/dev/null || why+="context 100 (vport vp1) not listed; "
	fi
	echo "# h1: device $(jq -c .device <<<"$s"), $(jq '.contexts | length' <<<"$s") contexts, $(jq '.remotes | length' <<<"$s") remotes"
	if [ -n "$why" ]; then
		diag <"$TMP/stats.txt"
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (b) Entries written with bpftool (values 1..8, the same on every CPU) come out summed over
# the possible CPUs; --context and --remote select them; a filter that matches nothing is a
# one-line error.
test_stats_injected() {
	local name="stats: per-CPU sums and filters (entries written with bpftool)"
	local dir ncpu vals='' i s why='' f want got rc
	dir=$STT_PIN_BASE/$(stt_ns_inode "$NS_H1")
	ncpu=$(ncpus_possible)
	for i in 1 2 3 4 5 6 7 8; do vals+="$(le64 "$i")"; done
	# shellcheck disable=SC2086,SC2046 # byte lists
	if ! bpftool map update pinned "$dir/stt_ctx_stats" key $(le64 $INJ_CTX) value $vals 2>"$TMP/bpftool.err" ||
		! bpftool map update pinned "$dir/stt_remote_stats" key ${INJ_REMOTE//./ } value $vals 2>>"$TMP/bpftool.err"; then
		diag <"$TMP/bpftool.err"
		not_ok "$name" "bpftool could not write the entries"
		return
	fi
	s=$(stats_json "$NS_H1" --context $INJ_CTX)
	echo "# $ncpu possible CPUs; stats --context $INJ_CTX: $(jq -c .contexts <<<"$s")"
	jq -e '(.contexts | length) == 1 and (has("remotes") | not)' <<<"$s" >/dev/null ||
		why+="--context: not exactly one context, or remotes present; "
	for i in "${!FLOW_FIELDS[@]}"; do
		f=${FLOW_FIELDS[$i]}
		want=$((ncpu * (i + 1)))
		got=$(ctx_field "$s" $INJ_CTX "$f")
		[ "$got" = "$want" ] || why+="context $f $got, want $want; "
	done
	s=$(stats_json "$NS_H1" --remote $INJ_REMOTE)
	jq -e '(.remotes | length) == 1 and (has("contexts") | not)' <<<"$s" >/dev/null ||
		why+="--remote: not exactly one remote, or contexts present; "
	for i in "${!FLOW_FIELDS[@]}"; do
		f=${FLOW_FIELDS[$i]}
		want=$((ncpu * (i + 1)))
		got=$(rem_field "$s" $INJ_REMOTE "$f")
		[ "$got" = "$want" ] || why+="remote $f $got, want $want; "
	done
	s=$(stats_json "$NS_H1" --context $INJ_CTX --remote $INJ_REMOTE)
	jq -e '(.contexts | length) == 1 and (.remotes | length) == 1' <<<"$s" >/dev/null ||
		why+="--context with --remote: not one of each; "
	s=$(stats_json "$NS_H1")
	jq -e --argjson c $INJ_CTX --arg r $INJ_REMOTE \
		'any(.contexts[]; .context == $c) and any(.remotes[]; .remote == $r)' <<<"$s" >/dev/null ||
		why+="unfiltered stats lacks the injected entries; "
	stt_ctl "$NS_H1" stats --context $((INJ_CTX + 1)) >"$TMP/f.out" 2>"$TMP/f.err"
	rc=$?
	[ "$rc" -eq 1 ] && [ "$(wc -l <"$TMP/f.err")" -eq 1 ] && [ ! -s "$TMP/f.out" ] ||
		why+="--context of a context without counters: status $rc, $(wc -l <"$TMP/f.err") lines on stderr; "
	stt_ctl "$NS_H1" -j stats --remote 198.18.0.98 >"$TMP/f.out" 2>/dev/null
	jq -e '.error | test("198.18.0.98")' "$TMP/f.out" >/dev/null 2>&1 ||
		why+="-j --remote without counters: no {\"error\"} naming the remote; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (c) The man page lists every counter and drop reason that stats --json reports, with the
# help text of `sttctl stats help` (which comes from the X-macros), and nothing else: they
# cannot drift apart.
test_man_counters() {
	local name="man page: every counter and drop reason of stats --json, same help" s why=''
	s=$(stats_json "$NS_H1")
	# group<TAB>name from stats --json (the flow fields from the injected context's entry)
	{
		jq -r '.counters | keys[] | "counters\t" + .' <<<"$s"
		jq -r '.drops | keys[] | "drops\t" + .' <<<"$s"
		jq -r '.reasm | keys[] | "reasm\t" + .' <<<"$s"
		jq -r --argjson c $INJ_CTX '.contexts[] | select(.context == $c) | keys[] |
			select(. != "context" and . != "vport") | "flow\t" + .' <<<"$s"
	} | sort >"$TMP/json.names"
	# group<TAB>name<TAB>help from `stats help` and from the man page's COUNTERS section
	stt_ctl "$NS_H1" stats help 2>&1 | awk '
		/^  Device counters:/ {g = "counters"; next}
		/^  Drop reasons/ {g = "drops"; next}
		/^  Reassembly/ {g = "reasm"; next}
		/^  Per context and per remote/ {g = "flow"; next}
		/^  [^ ]/ {g = ""}
		g != "" && /^    [^ ]/ {n = $1; sub(/^ +[^ ]+ +/, ""); print g "\t" n "\t" $0}' |
		sort >"$TMP/help.txt"
	awk '
		/^\.SH/ {in_c = ($0 == ".SH COUNTERS"); g = ""; next}
		!in_c {next}
		/^\.SS Device counters/ {g = "counters"; next}
		/^\.SS Drop reasons/ {g = "drops"; next}
		/^\.SS Reassembly/ {g = "reasm"; next}
		/^\.SS Per context and per remote/ {g = "flow"; next}
		/^\.SS/ {g = ""; next}
		g != "" && /^\.B / {n = $2; want = 1; next}
		want {gsub(/\\-/, "-"); print g "\t" n "\t" $0; want = 0}' "$MAN" | sort >"$TMP/man.txt"
	cut -f1,2 "$TMP/man.txt" >"$TMP/man.names"
	echo "# stats --json: $(wc -l <"$TMP/json.names") names; man page: $(wc -l <"$TMP/man.names"); stats help: $(wc -l <"$TMP/help.txt")"
	if ! grep -q '^drops	unknown_context$' "$TMP/json.names" || ! grep -q '^flow	' "$TMP/json.names"; then
		why+="stats --json gave no drop reasons or no per-context fields to check; "
	fi
	if ! diff "$TMP/json.names" "$TMP/man.names" >"$TMP/d1"; then
		sed 's/^</only in stats --json:/; s/^>/only in the man page:/' "$TMP/d1" | grep only | diag
		why+="names differ between stats --json and the man page; "
	fi
	if ! diff "$TMP/help.txt" "$TMP/man.txt" >"$TMP/d2"; then
		sed 's/^</stats help:/; s/^>/man page:  /' "$TMP/d2" | grep -E '^(stats|man)' | head -20 | diag
		why+="help texts differ between stats help and the man page; "
	fi
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (d) Per-context and per-remote counters move by exactly the traffic sent: 5 pings t1 -> t2
# (tenant neighbours are permanent, so no ARP) on h1 and h2; context 200 does not move.
test_ctx_remote_traffic() {
	local name="stats: per-context and per-remote counters after 5 pings" n=5 got why=''
	local a1 a2 b1 b2 d k f
	if [ -z "$DATAPATH_OAM" ]; then
		skip "$name" "the datapath does not fill stt_ctx_stats yet"
		return
	fi
	a1=$(stats_json "$NS_H1")
	a2=$(stats_json "$NS_H2")
	got=$(ping_n "$NS_T1" "$T2_IP" $n)
	b1=$(stats_json "$NS_H1")
	b2=$(stats_json "$NS_H2")
	if [ "$got" != $n ]; then
		diag <"$TMP/ping.log"
		not_ok "$name" "$got of $n pings answered"
		return
	fi
	# delta WHICH(ctx|rem) BEFORE AFTER KEY FIELD
	delta() {
		local fn=${1}_field
		echo $(($($fn "$3" "$4" "$5") - $($fn "$2" "$4" "$5")))
	}
	for f in tx_frames rx_frames tx_segments rx_segments; do
		d=$(delta ctx "$a1" "$b1" "$CTX_A" "$f"); [ "$d" = $n ] || why+="h1 context $CTX_A $f +$d, want +$n; "
		d=$(delta ctx "$a2" "$b2" "$CTX_A" "$f"); [ "$d" = $n ] || why+="h2 context $CTX_A $f +$d, want +$n; "
		d=$(delta rem "$a1" "$b1" "$UL2_IP" "$f"); [ "$d" = $n ] || why+="h1 remote $UL2_IP $f +$d, want +$n; "
		d=$(delta rem "$a2" "$b2" "$UL1_IP" "$f"); [ "$d" = $n ] || why+="h2 remote $UL1_IP $f +$d, want +$n; "
	done
	for f in tx_drops rx_drops; do
		d=$(delta ctx "$a1" "$b1" "$CTX_A" "$f"); [ "$d" = 0 ] || why+="h1 context $CTX_A $f +$d; "
		d=$(delta ctx "$a2" "$b2" "$CTX_A" "$f"); [ "$d" = 0 ] || why+="h2 context $CTX_A $f +$d; "
	done
	for f in "${FLOW_FIELDS[@]}"; do
		d=$(delta ctx "$a2" "$b2" "$CTX_B" "$f"); [ "$d" = 0 ] || why+="h2 context $CTX_B $f +$d, want +0; "
	done
	# Bytes: each ping is a 98-byte inner frame (14 Ethernet + 20 IP + 8 ICMP + 56), and the
	# only traffic, so the device's counters move by as much.
	for k in tx rx; do
		got=$(($(jq ".counters.${k}_bytes" <<<"$b1") - $(jq ".counters.${k}_bytes" <<<"$a1")))
		[ "$got" = $((n * 98)) ] || why+="h1 device ${k}_bytes +$got, want +$((n * 98)); "
		d=$(delta ctx "$a1" "$b1" "$CTX_A" "${k}_bytes")
		[ "$d" = $((n * 98)) ] || why+="h1 context $CTX_A ${k}_bytes +$d, want +$((n * 98)); "
		d=$(delta rem "$a1" "$b1" "$UL2_IP" "${k}_bytes")
		[ "$d" = $((n * 98)) ] || why+="h1 remote $UL2_IP ${k}_bytes +$d, want +$((n * 98)); "
		d=$(delta ctx "$a2" "$b2" "$CTX_A" "${k}_bytes")
		[ "$d" = $((n * 98)) ] || why+="h2 context $CTX_A ${k}_bytes +$d, want +$((n * 98)); "
	done
	echo "# h1 context $CTX_A after: $(jq -c --argjson c "$CTX_A" '.contexts[] | select(.context == $c)' <<<"$b1")"
	echo "# h2 remote $UL1_IP after: $(jq -c --arg r "$UL1_IP" '.remotes[] | select(.remote == $r)' <<<"$b2")"
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (e) monitor --count 2 with stdout not a terminal: two blocks, each with a device row whose
# transmit and receive rates are not zero while a ping runs (and the context's row, when the
# datapath counts per context); then the JSON form, one object per line.
test_monitor() {
	local name="monitor --count 2: two blocks with non-zero rates under traffic" rc why='' blocks
	timeout 60 ip netns exec "$NS_T1" ping -n -i 0.2 -w 30 "$T2_IP" >/dev/null 2>&1 &
	PING_PID=$!
	sleep 0.5 # the ping is under way before the first interval starts
	timeout 30 "$STTCTL" -n "$NS_H1" monitor --count 2 >"$TMP/mon.txt" 2>"$TMP/mon.err"
	rc=$?
	timeout 30 "$STTCTL" -n "$NS_H1" -j monitor --count 2 --interval 0.5 >"$TMP/mon.json" 2>>"$TMP/mon.err"
	kill "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
	PING_PID=''
	blocks=$(grep -c '^time ' "$TMP/mon.txt")
	[ "$rc" -eq 0 ] || why+="exit status $rc; "
	[ "$blocks" -eq 2 ] || why+="$blocks blocks, want 2; "
	# Each block: the device row's TX-frames/s ($3), TX-bit/s ($4), RX-frames/s ($5) not zero.
	awk '/^time /{b++} $1 == "device" {if ($3 + 0 > 0 && $4 != "0" && $5 + 0 > 0) okd[b] = 1}
		$1 == "context" && $2 == "'"$CTX_A"'" {if ($3 + 0 > 0 && $5 + 0 > 0) okc[b] = 1}
		END {for (i = 1; i <= b; i++) {if (!okd[i]) print "block " i ": device rates zero";
			if ("'"$DATAPATH_OAM"'" != "" && !okc[i]) print "block " i ": context '"$CTX_A"' rates zero"}}' \
		"$TMP/mon.txt" >"$TMP/mon.bad"
	[ -s "$TMP/mon.bad" ] && why+="$(paste -sd, "$TMP/mon.bad"); "
	[ "$(wc -l <"$TMP/mon.json")" -eq 2 ] || why+="-j: $(wc -l <"$TMP/mon.json") lines, want 2; "
	jq -se 'length == 2 and all(.[]; .device.tx_frames_per_s > 0 and .device.rx_frames_per_s > 0
		and .device.name == "ul1" and (.contexts | type) == "array")' "$TMP/mon.json" >/dev/null 2>&1 ||
		why+="-j: objects without non-zero device rates; "
	head -6 "$TMP/mon.txt" | diag
	if [ -n "$why" ]; then
		diag <"$TMP/mon.err"
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (f) sttd --metrics: GET /metrics gives valid exposition (strict reader above) with the
# right content type, the same drop reasons as stats --json, the reassembly counters, the
# injected per-context and per-remote entries, and counters that only grow and do grow under
# 5 pings; other paths are 404, other methods 405, request heads over 4 KiB 431.
test_metrics() {
	local name="sttd --metrics: exposition, counters grow; 404, 405, 431 otherwise" hdr why='' n=5
	local s1 s2 v1 v2 ser ncpu code
	if [ "$STTD_STATE" != running ]; then
		not_ok "$name" "sttd is $STTD_STATE"
		return
	fi
	hdr=$(scrape "$NS_H1" /metrics "$TMP/m1.txt")
	[ "$hdr" = "200 text/plain; version=0.0.4; charset=utf-8" ] || why+="GET /metrics: '$hdr'; "
	if ! check_exposition "$TMP/m1.txt" >"$TMP/m1.bad"; then
		head -10 "$TMP/m1.bad" | diag
		why+="first scrape is not valid exposition; "
	fi
	[ "$(ping_n "$NS_T1" "$T2_IP" $n)" = $n ] || why+="pings lost; "
	scrape "$NS_H1" /metrics "$TMP/m2.txt" >/dev/null
	if ! check_exposition "$TMP/m2.txt" >"$TMP/m2.bad"; then
		head -10 "$TMP/m2.bad" | diag
		why+="second scrape is not valid exposition; "
	fi
	s1=$TMP/m1.txt.series s2=$TMP/m2.txt.series
	echo "# scrapes: $(wc -l <"$s1") and $(wc -l <"$s2") series"
	# Counters never go back; these grow by at least the pings.
	while read -r ser v1; do
		[[ $ser == *_total* ]] || continue
		v2=$(series_value "$s2" "$ser")
		[ -n "$v2" ] && [ "$v2" -ge "$v1" ] || why+="$ser went from $v1 to ${v2:-nothing}; "
	done <"$s1"
	for ser in 'stt_device_tx_frames_total{device="ul1"}' 'stt_device_rx_frames_total{device="ul1"}' \
		${DATAPATH_OAM:+"stt_tx_frames_total{context=\"$CTX_A\",vport=\"vp1\"}"} \
		${DATAPATH_OAM:+"stt_remote_rx_frames_total{remote=\"$UL2_IP\"}"}; do
		v1=$(series_value "$s1" "$ser")
		v2=$(series_value "$s2" "$ser")
		[ -n "$v1" ] && [ -n "$v2" ] && [ $((v2 - v1)) -ge $n ] ||
			why+="$ser: ${v1:-absent} -> ${v2:-absent}, want +$n or more; "
	done
	# The same drop reasons as stats --json, and sttd's reassembly counters.
	diff <(stats_json "$NS_H1" | jq -r '.drops | keys[]' | sort) \
		<(sed -n 's/^stt_drops_total{reason="\([a-z0-9_]*\)"} .*/\1/p' "$TMP/m2.txt" | sort) >/dev/null ||
		why+="stt_drops_total reasons differ from stats --json drops; "
	grep -qx '# TYPE stt_reasm_pieces_total counter' "$TMP/m2.txt" &&
		grep -qx '# TYPE stt_reasm_mem_bytes gauge' "$TMP/m2.txt" &&
		[ -n "$(series_value "$s2" stt_reasm_frames_total)" ] || why+="reassembly counters missing; "
	ncpu=$(ncpus_possible)
	[ "$(series_value "$s2" "stt_tx_frames_total{context=\"$INJ_CTX\",vport=\"\"}")" = "$ncpu" ] &&
		[ "$(series_value "$s2" "stt_remote_rx_drops_total{remote=\"$INJ_REMOTE\"}")" = $((ncpu * 8)) ] ||
		why+="injected context/remote entries missing or wrong; "
	code=$(scrape "$NS_H1" /nope "$TMP/404.txt")
	[ "${code%% *}" = 404 ] || why+="GET /nope: '$code', want 404; "
	code=$(scrape "$NS_H1" /metricsx "$TMP/404.txt")
	[ "${code%% *}" = 404 ] || why+="GET /metricsx: '$code', want 404; "
	# Other methods, and request heads over 4 KiB, are refused.
	code=$(nsx "$NS_H1" curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST \
		"http://127.0.0.1:$METRICS_PORT/metrics")
	[ "$code" = 405 ] || why+="POST /metrics: '$code', want 405; "
	code=$(nsx "$NS_H1" curl -s --max-time 10 -o /dev/null -w '%{http_code}' \
		-H "X-Big: $(printf '%5000s' '' | tr ' ' a)" "http://127.0.0.1:$METRICS_PORT/metrics")
	[ "$code" = 431 ] || why+="GET with a 5000-byte header: '$code', want 431; "
	# h2's sttd serves its own namespace on the same address.
	scrape "$NS_H2" /metrics "$TMP/h2.txt" >/dev/null
	grep -q '^stt_device_rx_frames_total{device="ul2"} [1-9]' "$TMP/h2.txt" || why+="h2: no ul2 counters; "
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (g) Label values are escaped: with vp1 renamed to `vp"\1` (a valid interface name), the
# exposition stays valid and carries vport="vp\"\\1"; stats --json carries the name as is.
test_metrics_escaping() {
	local name='sttd --metrics: label values escaped (vport named vp"\1)' odd='vp"\1' why=''
	if [ "$STTD_STATE" != running ] || [ -z "$DATAPATH_OAM" ]; then
		skip "$name" "needs sttd and the datapath's per-context counters"
		return
	fi
	if ! ip -n "$NS_H1" link set vp1 down || ! ip -n "$NS_H1" link set vp1 name "$odd" ||
		! ip -n "$NS_H1" link set "$odd" up; then
		not_ok "$name" "could not rename vp1"
		return
	fi
	scrape "$NS_H1" /metrics "$TMP/esc.txt" >/dev/null
	if ! check_exposition "$TMP/esc.txt" >"$TMP/esc.bad"; then
		head -5 "$TMP/esc.bad" | diag
		why+="exposition not valid; "
	fi
	grep -qF 'stt_tx_frames_total{context="'"$CTX_A"'",vport="vp\"\\1"} ' "$TMP/esc.txt" ||
		why+="no stt_tx_frames_total with vport=\"vp\\\"\\\\1\"; "
	stats_json "$NS_H1" --context "$CTX_A" | jq -e --arg v "$odd" '.contexts[0].vport == $v' >/dev/null ||
		why+="stats --json does not give the vport's name; "
	ip -n "$NS_H1" link set "$odd" down && ip -n "$NS_H1" link set "$odd" name vp1 &&
		ip -n "$NS_H1" link set vp1 up || why+="could not rename vp1 back; "
	grep -F 'vport=' "$TMP/esc.txt" | head -2 | diag
	if [ -n "$why" ]; then
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# (h) sttd keeps reassembling while it serves metrics (its event loop is then a poll() over
# the perf buffer and the sockets). Runs last: it changes MTUs and GRO. With MTU 1500 on
# t1, t2 and their vports, a 1514-byte ping frame is cut into two STT segments; with GRO off
# on both underlays each segment reaches TC alone and goes to sttd. 5 pings answered means
# 10 frames reassembled; the scrapes (which publish sttd's counters first) show them all.
test_sttd_reasm_with_metrics() {
	local name="sttd --metrics: every piece handed to sttd is reassembled" n=5 got why='' h
	local -A p1=() p2=() f1=() f2=()
	if [ "$STTD_STATE" != running ]; then
		not_ok "$name" "sttd is $STTD_STATE"
		return
	fi
	ip -n "$NS_T1" link set eth0 mtu 1500 && ip -n "$NS_H1" link set vp1 mtu 1500 &&
		ip -n "$NS_T2" link set eth0 mtu 1500 && ip -n "$NS_H2" link set vp2 mtu 1500 &&
		nsx "$NS_H1" ethtool -K "$UL1" gro off >/dev/null && nsx "$NS_H2" ethtool -K "$UL2" gro off >/dev/null ||
		{ not_ok "$name" "could not set MTU 1500 and GRO off"; return; }
	for h in "$NS_H1" "$NS_H2"; do
		scrape "$h" /metrics "$TMP/r1-$h.txt" >/dev/null
		check_exposition "$TMP/r1-$h.txt" >/dev/null
		p1[$h]=$(series_value "$TMP/r1-$h.txt.series" stt_reasm_pieces_total)
		f1[$h]=$(series_value "$TMP/r1-$h.txt.series" stt_reasm_frames_total)
	done
	got=$(timeout 30 ip netns exec "$NS_T1" ping -n -M "do" -s 1472 -c $n -i 0.2 -W 2 "$T2_IP" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p')
	for h in "$NS_H1" "$NS_H2"; do
		scrape "$h" /metrics "$TMP/r2-$h.txt" >/dev/null
		check_exposition "$TMP/r2-$h.txt" >/dev/null
		p2[$h]=$(series_value "$TMP/r2-$h.txt.series" stt_reasm_pieces_total)
		f2[$h]=$(series_value "$TMP/r2-$h.txt.series" stt_reasm_frames_total)
		echo "# $h: reasm_pieces ${p1[$h]:-?} -> ${p2[$h]:-?}, reasm_frames ${f1[$h]:-?} -> ${f2[$h]:-?}," \
			"rx_to_sttd $(series_value "$TMP/r2-$h.txt.series" 'stt_device_rx_to_sttd_total{device="'"ul${h: -1}"'"}')," \
			"multi_segment $(series_value "$TMP/r2-$h.txt.series" 'stt_drops_total{reason="multi_segment"}')"
		[ -n "${f1[$h]}" ] && [ -n "${f2[$h]}" ] && [ $((f2[$h] - f1[$h])) -eq $n ] ||
			why+="$h: reasm_frames +$((${f2[$h]:-0} - ${f1[$h]:-0})), want +$n; "
		[ -n "${p2[$h]}" ] && [ $((p2[$h] - p1[$h])) -ge $((2 * n)) ] ||
			why+="$h: reasm_pieces +$((${p2[$h]:-0} - ${p1[$h]:-0})), want +$((2 * n)) or more; "
	done
	[ "${got:-0}" = $n ] || why+="${got:-0} of $n pings answered; "
	if [ -n "$why" ]; then
		cat "$TMP"/sttd-*.log | tail -5 | diag
		not_ok "$name" "${why%; }"
	else
		ok "$name"
	fi
}

# Main ------------------------------------------------------------------------------------

TESTS=(test_stats_sections test_stats_injected test_man_counters test_ctx_remote_traffic
	test_monitor test_metrics test_metrics_escaping test_sttd_reasm_with_metrics)

setup() {
	local got s ns
	stt_topo_up || return 1
	stt_sttd_start "$TMP"
	if [ "$STTD_STATE" = running ]; then
		for ns in "$NS_H1" "$NS_H2"; do
			stt_wait_listen "$ns" "$METRICS_PORT" ||
				{ echo "sttd in $ns does not listen on $METRICS_PORT" >&2; cat "$TMP"/sttd-*.log >&2; }
		done
	fi
	# Warm up (ARP through the tunnel), then pin the tenants' neighbours so that the
	# measured traffic is exactly the pings.
	got=$(ping_n "$NS_T1" "$T2_IP" 2)
	[ "$got" = 2 ] || { echo "warm-up ping: $got of 2 answered" >&2; return 1; }
	ip -n "$NS_T1" neigh replace "$T2_IP" lladdr "$T2_MAC" dev eth0 nud permanent &&
		ip -n "$NS_T2" neigh replace "$T1_IP" lladdr "$T1_MAC" dev eth0 nud permanent || return 1
	s=$(stats_json "$NS_H1")
	if [ "$(ctx_field "$s" "$CTX_A" tx_frames)" -gt 0 ] 2>/dev/null; then
		DATAPATH_OAM=yes
	fi
}

if ! reason=$(stt_prereqs); then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "$reason"; done
elif ! command -v bpftool >/dev/null || ! command -v curl >/dev/null; then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "bpftool and curl are needed"; done
elif ! setup >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	stt_log "topology up; sttd $STTD_STATE; per-context counters from the datapath: ${DATAPATH_OAM:-no}"
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
