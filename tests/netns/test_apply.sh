#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `sttctl apply` and `sttctl show --json` (docs/API.md) on the standard two-host topology
# (scripts/lib.sh), configured by documents instead of single commands. Needs root, bpffs,
# bpftool and a built build/sttctl. Namespaces are prefixed "sta-" unless STT_NS_PREFIX says
# otherwise. Prints `ok - NAME` / `not ok - NAME: why` / `skip - NAME: reason` and ends with
# `N passed, N failed, N skipped`. Exit status 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STT_NS_PREFIX:-sta-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

# has_tc_prog NS DEV: stt's program is on DEV's TC ingress: a tcx link pinned by stt
# (link_tc_<ifindex> in the namespace's pin directory) or a clsact bpf filter.
has_tc_prog() {
	local idx
	idx=$(ip -n "$1" -j link show "$2" 2>/dev/null | jq -r '.[0].ifindex')
	[ -e "$STT_PIN_BASE/$(stt_ns_inode "$1")/link_tc_$idx" ] ||
		tc -n "$1" filter show dev "$2" ingress 2>/dev/null | grep -q bpf
}


TMP=$(mktemp -d /tmp/stt-test-apply.XXXXXX)
IPERF_PID='' IPERF_SRV_PID=''

cleanup() {
	local pid
	for pid in $IPERF_PID $IPERF_SRV_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fixed MAC for t2, so that docs/API.md's bpftool example names it.
T2_FIXED_MAC=02:53:54:00:00:02

# Helpers ---------------------------------------------------------------------------------

# apply NS FILE [ARGS...]: sttctl apply; stdout in $TMP/apply.out, stderr in $TMP/apply.err.
apply() {
	local ns=$1 file=$2
	shift 2
	timeout 120 "$STTCTL" -n "$ns" apply "$@" "$file" >"$TMP/apply.out" 2>"$TMP/apply.err" </dev/null
}

# The N of the "N changes" line apply printed last, or "none".
changes() { sed -n 's/^\([0-9]\+\) changes\?\( (dry run.*\)\?$/\1/p' "$TMP/apply.out" | tail -1 | grep . || echo none; }

# show NS: sttctl show --json without the status object, keys sorted.
show() { stt_ctl "$1" show --json 2>/dev/null | jq -S 'del(.status)' 2>/dev/null; }

# ping_count NS DST: answered pings out of 3
ping_count() {
	timeout 15 ip netns exec "$1" ping -n -c 3 -W 1 "$2" >"$TMP/ping.log" 2>&1
	sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$TMP/ping.log" | head -1 | grep . || echo 0
}

stats_json() { stt_ctl "$1" stats --json 2>/dev/null; }

# The documents that build the standard topology (scripts/lib.sh's stt_topo_up) at once.
doc_h1() {
	jq -n --arg ul "$UL1" --arg local "$UL1_IP" --arg ctx "$CTX_A" --arg mac "$T2_MAC" \
		--arg remote "$UL2_IP" '{version: 1,
		attachment: {device: $ul, local: $local},
		vports: [{ifname: "vp1", context: $ctx}],
		fdb: [{context: $ctx, mac: $mac, remote: $remote}],
		flood: [{context: $ctx, remotes: [$remote]}]}'
}
doc_h2() {
	jq -n --arg ul "$UL2" --arg local "$UL2_IP" --arg ctx "$CTX_A" --arg ctxb "$CTX_B" \
		--arg mac "$T1_MAC" --arg remote "$UL1_IP" '{version: 1,
		attachment: {device: $ul, local: $local},
		vports: [{ifname: "vp2", context: $ctx}, {ifname: "vp3", context: $ctxb, xdp: false}],
		fdb: [{context: $ctx, mac: $mac, remote: $remote}],
		flood: [{context: $ctx, remotes: [$remote]}]}'
}

# Tests -----------------------------------------------------------------------------------

# (a) From nothing (devices only, no sttctl command run yet), one document per host brings up
# a working tunnel: the change counts are exactly the objects in the documents, and t1 pings
# t2 (ARP through the tunnel, so the flood lists work too).
test_from_scratch() {
	local name="apply from scratch brings up the tunnel" c1 c2 got
	doc_h1 >"$TMP/h1.json"
	doc_h2 >"$TMP/h2.json"
	apply "$NS_H1" "$TMP/h1.json"
	c1=$(changes)
	[ "$c1" = none ] && diag <"$TMP/apply.err"
	apply "$NS_H2" "$TMP/h2.json"
	c2=$(changes)
	[ "$c2" = none ] && diag <"$TMP/apply.err"
	got=$(ping_count "$NS_T1" "$T2_IP")
	echo "# h1: $c1 changes (expected 4), h2: $c2 changes (expected 5), ping: $got of 3"
	if [ "$c1" != 4 ] || [ "$c2" != 5 ]; then
		not_ok "$name" "changes h1=$c1 h2=$c2, expected 4 and 5"
	elif [ "$got" != 3 ]; then
		diag <"$TMP/ping.log"
		not_ok "$name" "$got of 3 pings answered"
	else
		ok "$name"
	fi
}

# (b) The same documents again: 0 changes, nothing printed by --dry-run, show unchanged.
test_apply_twice() {
	local name="applying the same document twice changes nothing" before after c1 c2 lines
	before=$(show "$NS_H1")$(show "$NS_H2")
	apply "$NS_H1" "$TMP/h1.json"
	c1=$(changes)
	apply "$NS_H2" "$TMP/h2.json" --dry-run
	lines=$(grep -cv 'changes\? (dry run' "$TMP/apply.out")
	apply "$NS_H2" "$TMP/h2.json"
	c2=$(changes)
	after=$(show "$NS_H1")$(show "$NS_H2")
	echo "# second apply: h1 $c1 changes, h2 $c2 changes, h2 dry run listed $lines changes"
	if [ "$c1" != 0 ] || [ "$c2" != 0 ] || [ "$lines" != 0 ]; then
		not_ok "$name" "h1 $c1, h2 $c2 changes, dry run listed $lines (expected 0)"
	elif [ "$before" != "$after" ] || [ -z "$before" ]; then
		not_ok "$name" "show --json changed"
	else
		ok "$name"
	fi
}

# (c) show --json | apply - changes nothing, on both hosts, and the document show prints is a
# valid one (version 1, contexts as strings).
test_round_trip() {
	local name="show --json | apply - gives 0 changes" ns c bad=''
	for ns in "$NS_H1" "$NS_H2"; do
		stt_ctl "$ns" show --json >"$TMP/show.json"
		jq -e '.version == 1 and (.vports[0].context | type) == "string"' "$TMP/show.json" >/dev/null ||
			bad+="$ns: show --json is not a version-1 document; "
		timeout 60 "$STTCTL" -n "$ns" apply - <"$TMP/show.json" >"$TMP/apply.out" 2>"$TMP/apply.err"
		c=$(changes)
		echo "# $ns: show --json | apply -: $c changes"
		[ "$c" = 0 ] || { diag <"$TMP/apply.err"; bad+="$ns: $c changes; "; }
	done
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (d) A document with many errors: every one is listed (path and reason, one per line), the
# exit status is non-zero, and nothing changes. Includes a system check (an interface that
# does not exist) alongside the document's own errors: both kinds are reported together.
test_invalid() {
	local name="invalid document: every error listed, nothing applied" before after rc n missing=''
	local p
	before=$(show "$NS_H1")
	jq -n --arg ul "$UL1" '{version: 2, colour: "blue",
		attachment: {device: $ul, port: 0, ttl: 300, dscp: 64, peers: "closed", xdp: "maybe"},
		vports: [{ifname: "vp1", context: 100}, {ifname: "nosuch0", context: "7"},
			 {ifname: "vp1", context: "007"}],
		fdb: [{context: "100", mac: "02:00:00:00:00:zz", remote: "198.18.0.2"},
		      {context: "18446744073709551616", mac: "02:00:00:00:00:01", remote: "198.18.0"},
		      {context: "5", mac: "02:00:00:00:00:01", remote: "198.18.0.2"},
		      {context: "5", mac: "02:00:00:00:00:01", remote: "198.18.0.3"},
		      {context: "5", mac: "ff:ff:ff:ff:ff:ff", remote: "198.18.0.3", vlan: 3}],
		flood: [{context: "100", remotes: ["198.18.0.2", "198.18.0.2"]},
			{context: "101", remotes: [range(1; 18) | "198.18.1.\(.)"]}],
		peers: [{context: "100", remotes: []}]}' >"$TMP/bad.json"
	apply "$NS_H1" "$TMP/bad.json"
	rc=$?
	after=$(show "$NS_H1")
	# One line per error, then the summary line.
	n=$(grep -c '^sttctl: \$' "$TMP/apply.err")
	for p in '$.colour: unknown key' '$.version: version 2' '$.attachment.port: 0 is out of range' \
		'$.attachment.ttl: 300' '$.attachment.dscp: 64' '$.attachment.peers:' '$.attachment.xdp:' \
		'$.vports[0].context: expected a context ID as a string' '$.vports[1].ifname: nosuch0: no such interface' \
		'$.vports[2].ifname: vp1 is a vport twice' '$.vports[2].context: "007"' '$.fdb[0].mac:' \
		'$.fdb[1].context:' '$.fdb[1].remote:' '$.fdb[4].vlan: unknown key' '$.fdb[4].mac:' \
		'$.fdb: context 5, MAC 02:00:00:00:00:01: listed more than once' \
		'$.flood[0].remotes[1]: remote listed twice' '$.flood[1].remotes: 17 flood remotes' \
		'$.peers[0].remotes: empty'; do
		grep -qF "sttctl: $p" "$TMP/apply.err" || missing+="'$p' "
	done
	echo "# exit status $rc, $n error lines; last line: $(tail -1 "$TMP/apply.err")"
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "apply exited 0"
	elif [ -n "$missing" ]; then
		diag <"$TMP/apply.err"
		not_ok "$name" "errors not reported: $missing"
	elif [ "$n" -ne 20 ] || ! tail -1 "$TMP/apply.err" | grep -q '20 errors, nothing applied'; then
		diag <"$TMP/apply.err"
		not_ok "$name" "$n error lines, expected exactly 20 and a '20 errors' summary"
	elif [ "$before" != "$after" ] || [ -z "$before" ]; then
		diff <(echo "$before") <(echo "$after") | head -20 | diag
		not_ok "$name" "show --json changed"
	else
		ok "$name"
	fi
}

# Learning and VLAN vports ----------------------------------------------------------------

# learn_table NS CONTEXT: "ID MAX_ENTRIES" of the learning table installed for CONTEXT in the
# pinned hash of maps stt_learn (bpftool; the value of an entry is the inner map's ID), or
# "none".
learn_table() {
	local id
	id=$(bpftool -j map dump pinned "$STT_PIN_BASE/$(stt_ns_inode "$1")/stt_learn" 2>/dev/null |
		python3 -c '
import json, sys
le = lambda b: int.from_bytes(bytes(int(x, 16) for x in b), "little") if isinstance(b, list) else int(b)
for e in json.load(sys.stdin):
    if le(e["key"]) == int(sys.argv[1]):
        print(le(e["value"]))
' "$2" 2>/dev/null)
	if [ -z "$id" ]; then echo none; return; fi
	echo "$id $(bpftool -j map show id "$id" 2>/dev/null | jq -r '.max_entries')"
}

# pinned_dump NS MAP: bpftool's JSON dump of a pinned map, each entry as BTF formats it
# ({key, value} as numbers and objects).
pinned_dump() {
	bpftool -j map dump pinned "$STT_PIN_BASE/$(stt_ns_inode "$1")/$2" 2>/dev/null | jq 'map(.formatted // .)'
}

# vlan_vports NS: the stt_vlan_vports entries, "ifindex/vid:context" sorted, space separated.
vlan_vports() { pinned_dump "$1" stt_vlan_vports | jq -r '[.[] | "\(.key.ifindex)/\(.key.vid):\(.value.context)"] | sort | join(" ")'; }

# vport_age NS IFNAME: learn_age of IFNAME's plain vport in stt_vports.
vport_age() {
	local idx
	idx=$(ip -n "$1" -j link show "$2" | jq '.[0].ifindex')
	pinned_dump "$1" stt_vports | jq -r --argjson i "$idx" '.[] | select(.key == $i) | .value.learn_age'
}

# The h1 document with learning on vp1 (cap 64, age 120) and two VLAN vports on vp1 next to
# its own vport: VLAN 10 (context 500, no learning) and VLAN 20 (context 501, learning with
# the defaults). $1/$2: vp1's cap and age.
doc_h1_lv() {
	jq --argjson cap "${1:-64}" --argjson age "${2:-120}" '.vports = [
		{ifname: "vp1", context: "100", learn: {cap: $cap, age: $age}},
		{ifname: "vp1", context: "500", vlan: 10},
		{ifname: "vp1", context: "501", vlan: 20, learn: {}}]' "$TMP/h1.json"
}

