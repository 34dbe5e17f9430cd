#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The STT header checked whole on receive (include/stt_check.h), end to end, with tshark's
# STT dissector as an independent oracle. scripts/lib.sh's topology, prefix "sthd-", tenants
# with TSO on and MTU 1500 (so that our own transmit path sends GSO and cut frames too):
#
#   t1 (ctx 100) --vp1-- h1 ul1 198.18.0.1 ====== ul2 198.18.0.2 h2 --vp2-- t2 (ctx 100)
#                         ^ stt_raw.py headers                        --vp3-- t3 (ctx 200)
#
# Tests:
#  - headers (TC, sttd, XDP): one frame per case of stt_raw.py's HEADER_CASES (five
#    well-formed controls, then each field of the STT header wrong in turn) from h1's
#    underlay to t2's context: t2 gets exactly the controls, h2 counts every other frame
#    under its reason (drops.bad_* by TC and XDP, reasm_bad_* by sttd, which gets every frame
#    in two segments, the second first), and in the frames sent (stt_raw.py writes them
#    to a capture as it sends them) tshark raises no
#    STT expert info for a control and the matching one (version_unknown, l4offset_bad,
#    mss_bad) for each dropped frame where it has a rule;
#  - our own transmit: pings, cut frames and a TSO transfer captured on h1's underlay with
#    its offloads off (the wire): tshark raises no STT expert info and every TCP checksum is
#    good.
# Output like test_basic.sh; last line `N passed, N failed, N skipped`; exit 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STT_NS_PREFIX:-sthd-}
TENANT_TSO=on TENANT_MTU=1500
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

RAW=(python3 "$STT_REPO/tests/tools/stt_raw.py")
TSHARK=(tshark -n -o ip.try_heuristic_first:TRUE)
EXPERTS='stt.version_unknown.expert || stt.l4offset_bad.expert || stt.mss_bad.expert || stt.data_offset_bad.expert'
TMP=$(mktemp -d /tmp/sthd-test.XXXXXX)

