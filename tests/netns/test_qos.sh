#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# DSCP, ECN and strict peers end to end on the standard two-host topology (scripts/lib.sh),
# checked on the wire with tshark's STT dissector and at the receiving tenant.
#   - DSCP uniform model (the default): the inner DSCP and ECN show on the outer header and
#     arrive unchanged; pipe model (--dscp 10): the outer DSCP is 10, the inner one arrives.
#   - ECN (RFC 6040, draft 3.3.1), with hand-made STT segments (tests/tools/stt_send.py):
#     outer CE on an ECT frame arrives CE; outer CE on a Not-ECT frame is dropped and
#     counted; the same for a frame in three segments that sttd reassembles, where only the
#     middle segment carries CE.
#   - Strict peers: with --peers strict (endpoint) or vport --peers strict (context), traffic
#     flows only once the sender is a peer of the context.
# Prints `ok - NAME` / `not ok - NAME: why` / `skip - NAME: reason`, and a summary line.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STQ_NS_PREFIX:-stq-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"
SEND="$STT_REPO/tests/tools/stt_send.py"


TMP=$(mktemp -d /tmp/stt-qos.XXXXXX)
cleanup() {
	captures_kill
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

UL1_MAC='' UL2_MAC=''

# ping_tos COUNT TOS: pings t1 -> t2 with that TOS byte; prints the number answered
ping_tos() {
	timeout 15 ip netns exec "$NS_T1" ping -n -c "$1" -i 0.2 -W 1 -Q "$2" "$T2_IP" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p' | head -1 | grep . || echo 0
}

# drop_count NS REASON: one drop counter of `sttctl stats --json`
drop_count() { stt_ctl "$1" stats --json 2>/dev/null | jq -r --arg r "$2" '.drops[$r] // 0'; }
reasm_count() { stt_ctl "$1" stats --json 2>/dev/null | jq -r --arg r "$2" '.reasm[$r] // 0'; }

# reattach NS DEV ADDR [OPTIONS...]: re-run attach (an in-place update) with new options
reattach() {
	local ns=$1 dev=$2 addr=$3
	shift 3
	stt_run_ctl "$ns" attach "$dev" --local "$addr" "$@"
}


# send_stt ARGS...: hand-made STT from h1's underlay to h2's (context 100, to t2)
send_stt() {
	ip netns exec "$NS_H1" python3 "$SEND" --ifname "$UL1" --dmac "$UL2_MAC" --smac "$UL1_MAC" \
		--src "$UL1_IP" --dst "$UL2_IP" --context "$CTX_A" --inner-dmac "$T2_MAC" \
		--inner-dst "$T2_IP" "$@"
}

# Tests -----------------------------------------------------------------------------------

# Outer and inner DS fields of the echo requests on the wire: "outer inner" per line.
wire_dsfields() {
	tshark -r "$1" -o ip.try_heuristic_first:TRUE -Y 'stt && icmp.type == 8' -T fields -E occurrence=a -E aggregator=' ' \
		-e ip.dsfield 2>/dev/null | awk '{print $1, $2}' | sort | uniq -c
}

# dscp_case NAME TAG OUTER: three pings t1 -> t2 with TOS 0xba (DSCP 46, ECT(0)); on the
# wire every echo request must carry OUTER outside and 0xba inside, and t2 must get 0xba.
dscp_case() {
	local name=$1 tag=$2 outer=$3 got wire t2
	capture "wire-$tag" "$NS_H2" "$UL2" tcp dst port "$STT_PORT" || { not_ok "$name" "capture"; return; }
	local wpid=$LAST_CAP
	capture "t2-$tag" "$NS_T2" eth0 icmp || { not_ok "$name" "capture"; return; }
	local tpid=$LAST_CAP
	got=$(ping_tos 3 0xba)
	stt_capture_stop "$wpid"
	stt_capture_stop "$tpid"
	wire=$(wire_dsfields "$TMP/wire-$tag.pcap")
	t2=$(tshark -r "$TMP/t2-$tag.pcap" -Y 'icmp.type == 8' -T fields -e ip.dsfield 2>/dev/null |
		sort | uniq -c)
	echo "wire (count outer inner): $wire; at t2 (count dsfield): $t2" | diag
	if [ "$got" != 3 ]; then
		not_ok "$name" "$got of 3 pings answered"
	elif ! grep -Eq "^ *3 $outer 0xba\$" <<<"$wire" || [ "$(wc -l <<<"$wire")" -ne 1 ]; then
		not_ok "$name" "outer/inner DS fields on the wire: $wire (want 3 x $outer 0xba)"
	elif ! grep -Eq '^ *3 0xba$' <<<"$t2"; then
		not_ok "$name" "DS field at t2: $t2 (want 3 x 0xba)"
	else
		ok "$name"
	fi
}

test_dscp_uniform() {
	dscp_case "dscp uniform: inner DSCP/ECN copied out, and arrive unchanged" uniform 0xba
}

test_dscp_pipe() {
	local name="dscp pipe (--dscp 10): fixed outer DSCP, inner DSCP untouched"
	if ! reattach "$NS_H1" "$UL1" "$UL1_IP" --dscp 10 >/dev/null 2>&1 ||
		! reattach "$NS_H2" "$UL2" "$UL2_IP" --dscp 10 >/dev/null 2>&1; then
		not_ok "$name" "attach --dscp 10 failed"
		return
	fi
	# DSCP 10 << 2 = 0x28, ECN ECT(0) copied: 0x2a.
	dscp_case "$name" pipe 0x2a
	reattach "$NS_H1" "$UL1" "$UL1_IP" >/dev/null 2>&1
	reattach "$NS_H2" "$UL2" "$UL2_IP" >/dev/null 2>&1
}

# ecn_case NAME DPORT EXPECT_CE(1|0=dropped) SEND ARGS...: one crafted frame to t2 port DPORT
udp_dsfields() {
	tshark -r "$1" -Y "udp.dstport == $2" -T fields -e ip.dsfield 2>/dev/null | sort | uniq -c
}

test_ecn_single_segment() {
	local name="ecn: outer CE on a one-segment frame (TC path)" d0 d1 t2
	capture t2c "$NS_T2" eth0 udp || { not_ok "$name" "capture"; return; }
	local tpid=$LAST_CAP
	d0=$(drop_count "$NS_H2" ecn_ce_not_ect)
	send_stt --tos 0x03 --inner-tos 0x02 --inner-dport 11 --frame-id 0x51000001 &&
		send_stt --tos 0x03 --inner-tos 0x00 --inner-dport 12 --frame-id 0x51000002 &&
		send_stt --tos 0x02 --inner-tos 0x02 --inner-dport 13 --frame-id 0x51000003 ||
		{ not_ok "$name" "stt_send.py failed"; return; }
	sleep 0.5
	stt_capture_stop "$tpid"
	d1=$(drop_count "$NS_H2" ecn_ce_not_ect)
	t2="port 11: $(udp_dsfields "$TMP/t2c.pcap" 11 | xargs); port 12: $(udp_dsfields "$TMP/t2c.pcap" 12 | xargs); port 13: $(udp_dsfields "$TMP/t2c.pcap" 13 | xargs)"
	echo "at t2: $t2; ecn_ce_not_ect $d0 -> $d1" | diag
	# Uniform model: the outer DSCP (0) comes in; ECT(0) + CE outside = CE (0x03).
	if [[ $t2 != "port 11: 1 0x03; port 12: ; port 13: 1 0x02" ]]; then
		not_ok "$name" "want port 11: 1 x 0x03 (CE), port 12: nothing, port 13: 1 x 0x02; got $t2"
	elif [ "$((d1 - d0))" -ne 1 ]; then
		not_ok "$name" "ecn_ce_not_ect moved by $((d1 - d0)), want 1"
	else
		ok "$name"
	fi
}

test_ecn_reassembled() {
	local name="ecn: CE on the middle segment of a 3-segment frame (sttd) marks the frame" r0 r1 t2
	if [ "$STTD_STATE" != running ]; then
		not_ok "$name" "sttd: $STTD_STATE"
		return
	fi
	capture t2d "$NS_T2" eth0 udp || { not_ok "$name" "capture"; return; }
	local tpid=$LAST_CAP
	r0=$(reasm_count "$NS_H2" reasm_ecn_ce_not_ect)
	local f0
	f0=$(reasm_count "$NS_H2" reasm_frames)
	# 1000 bytes of UDP payload: an 1060-byte frame, cut in segments of 400 bytes.
	send_stt --seg 400 --payload 1000 --tos 0x02,0x03,0x02 --inner-tos 0x02 \
		--inner-dport 21 --frame-id 0x52000001 &&
		send_stt --seg 400 --payload 1000 --tos 0x02,0x03,0x02 --inner-tos 0x00 \
			--inner-dport 22 --frame-id 0x52000002 &&
		send_stt --seg 400 --payload 1000 --tos 0x02 --inner-tos 0x02 \
			--inner-dport 23 --frame-id 0x52000003 ||
		{ not_ok "$name" "stt_send.py failed"; return; }
	sleep 1
	stt_capture_stop "$tpid"
	r1=$(reasm_count "$NS_H2" reasm_ecn_ce_not_ect)
	t2="port 21: $(udp_dsfields "$TMP/t2d.pcap" 21 | xargs); port 22: $(udp_dsfields "$TMP/t2d.pcap" 22 | xargs); port 23: $(udp_dsfields "$TMP/t2d.pcap" 23 | xargs)"
	echo "at t2: $t2; reasm_frames $f0 -> $(reasm_count "$NS_H2" reasm_frames); reasm_ecn_ce_not_ect $r0 -> $r1" | diag
	if [[ $t2 != "port 21: 1 0x03; port 22: ; port 23: 1 0x02" ]]; then
		not_ok "$name" "want port 21: 1 x 0x03 (CE), port 22: nothing, port 23: 1 x 0x02; got $t2"
	elif [ "$((r1 - r0))" -ne 1 ]; then
		not_ok "$name" "reasm_ecn_ce_not_ect moved by $((r1 - r0)), want 1"
	else
		ok "$name"
	fi
}

counter() { stt_ctl "$1" stats --json 2>/dev/null | jq -r --arg r "$2" '.counters[$r] // 0'; }

# Every segment CE, so GRO may merge them (it merges only equal TOS): the TC path must mark
# the frame; which path took it is reported, and both must give CE.
test_ecn_all_segments() {
	local name="ecn: a 3-segment frame with CE on every segment arrives CE" g0 g1 f0 f1 t2
	capture t2e "$NS_T2" eth0 udp || { not_ok "$name" "capture"; return; }
	local tpid=$LAST_CAP
	g0=$(counter "$NS_H2" rx_gro_frames)
	f0=$(reasm_count "$NS_H2" reasm_frames)
	send_stt --seg 400 --payload 1000 --tos 0x03 --inner-tos 0x01 --inner-dport 31 \
		--frame-id 0x53000001 || { not_ok "$name" "stt_send.py failed"; return; }
	sleep 1
	stt_capture_stop "$tpid"
	g1=$(counter "$NS_H2" rx_gro_frames)
	f1=$(reasm_count "$NS_H2" reasm_frames)
	t2=$(udp_dsfields "$TMP/t2e.pcap" 31 | xargs)
	echo "at t2: $t2; GRO-merged frames +$((g1 - g0)), sttd frames +$((f1 - f0))" | diag
	if [ "$t2" != "1 0x03" ]; then
		not_ok "$name" "want 1 x 0x03 (ECT(1) + CE = CE) at t2, got '$t2'"
	else
		ok "$name"
	fi
}

test_peers_strict_endpoint() {
	local name="peers strict (endpoint): only a peer of the context gets through" a b c d0 d1
	reattach "$NS_H2" "$UL2" "$UL2_IP" --peers strict >/dev/null 2>&1 ||
		{ not_ok "$name" "attach --peers strict failed"; return; }
	d0=$(drop_count "$NS_H2" peer_denied)
	a=$(ping_tos 2 0)
	d1=$(drop_count "$NS_H2" peer_denied)
	stt_run_ctl "$NS_H2" peer add --context "$CTX_A" "$UL1_IP" >/dev/null 2>&1
	b=$(ping_tos 2 0)
	stt_run_ctl "$NS_H2" peer del --context "$CTX_A" "$UL1_IP" >/dev/null 2>&1
	# A peer of another context does not count.
	stt_run_ctl "$NS_H2" peer add --context "$CTX_B" "$UL1_IP" >/dev/null 2>&1
	ip -n "$NS_T1" neigh flush dev eth0
	c=$(ping_tos 2 0)
	stt_run_ctl "$NS_H2" peer del --context "$CTX_B" "$UL1_IP" >/dev/null 2>&1
	reattach "$NS_H2" "$UL2" "$UL2_IP" >/dev/null 2>&1
	echo "not a peer: $a/2, peer: $b/2, peer of context $CTX_B only: $c/2; peer_denied $d0 -> $d1" | diag
	if [ "$a" != 0 ] || [ "$c" != 0 ]; then
		not_ok "$name" "a sender that is not a peer got answers ($a/2, $c/2)"
	elif [ "$b" != 2 ]; then
		not_ok "$name" "the peer got $b/2 answers"
	elif [ "$((d1 - d0))" -lt 1 ]; then
		not_ok "$name" "peer_denied did not move"
	else
		ok "$name"
	fi
}

test_peers_strict_context() {
	local name="peers strict (vport --peers strict): per context" a b
	stt_run_ctl "$NS_H2" vport del vp2 >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" --peers strict >/dev/null 2>&1 ||
		{ not_ok "$name" "vport add --peers strict failed"; return; }
	ip -n "$NS_T1" neigh flush dev eth0
	a=$(ping_tos 2 0)
	stt_run_ctl "$NS_H2" peer add --context "$CTX_A" "$UL1_IP" >/dev/null 2>&1
	b=$(ping_tos 2 0)
	stt_run_ctl "$NS_H2" peer del --context "$CTX_A" "$UL1_IP" >/dev/null 2>&1
	stt_run_ctl "$NS_H2" vport del vp2 >/dev/null 2>&1
	stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" >/dev/null 2>&1
	echo "not a peer: $a/2, peer: $b/2" | diag
	if [ "$a" != 0 ]; then
		not_ok "$name" "not a peer, yet $a/2 answers"
	elif [ "$b" != 2 ]; then
		not_ok "$name" "the peer got $b/2 answers"
	else
		ok "$name"
	fi
}

# Learning on h1: its static entry for t2 goes, vp1 learns; after one exchange t2's MAC is
# learned behind h2, and unicast to it is sent by the learned entry.
test_learning() {
	local name="learning: a remote tenant's MAC is learned and used for unicast" got fdb tl0 tl1
	stt_run_ctl "$NS_H1" fdb del --context "$CTX_A" --mac "$T2_MAC" >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" --learn --learn-cap 64 >/dev/null 2>&1 ||
		{ not_ok "$name" "reconfiguring h1 failed"; return; }
	ip -n "$NS_T1" neigh flush dev eth0
	tl0=$(counter "$NS_H1" tx_learned)
	got=$(ping_tos 3 0)
	tl1=$(counter "$NS_H1" tx_learned)
	fdb=$(stt_ctl "$NS_H1" fdb show --json 2>/dev/null)
	echo "pings $got/3; h1 tx_learned $tl0 -> $tl1; h1 fdb: $(jq -c '[.[] | select(.type == "learned")]' <<<"$fdb")" | diag
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1
	stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" >/dev/null 2>&1
	stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP" >/dev/null 2>&1
	if [ "$got" != 3 ]; then
		not_ok "$name" "$got of 3 pings answered"
	elif ! jq -e --arg m "$T2_MAC" --arg r "$UL2_IP" \
		'any(.[]; .type == "learned" and .mac == $m and .remote == $r and .context == "100")' \
		<<<"$fdb" >/dev/null; then
		not_ok "$name" "t2's MAC not learned behind $UL2_IP"
	elif [ "$((tl1 - tl0))" -lt 2 ]; then
		not_ok "$name" "tx_learned moved by $((tl1 - tl0)): unicast did not use the learned entry"
	else
		ok "$name"
	fi
}

# Learning from frames sttd reassembles: h2 sends h1 a hand-made frame in three segments
# with different outer TOS (GRO merges only equal TOS, so the pieces go to sttd), from an
# inner source MAC h1 has never seen. h1's sttd delivers it and learns the MAC behind h2.
test_learning_sttd() {
	local name="learning: sttd learns from the frames it reassembles" why='' fdb l0 l1 f0 f1
	local mac=02:00:00:00:77:01
	if [ "$STTD_STATE" != running ]; then
		skip "$name" "sttd is $STTD_STATE"
		return
	fi
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" --learn >/dev/null 2>&1 ||
		{ not_ok "$name" "vport add --learn failed"; return; }
	l0=$(reasm_count "$NS_H1" reasm_learned)
	f0=$(reasm_count "$NS_H1" reasm_frames)
	ip netns exec "$NS_H2" python3 "$SEND" --ifname "$UL2" --dmac "$UL1_MAC" --smac "$UL2_MAC" \
		--src "$UL2_IP" --dst "$UL1_IP" --context "$CTX_A" --inner-dmac "$T1_MAC" \
		--inner-smac "$mac" --inner-src "$T2_IP" --inner-dst "$T1_IP" --payload 2000 \
		--seg 800 --tos 0,4,0 --frame-id 0x5a0077aa
	sleep 0.5
	l1=$(reasm_count "$NS_H1" reasm_learned)
	f1=$(reasm_count "$NS_H1" reasm_frames)
	fdb=$(stt_ctl "$NS_H1" fdb show --json 2>/dev/null)
	echo "h1 reasm_frames +$((f1 - f0)), reasm_learned +$((l1 - l0)); learned: $(jq -c '[.[] | select(.type == "learned")]' <<<"$fdb")" | diag
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1
	stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" >/dev/null 2>&1
	[ "$((f1 - f0))" -eq 1 ] || why+="sttd reassembled $((f1 - f0)) frames (want 1); "
	[ "$((l1 - l0))" -eq 1 ] || why+="reasm_learned +$((l1 - l0)) (want 1); "
	jq -e --arg m "$mac" --arg r "$UL2_IP" \
		'any(.[]; .type == "learned" and .mac == $m and .remote == $r and .context == "100")' \
		<<<"$fdb" >/dev/null || why+="$mac not learned behind $UL2_IP; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# OAM: sttctl ping answers through the tunnel, is valid STT and CFM on the wire (tshark),
# and never reaches a tenant; an unknown context gets no answer.
test_oam_ping() {
	local name="oam: sttctl ping gets 3 replies, tshark sees CFM loopback in STT, no tenant sees it"
	local out js r0 r1 q0 q1 t2a t2b wire bad
	capture oam "$NS_H2" "$UL2" tcp || { not_ok "$name" "capture"; return; }
	local wpid=$LAST_CAP
	r0=$(counter "$NS_H2" oam_replied) q0=$(counter "$NS_H1" oam_replies)
	t2a=$(ip -n "$NS_T2" -s -j link show eth0 | jq '.[0].stats64.rx.packets')
	js=$(stt_ctl "$NS_H1" ping --context "$CTX_A" --remote "$UL2_IP" --count 3 --interval 0.2 --json)
	out=$?
	t2b=$(ip -n "$NS_T2" -s -j link show eth0 | jq '.[0].stats64.rx.packets')
	r1=$(counter "$NS_H2" oam_replied) q1=$(counter "$NS_H1" oam_replies)
	stt_capture_stop "$wpid"
	wire=$(tshark -r "$TMP/oam.pcap" -o ip.try_heuristic_first:TRUE -Y 'stt && cfm' -T fields \
		-e stt.context_id -e cfm.opcode 2>/dev/null | sort | uniq -c | xargs)
	bad=$(tshark -r "$TMP/oam.pcap" -o tcp.check_checksum:TRUE -Y 'tcp.checksum.status != 1' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	echo "ping: $(jq -c '{sent, received, rtt_avg_ms}' <<<"$js" 2>/dev/null); h2 oam_replied $r0 -> $r1, h1 oam_replies $q0 -> $q1; t2 rx +$((t2b - t2a)); wire (count context opcode): $wire; bad TCP checksums: $bad" | diag
	if [ "$out" -ne 0 ] || [ "$(jq -r .received <<<"$js")" != 3 ]; then
		not_ok "$name" "ping exit $out, received $(jq -r .received <<<"$js" 2>/dev/null)"
	elif [ "$((r1 - r0))" -ne 3 ] || [ "$((q1 - q0))" -ne 3 ]; then
		not_ok "$name" "oam_replied +$((r1 - r0)), oam_replies +$((q1 - q0)) (want 3 and 3)"
	elif [ "$wire" != "3 0x0000000000000064 2 3 0x0000000000000064 3" ]; then
		not_ok "$name" "tshark: '$wire' (want 3 loopback messages (3) and 3 replies (2) in context 100)"
	elif [ "$bad" -ne 0 ]; then
		not_ok "$name" "$bad segments with a TCP checksum tshark does not call good"
	elif [ "$t2b" -ne "$t2a" ]; then
		not_ok "$name" "t2 received $((t2b - t2a)) frames"
	else
		ok "$name"
	fi
}

test_oam_unknown_context() {
	local name="oam: ping for a context the remote does not serve gets no reply" out d0 d1
	d0=$(drop_count "$NS_H2" unknown_context)
	stt_ctl "$NS_H1" ping --context 999 --remote "$UL2_IP" --count 2 --interval 0.1 --timeout 0.3 >"$TMP/ping999.txt" 2>&1
	out=$?
	d1=$(drop_count "$NS_H2" unknown_context)
	diag <"$TMP/ping999.txt"
	if [ "$out" -eq 0 ]; then
		not_ok "$name" "ping succeeded"
	elif [ "$((d1 - d0))" -ne 2 ]; then
		not_ok "$name" "h2 unknown_context +$((d1 - d0)), want 2"
	else
		ok "$name"
	fi
}

# A tenant cannot send to the OAM MAC (it would make the remote answer).
test_oam_tenant_refused() {
	local name="oam: a tenant frame to the reserved OAM MAC is dropped (tx_oam)" d0 d1
	d0=$(drop_count "$NS_H1" tx_oam)
	ip netns exec "$NS_T1" python3 -c '
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
f = bytes.fromhex("025354544f41") + bytes.fromhex("020000009901") + struct.pack("!H", 0x8902)
s.send(f + bytes([0, 3, 0, 4, 0, 0, 0, 1, 0]) + bytes(37))' 2>&1 | diag
	sleep 0.3
	d1=$(drop_count "$NS_H1" tx_oam)
	if [ "$((d1 - d0))" -ne 1 ]; then
		not_ok "$name" "tx_oam +$((d1 - d0)), want 1"
	else
		ok "$name"
	fi
}

# PMTU: a router's ICMP "fragmentation needed" (made by hand, from h2's side) quoting an STT
# segment h1 sent lowers h1's segment size toward h2: frames that fit the 1500-byte underlay
# are now cut (single-segment path) or sent with a smaller GSO size (TSO path), and every
# STT segment on the wire fits 1200 bytes.
send_frag_needed() {
	ip netns exec "$NS_H2" python3 -c '
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ip4(src, dst, proto, plen, df=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + plen, 1, df, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]
mtu, src, dst, dmac, smac, dev = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
quoted = ip4(dst, src, 6, 1400, 0x4000) + struct.pack("!HHI", 50000, 7471, 0)
icmp = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quoted
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
frame = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
frame += ip4(src, dst, 1, len(icmp)) + icmp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((dev, 0)); s.send(frame)
' "$1" "$UL2_IP" "$UL1_IP" "$UL1_MAC" "$UL2_MAC" "$UL2"
}

# Largest outer IP length of the STT packets in a capture.
max_stt_len() {
	tshark -r "$1" -Y "tcp.dstport == $STT_PORT" -T fields -e ip.len 2>/dev/null | sort -n | tail -1
}

test_pmtu() {
	local name="pmtu: ICMP frag-needed lowers the segment size toward that remote (cut and GSO)"
	local l0 l1 c0 c1 m0 m1 got big why='' gso_max
	l0=$(counter "$NS_H1" pmtu_learned)
	send_frag_needed 1200
	sleep 0.2
	l1=$(counter "$NS_H1" pmtu_learned)
	[ "$((l1 - l0))" -eq 1 ] || why+="pmtu_learned +$((l1 - l0)), want 1; "
	# Single-segment path: 1442-byte frames (they fit the underlay) must be cut.
	capture pm1 "$NS_H1" "$UL1" -Q out tcp || { not_ok "$name" "capture"; return; }
	local p1=$LAST_CAP
	c0=$(counter "$NS_H1" tx_cut_frames)
	got=$(timeout 15 ip netns exec "$NS_T1" ping -n -c 3 -i 0.2 -W 1 -s 1400 "$T2_IP" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p')
	c1=$(counter "$NS_H1" tx_cut_frames)
	stt_capture_stop "$p1"
	big=$(max_stt_len "$TMP/pm1.pcap")
	[ "${got:-0}" = 3 ] || why+="1400-byte pings: ${got:-0}/3; "
	[ "$((c1 - c0))" -ge 3 ] || why+="tx_cut_frames +$((c1 - c0)), want >= 3; "
	[ -n "$big" ] && [ "$big" -le 1200 ] || why+="an STT packet of ${big:-?} bytes > 1200; "
	# TSO path: t1 with TSO, ul1 segmenting in software so the capture sees the segments.
	nsx "$NS_T1" ethtool -K eth0 tso on gso on >/dev/null 2>&1
	nsx "$NS_H1" ethtool -K "$UL1" tso off >/dev/null 2>&1
	capture pm2 "$NS_H1" "$UL1" -Q out -s 200 tcp dst port "$STT_PORT" || { not_ok "$name" "capture"; return; }
	local p2=$LAST_CAP
	m0=$(counter "$NS_H1" tx_mss_lowered)
	timeout 30 ip netns exec "$NS_T2" iperf3 -s -1 -p 5202 -B "$T2_IP" >/dev/null 2>&1 &
	stt_wait_listen "$NS_T2" 5202
	timeout 20 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5202 -t 2 -J >"$TMP/pm-iperf.json" 2>&1
	local irc=$?
	m1=$(counter "$NS_H1" tx_mss_lowered)
	stt_capture_stop "$p2"
	nsx "$NS_T1" ethtool -K eth0 tso off gso off >/dev/null 2>&1
	nsx "$NS_H1" ethtool -K "$UL1" tso on >/dev/null 2>&1
	gso_max=$(max_stt_len "$TMP/pm2.pcap")
	echo "pmtu_learned $l0 -> $l1; pings $got/3, tx_cut_frames +$((c1 - c0)), largest STT packet $big;" \
		"TSO: iperf3 rc $irc $(jq -r '.end.sum_received.bytes // 0' "$TMP/pm-iperf.json") bytes," \
		"tx_mss_lowered +$((m1 - m0)), largest STT packet $gso_max" | diag
	[ "$irc" -eq 0 ] || why+="iperf3 failed; "
	[ "$((m1 - m0))" -gt 0 ] || why+="tx_mss_lowered did not move; "
	[ -n "$gso_max" ] && [ "$gso_max" -le 1200 ] || why+="a TSO segment of ${gso_max:-?} bytes > 1200; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

# send_udp NS SRC_MAC DST_MAC SRC_IP DST_IP DPORT [VID PCP]: one UDP frame from a tenant's
# eth0 through an AF_PACKET socket, 802.1Q-tagged when VID is given (no VLAN devices here).
send_udp() {
	ip netns exec "$1" python3 -c '
import socket, struct, sys
smac, dmac, sip, dip, dport = sys.argv[1:6]
vid = int(sys.argv[6]) if len(sys.argv) > 6 else None
pcp = int(sys.argv[7]) if len(sys.argv) > 7 else 0
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
payload = b"vlan-trunk-test" * 4
udp = struct.pack("!HHHH", 40000, int(dport), 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 7, 0, 64, 17, 0,
                 socket.inet_aton(sip), socket.inet_aton(dip))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", ""))
if vid is not None:
    eth += struct.pack("!HH", 0x8100, (pcp << 13) | vid)
frame = eth + b"\x08\x00" + ip + udp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0)); s.send(frame)
' "${@:2}"
}

# A trunk: vp1 carries VLAN 10 as context 100 (vport add --vlan 10), t2 is an access port.
test_vlan_trunk() {
	local name="vlan trunk: VLAN 10 of vp1 is context 100, tag off in the tunnel, back on at vp1"
	local wire t2got t1got nv0 nv1 why=''
	stt_run_ctl "$NS_H1" vport del vp1 >/dev/null 2>&1 &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" --vlan 10 >/dev/null 2>&1 ||
		{ not_ok "$name" "vport add --vlan 10 failed"; return; }
	capture vw "$NS_H2" "$UL2" tcp dst port "$STT_PORT" || { not_ok "$name" "capture"; return; }
	local p1=$LAST_CAP
	capture vt2 "$NS_T2" eth0 udp || { not_ok "$name" "capture"; return; }
	local p2=$LAST_CAP
	capture vt1 "$NS_T1" eth0 vlan || { not_ok "$name" "capture"; return; }
	local p3=$LAST_CAP
	nv0=$(drop_count "$NS_H1" tx_no_vport)
	# t1 -> t2 tagged VLAN 10 PCP 5; and VLAN 20 (no vport): dropped.
	send_udp "$NS_T1" "$T1_MAC" "$T2_MAC" "$T1_IP" "$T2_IP" 4010 10 5
	send_udp "$NS_T1" "$T1_MAC" "$T2_MAC" "$T1_IP" "$T2_IP" 4020 20 5
	# t2 -> t1 untagged: arrives at t1 tagged VLAN 10.
	send_udp "$NS_T2" "$T2_MAC" "$T1_MAC" "$T2_IP" "$T1_IP" 4011
	sleep 0.5
	stt_capture_stop "$p1"
	stt_capture_stop "$p2"
	stt_capture_stop "$p3"
	nv1=$(drop_count "$NS_H1" tx_no_vport)
	wire=$(tshark -r "$TMP/vw.pcap" -o ip.try_heuristic_first:TRUE -Y 'stt && udp.dstport == 4010 && !icmp' -T fields \
		-e stt.context_id -e stt.vlan.v -e stt.vlan.pcp -e stt.vlan.id -e vlan.id 2>/dev/null | xargs)
	t2got=$(tshark -r "$TMP/vt2.pcap" -Y 'udp.dstport == 4010 && !icmp' -T fields -e vlan.id -e ip.src 2>/dev/null | xargs)
	t1got=$(tshark -r "$TMP/vt1.pcap" -Y 'udp.dstport == 4011 && !icmp' -T fields -e vlan.id -e vlan.priority 2>/dev/null | xargs)
	echo "wire (context v pcp vid inner-vlan): '$wire'; t2 got (vlan src): '$t2got'; t1 got (vlan pcp): '$t1got'; h1 tx_no_vport +$((nv1 - nv0))" | diag
	stt_run_ctl "$NS_H1" vport del vp1 --vlan 10 >/dev/null 2>&1
	stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" >/dev/null 2>&1
	[[ $wire =~ ^0x0000000000000064\ (False|0)\ 5\ 0$ ]] || why+="on the wire: '$wire' (want context 100, V=0, PCP 5, VID 0, no 802.1Q inside); "
	[ "$t2got" = "$T1_IP" ] || why+="t2 (access port) got '$t2got' (want one untagged frame from $T1_IP); "
	[ "$t1got" = "10 0" ] || why+="t1 (trunk) got '$t1got' (want one frame tagged VLAN 10); "
	[ "$((nv1 - nv0))" -eq 1 ] || why+="VLAN 20 (no vport): tx_no_vport +$((nv1 - nv0)), want 1; "
	if [ -n "$why" ]; then not_ok "$name" "${why%; }"; else ok "$name"; fi
}

test_options_rejected() {
	local name="bad --dscp / --peers values are refused, nothing changed" errs='' before after
	before=$(stt_ctl "$NS_H1" show --json)
	stt_ctl "$NS_H1" attach "$UL1" --dscp 64 >/dev/null 2>&1 && errs+="--dscp 64 accepted; "
	stt_ctl "$NS_H1" attach "$UL1" --dscp -1 >/dev/null 2>&1 && errs+="--dscp -1 accepted; "
	stt_ctl "$NS_H1" attach "$UL1" --peers maybe >/dev/null 2>&1 && errs+="--peers maybe accepted; "
	stt_ctl "$NS_H1" peer add --context "$CTX_A" 300.1.1.1 >/dev/null 2>&1 && errs+="peer 300.1.1.1 accepted; "
	stt_ctl "$NS_H1" peer del --context "$CTX_A" 198.18.0.99 >/dev/null 2>&1 && errs+="deleting a non-peer succeeded; "
	after=$(stt_ctl "$NS_H1" show --json)
	[ "$before" = "$after" ] || errs+="show changed; "
	if [ -n "$errs" ]; then not_ok "$name" "$errs"; else ok "$name"; fi
}

# Main ------------------------------------------------------------------------------------

TESTS=(test_dscp_uniform test_dscp_pipe test_ecn_single_segment test_ecn_reassembled
	test_ecn_all_segments	test_peers_strict_endpoint test_peers_strict_context test_learning test_learning_sttd test_oam_ping
	test_oam_unknown_context test_oam_tenant_refused test_vlan_trunk test_options_rejected test_pmtu)

if ! reason=$(stt_prereqs); then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "$reason"; done
elif ! command -v python3 >/dev/null; then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "python3 missing"; done
elif ! stt_topo_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	UL1_MAC=$(stt_mac "$NS_H1" "$UL1")
	UL2_MAC=$(stt_mac "$NS_H2" "$UL2")
	stt_sttd_start "$TMP"
	stt_log "topology up (prefix $STT_NS_PREFIX): t1 $T1_MAC, t2 $T2_MAC; sttd $STTD_STATE"
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