# (k) A document with a learning vport and VLAN vports: applied (3 changes: vp1's learning in
# place, two VLAN vports added), installed as written (stt_learn tables of 64 and 1024
# entries for contexts 100 and 501, vp1's learn_age 120, stt_vlan_vports entries for VLANs 10
# and 20 of vp1), shown by show --json, 0 changes applied again and through show --json |
# apply -, and t1 still reaches t2 through vp1 (its own vport, now learning).
test_learn_vlan() {
	local name="learning and VLAN vports: applied, shown, 0 changes again and round trip"
	local why='' c idx vv t100 t501 age shown got
	doc_h1_lv >"$TMP/lv.json"
	apply "$NS_H1" "$TMP/lv.json" --dry-run
	diag <"$TMP/apply.out"
	apply "$NS_H1" "$TMP/lv.json"
	c=$(changes)
	[ "$c" = 3 ] || { diag <"$TMP/apply.err"; why+="apply: $c changes, expected 3; "; }
	idx=$(ip -n "$NS_H1" -j link show vp1 | jq '.[0].ifindex')
	vv=$(vlan_vports "$NS_H1")
	t100=$(learn_table "$NS_H1" 100) t501=$(learn_table "$NS_H1" 501) age=$(vport_age "$NS_H1" vp1)
	echo "# stt_vlan_vports: '$vv'; learning tables: 100 '$t100', 501 '$t501'; vp1 learn_age $age"
	[ "$vv" = "$idx/10:500 $idx/20:501" ] || why+="stt_vlan_vports is '$vv'; "
	[ "${t100#* }" = 64 ] || why+="context 100's table: '$t100', expected 64 entries; "
	[ "${t501#* }" = 1024 ] || why+="context 501's table: '$t501', expected 1024 entries; "
	[ "$(learn_table "$NS_H1" 500)" = none ] || why+="context 500 (no learning) has a table; "
	[ "$age" = 120 ] || why+="vp1's learn_age is $age; "
	shown=$(show "$NS_H1" | jq -c '[.vports[] | {ifname, context, learn, vlan}]')
	echo "# show --json vports: $shown"
	[ "$shown" = '[{"ifname":"vp1","context":"100","learn":{"age":120,"cap":64},"vlan":null},{"ifname":"vp1","context":"500","learn":null,"vlan":10},{"ifname":"vp1","context":"501","learn":{"age":300,"cap":1024},"vlan":20}]' ] ||
		why+="show --json vports differ; "
	apply "$NS_H1" "$TMP/lv.json"
	[ "$(changes)" = 0 ] || why+="applied again: $(changes) changes; "
	stt_ctl "$NS_H1" show --json >"$TMP/lv-show.json"
	apply "$NS_H1" "$TMP/lv-show.json"
	[ "$(changes)" = 0 ] || { diag <"$TMP/apply.err"; why+="show --json | apply -: $(changes) changes; "; }
	has_tc_prog "$NS_H1" vp1 || why+="vp1 has no TC program; "
	got=$(ping_count "$NS_T1" "$T2_IP")
	[ "$got" = 3 ] || why+="t1 -> t2: $got of 3 pings; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# (l) A change of vp1's learning cap (64 -> 128, and its age 120 -> 60) is one change, and
# context 100's installed table is then another map with 128 entries; a change of the age
# only (60 -> 90) is one change written in place: the same table, learn_age 90.
test_learn_change() {
	local name="learning: a new cap replaces the table, a new age is written in place"
	local why='' dry t0 t1 t2 age
	t0=$(learn_table "$NS_H1" 100)
	doc_h1_lv 128 60 >"$TMP/lv2.json"
	apply "$NS_H1" "$TMP/lv2.json" --dry-run
	dry=$(grep -v 'dry run' "$TMP/apply.out")
	apply "$NS_H1" "$TMP/lv2.json"
	[ "$(changes)" = 1 ] || { diag <"$TMP/apply.err"; why+="cap change: $(changes) changes, expected 1; "; }
	t1=$(learn_table "$NS_H1" 100) age=$(vport_age "$NS_H1" vp1)
	echo "# dry run: $dry; table before '$t0', after '$t1'; learn_age $age"
	[ "$dry" = "~ vport vp1 context 100: learn cap 64 age 120 -> cap 128 age 60" ] || why+="dry run listed '$dry'; "
	[ "${t1#* }" = 128 ] || why+="table after the cap change: '$t1', expected 128 entries; "
	[ "${t1% *}" != "${t0% *}" ] || why+="the table is still map ${t0% *}; "
	[ "$age" = 60 ] || why+="learn_age $age after the change, expected 60; "
	doc_h1_lv 128 90 >"$TMP/lv3.json"
	apply "$NS_H1" "$TMP/lv3.json"
	[ "$(changes)" = 1 ] || why+="age change: $(changes) changes, expected 1; "
	t2=$(learn_table "$NS_H1" 100) age=$(vport_age "$NS_H1" vp1)
	echo "# age only: table '$t2', learn_age $age"
	[ "$t2" = "$t1" ] || why+="the age change replaced the table ('$t1' -> '$t2'); "
	[ "$age" = 90 ] || why+="learn_age $age, expected 90; "
	show "$NS_H1" | jq -e '.vports[0].learn == {cap: 128, age: 90}' >/dev/null || why+="show --json does not say cap 128 age 90; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# lv_state NS: everything learning and VLAN vports leave in the maps, in one line: show
# --json, the learning tables (context -> map ID and size), stt_vlan_vports, stt_contexts and
# whether vp1 has stt's program.
lv_state() {
	local c
	show "$1" | jq -c .
	for c in 100 500 501 502; do echo -n "$c: $(learn_table "$1" "$c"); "; done
	echo "vlan: $(vlan_vports "$1")"
	pinned_dump "$1" stt_contexts | jq -c 'sort_by(.key)'
	pinned_dump "$1" stt_vports | jq -c 'sort_by(.key)'
	has_tc_prog "$1" vp1 && echo "vp1 has its program"
}

# (l2) A step that fails midway through learning and VLAN changes undoes them all, down to
# the learning tables themselves (the very same maps come back, with what they learned): the
# document removes VLAN 10, turns vp1's learning off, gives VLAN 20 another cap and adds VLAN
# 30 with learning; it is applied with STT_APPLY_FAIL_AFTER=0, 1, 2... (every step of it)
# until it succeeds, which must take at least 10 steps. The state of (l) is applied again
# afterwards.
test_learn_vlan_rollback() {
	local name="learning and VLAN changes: a failing step undoes them all" before after n rc bad=''
	local steps=none
	before=$(lv_state "$NS_H1")
	jq '.vports = [{ifname: "vp1", context: "100"},
		{ifname: "vp1", context: "501", vlan: 20, learn: {cap: 16, age: 30}},
		{ifname: "vp1", context: "502", vlan: 30, learn: {cap: 8}}]' "$TMP/h1.json" >"$TMP/lv-rb.json"
	apply "$NS_H1" "$TMP/lv-rb.json" --dry-run
	diag <"$TMP/apply.out"
	for ((n = 0; n < 30; n++)); do
		STT_APPLY_FAIL_AFTER=$n apply "$NS_H1" "$TMP/lv-rb.json"
		rc=$?
		if [ "$rc" -eq 0 ]; then
			steps=$n
			break
		fi
		after=$(lv_state "$NS_H1")
		if [ "$before" != "$after" ]; then
			diff <(echo "$before") <(echo "$after") | head -10 | diag
			bad+="fail after $n: state changed; "
			break
		fi
		[ "$n" -eq 0 ] && tail -2 "$TMP/apply.err" | diag
	done
	echo "# the document applied in $steps steps; every failure before that left the state as it was"
	[ -z "$bad" ] && { [ "$steps" = none ] || [ "$steps" -lt 10 ]; } && bad+="the document applied after $steps steps, expected at least 10; "
	apply "$NS_H1" "$TMP/lv3.json"
	[ "$(lv_state "$NS_H1" | head -1)" = "$(head -1 <<<"$before")" ] || bad+="could not go back to the state before; "
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (m) Removing VLAN 10's vport is one change: its stt_vlan_vports and stt_contexts entries go,
# VLAN 20's and vp1's own vport stay, stt's program stays on vp1 and t1 still reaches t2.
# Then the base document again removes VLAN 20 and vp1's learning (2 changes): no VLAN vport
# and no learning table is left, vp1 still works, and show --json is the base state.
test_vlan_remove() {
	local name="removing a VLAN vport keeps the interface's other vports working"
	local why='' idx vv got
	idx=$(ip -n "$NS_H1" -j link show vp1 | jq '.[0].ifindex')
	jq '.vports |= map(select(.vlan != 10))' "$TMP/lv3.json" >"$TMP/lv4.json"
	apply "$NS_H1" "$TMP/lv4.json"
	[ "$(changes)" = 1 ] || { diag <"$TMP/apply.err"; why+="removing VLAN 10: $(changes) changes, expected 1; "; }
	vv=$(vlan_vports "$NS_H1")
	got=$(ping_count "$NS_T1" "$T2_IP")
	echo "# without VLAN 10: stt_vlan_vports '$vv'; t1 -> t2 $got of 3 pings"
	[ "$vv" = "$idx/20:501" ] || why+="stt_vlan_vports is '$vv', expected VLAN 20 only; "
	pinned_dump "$NS_H1" stt_contexts | jq -e 'any(.[]; .key == 500) | not' >/dev/null ||
		why+="context 500 is still in stt_contexts; "
	pinned_dump "$NS_H1" stt_vports | jq -e --argjson i "$idx" 'any(.[]; .key == $i)' >/dev/null ||
		why+="vp1's own vport is gone; "
	has_tc_prog "$NS_H1" vp1 || why+="vp1 lost its TC program; "
	[ "$got" = 3 ] || why+="t1 -> t2: $got of 3 pings; "
	apply "$NS_H1" "$TMP/h1.json"
	[ "$(changes)" = 2 ] || { diag <"$TMP/apply.err"; why+="back to the base document: $(changes) changes, expected 2; "; }
	vv=$(vlan_vports "$NS_H1")
	[ -z "$vv" ] || why+="stt_vlan_vports still has '$vv'; "
	[ "$(pinned_dump "$NS_H1" stt_learn | jq length)" = 0 ] || why+="learning tables left in stt_learn; "
	has_tc_prog "$NS_H1" vp1 || why+="vp1 lost its TC program with the last VLAN; "
	got=$(ping_count "$NS_T1" "$T2_IP")
	[ "$got" = 3 ] || why+="base state: t1 -> t2 $got of 3 pings; "
	show "$NS_H1" | jq -e '.vports == [{ifname: "vp1", context: "100", xdp: false, peers: "open"}]' >/dev/null ||
		why+="show --json vports are not the base ones; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# (n) Invalid learn and vlan values and combinations are rejected, each with its JSON path,
# and nothing is applied: vlan with xdp true, one (interface, VLAN) twice, two plain vports on
# one interface, one context on a plain and a VLAN vport, VLAN 0 and 4095, learning caps 0
# and 2^20+1, ages 0 and 604801, an unknown key in learn, learn not an object.
test_learn_vlan_invalid() {
	local name="invalid learn/vlan combinations: every error listed, nothing applied"
	local before after rc n p missing='' learn0 vv0
	before=$(show "$NS_H1") learn0=$(pinned_dump "$NS_H1" stt_learn | jq -c .) vv0=$(vlan_vports "$NS_H1")
	jq '.vports += [
		{ifname: "vp1", context: "600", vlan: 10, xdp: true},
		{ifname: "vp1", context: "601", vlan: 11},
		{ifname: "vp1", context: "602", vlan: 11},
		{ifname: "vp1", context: "603"},
		{ifname: "vp1", context: "100", vlan: 12},
		{ifname: "vp1", context: "604", vlan: 0},
		{ifname: "vp1", context: "605", vlan: 4095},
		{ifname: "vp1", context: "606", vlan: 13, learn: {cap: 0}},
		{ifname: "vp1", context: "607", vlan: 14, learn: {cap: 1048577, age: 0}},
		{ifname: "vp1", context: "608", vlan: 15, learn: {age: 604801, size: 5}},
		{ifname: "vp1", context: "609", vlan: 16, learn: true}]' "$TMP/h1.json" >"$TMP/lv-bad.json"
	apply "$NS_H1" "$TMP/lv-bad.json"
	rc=$?
	after=$(show "$NS_H1")
	n=$(grep -c '^sttctl: \$' "$TMP/apply.err")
	for p in '$.vports[1].vlan: a VLAN vport cannot have "xdp": true' \
		'$.vports[3].vlan: vp1 VLAN 11 is a vport twice' '$.vports[4].ifname: vp1 is a vport twice' \
		'$.vports[5].context: context 100 has two vports' '$.vports[6].vlan: 0 is out of range 1 .. 4094' \
		'$.vports[7].vlan: 4095 is out of range 1 .. 4094' '$.vports[8].learn.cap: 0 is out of range 1 .. 1048576' \
		'$.vports[9].learn.cap: 1048577 is out of range' '$.vports[9].learn.age: 0 is out of range 1 .. 604800' \
		'$.vports[10].learn.age: 604801 is out of range' '$.vports[10].learn.size: unknown key' \
		'$.vports[11].learn: expected an object'; do
		grep -qF "sttctl: $p" "$TMP/apply.err" || missing+="'$p' "
	done
	echo "# exit status $rc, $n error lines; last line: $(tail -1 "$TMP/apply.err")"
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "apply exited 0"
	elif [ -n "$missing" ]; then
		diag <"$TMP/apply.err"
		not_ok "$name" "errors not reported: $missing"
	elif [ "$n" -ne 12 ] || ! tail -1 "$TMP/apply.err" | grep -q '12 errors, nothing applied'; then
		diag <"$TMP/apply.err"
		not_ok "$name" "$n error lines, expected exactly 12 and a '12 errors' summary"
	elif [ "$before" != "$after" ] || [ -z "$before" ] ||
		[ "$(pinned_dump "$NS_H1" stt_learn | jq -c .)" != "$learn0" ] || [ "$(vlan_vports "$NS_H1")" != "$vv0" ]; then
		diff <(echo "$before") <(echo "$after") | head -20 | diag
		not_ok "$name" "the state changed"
	else
		ok "$name"
	fi
}

# (e) A change of one entry out and one in applies exactly that: --dry-run lists those two
# lines, apply says 2 changes, and show --json differs from before by exactly those entries.
test_change_only() {
	local name="a change applies only the difference" base x y z before after dry c want_after
	base=$(show "$NS_H1")
	x='{"context":"300","mac":"02:00:00:00:03:01","remote":"198.18.0.2"}'
	y='{"context":"300","mac":"02:00:00:00:03:02","remote":"198.18.0.2"}'
	z='{"context":"301","mac":"02:00:00:00:03:03","remote":"198.18.0.7"}'
	# Setup: x and y in.
	jq --argjson x "$x" --argjson y "$y" '.fdb += [$x, $y]' <<<"$base" >"$TMP/xy.json"
	apply "$NS_H1" "$TMP/xy.json"
	if [ "$(changes)" != 2 ]; then
		diag <"$TMP/apply.err"
		not_ok "$name" "setup (adding two entries) gave $(changes) changes"
		return
	fi
	before=$(show "$NS_H1")
	# The change: x out, z in (y stays).
	jq --argjson y "$y" --argjson z "$z" '.fdb += [$y, $z]' <<<"$base" >"$TMP/yz.json"
	apply "$NS_H1" "$TMP/yz.json" --dry-run
	dry=$(grep -v 'dry run' "$TMP/apply.out")
	apply "$NS_H1" "$TMP/yz.json"
	c=$(changes)
	after=$(show "$NS_H1")
	want_after=$(jq -S --argjson x "$x" --argjson z "$z" '.fdb = ((.fdb - [$x]) + [$z] | sort_by((.context | tonumber), .mac))' <<<"$before")
	echo "# dry run: $(echo "$dry" | paste -sd'|'); apply: $c changes"
	if [ "$dry" != "$(printf '%s\n' '- fdb context 300 02:00:00:00:03:01 -> 198.18.0.2' '+ fdb context 301 02:00:00:00:03:03 -> 198.18.0.7')" ]; then
		not_ok "$name" "dry run listed: $(echo "$dry" | paste -sd'|')"
	elif [ "$c" != 2 ]; then
		not_ok "$name" "$c changes, expected 2"
	elif [ "$after" != "$want_after" ]; then
		diff <(echo "$want_after") <(echo "$after") | head -20 | diag
		not_ok "$name" "show --json is not the old state with x out and z in"
	else
		ok "$name"
	fi
	# Back to the base state (and the remote 198.18.0.7's managed neighbour goes away).
	echo "$base" >"$TMP/base.json"
	apply "$NS_H1" "$TMP/base.json"
}

# (f) A step that fails midway undoes every change before it. STT_APPLY_FAIL_AFTER=N (a test
# hook of sttctl apply) fails the (N+1)th step; the document below has about 10 changes of
# every kind (entries added, changed and removed, a flood list, peers, dscp, a vport).
test_rollback() {
	local name="a failing step undoes what was done" before after n bad='' rc
	before=$(show "$NS_H2")
	jq '.fdb[0].remote = "198.18.0.9"
	    | .fdb += [{context: "100", mac: "02:00:00:00:04:01", remote: "198.18.0.1"},
		      {context: "400", mac: "02:00:00:00:04:02", remote: "198.18.0.1"}]
	    | .flood += [{context: "400", remotes: ["198.18.0.1", "198.18.0.8"]}]
	    | .flood = [.flood[] | select(.context != "100")]
	    | .peers = [{context: "100", remotes: ["198.18.0.1"]}]
	    | .attachment.dscp = 46
	    | .vports = [.vports[] | select(.ifname != "vp3")]' <<<"$before" >"$TMP/rb.json"
	apply "$NS_H2" "$TMP/rb.json" --dry-run
	echo "# the document has $(changes) changes"
	for n in 0 1 3 5 7 9; do
		STT_APPLY_FAIL_AFTER=$n apply "$NS_H2" "$TMP/rb.json"
		rc=$?
		after=$(show "$NS_H2")
		if [ "$rc" -eq 0 ]; then
			bad+="fail after $n: exit status 0; "
		elif [ "$before" != "$after" ]; then
			diff <(echo "$before") <(echo "$after") | head -10 | diag
			bad+="fail after $n: state changed; "
		fi
	done
	tail -2 "$TMP/apply.err" | diag
	if ! ip -n "$NS_H2" -j link show vp3 >/dev/null 2>&1 || ! has_tc_prog "$NS_H2" vp3; then
		bad+="vp3 lost its transmit program; "
	fi
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (g) docs/API.md's bpftool example writes one stt_fdb entry directly; it must take effect:
# sttctl show --json lists it, and traffic that had no way to go before goes now. Before: h1
# has no flood list and no entry for t2 (t1 knows t2's MAC statically), so pings are dropped
# (tx_no_remote); after the bpftool command, they are answered.
test_bpftool_example() {
	local name="docs/API.md bpftool example takes effect" cmd ino got_before got_after listed
	ino=$(stt_ns_inode "$NS_H1")
	cmd=$(doc_block "bpftool example" | sed 's/\\$//' | tr -s ' \n' ' ')
	if [ -z "$cmd" ]; then
		not_ok "$name" "no bpftool example in docs/API.md"
		return
	fi
	# h1 without the flood list and the entry for t2; t1 and t2 know each other statically.
	ip -n "$NS_T1" neigh replace "$T2_IP" lladdr "$T2_MAC" dev eth0 nud permanent
	ip -n "$NS_T2" neigh replace "$T1_IP" lladdr "$T1_MAC" dev eth0 nud permanent
	show "$NS_H1" | jq '.fdb = [] | .flood = []' >"$TMP/nofdb.json"
	apply "$NS_H1" "$TMP/nofdb.json"
	got_before=$(ping_count "$NS_T1" "$T2_IP")
	echo "# running: INODE=$ino; $cmd"
	if ! (INODE=$ino && eval "$cmd") >"$TMP/bpftool.log" 2>&1; then
		diag <"$TMP/bpftool.log"
		not_ok "$name" "the bpftool command failed"
		return
	fi
	listed=$(show "$NS_H1" | jq -r --arg mac "$T2_FIXED_MAC" \
		'.fdb[] | select(.mac == $mac) | "\(.context) \(.remote)"')
	got_after=$(ping_count "$NS_T1" "$T2_IP")
	echo "# before: $got_before of 3 pings; show lists: ${listed:-nothing}; after: $got_after of 3"
	if [ "$got_before" != 0 ]; then
		not_ok "$name" "without the entry $got_before pings were answered: the check would be vacuous"
	elif [ "$listed" != "$CTX_A $UL2_IP" ]; then
		not_ok "$name" "show --json lists '${listed}', expected '$CTX_A $UL2_IP'"
	elif [ "$got_after" != 3 ]; then
		not_ok "$name" "$got_after of 3 pings answered after the bpftool update"
	else
		ok "$name"
	fi
}

# sum of one counter, or of all drops: counter NS JQPATH
counter() { stats_json "$1" | jq "$2" 2>/dev/null; }
drops_total() { stats_json "$1" | jq '[.drops[]] | add' 2>/dev/null; }
dev_drops() { # every rx/tx drop counter of every device of the topology
	local ns
	for ns in "$NS_H1" "$NS_H2" "$NS_T1" "$NS_T2"; do
		ip -n "$ns" -s -j link show | jq '[.[] | .stats64.rx.dropped + .stats64.tx.dropped] | add'
	done | paste -sd+ | (read -r sum; echo $((sum)))
}
tcp_stat() { ip netns exec "$NS_T1" nstat -asz "$1" 2>/dev/null | awk -v k="$1" '$1 == k {print $2}' | grep . || echo 0; }

# iperf_start: TCP t1 -> t2 until iperf_stop (SIGINT: iperf3 then prints its JSON with the
# totals); JSON in $TMP/iperf.json.
iperf_start() {
	timeout 300 ip netns exec "$NS_T2" iperf3 -s -1 -p 5202 -B "$T2_IP" >"$TMP/iperf-server.log" 2>&1 &
	IPERF_SRV_PID=$!
	stt_wait_listen "$NS_T2" 5202 || return 1
	timeout 300 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5202 -t 0 -J --connect-timeout 3000 \
		"$@" >"$TMP/iperf.json" 2>"$TMP/iperf.err" &
	IPERF_PID=$!
	sleep 1 # past the slow start
}
iperf_stop() {
	# timeout(1) passes SIGINT on to iperf3.
	kill -INT "$IPERF_PID" 2>/dev/null
	wait "$IPERF_PID" 2>/dev/null
	IPERF_PID=
	wait "$IPERF_SRV_PID" 2>/dev/null
	IPERF_SRV_PID=
}

# (h) Under traffic: while iperf3 (TCP, t1 -> t2, context 100) runs, 10,000 forwarding
# changes for OTHER contexts and MACs on h1 (the sender's host): 3,000 single `sttctl fdb
# add/del` commands and 7,000+ changes through three big `apply` documents (add 2,000, swap
# for 1,500 others, remove them; plus flood lists and peers of other contexts).
# To make a disruption visible, t1 and t2 know each other statically and neither host has a
# flood list for context 100: if the tenants' own entry ever went missing, frames would be
# dropped (tx_no_remote), not flooded.
# What is asserted, all exact counts (no timing):
#   - every change succeeded, and there were >= 10,000 of them;
#   - the tunnel lost nothing: frames h1 sent == frames h2 delivered (and back), no drop
#     counter of either host grew, no device of the topology counted a drop;
#   - TCP had no retransmission timeout (TcpExtTCPTimeouts in t1), and iperf3 finished.
# iperf3's retransmit count is NOT asserted to be 0: on this datapath a plain run without any
# change already shows retransmits, all matched by DSACKs (spurious: frames reordered between
# the CPUs, none lost). A baseline run without changes is measured first and both counts are
# printed; 0 is asserted only if the baseline had 0.
test_under_traffic() {
	local name="10,000 changes under traffic: no loss" base_json s1 s2 r0 r1 dsack
	local tx1 rx2 tx2 rx1 d1 d2 dd to ds0 rt0 i c total=0 singles=0 failed=0 why=''
	# Quiet tenant-to-tenant path: static neighbours, no flood list for context 100.
	ip -n "$NS_T1" neigh replace "$T2_IP" lladdr "$T2_MAC" dev eth0 nud permanent
	ip -n "$NS_T2" neigh replace "$T1_IP" lladdr "$T1_MAC" dev eth0 nud permanent
	doc_h1 | jq '.flood = []' >"$TMP/h1-quiet.json"
	doc_h2 | jq '.flood = []' >"$TMP/h2-quiet.json"
	apply "$NS_H1" "$TMP/h1-quiet.json" && apply "$NS_H2" "$TMP/h2-quiet.json" || {
		diag <"$TMP/apply.err"
		not_ok "$name" "could not apply the quiet documents"
		return
	}
	base_json=$(show "$NS_H1")

	# Baseline: the same flow, no changes, about as long as the changes take below.
	iperf_start -b 400M || { not_ok "$name" "iperf3 server did not start"; return; }
	sleep 8
	iperf_stop
	r0=$(jq -r '.end.sum_sent.retransmits // "none"' "$TMP/iperf.json")
	echo "# baseline (no changes): $(jq -c '.end.sum_sent | {bytes, retransmits}' "$TMP/iperf.json" 2>/dev/null)"

	# Documents: A adds 2,000 entries (contexts 1000..1019, 100 MACs each) + 10 flood lists +
	# 10 peers; B replaces them by 1,500 others (contexts 2000..2014); C is the base again.
	local h2='def h2: "0123456789abcdef" as $h | (. / 16 | floor) as $a | $h[$a:$a + 1] + $h[(. % 16):(. % 16) + 1];'
	jq "$h2"'.fdb += [range(0; 2000) as $i | {context: "\(1000 + ($i / 100 | floor))",
		mac: "02:aa:00:00:\($i / 256 | floor | h2):\($i % 256 | h2)", remote: "198.18.0.2"}]
	    | .flood += [range(0; 10) | {context: "\(1000 + .)", remotes: ["198.18.0.2"]}]
	    | .peers += [range(0; 10) | {context: "\(1000 + .)", remotes: ["198.18.0.2"]}]' \
		<<<"$base_json" >"$TMP/A.json"
	jq "$h2"'.fdb += [range(0; 1500) as $i | {context: "\(2000 + ($i / 100 | floor))",
		mac: "02:bb:00:00:\($i / 256 | floor | h2):\($i % 256 | h2)", remote: "198.18.0.2"}]' \
		<<<"$base_json" >"$TMP/B.json"
	echo "$base_json" >"$TMP/C.json"

	s1=$(stats_json "$NS_H1") s2=$(stats_json "$NS_H2")
	d1=$(drops_total "$NS_H1") d2=$(drops_total "$NS_H2") dd=$(dev_drops)
	to=$(tcp_stat TcpExtTCPTimeouts)
	ds0=$(tcp_stat TcpExtTCPDSACKRecvSegs) rt0=$(tcp_stat TcpRetransSegs)
	iperf_start -b 400M || { not_ok "$name" "iperf3 server did not start"; return; }

	for doc in A B; do
		apply "$NS_H1" "$TMP/$doc.json" || { failed=$((failed + 1)); diag <"$TMP/apply.err"; }
		c=$(changes)
		echo "# apply $doc: $c changes"
		[ "$c" != none ] && total=$((total + c))
	done
	# 1,500 single adds and 1,500 single deletes, in context 3000.
	for ((i = 0; i < 1500; i++)); do
		"$STTCTL" -n "$NS_H1" fdb add --context 3000 --mac "$(printf '02:cc:00:00:%02x:%02x' $((i / 256)) $((i % 256)))" \
			--remote "$UL2_IP" 2>>"$TMP/single.err" && singles=$((singles + 1)) || failed=$((failed + 1))
	done
	for ((i = 0; i < 1500; i++)); do
		"$STTCTL" -n "$NS_H1" fdb del --context 3000 --mac "$(printf '02:cc:00:00:%02x:%02x' $((i / 256)) $((i % 256)))" \
			2>>"$TMP/single.err" && singles=$((singles + 1)) || failed=$((failed + 1))
	done
	apply "$NS_H1" "$TMP/C.json" || { failed=$((failed + 1)); diag <"$TMP/apply.err"; }
	c=$(changes)
	echo "# apply C: $c changes; $singles single commands"
	[ "$c" != none ] && total=$((total + c))
	total=$((total + singles))

	iperf_stop
	r1=$(jq -r '.end.sum_sent.retransmits // "none"' "$TMP/iperf.json")
	dsack=$(($(tcp_stat TcpExtTCPDSACKRecvSegs) - ds0))
	rt0=$(($(tcp_stat TcpRetransSegs) - rt0))
	tx1=$(($(counter "$NS_H1" .counters.tx_frames) - $(jq .counters.tx_frames <<<"$s1")))
	rx2=$(($(counter "$NS_H2" .counters.rx_frames) - $(jq .counters.rx_frames <<<"$s2")))
	tx2=$(($(counter "$NS_H2" .counters.tx_frames) - $(jq .counters.tx_frames <<<"$s2")))
	rx1=$(($(counter "$NS_H1" .counters.rx_frames) - $(jq .counters.rx_frames <<<"$s1")))
	echo "# with changes: $(jq -c '.end.sum_sent | {bytes, retransmits}' "$TMP/iperf.json" 2>/dev/null);" \
		"baseline retransmits $r0; t1 meanwhile: $rt0 segments retransmitted, $dsack DSACKed (the receiver had them already)"
	echo "# $total changes ($singles single commands), $failed failed; h1 tx $tx1 / h2 rx $rx2;" \
		"h2 tx $tx2 / h1 rx $rx1; drops h1 $d1 -> $(drops_total "$NS_H1"), h2 $d2 -> $(drops_total "$NS_H2");" \
		"device drops $dd -> $(dev_drops); TCP timeouts $to -> $(tcp_stat TcpExtTCPTimeouts)"
	[ "$failed" -eq 0 ] || why+="$failed change commands failed ($(head -3 "$TMP/single.err" | paste -sd' ')); "
	[ "$total" -ge 10000 ] || why+="only $total changes; "
	[ "$(show "$NS_H1")" = "$base_json" ] || why+="h1 did not end in its base state; "
	jq -e '.end.sum_sent.bytes > 0' "$TMP/iperf.json" >/dev/null 2>&1 || why+="iperf3 gave no result; "
	[ "$tx1" -gt 0 ] && [ "$tx1" -eq "$rx2" ] || why+="h1 sent $tx1 frames, h2 delivered $rx2; "
	[ "$tx2" -eq "$rx1" ] || why+="h2 sent $tx2 frames, h1 delivered $rx1; "
	[ "$(drops_total "$NS_H1")" = "$d1" ] && [ "$(drops_total "$NS_H2")" = "$d2" ] || {
		why+="drop counters grew; "
		for ns in "$NS_H1" "$NS_H2"; do stats_json "$ns" | jq -c '.drops | with_entries(select(.value != 0))'; done | diag
	}
	[ "$(dev_drops)" = "$dd" ] || why+="a device counted drops; "
	[ "$(tcp_stat TcpExtTCPTimeouts)" = "$to" ] || why+="TCP retransmission timeouts; "
	# Retransmits are reported, not asserted: the tunnel reorders some frames with or without
	# changes (sttd's frames arrive after later fast-path ones), and TCP answers reordering
	# with retransmits the receiver DSACKs. Loss is what the frame counts above rule out.
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
	echo "# retransmits: $r0 without changes, $r1 with changes (reported, not asserted)"
}