cleanup() {
	captures_kill
	sttd_stop
	stt_topo_down
	[ -n "${STHD_KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stats NS FILE: every counter of NS, flat (drops as drops.NAME), into FILE
stats() {
	stt_ctl "$1" stats --json 2>/dev/null |
		jq '.counters + .reasm + (.drops | with_entries(.key = "drops." + .key))' >"$2"
}
# delta BEFORE AFTER KEY
delta() { echo $(($(jq -r --arg k "$3" '.[$k] // 0' "$2") - $(jq -r --arg k "$3" '.[$k] // 0' "$1"))); }

# The case indexes a capture of tenant frames holds (b"STTHDR" + index), one per line.
pcap_tags() {
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
while off + 16 <= len(d):
    n = struct.unpack("<I", d[off + 8:off + 12])[0]
    p = d[off + 16:off + 16 + n]
    off += 16 + n
    i = p.find(b"STTHDR")
    if i >= 0 and i + 6 < len(p):
        print(p[i + 6])
EOF
}

# tshark_ids PCAP FILTER: the STT frame IDs (decimal) of the packets that match FILTER
tshark_ids() {
	"${TSHARK[@]}" -r "$1" -Y "$2" -T fields -e stt.pkt_id 2>/dev/null | tr ',' '\n' |
		grep . | while read -r v; do echo $((v)); done | sort -un
}

# header_run LABEL [--split]: the HEADER_CASES frames from h1's underlay to t2; sets REPLY
# to what went wrong (empty if nothing).
header_run() {
	local label=$1 split=${2:-} out n i want expert fid got e why='' ids prefix
	local wire=$TMP/$label-wire.pcap tenant=$TMP/$label-t2.pcap
	local -A need=()
	REPLY=''
	stats "$NS_H2" "$TMP/$label-0.json"
	capture "$label-t2" "$NS_T2" eth0 -Q in || { REPLY="tcpdump did not start"; return; }
	# shellcheck disable=SC2086 # $split: empty or one word
	if ! out=$(nsx "$NS_H1" "${RAW[@]}" headers "$UL1" "$(stt_mac "$NS_H2" "$UL2")" "$UL1_IP" \
		"$UL2_IP" "$T2_MAC" "$T2_IP" --ctx "$CTX_A" --pcap "$wire" $split 2>&1); then
		captures_kill
		REPLY="stt_raw.py: $out"
		return
	fi
	sleep 1
	captures_kill
	stats "$NS_H2" "$TMP/$label-1.json"
	echo "$out" >"$TMP/$label-cases.json"
	n=$(jq '.cases | length' <<<"$out")
	got=$(pcap_tags "$tenant" | sort -n | paste -sd, -)
	want=$(jq -r '[.cases[] | select(.want == "deliver") | .index] | join(",")' <<<"$out")
	echo "# $label: $n frames${split:+, each in two segments, the second first}; t2 got cases [$got], the controls are [$want]"
	[ "$got" = "$want" ] || why+="t2 got cases [$got], expected exactly the controls [$want]; "

	# Every drop counted once, under its reason: TC and XDP as drops.*, sttd as reasm_*.
	prefix=drops.
	[ -z "$split" ] || prefix=reasm_
	for e in bad_version bad_flags bad_l4_offset bad_mss; do
		need[$e]=$(jq --arg r "$e" '[.cases[] | select(.want == $r)] | length' <<<"$out")
		got=$(delta "$TMP/$label-0.json" "$TMP/$label-1.json" "$prefix$e")
		echo "#   $prefix$e +$got (expected +${need[$e]})"
		[ "$got" -eq "${need[$e]}" ] || why+="$prefix$e +$got, expected +${need[$e]}; "
		if [ -n "$split" ]; then
			got=$(delta "$TMP/$label-0.json" "$TMP/$label-1.json" "drops.$e")
			[ "$got" -eq 0 ] || why+="drops.$e +$got although sttd had every frame; "
		fi
	done

	# tshark: the frames it decoded, the ones it flags, against what each case must raise.
	ids=$(tshark_ids "$wire" 'stt.pkt_id >= 0x4800 && stt.pkt_id < 0x4900' | wc -l)
	[ "$ids" -eq "$n" ] || why+="tshark decoded $ids STT frames of $n; "
	for ((i = 0; i < n; i++)); do
		read -r want expert fid < <(jq -r --argjson i "$i" '.cases[$i] | "\(.want) \(.expert) \(.frame_id)"' <<<"$out")
		if [ "$want" = deliver ]; then
			tshark_ids "$wire" "$EXPERTS" | grep -qx "$fid" &&
				why+="tshark flags control case $i ($(jq -r ".cases[$i].name" <<<"$out")); "
		elif [ "$expert" != null ]; then
			tshark_ids "$wire" "$expert" | grep -qx "$fid" ||
				why+="case $i ($want) does not raise $expert in tshark; "
		fi
	done
	echo "#   tshark: $ids STT frames decoded; flagged: $(tshark_ids "$wire" "$EXPERTS" | paste -sd, -)"
	REPLY=${why%; }
}

sttd_stop() {
	[ "${#STTD_PIDS[@]}" -eq 0 ] || { kill "${STTD_PIDS[@]}" 2>/dev/null; wait "${STTD_PIDS[@]}" 2>/dev/null; }
	STTD_PIDS=()
}

report() { if [ -n "$2" ]; then not_ok "$1" "$2"; else ok "$1"; fi; }

test_headers_tc() {
	header_run tc
	report "headers (TC): only well-formed STT headers reach the tenant, tshark agrees" "$REPLY"
}

test_headers_sttd() {
	local name="headers (sttd): the same frames in two segments, refused by sttd"
	stt_sttd_start "$TMP"
	case $STTD_STATE in
	absent) skip "$name" "build/sttd is not built" ;;
	running) header_run sttd --split && report "$name" "$REPLY" ;;
	*) not_ok "$name" "sttd: $STTD_STATE" ;;
	esac
	sttd_stop
}

