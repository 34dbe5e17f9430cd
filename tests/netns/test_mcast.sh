#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An IPv4 multicast group as a flood target (draft 3.4): three hosts on a bridge, every host
# floods context 100 to 239.1.1.1 (and has unicast entries for the tenants' MACs).
#
#   t1 - vp1 [h1 ul1] --+                  +-- [ul2 h2] vp2 - t2
#                       p1 - br0 (stg-br) - p2
#                              p3 -- [ul3 h3] vp3 - t3
#
# Checks: tenants reach each other; a broadcast frame leaves h1 as ONE STT copy to the group
# (the bridge delivers it to both other hosts), validated with tshark's STT dissector; an
# endpoint that no longer names the group refuses STT sent to it (not_local). Then the same
# over an IPv6 underlay (2001:db8:2::1..3) with the IPv6 group ff05::db8:0:5.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STT_NS_PREFIX=${STG_NS_PREFIX:-stg-}
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"


TMP=$(mktemp -d /tmp/stt-mcast.XXXXXX)
CAP_PID=''
cleanup() {
	[ -z "$CAP_PID" ] || { kill "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; }
	stt_topo_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

GROUP=239.1.1.1
NS_BR=${STT_NS_PREFIX}br
NS_H3=${STT_NS_PREFIX}h3
UL3=ul3 UL3_IP=198.18.0.3

mcast_up() {
	local i ns
	stt_topo_down
	for ns in "$NS_BR" "$NS_H1" "$NS_H2" "$NS_H3" "$NS_T1" "$NS_T2" "$NS_T3"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$NS_BR" link add br0 type bridge mcast_snooping 0 || return 1
	ip -n "$NS_BR" link set br0 up || return 1
	for i in 1 2 3; do
		local h=${STT_NS_PREFIX}h$i
		ip -n "$NS_BR" link add "p$i" type veth peer name "ul$i" netns "$h" || return 1
		ip -n "$NS_BR" link set "p$i" master br0 up || return 1
		ip -n "$h" addr add "198.18.0.$i/24" dev "ul$i" || return 1
		ip -n "$h" link set "ul$i" up || return 1
	done
	stt_add_tenant "$NS_H1" vp1 "$NS_T1" "$T1_IP" || return 1
	stt_add_tenant "$NS_H2" vp2 "$NS_T2" "$T2_IP" || return 1
	stt_add_tenant "$NS_H3" vp3 "$NS_T3" "$T3_IP" || return 1
	T1_MAC=$(stt_mac "$NS_T1" eth0) T2_MAC=$(stt_mac "$NS_T2" eth0) T3_MAC=$(stt_mac "$NS_T3" eth0)
	for i in 1 2 3; do
		local h=${STT_NS_PREFIX}h$i
		stt_run_ctl "$h" attach "ul$i" || return 1
		stt_run_ctl "$h" vport add "vp$i" --context "$CTX_A" || return 1
		stt_run_ctl "$h" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$GROUP" || return 1
	done
	# Unicast: each host knows where the other tenants live.
	stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T3_MAC" --remote "$UL3_IP" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac "$T1_MAC" --remote "$UL1_IP" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac "$T3_MAC" --remote "$UL3_IP" &&
		stt_run_ctl "$NS_H3" fdb add --context "$CTX_A" --mac "$T1_MAC" --remote "$UL1_IP" &&
		stt_run_ctl "$NS_H3" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP"
}

pings() {
	timeout 15 ip netns exec "$1" ping -n -c 3 -i 0.2 -W 1 "$2" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p' | head -1 | grep . || echo 0
}

rx_packets() { ip -n "$1" -s -j link show "$2" | jq -r '.[0].stats64.rx.packets'; }
drop_count() { stt_ctl "$1" stats --json 2>/dev/null | jq -r --arg r "$2" '.drops[$r] // 0'; }

test_group_flood() {
	local name="broadcast leaves as one STT copy to the group, both hosts deliver it" a b copies
	local uni t3a t3b
	stt_capture_start "$NS_H1" "$UL1" "$TMP/h1.pcap" -Q out tcp || { not_ok "$name" "capture"; return; }
	CAP_PID=$STT_CAP_PID
	t3a=$(rx_packets "$NS_T3" eth0)
	a=$(pings "$NS_T1" "$T2_IP")
	b=$(pings "$NS_T1" "$T3_IP")
	t3b=$(rx_packets "$NS_T3" eth0)
	stt_capture_stop "$CAP_PID"
	CAP_PID=''
	# Every broadcast frame t1 sent (its ARP requests) left h1 once, to the group.
	copies=$(tshark -r "$TMP/h1.pcap" -o ip.try_heuristic_first:TRUE \
		-Y 'stt && eth.dst == ff:ff:ff:ff:ff:ff' -T fields -E occurrence=f \
		-e ip.dst -e eth.dst 2>/dev/null | sort | uniq -c | xargs)
	uni=$(tshark -r "$TMP/h1.pcap" -o ip.try_heuristic_first:TRUE \
		-Y "stt && eth.dst == ff:ff:ff:ff:ff:ff && ip.dst != $GROUP" -T fields -e frame.number 2>/dev/null | wc -l)
	echo "t1 -> t2 $a/3, t1 -> t3 $b/3; broadcast copies from h1 (count, outer dst, outer MAC): $copies; unicast broadcast copies: $uni; t3 rx +$((t3b - t3a))" | diag
	if [ "$a" != 3 ] || [ "$b" != 3 ]; then
		not_ok "$name" "pings: $a/3 and $b/3"
	elif ! [[ $copies =~ ^2\ $GROUP\ 01:00:5e:01:01:01$ ]]; then
		# t1 ARPs once for t2 and once for t3: two broadcast frames, two copies.
		not_ok "$name" "broadcast copies from h1: '$copies' (want 2 to $GROUP, MAC 01:00:5e:01:01:01)"
	elif [ "$uni" -ne 0 ]; then
		not_ok "$name" "$uni broadcast copies went unicast"
	else
		ok "$name"
	fi
}

test_group_left() {
	local name="an endpoint that no longer floods to the group refuses STT sent to it" d0 d1 t3a t3b
	stt_run_ctl "$NS_H3" fdb del --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$GROUP" >/dev/null 2>&1 ||
		{ not_ok "$name" "fdb del failed"; return; }
	d0=$(drop_count "$NS_H3" not_local)
	t3a=$(rx_packets "$NS_T3" eth0)
	ip -n "$NS_T1" neigh flush dev eth0
	pings "$NS_T1" "$T2_IP" >/dev/null
	d1=$(drop_count "$NS_H3" not_local)
	t3b=$(rx_packets "$NS_T3" eth0)
	echo "h3 not_local $d0 -> $d1; t3 rx +$((t3b - t3a))" | diag
	if [ "$((d1 - d0))" -lt 1 ]; then
		not_ok "$name" "h3 did not count STT to the group as not_local"
	elif [ "$t3b" -ne "$t3a" ]; then
		not_ok "$name" "t3 still received $((t3b - t3a)) frames"
	else
		ok "$name"
	fi
}

test_unicast_group_refused() {
	local name="a multicast group as a unicast fdb remote is refused"
	if stt_ctl "$NS_H1" fdb add --context "$CTX_A" --mac 02:00:00:00:00:99 --remote "$GROUP" >/dev/null 2>&1; then
		not_ok "$name" "accepted"
	else
		ok "$name"
	fi
}

GROUP6=ff05::db8:0:5

# Every host moves to IPv6: addresses on the underlay, attach with both families, the
# flood list the IPv6 group (a flood list is one family), unicast entries IPv6 remotes.
mcast_v6() {
	local i j h
	for i in 1 2 3; do
		h=${STT_NS_PREFIX}h$i
		nsx "$h" sysctl -qw "net.ipv6.conf.ul$i.disable_ipv6=0" || return 1
		ip -n "$h" addr add "2001:db8:2::$i/64" dev "ul$i" nodad || return 1
		stt_run_ctl "$h" attach "ul$i" --local "198.18.0.$i" --local "2001:db8:2::$i" || return 1
		stt_ctl "$h" fdb del --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$GROUP" >/dev/null 2>&1
		stt_run_ctl "$h" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$GROUP6" || return 1
		for j in 1 2 3; do
			[ "$i" = "$j" ] && continue
			local mac
			mac=$(stt_mac "${STT_NS_PREFIX}t$j" eth0)
			stt_ctl "$h" fdb del --context "$CTX_A" --mac "$mac" >/dev/null 2>&1
			stt_run_ctl "$h" fdb add --context "$CTX_A" --mac "$mac" --remote "2001:db8:2::$j" || return 1
		done
	done
	for i in 1 2 3; do
		ip -n "${STT_NS_PREFIX}t$i" neigh flush dev eth0
	done
	for i in 1 2 3; do
		for j in 1 2 3; do
			[ "$i" = "$j" ] || stt_wait_neigh "${STT_NS_PREFIX}h$i" "2001:db8:2::$j"
		done
	done
}

test_group_flood_v6() {
	local name="IPv6 underlay: broadcast leaves as one STT copy to an IPv6 group, both hosts deliver it"
	local a b copies uni
	if ! mcast_v6 >"$TMP/v6.log" 2>&1; then
		diag <"$TMP/v6.log"
		not_ok "$name" "moving to IPv6 failed"
		return
	fi
	stt_capture_start "$NS_H1" "$UL1" "$TMP/h1v6.pcap" -Q out tcp || { not_ok "$name" "capture"; return; }
	CAP_PID=$STT_CAP_PID
	a=$(pings "$NS_T1" "$T2_IP")
	b=$(pings "$NS_T1" "$T3_IP")
	stt_capture_stop "$CAP_PID"
	CAP_PID=''
	copies=$(tshark -r "$TMP/h1v6.pcap" -o ipv6.try_heuristic_first:TRUE \
		-Y 'stt && eth.dst == ff:ff:ff:ff:ff:ff' -T fields -E occurrence=f \
		-e ipv6.dst -e eth.dst 2>/dev/null | sort | uniq -c | xargs)
	uni=$(tshark -r "$TMP/h1v6.pcap" -o ipv6.try_heuristic_first:TRUE \
		-Y "stt && eth.dst == ff:ff:ff:ff:ff:ff && !(ipv6.dst == $GROUP6)" -T fields -e frame.number 2>/dev/null | wc -l)
	echo "t1 -> t2 $a/3, t1 -> t3 $b/3; broadcast copies from h1 (count, outer dst, outer MAC): $copies; other copies: $uni" | diag
	if [ "$a" != 3 ] || [ "$b" != 3 ]; then
		not_ok "$name" "pings: $a/3 and $b/3"
	elif ! [[ $copies =~ ^2\ $GROUP6\ 33:33:00:00:00:05$ ]]; then
		not_ok "$name" "broadcast copies from h1: '$copies' (want 2 to $GROUP6, MAC 33:33:00:00:00:05)"
	elif [ "$uni" -ne 0 ]; then
		not_ok "$name" "$uni broadcast copies went elsewhere"
	else
		ok "$name"
	fi
}

TESTS=(test_group_flood test_group_left test_unicast_group_refused test_group_flood_v6)
if ! reason=$(stt_prereqs); then
	for t in "${TESTS[@]}"; do skip "${t#test_}" "$reason"; done
elif ! mcast_up >"$TMP/setup.log" 2>&1; then
	diag <"$TMP/setup.log"
	for t in "${TESTS[@]}"; do not_ok "${t#test_}" "topology setup failed"; done
else
	stt_log "topology up (prefix $STT_NS_PREFIX): three hosts on a bridge, group $GROUP"
	for t in "${TESTS[@]}"; do
		"$t"
	done
fi

harness_summary