# doc_block MARKER: the fenced block after "<!-- test_apply.sh: MARKER -->" in docs/API.md
doc_block() {
	awk -v m="<!-- test_apply.sh: $1 -->" '
		$0 == m { state = 1; next }
		state == 1 && /^```/ { state = 2; next }
		state == 2 && /^```$/ { exit }
		state == 2 { print }' "$STT_REPO/docs/API.md"
}

# (j) docs/API.md's complete example, applied as is in a namespace of its own whose devices
# have the example's names (veths: eth0 with 198.18.0.1, veth-c1, veth-c2), gives exactly the
# output the document shows (dry run, apply, apply again, show --json | apply -); and its
# invalid example gives exactly the errors it shows.
test_api_examples() {
	local name="docs/API.md examples give the output shown" ns=${STT_NS_PREFIX}doc out='' want
	local bad_doc bad_want bad_got
	doc_block "example document" >"$TMP/example.json"
	want=$(doc_block "example output")
	if ! ip netns add "$ns" || ! ip -n "$ns" link set lo up ||
		! ip -n "$ns" link add eth0 type veth peer name eth0p ||
		! ip -n "$ns" link add veth-c1 type veth peer name c1p ||
		! ip -n "$ns" link add veth-c2 type veth peer name c2p ||
		! ip -n "$ns" addr add 198.18.0.1/24 dev eth0; then
		not_ok "$name" "could not build namespace $ns"
		return
	fi
	for d in eth0 eth0p veth-c1 c1p veth-c2 c2p; do ip -n "$ns" link set "$d" up; done
	apply "$ns" "$TMP/example.json" --dry-run
	out+="\$ sttctl apply --dry-run host1.json"$'\n'"$(cat "$TMP/apply.out")"$'\n'
	apply "$ns" "$TMP/example.json"
	out+="\$ sttctl apply host1.json"$'\n'"$(cat "$TMP/apply.out" "$TMP/apply.err")"$'\n'
	apply "$ns" "$TMP/example.json"
	out+="\$ sttctl apply host1.json"$'\n'"$(cat "$TMP/apply.out" "$TMP/apply.err")"$'\n'
	stt_ctl "$ns" show --json >"$TMP/example-show.json"
	apply "$ns" "$TMP/example-show.json"
	out+="\$ sttctl show --json | sttctl apply -"$'\n'"$(cat "$TMP/apply.out" "$TMP/apply.err")"
	# The invalid example: the document is what the echo prints.
	bad_doc=$(doc_block "invalid example" | sed -n "/^\\$ echo '/,/| sttctl apply -\$/p" |
		sed "s/^\\$ echo '//; s/' | sttctl apply -\$//")
	bad_want=$(doc_block "invalid example" | grep '^sttctl: ')
	bad_got=$(echo "$bad_doc" | timeout 20 "$STTCTL" -n "$ns" apply - 2>&1)
	if [ "$out" != "$want" ]; then
		diff <(echo "$want") <(echo "$out") | diag
		not_ok "$name" "the complete example's output differs from docs/API.md"
	elif [ -z "$bad_want" ] || [ "$bad_got" != "$bad_want" ]; then
		diff <(echo "$bad_want") <(echo "$bad_got") | diag
		not_ok "$name" "the invalid example's errors differ from docs/API.md"
	else
		ok "$name"
	fi
	stt_ctl "$ns" apply - <<<'{"version": 1}' >/dev/null 2>&1
}