test_headers_xdp() {
	local name="headers (XDP): dropped before the stack, by the same rule"
	if ! stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --xdp on >/dev/null; then
		not_ok "$name" "could not attach $UL2 with --xdp on"
		return
	fi
	header_run xdp
	report "$name" "$REPLY"
	stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" --xdp off >/dev/null ||
		echo "# could not re-attach $UL2 with --xdp off"
}

# Our transmit path on the wire: every header it writes passes tshark's checks.
test_own_wire() {
	local name="our own STT on the wire (pings, cut frames, TSO): no tshark expert info, checksums good"
	local pcap=$TMP/own.pcap why='' segs flagged gso bad total srv
	nsx "$NS_H1" ethtool -K "$UL1" tso off gso off tx off >/dev/null ||
		{ not_ok "$name" "ethtool -K $UL1 failed"; return; }
	# Cut frames arrive as pieces GRO may leave apart: sttd reassembles them.
	stt_sttd_start "$TMP"
	[ "$STTD_STATE" = running ] || { not_ok "$name" "sttd: $STTD_STATE"; sttd_stop; return; }
	capture own "$NS_H1" "$UL1" -Q out tcp port "$STT_PORT" || { not_ok "$name" "tcpdump"; return; }
	nsx "$NS_T1" ping -c 3 -i 0.2 -W 1 "$T2_IP" >/dev/null 2>&1 || why+="ping failed; "
	nsx "$NS_T1" ping -c 3 -i 0.2 -W 1 -s 1472 "$T2_IP" >"$TMP/ping-big.log" 2>&1 ||
		why+="ping -s 1472 failed: $(tail -2 "$TMP/ping-big.log" | tr '\n' ' '); "
	timeout 20 ip netns exec "$NS_T2" iperf3 -s -1 -p 5202 -B "$T2_IP" >/dev/null 2>&1 &
	srv=$!
	stt_wait_listen "$NS_T2" 5202 &&
		timeout 15 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5202 -n 4M >/dev/null 2>&1 ||
		why+="iperf3 -n 4M failed; "
	wait "$srv"
	captures_kill
	segs=$(tshark_count "$pcap" 'stt')
	flagged=$(tshark_count "$pcap" "$EXPERTS")
	gso=$(tshark_count "$pcap" 'stt.flags.csum_partial == 1 && stt.mss > 0')
	total=$(tshark -n -r "$pcap" -o tcp.check_checksum:TRUE -T fields -e tcp.checksum.status 2>/dev/null | grep -c .)
	bad=$(tshark -n -r "$pcap" -o tcp.check_checksum:TRUE -T fields -e tcp.checksum.status 2>/dev/null | grep -vc '^1$')
	echo "# $segs STT segments decoded ($gso with a partial checksum and an MSS), $flagged flagged; $total TCP checksums, $bad not good"
	[ "$segs" -gt 100 ] || why+="only $segs STT segments decoded; "
	[ "$gso" -gt 0 ] || why+="no GSO frame (partial checksum + MSS) on the wire; "
	[ "$flagged" -eq 0 ] || why+="tshark flags $flagged segments: $("${TSHARK[@]}" -r "$pcap" -Y "$EXPERTS" -T fields -e _ws.expert.message 2>/dev/null | sort | uniq -c | head -3 | tr '\n' ' '); "
	[ "$bad" -eq 0 ] || why+="$bad TCP checksums not good; "
	sttd_stop
	report "$name" "${why%; }"
}

# tshark_count PCAP FILTER: packets that match FILTER
tshark_count() { "${TSHARK[@]}" -r "$1" -Y "$2" 2>/dev/null | grep -c .; }

TESTS=(test_headers_tc test_headers_sttd test_headers_xdp test_own_wire)
[ -z "${STHD_TESTS:-}" ] || read -r -a TESTS <<<"$STHD_TESTS"

if ! reason=$(stt_prereqs) || ! command -v python3 >/dev/null || ! command -v tshark >/dev/null; then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "${reason:-python3 or tshark missing}"; done
elif ! stt_topo_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