# GUE per remote (docs/GUE.md, docs/API.md "remotes") ------------------------------------

BIG_CTX=4294967296 # 2^32: the GRE key of GUE cannot carry it
COOKIE=0123456789abcdef

# ctl_fails NS WHAT ARGS...: the sttctl command must fail and say WHAT on stderr; its stderr
# in $TMP/ctl.err. Returns 0 if it did.
ctl_fails() {
	local ns=$1 what=$2
	shift 2
	if stt_ctl "$ns" "$@" >/dev/null 2>"$TMP/ctl.err"; then
		return 1
	fi
	grep -qF -- "$what" "$TMP/ctl.err"
}

# remotes_of NS: the remotes of show --json, "ADDR ENCAP COOKIE[ udp6]" (udp6: the zero-checksum
# consent), sorted, comma separated.
remotes_of() {
	show "$1" | jq -r '.remotes[] | "\(.address) \(.encap) \(.cookie)\(if .udp6_zero_csum then " udp6" else "" end)"' |
		sort | paste -sd, -
}

# rcfg_flags NS: the flags of every stt_remote_cfg entry, sorted, space separated (the
# consent is STT_RCFG_UDP6_ZERO, 2; the cookie STT_RCFG_COOKIE, 1).
rcfg_flags() { pinned_dump "$1" stt_remote_cfg | jq -r '[.[].value.flags] | sort | join(" ")'; }

# The tests below delete their fdb entries with --remote, which removes the managed neighbour
# (fdb del without it keeps the neighbour, and the last test checks none is left).

# (q) attach --gue-port/--encap: in show and show --json; bad values and a default GUE that
# could not carry an installed entry refused, the attachment unchanged.
test_gue_attach() {
	local name="attach --gue-port/--encap: shown, and refused where GUE cannot carry" bad='' j
	doc_h1 >"$TMP/h1.json"
	apply "$NS_H1" "$TMP/h1.json" || bad+="apply of h1's document failed; "
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" --gue-port 6081 --encap gue ||
		bad+="attach --gue-port 6081 --encap gue failed; "
	j=$(show "$NS_H1" | jq -c '.attachment | [.gue_port, .encap]')
	[ "$j" = '[6081,"gue"]' ] || bad+="show --json: $j, expected [6081,\"gue\"]; "
	stt_ctl "$NS_H1" show | grep -q 'gue port 6081  encap gue' || bad+="show does not print them; "
	ctl_fails "$NS_H1" "GUE is off" attach "$UL1" --local "$UL1_IP" --gue-port 0 --encap gue ||
		bad+="--encap gue with --gue-port 0 accepted; "
	ctl_fails "$NS_H1" "is the STT port too" attach "$UL1" --local "$UL1_IP" --gue-port 7471 ||
		bad+="--gue-port 7471 (the STT port) accepted; "
	ctl_fails "$NS_H1" "invalid" attach "$UL1" --local "$UL1_IP" --gue-port 65536 ||
		bad+="--gue-port 65536 accepted; "
	ctl_fails "$NS_H1" "expected stt or gue" attach "$UL1" --local "$UL1_IP" --encap vxlan ||
		bad+="--encap vxlan accepted; "
	j=$(show "$NS_H1" | jq -c '.attachment | [.gue_port, .encap]')
	[ "$j" = '[6081,"gue"]' ] || bad+="a refused attach changed the attachment to $j; "
	# A context GUE cannot carry, to a remote without its own setting: no GUE default.
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" --gue-port 0 || bad+="--gue-port 0 refused; "
	[ "$(show "$NS_H1" | jq -c '.attachment | [.gue_port, .encap]')" = '[0,"stt"]' ] ||
		bad+="--gue-port 0 not shown as 0 with encap stt; "
	stt_ctl "$NS_H1" fdb add --context "$BIG_CTX" --mac 02:00:00:00:05:01 --remote 198.18.0.9 ||
		bad+="fdb add of context 2^32 to an STT remote failed; "
	ctl_fails "$NS_H1" "context $BIG_CTX cannot be carried by GUE to 198.18.0.9: the GRE key has 32 bits" \
		attach "$UL1" --local "$UL1_IP" --encap gue || bad+="default GUE accepted with context 2^32 to 198.18.0.9; "
	[ "$(show "$NS_H1" | jq -r .attachment.encap)" = stt ] || bad+="refused --encap gue changed encap; "
	# With its own STT setting, the remote keeps STT: the default may be GUE.
	stt_ctl "$NS_H1" remote set 198.18.0.9 --encap stt || bad+="remote set --encap stt failed; "
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" --encap gue ||
		{ diag <"$TMP/ctl.err"; bad+="--encap gue refused although 198.18.0.9 is STT; "; }
	# ... and then removing its setting would send it GUE: refused.
	ctl_fails "$NS_H1" "cannot be carried by GUE to 198.18.0.9" remote del 198.18.0.9 ||
		bad+="remote del of 198.18.0.9 accepted under a GUE default; "
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" || bad+="plain re-attach failed; "
	[ "$(show "$NS_H1" | jq -c '.attachment | [.gue_port, .encap]')" = '[6080,"stt"]' ] ||
		bad+="re-attach without options did not go back to 6080 and stt; "
	stt_ctl "$NS_H1" fdb del --context "$BIG_CTX" --mac 02:00:00:00:05:01 --remote 198.18.0.9
	stt_ctl "$NS_H1" remote del 198.18.0.9
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (r) remote set/list/del: the cookie never printed; a cookie without GUE, GUE to IPv6 and a
# context GUE cannot carry refused, in both orders (entry first, remote first).
test_gue_remote() {
	local name="remote set/list/del, and what GUE cannot carry refused" bad='' l
	stt_ctl "$NS_H1" remote set 198.18.0.7 --encap gue --cookie "$COOKIE" || bad+="remote set gue+cookie failed; "
	l=$(stt_ctl "$NS_H1" remote list --json | jq -c '.')
	[ "$l" = '[{"address":"198.18.0.7","encap":"gue","cookie":true,"udp6_zero_csum":false}]' ] || bad+="list --json: $l; "
	[ "$(stt_ctl "$NS_H1" remote list)" = "198.18.0.7 encap gue cookie yes" ] ||
		bad+="list: $(stt_ctl "$NS_H1" remote list); "
	{ stt_ctl "$NS_H1" remote list; stt_ctl "$NS_H1" remote list --json; stt_ctl "$NS_H1" show
	  stt_ctl "$NS_H1" show --json; } 2>&1 | grep -qi "$COOKIE" && bad+="the cookie was printed; "
	ctl_fails "$NS_H1" "a cookie needs --encap gue" remote set 198.18.0.8 --cookie "$COOKIE" ||
		bad+="cookie without gue accepted; "
	ctl_fails "$NS_H1" "a cookie needs --encap gue" remote set 198.18.0.8 --encap stt --cookie "$COOKIE" ||
		bad+="cookie with stt accepted; "
	ctl_fails "$NS_H1" "16 hex digits" remote set 198.18.0.8 --encap gue --cookie 0123 ||
		bad+="short cookie accepted; "
	grep -q 0123 "$TMP/ctl.err" && bad+="a bad cookie was echoed; "
	ctl_fails "$NS_H1" "it has a cookie" remote set 198.18.0.7 --encap stt ||
		bad+="stt for a remote with a cookie accepted; "
	ctl_fails "$NS_H1" "2001:db8::2: GUE over IPv6 needs the remote's udp6_zero_csum (remote set --udp6-zero-csum): stt cannot checksum each segment of a TSO burst" \
		remote set 2001:db8::2 --encap gue || bad+="GUE to IPv6 without --udp6-zero-csum accepted; "
	# Entry first: context 2^32 to 198.18.0.6, then 198.18.0.6 to GUE.
	stt_ctl "$NS_H1" fdb add --context "$BIG_CTX" --mac 02:00:00:00:05:02 --remote 198.18.0.6 ||
		bad+="fdb add context 2^32 to an STT remote failed; "
	ctl_fails "$NS_H1" "context $BIG_CTX cannot be carried by GUE to 198.18.0.6: the GRE key has 32 bits" \
		remote set 198.18.0.6 --encap gue || bad+="remote set gue accepted with context 2^32 entry; "
	# Remote first: 198.18.0.7 is GUE; an entry or flood target of context 2^32 to it.
	ctl_fails "$NS_H1" "context $BIG_CTX cannot be carried by GUE to 198.18.0.7: the GRE key has 32 bits" \
		fdb add --context "$BIG_CTX" --mac 02:00:00:00:05:03 --remote 198.18.0.7 ||
		bad+="fdb add context 2^32 to a GUE remote accepted; "
	ctl_fails "$NS_H1" "context $BIG_CTX cannot be carried by GUE to 198.18.0.7" \
		fdb add --context "$BIG_CTX" --mac ff:ff:ff:ff:ff:ff --remote 198.18.0.7 ||
		bad+="flood target of context 2^32 to a GUE remote accepted; "
	stt_ctl "$NS_H1" fdb add --context 4294967295 --mac 02:00:00:00:05:04 --remote 198.18.0.7 ||
		bad+="context 2^32-1 to a GUE remote refused; "
	l=$(stt_ctl "$NS_H1" fdb show --json | jq -r '[.[] | select(.context == "'"$BIG_CTX"'") | .remote] | sort | join(" ")')
	[ "$l" = 198.18.0.6 ] || bad+="context 2^32 entries after the refusals: '$l'; "
	[ "$(remotes_of "$NS_H1")" = "198.18.0.7 gue true" ] || bad+="remotes after the refusals: $(remotes_of "$NS_H1"); "
	[ "$(rcfg_flags "$NS_H1")" = 1 ] || bad+="map flags after the refusals: $(rcfg_flags "$NS_H1"); "
	# An IPv6 remote with its own (STT) setting, and del.
	stt_ctl "$NS_H1" remote set 2001:db8::2 --encap stt || bad+="remote set IPv6 stt failed; "
	stt_ctl "$NS_H1" remote del 198.18.0.7 || bad+="remote del failed; "
	ctl_fails "$NS_H1" "no encapsulation of its own" remote del 198.18.0.7 || bad+="second del accepted; "
	[ "$(remotes_of "$NS_H1")" = "2001:db8::2 stt false" ] || bad+="remotes after del: $(remotes_of "$NS_H1"); "
	stt_ctl "$NS_H1" remote set 2001:db8::2 --encap default || bad+="--encap default failed; "
	[ -z "$(remotes_of "$NS_H1")" ] || bad+="--encap default left an entry; "
	stt_ctl "$NS_H1" fdb del --context "$BIG_CTX" --mac 02:00:00:00:05:02 --remote 198.18.0.6
	stt_ctl "$NS_H1" fdb del --context 4294967295 --mac 02:00:00:00:05:04 --remote 198.18.0.7
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (r2) remote set --udp6-zero-csum (docs/GUE.md section 5): GUE to an IPv6 remote only with
# it, and it only for an IPv6 remote with its own GUE; kept when not given (as --cookie);
# shown by list, list --json and show; STT_RCFG_UDP6_ZERO in the map; a default GUE that would
# reach an IPv6 remote without it refused.
test_gue_remote_udp6() {
	local name="remote set --udp6-zero-csum: GUE over IPv6 only with the remote's consent" bad='' l
	ctl_fails "$NS_H1" "198.18.0.8 is an IPv4 remote: udp6_zero_csum (--udp6-zero-csum) is the consent" \
		remote set 198.18.0.8 --encap gue --udp6-zero-csum || bad+="--udp6-zero-csum for an IPv4 remote accepted; "
	ctl_fails "$NS_H1" "2001:db8::2: udp6_zero_csum (--udp6-zero-csum) needs the remote's own encap gue" \
		remote set 2001:db8::2 --udp6-zero-csum || bad+="--udp6-zero-csum without --encap gue accepted; "
	ctl_fails "$NS_H1" "needs the remote's own encap gue" remote set 2001:db8::2 --encap stt --udp6-zero-csum ||
		bad+="--udp6-zero-csum with --encap stt accepted; "
	ctl_fails "$NS_H1" "--udp6-zero-csum and --no-udp6-zero-csum together" \
		remote set 2001:db8::2 --encap gue --udp6-zero-csum --no-udp6-zero-csum || bad+="both options accepted; "
	[ -z "$(remotes_of "$NS_H1")" ] || bad+="the refusals left $(remotes_of "$NS_H1"); "
	stt_ctl "$NS_H1" remote set 2001:db8::2 --encap gue --udp6-zero-csum || bad+="gue with the consent refused; "
	l=$(stt_ctl "$NS_H1" remote list)
	[ "$l" = "2001:db8::2 encap gue cookie no udp6-zero-csum yes" ] || bad+="list: $l; "
	l=$(stt_ctl "$NS_H1" remote list --json | jq -c '.')
	[ "$l" = '[{"address":"2001:db8::2","encap":"gue","cookie":false,"udp6_zero_csum":true}]' ] || bad+="list --json: $l; "
	stt_ctl "$NS_H1" show | grep -q '^  2001:db8::2  encap gue  udp6-zero-csum$' || bad+="show does not print the consent; "
	[ "$(rcfg_flags "$NS_H1")" = 2 ] || bad+="map flags $(rcfg_flags "$NS_H1"), expected 2; "
	# Options not given keep the installed values: a cookie added keeps the consent.
	stt_ctl "$NS_H1" remote set 2001:db8::2 --cookie "$COOKIE" || bad+="a cookie for the IPv6 GUE remote refused; "
	[ "$(remotes_of "$NS_H1")" = "2001:db8::2 gue true udp6" ] || bad+="after --cookie: $(remotes_of "$NS_H1"); "
	[ "$(rcfg_flags "$NS_H1")" = 3 ] || bad+="map flags $(rcfg_flags "$NS_H1"), expected 3; "
	ctl_fails "$NS_H1" "GUE over IPv6 needs the remote's udp6_zero_csum" remote set 2001:db8::2 --no-udp6-zero-csum ||
		bad+="the consent removed from a GUE remote; "
	ctl_fails "$NS_H1" "needs the remote's own encap gue" remote set 2001:db8::2 --encap stt --no-cookie ||
		bad+="--encap stt with the consent kept accepted; "
	[ "$(rcfg_flags "$NS_H1")" = 3 ] || bad+="refused changes changed the map: $(rcfg_flags "$NS_H1"); "
	stt_ctl "$NS_H1" remote set 2001:db8::2 --encap stt --no-cookie --no-udp6-zero-csum || bad+="back to stt refused; "
	l=$(stt_ctl "$NS_H1" remote list)
	[ "$l" = "2001:db8::2 encap stt cookie no udp6-zero-csum no" ] || bad+="list after stt: $l; "
	# The endpoint's default GUE and an IPv6 fdb remote: its own stt, or GUE with the consent.
	stt_ctl "$NS_H1" fdb add --context 100 --mac 02:00:00:00:05:06 --remote 2001:db8::2 ||
		bad+="fdb add to 2001:db8::2 failed; "
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" --encap gue ||
		bad+="--encap gue refused although 2001:db8::2 is STT; "
	ctl_fails "$NS_H1" "2001:db8::2 would be sent GUE (the endpoint's default encap), but GUE over IPv6 needs the remote's udp6_zero_csum: give it encap gue with udp6_zero_csum" \
		remote del 2001:db8::2 || bad+="remote del of 2001:db8::2 accepted under a GUE default; "
	stt_ctl "$NS_H1" remote set 2001:db8::2 --encap gue --udp6-zero-csum || bad+="gue with the consent refused under a GUE default; "
	ctl_fails "$NS_H1" "would be sent GUE (the endpoint's default encap)" remote del 2001:db8::2 ||
		bad+="remote del (losing the consent) accepted under a GUE default; "
	stt_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" || bad+="plain re-attach failed; "
	stt_ctl "$NS_H1" fdb del --context 100 --mac 02:00:00:00:05:06 --remote 2001:db8::2
	stt_ctl "$NS_H1" remote del 2001:db8::2 || bad+="remote del failed; "
	[ -z "$(remotes_of "$NS_H1")" ] || bad+="left: $(remotes_of "$NS_H1"); "
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# map_cookie NS ADDR: the cookie stt_remote_cfg holds for the IPv4 remote ADDR, as 16 hex
# digits (bpftool prints each __be32 as a number in host order), or "none".
map_cookie() {
	pinned_dump "$1" stt_remote_cfg | python3 -c '
import json, socket, struct, sys
key = struct.unpack("<I", socket.inet_aton(sys.argv[1]))[0]
for e in json.load(sys.stdin):
    if e["key"] == key and e["value"]["flags"] & 1:
        print("".join(struct.pack("<I", w).hex() for w in e["value"]["cookie"]))
        sys.exit(0)
print("none")' "$2" 2>/dev/null || echo none
}

# (s) The apply document's remotes: applied, shown without the cookie, round trip with 0
# changes, a new cookie is one change; refused documents leave nothing applied; a failing
# step undoes remote changes.
test_gue_apply() {
	local name="apply: remotes and gue attachment keys, round trip, refusals" bad='' before after c
	jq --arg c "$COOKIE" '.attachment += {gue_port: 6090, encap: "stt"}
		| .remotes = [{address: "198.18.0.2", encap: "gue", cookie: $c},
			      {address: "198.18.0.5", encap: "stt"}]' "$TMP/h1.json" >"$TMP/gue.json"
	apply "$NS_H1" "$TMP/gue.json" --dry-run
	grep -q '^+ remote 198.18.0.2 encap gue cookie yes$' "$TMP/apply.out" || bad+="dry run: no '+ remote' line; "
	grep -qi "$COOKIE" "$TMP/apply.out" && bad+="dry run printed the cookie; "
	apply "$NS_H1" "$TMP/gue.json" || { diag <"$TMP/apply.err"; bad+="apply failed; "; }
	c=$(changes)
	[ "$(map_cookie "$NS_H1" 198.18.0.2)" = "$COOKIE" ] || bad+="the map holds cookie $(map_cookie "$NS_H1" 198.18.0.2); "
	[ "$c" = 3 ] || bad+="$c changes, expected 3 (gue_port, 2 remotes); "
	[ "$(remotes_of "$NS_H1")" = "198.18.0.2 gue true,198.18.0.5 stt false" ] || bad+="remotes: $(remotes_of "$NS_H1"); "
	[ "$(show "$NS_H1" | jq -c '.attachment | [.gue_port, .encap]')" = '[6090,"stt"]' ] || bad+="attachment not 6090/stt; "
	stt_ctl "$NS_H1" show --json | grep -qi "$COOKIE" && bad+="show --json printed the cookie; "
	apply "$NS_H1" "$TMP/gue.json"
	[ "$(changes)" = 0 ] || bad+="the same document again: $(changes) changes; "
	stt_ctl "$NS_H1" show --json >"$TMP/gue-show.json"
	apply "$NS_H1" "$TMP/gue-show.json"
	[ "$(changes)" = 0 ] || bad+="show --json | apply -: $(changes) changes; "
	jq '.remotes[0].cookie = "fedcba9876543210"' "$TMP/gue.json" >"$TMP/gue2.json"
	apply "$NS_H1" "$TMP/gue2.json"
	[ "$(changes)" = 1 ] || bad+="another cookie: $(changes) changes, expected 1; "
	[ "$(map_cookie "$NS_H1" 198.18.0.2)" = fedcba9876543210 ] ||
		bad+="the map holds cookie $(map_cookie "$NS_H1" 198.18.0.2), not the new one; "
	grep -qi fedcba9876543210 "$TMP/apply.out" "$TMP/apply.err" && bad+="the new cookie was printed; "
	# Refused documents: every error, nothing applied.
	before=$(show "$NS_H1")
	jq --arg c "$COOKIE" --arg big "$BIG_CTX" '.fdb += [{context: $big, mac: "02:00:00:00:06:01", remote: "198.18.0.2"}]
		| .flood += [{context: $big, remotes: ["198.18.0.2"]}]
		| .remotes += [{address: "2001:db8::5", encap: "gue"}, {address: "198.18.0.6", encap: "stt", cookie: $c},
			       {address: "198.18.0.5", encap: "gue"}]
		| .attachment.gue_port = 7471' "$TMP/gue2.json" >"$TMP/gue-bad.json"
	apply "$NS_H1" "$TMP/gue-bad.json" && bad+="the bad document was applied; "
	for p in "\$.fdb[1].context: context $BIG_CTX cannot be carried by GUE to 198.18.0.2: the GRE key has 32 bits" \
		"\$.flood[1].remotes[0]: context $BIG_CTX cannot be carried by GUE to 198.18.0.2" \
		"\$.remotes[2].encap: 2001:db8::5: GUE over IPv6 needs the remote's udp6_zero_csum" \
		'$.remotes[3].cookie: a cookie needs "encap": "gue"' '$.remotes[4].address: 198.18.0.5 is listed twice' \
		'$.attachment.gue_port: 7471 is the STT port too'; do
		grep -qF "sttctl: $p" "$TMP/apply.err" || bad+="not reported: '$p'; "
	done
	grep -qi "$COOKIE" "$TMP/apply.err" && bad+="an error printed the cookie; "
	echo '{"version":1,"attachment":{"device":"'"$UL1"'","local":"'"$UL1_IP"'"},"remotes":[{"address":"198.18.0.5","encap":"gue","cookie":true}]}' >"$TMP/gue-keep.json"
	apply "$NS_H1" "$TMP/gue-keep.json" && bad+="cookie true without one installed applied; "
	grep -qF '$.remotes[0].cookie: true keeps the installed cookie, but 198.18.0.5 has none' "$TMP/apply.err" ||
		{ diag <"$TMP/apply.err"; bad+="no error for cookie true without one installed; "; }
	after=$(show "$NS_H1")
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") | head | diag; bad+="a refused document changed the state; "; }
	# A failing step undoes remote changes too.
	jq '.remotes = [{address: "198.18.0.2", encap: "stt"}, {address: "198.18.0.4", encap: "gue"}]
		| .attachment.encap = "gue"' "$TMP/gue2.json" >"$TMP/gue-rb.json"
	for n in 0 1 2; do
		STT_APPLY_FAIL_AFTER=$n apply "$NS_H1" "$TMP/gue-rb.json" && bad+="fail after $n: exit status 0; "
		after=$(show "$NS_H1")
		[ "$before" = "$after" ] || bad+="fail after $n: state changed; "
	done
	[ "$(map_cookie "$NS_H1" 198.18.0.2)" = fedcba9876543210 ] || bad+="undo lost the cookie in the map; "
	apply "$NS_H1" "$TMP/gue-rb.json" || bad+="the rollback document failed on its own; "
	[ "$(remotes_of "$NS_H1")" = "198.18.0.2 stt false,198.18.0.4 gue false" ] || bad+="after apply: $(remotes_of "$NS_H1"); "
	apply "$NS_H1" "$TMP/h1.json"
	[ -z "$(remotes_of "$NS_H1")" ] || bad+="a document without remotes left $(remotes_of "$NS_H1"); "
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (s2) The apply document's "udp6_zero_csum": GUE to an IPv6 remote refused without it; with
# it applied (STT_RCFG_UDP6_ZERO in the map), read back by show --json, a round trip of 0
# changes; true for an IPv4 remote, with stt, or not a boolean refused.
test_gue_apply_udp6() {
	local name="apply: udp6_zero_csum: GUE over IPv6 refused without it, applied and read back with it"
	local bad='' before after p
	before=$(show "$NS_H1")
	jq '.remotes = [{address: "2001:db8::5", encap: "gue"},
			{address: "198.18.0.5", encap: "gue", udp6_zero_csum: true},
			{address: "2001:db8::6", encap: "stt", udp6_zero_csum: true},
			{address: "2001:db8::7", encap: "gue", udp6_zero_csum: "yes"}]' "$TMP/h1.json" >"$TMP/u6-bad.json"
	apply "$NS_H1" "$TMP/u6-bad.json" && bad+="the bad document was applied; "
	for p in "\$.remotes[0].encap: 2001:db8::5: GUE over IPv6 needs the remote's udp6_zero_csum" \
		"\$.remotes[1].udp6_zero_csum: 198.18.0.5 is an IPv4 remote" \
		"\$.remotes[2].udp6_zero_csum: 2001:db8::6: udp6_zero_csum (--udp6-zero-csum) needs the remote's own encap gue" \
		"\$.remotes[3].udp6_zero_csum: expected true or false"; do
		grep -qF "sttctl: $p" "$TMP/apply.err" || bad+="not reported: '$p'; "
	done
	after=$(show "$NS_H1")
	[ "$before" = "$after" ] || bad+="a refused document changed the state; "
	jq '.remotes = [{address: "2001:db8::5", encap: "gue", udp6_zero_csum: true},
			{address: "198.18.0.5", encap: "gue", udp6_zero_csum: false}]' "$TMP/h1.json" >"$TMP/u6.json"
	apply "$NS_H1" "$TMP/u6.json" --dry-run
	grep -q '^+ remote 2001:db8::5 encap gue cookie no udp6-zero-csum yes$' "$TMP/apply.out" ||
		bad+="dry run: no '+ remote 2001:db8::5 ... udp6-zero-csum yes' line; "
	grep -q '^+ remote 198.18.0.5 encap gue cookie no$' "$TMP/apply.out" || bad+="dry run: no '+ remote 198.18.0.5' line; "
	apply "$NS_H1" "$TMP/u6.json" || { diag <"$TMP/apply.err"; bad+="apply failed; "; }
	[ "$(changes)" = 2 ] || bad+="$(changes) changes, expected 2; "
	[ "$(remotes_of "$NS_H1")" = "198.18.0.5 gue false,2001:db8::5 gue false udp6" ] || bad+="remotes: $(remotes_of "$NS_H1"); "
	[ "$(rcfg_flags "$NS_H1")" = "0 2" ] || bad+="map flags $(rcfg_flags "$NS_H1"), expected '0 2'; "
	apply "$NS_H1" "$TMP/u6.json"
	[ "$(changes)" = 0 ] || bad+="the same document again: $(changes) changes; "
	stt_ctl "$NS_H1" show --json >"$TMP/u6-show.json"
	apply "$NS_H1" "$TMP/u6-show.json"
	[ "$(changes)" = 0 ] || bad+="show --json | apply -: $(changes) changes; "
	jq '.remotes[0].udp6_zero_csum = false' "$TMP/u6.json" >"$TMP/u6-off.json"
	apply "$NS_H1" "$TMP/u6-off.json" && bad+="GUE to 2001:db8::5 without the consent applied; "
	jq '.remotes[0] = {address: "2001:db8::5", encap: "stt"}' "$TMP/u6.json" >"$TMP/u6-stt.json"
	apply "$NS_H1" "$TMP/u6-stt.json" --dry-run
	grep -q '^~ remote 2001:db8::5: encap gue cookie no udp6-zero-csum yes -> encap stt cookie no udp6-zero-csum no$' \
		"$TMP/apply.out" || bad+="dry run: no '~ remote 2001:db8::5' line; "
	apply "$NS_H1" "$TMP/u6-stt.json" || { diag <"$TMP/apply.err"; bad+="back to stt failed; "; }
	[ "$(changes)" = 1 ] || bad+="back to stt: $(changes) changes, expected 1; "
	[ "$(rcfg_flags "$NS_H1")" = "0 0" ] || bad+="map flags after stt: $(rcfg_flags "$NS_H1"); "
	apply "$NS_H1" "$TMP/h1.json"
	[ -z "$(remotes_of "$NS_H1")" ] || bad+="a document without remotes left $(remotes_of "$NS_H1"); "
	if [ -n "$bad" ]; then not_ok "$name" "${bad%; }"; else ok "$name"; fi
}

# (i) A document with no attachment removes everything apply (and attach) installed: the
# programs, the clsact qdiscs, the pinned state.
test_apply_nothing() {
	local name="apply of an empty document detaches and cleans up" ino errs=''
	ino=$(stt_ns_inode "$NS_H1")
	echo '{"version": 1, "attachment": null}' >"$TMP/empty.json"
	apply "$NS_H1" "$TMP/empty.json" || errs+="apply failed: $(head -1 "$TMP/apply.err"); "
	echo "# apply of an empty document: $(changes) changes"
	[ -e "$STT_PIN_BASE/$ino" ] && errs+="pins left in $STT_PIN_BASE/$ino ($(ls "$STT_PIN_BASE/$ino" | paste -sd' ')); "
	tc -n "$NS_H1" qdisc show dev "$UL1" | grep -q clsact && errs+="clsact left on $UL1; "
	tc -n "$NS_H1" qdisc show dev vp1 | grep -q clsact && errs+="clsact left on vp1; "
	ip -n "$NS_H1" neigh show dev "$UL1" | grep -q managed && errs+="managed neighbour left; "
	show "$NS_H1" | jq -e '.attachment == null and .vports == [] and .fdb == []' >/dev/null ||
		errs+="show still lists state; "
	apply "$NS_H1" "$TMP/empty.json"
	[ "$(changes)" = 0 ] || errs+="second empty apply: $(changes) changes; "
	if [ -n "$errs" ]; then not_ok "$name" "${errs%; }"; else ok "$name"; fi
}

# IPv6 underlay --------------------------------------------------------------------------
#
# A namespace of its own, ${STT_NS_PREFIX}v6: the underlay ul6 has 198.18.0.1/24 and
# 2001:db8::1/64 (no DAD, so that the address is usable at once), vp6 is a vport. No traffic:
# these check what sttctl writes and prints for IPv6 remotes.
NS_V6=${STT_NS_PREFIX}v6

# v6_doc: the base document (local and local6, IPv6 and IPv4 remotes everywhere).
v6_doc() {
	jq -n '{version: 1,
		attachment: {device: "ul6", local: "198.18.0.1", local6: "2001:db8::1"},
		vports: [{ifname: "vp6", context: "100"}],
		fdb: [{context: "100", mac: "02:00:00:00:06:02", remote: "2001:db8::2"},
		      {context: "100", mac: "02:00:00:00:04:02", remote: "198.18.0.2"}],
		flood: [{context: "100", remotes: ["2001:db8::2", "2001:db8::3"]},
			{context: "101", remotes: ["198.18.0.2"]}],
		peers: [{context: "100", remotes: ["2001:db8::2", "198.18.0.2"]}]}'
}

# The IPv6 remote indexes in use (slots of stt_remotes6 holding an address): "COUNT MAXINDEX".
v6_slots() {
	bpftool -j map dump pinned "$STT_PIN_BASE/$(stt_ns_inode "$NS_V6")/stt_remotes6" 2>/dev/null |
		jq -r '[.[] | select(.formatted.value.a != [0,0,0,0]) | .formatted.key] |
			"\(length) \(max // 0)"'
}

# (k) A document with local6 and IPv6 remotes in fdb, flood and peers applies: the change
# count, local6 in stt_cfg6 (show), IPv6 forwarding turned on, managed IPv6 neighbours, and
# the remotes printed back as the document wrote them.
test_ipv6_apply() {
	local name="IPv6: local6 and IPv6 fdb/flood/peer remotes apply" c errs='' got
	if ! ip netns add "$NS_V6" || ! ip -n "$NS_V6" link set lo up ||
		! ip -n "$NS_V6" link add ul6 type veth peer name ul6p ||
		! ip -n "$NS_V6" link add vp6 type veth peer name vp6p ||
		! ip -n "$NS_V6" addr add 198.18.0.1/24 dev ul6 ||
		! ip -n "$NS_V6" addr add 2001:db8::1/64 dev ul6 nodad; then
		not_ok "$name" "could not build namespace $NS_V6"
		return
	fi
	for d in ul6 ul6p vp6 vp6p; do ip -n "$NS_V6" link set "$d" up; done
	ip netns exec "$NS_V6" sysctl -qw net.ipv6.conf.ul6.forwarding=0
	v6_doc >"$TMP/v6.json"
	apply "$NS_V6" "$TMP/v6.json"
	c=$(changes)
	echo "# apply of the IPv6 document: $c changes (expected 8)"
	[ "$c" = 8 ] || { diag <"$TMP/apply.err"; errs+="$c changes, expected 8; "; }
	# In show's canonical order: fdb by MAC, peers IPv4 first.
	got=$(show "$NS_V6" | jq -c '[.attachment.local, .attachment.local6, .fdb, .flood, .peers]')
	[ "$got" = "$(jq -cS '[.attachment.local, .attachment.local6, (.fdb | sort_by(.mac)),
		.flood, (.peers | map(.remotes |= [.[1], .[0]]))]' "$TMP/v6.json")" ] ||
		errs+="show --json prints $got; "
	[ "$(ip netns exec "$NS_V6" sysctl -n net.ipv6.conf.ul6.forwarding)" = 1 ] ||
		errs+="IPv6 forwarding not turned on; "
	stt_ctl "$NS_V6" show --json | jq -e '.status.attachment.ipv6_forwarding_enabled_by_stt' >/dev/null ||
		errs+="status does not say stt turned IPv6 forwarding on; "
	for a in 2001:db8::2 2001:db8::3 198.18.0.2; do
		ip -n "$NS_V6" neigh show dev ul6 | grep -q "^$a .*managed" ||
			errs+="no managed neighbour for $a; "
	done
	got=$(v6_slots)
	[ "$got" = "2 2" ] || errs+="IPv6 indexes in use: '$got', expected '2 2' (two remotes, indexes 1 and 2); "
	if [ -n "$errs" ]; then not_ok "$name" "${errs%; }"; else ok "$name"; fi
}

# (l) show --json | apply - with IPv6 remotes: 0 changes, and a second apply of the document
# changes nothing either.
test_ipv6_round_trip() {
	local name="IPv6: show --json | apply - gives 0 changes" c1 c2
	stt_ctl "$NS_V6" show --json >"$TMP/v6-show.json"
	timeout 60 "$STTCTL" -n "$NS_V6" apply - <"$TMP/v6-show.json" >"$TMP/apply.out" 2>"$TMP/apply.err"
	c1=$(changes)
	apply "$NS_V6" "$TMP/v6.json"
	c2=$(changes)
	echo "# show --json | apply -: $c1 changes; the document again: $c2 changes"
	if [ "$c1" != 0 ] || [ "$c2" != 0 ]; then
		diag <"$TMP/apply.err"
		not_ok "$name" "$c1 and $c2 changes, expected 0 and 0"
	elif ! jq -e '.fdb[] | select(.remote == "2001:db8::2")' "$TMP/v6-show.json" >/dev/null; then
		not_ok "$name" "show --json does not print the IPv6 remote"
	else
		ok "$name"
	fi
}

# (m) A flood list of both families is refused: by apply (error at the path of the remote of
# the other family, nothing applied) and by fdb add (the list unchanged).
test_ipv6_mixed_flood() {
	local name="IPv6: a flood list of two families is refused, nothing applied" before after errs=''
	before=$(show "$NS_V6")
	jq '.flood[0].remotes += ["198.18.0.9"] | .fdb += [{context: "100",
		mac: "02:00:00:00:06:09", remote: "2001:db8::9"}]' "$TMP/v6.json" >"$TMP/v6-mixed.json"
	if apply "$NS_V6" "$TMP/v6-mixed.json"; then
		errs+="apply of a mixed list succeeded; "
	fi
	grep -q '^sttctl: \$\.flood\[0\]\.remotes\[2\]: .*one family' "$TMP/apply.err" ||
		{ diag <"$TMP/apply.err"; errs+="no error at \$.flood[0].remotes[2]; "; }
	grep -q 'nothing applied' "$TMP/apply.err" || errs+="no 'nothing applied'; "
	if stt_ctl "$NS_V6" fdb add --context 100 --mac ff:ff:ff:ff:ff:ff --remote 198.18.0.9 \
		2>"$TMP/fdb.err"; then
		errs+="fdb add of an IPv4 target to an IPv6 list succeeded; "
	fi
	grep -q 'one family' "$TMP/fdb.err" || errs+="fdb add: '$(head -1 "$TMP/fdb.err")'; "
	if stt_ctl "$NS_V6" fdb add --context 101 --mac ff:ff:ff:ff:ff:ff --remote 2001:db8::9 \
		2>>"$TMP/fdb.err"; then
		errs+="fdb add of an IPv6 target to an IPv4 list succeeded; "
	fi
	after=$(show "$NS_V6")
	[ "$before" = "$after" ] || errs+="the state changed; "
	if [ -n "$errs" ]; then not_ok "$name" "${errs%; }"; else ok "$name"; fi
}

# (n) fdb show and peer list (text and JSON) print the IPv6 addresses; fdb del and peer del
# take them; an IPv6 multicast group as a flood target joins the underlay's filter.
test_ipv6_listings() {
	local name="IPv6: fdb show and peer list print IPv6 remotes, IPv6 groups" errs='' out
	out=$(stt_ctl "$NS_V6" fdb show --context 100 2>&1)
	grep -qx 'context 100 02:00:00:00:06:02 -> 2001:db8::2 static' <<<"$out" ||
		errs+="fdb show: no static entry to 2001:db8::2; "
	grep -qx 'context 100 ff:ff:ff:ff:ff:ff -> 2001:db8::3 flood' <<<"$out" ||
		errs+="fdb show: no flood target 2001:db8::3; "
	stt_ctl "$NS_V6" fdb show --json | jq -e 'map(select(.remote == "2001:db8::2")) | length == 2' \
		>/dev/null || errs+="fdb show --json: 2001:db8::2 not listed twice; "
	out=$(stt_ctl "$NS_V6" peer list 2>&1)
	grep -qx 'context 100 peer 2001:db8::2' <<<"$out" || errs+="peer list: '$out'; "
	stt_ctl "$NS_V6" peer list --json | jq -e 'any(.[]; .remote == "2001:db8::2")' >/dev/null ||
		errs+="peer list --json: no 2001:db8::2; "
	# The same address in another spelling is the same remote.
	stt_ctl "$NS_V6" peer del --context 100 2001:0db8:0:0::2 || errs+="peer del failed; "
	stt_ctl "$NS_V6" peer list | grep -q 2001:db8::2 && errs+="peer del left the peer; "
	stt_ctl "$NS_V6" peer add --context 100 2001:db8::2 || errs+="peer add failed; "
	stt_ctl "$NS_V6" fdb add --context 100 --mac 02:00:00:00:06:02 --remote fe80::2 2>"$TMP/fdb.err" &&
		errs+="a link-local remote was taken; "
	grep -q 'link-local' "$TMP/fdb.err" || errs+="fe80::2: '$(head -1 "$TMP/fdb.err")'; "
	# An IPv6 group as a flood target: in stt_groups (by its index) and in the underlay's
	# receive filter as 33:33 + its low 32 bits; both gone with it.
	stt_ctl "$NS_V6" fdb add --context 102 --mac ff:ff:ff:ff:ff:ff --remote ff0e::1:5 ||
		errs+="fdb add of the group ff0e::1:5 failed; "
	ip -n "$NS_V6" maddr show dev ul6 | grep -q 'link  33:33:00:01:00:05' ||
		errs+="33:33:00:01:00:05 not in the receive filter; "
	[ "$(bpftool -j map dump pinned "$STT_PIN_BASE/$(stt_ns_inode "$NS_V6")/stt_groups" | jq length)" = 1 ] ||
		errs+="the group is not in stt_groups; "
	stt_ctl "$NS_V6" fdb show --context 102 | grep -qx 'context 102 ff:ff:ff:ff:ff:ff -> ff0e::1:5 flood' ||
		errs+="fdb show does not list the group; "
	stt_ctl "$NS_V6" fdb del --context 102 --mac ff:ff:ff:ff:ff:ff --remote ff0e::1:5 ||
		errs+="fdb del of the group failed; "
	ip -n "$NS_V6" maddr show dev ul6 | grep -q 'link  33:33:00:01:00:05' &&
		errs+="33:33:00:01:00:05 left in the receive filter; "
	[ "$(bpftool -j map dump pinned "$STT_PIN_BASE/$(stt_ns_inode "$NS_V6")/stt_groups" | jq length)" = 0 ] ||
		errs+="the group is left in stt_groups; "
	if [ -n "$errs" ]; then not_ok "$name" "${errs%; }"; else ok "$name"; fi
}

# (o) IPv6 indexes are reused once nothing names them: fill every index (4095) with peers,
# remove them, then a new address (apply, and a single peer add) gets the lowest free index,
# while the addresses still named keep theirs.
test_ipv6_index_reuse() {
	local name="IPv6: indexes are reused after their entries are deleted" errs='' got
	jq '.peers[0].remotes += [range(1; 4094) | "2001:db8:1::\(.)"]' "$TMP/v6.json" >"$TMP/v6-full.json"
	apply "$NS_V6" "$TMP/v6-full.json" || { diag <"$TMP/apply.err"; errs+="filling the indexes failed; "; }
	got=$(v6_slots)
	echo "# after filling: indexes in use (count, highest): $got"
	[ "$got" = "4095 4095" ] || errs+="after filling: '$got', expected '4095 4095'; "
	# One more address: every index is named, so this must fail, and change nothing.
	jq '.peers[0].remotes += ["2001:db8:2::1"]' "$TMP/v6-full.json" >"$TMP/v6-over.json"
	apply "$NS_V6" "$TMP/v6-over.json" && errs+="a 4096th IPv6 remote was taken; "
	grep -q 'all 4095 are in use' "$TMP/apply.err" || errs+="no 'all 4095 are in use' error; "
	# Remove the peers: their indexes are free to take again, the others stay.
	apply "$NS_V6" "$TMP/v6.json" || errs+="removing the peers failed; "
	stt_ctl "$NS_V6" peer add --context 100 2001:db8:2::1 2>"$TMP/peer.err" ||
		errs+="peer add after deleting: $(head -1 "$TMP/peer.err"); "
	got=$(v6_slots)
	echo "# after deleting and adding one: indexes in use (count, highest): $got"
	[ "$got" = "3 3" ] || errs+="then: '$got', expected '3 3' (the two named remotes, and the new one at index 3); "
	jq '.peers[0].remotes += ["2001:db8:2::1", "2001:db8:2::2"]' "$TMP/v6.json" >"$TMP/v6-more.json"
	apply "$NS_V6" "$TMP/v6-more.json" || errs+="apply of one more address failed; "
	got=$(v6_slots)
	[ "$got" = "4 4" ] || errs+="then: '$got', expected '4 4'; "
	stt_ctl "$NS_V6" fdb show --context 100 | grep -qx 'context 100 02:00:00:00:06:02 -> 2001:db8::2 static' ||
		errs+="the fdb entry no longer prints 2001:db8::2; "
	apply "$NS_V6" "$TMP/v6-more.json"
	[ "$(changes)" = 0 ] || errs+="the same document again: $(changes) changes; "
	if [ -n "$errs" ]; then not_ok "$name" "${errs%; }"; else ok "$name"; fi
}

# (p) Detach through apply restores IPv6 forwarding and removes the IPv6 neighbours.
test_ipv6_detach() {
	local name="IPv6: detach restores IPv6 forwarding" errs=''
	echo '{"version": 1, "attachment": null}' >"$TMP/empty.json"
	apply "$NS_V6" "$TMP/empty.json" || errs+="apply failed: $(head -1 "$TMP/apply.err"); "
	[ "$(ip netns exec "$NS_V6" sysctl -n net.ipv6.conf.ul6.forwarding)" = 0 ] ||
		errs+="IPv6 forwarding left on; "
	ip -n "$NS_V6" neigh show dev ul6 | grep -q managed && errs+="managed neighbour left; "
	if [ -n "$errs" ]; then not_ok "$name" "${errs%; }"; else ok "$name"; fi
	ip netns del "$NS_V6" 2>/dev/null
}

# Main ------------------------------------------------------------------------------------

TESTS=(test_from_scratch test_apply_twice test_round_trip test_invalid test_learn_vlan
	test_learn_change test_learn_vlan_rollback test_vlan_remove test_learn_vlan_invalid test_change_only
	test_rollback test_bpftool_example test_api_examples test_under_traffic test_gue_attach
	test_gue_remote test_gue_remote_udp6 test_gue_apply test_gue_apply_udp6 test_apply_nothing
	test_ipv6_apply test_ipv6_round_trip test_ipv6_mixed_flood test_ipv6_listings
	test_ipv6_index_reuse test_ipv6_detach)

if ! reason=$(stt_prereqs) || ! command -v bpftool >/dev/null; then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "${reason:-bpftool missing}"; done
else
	stt_topo_down
	if ! stt_build_devices >"$TMP/setup.log" 2>&1 ||
		! ip -n "$NS_T2" link set eth0 address "$T2_FIXED_MAC" >>"$TMP/setup.log" 2>&1; then
		diag <"$TMP/setup.log"
		for t in "${TESTS[@]}"; do not_ok "${t#test_}" "building the devices failed"; done
	else
		T1_MAC=$(stt_mac "$NS_T1" eth0)
		T2_MAC=$(stt_mac "$NS_T2" eth0)
		T3_MAC=$(stt_mac "$NS_T3" eth0)
		stt_log "devices up: t1 $T1_MAC, t2 $T2_MAC, t3 $T3_MAC; no sttctl command run yet"
		for t in "${TESTS[@]}"; do
			"$t"
		done
	fi
fi

harness_summary
