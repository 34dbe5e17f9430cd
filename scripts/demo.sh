#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A guided tour: build the two-host STT topology (see scripts/lib.sh), send traffic between
# two tenants of context 100, show what sttctl reports, and show that the tenant of context
# 200 on the same subnet saw none of it. Everything is torn down on exit.
# The tenants run with veth defaults (TSO/GSO on, MTU 1500 like the underlay): TSO bursts
# cross as 64 KB STT frames, and sttd reassembles what GRO leaves in pieces.
set -u

export TENANT_TSO=on TENANT_MTU=1500

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

TMP=$(mktemp -d /tmp/stt-demo.XXXXXX)
CAP_PID='' SRV_PID='' STTD_PIDS=''
cleanup() {
	local pid
	for pid in $CAP_PID $SRV_PID $STTD_PIDS; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	say "Tearing down: deleting the namespaces and their pinned maps."
	stt_topo_down
	rm -rf "$TMP"
}
say() { printf '\n== %s\n' "$*"; }

if ! why=$(stt_prereqs); then
	echo "demo.sh: $why" >&2
	exit 1
fi
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Building the topology: two hosts ($NS_H1, $NS_H2) joined by a veth underlay" \
	"($UL1 $UL1_IP, $UL2 $UL2_IP), tenants $NS_T1 and $NS_T2 in context $CTX_A," \
	"and $NS_T3 in context $CTX_B on the same subnet."
stt_topo_up || exit 1
echo "t1 $T1_IP $T1_MAC   t2 $T2_IP $T2_MAC   t3 $T3_IP $T3_MAC"

say "Starting sttd on both hosts: it reassembles the frames GRO leaves in pieces."
for ns in "$NS_H1" "$NS_H2"; do
	"$STT_REPO/build/sttd" -n "$ns" &
	STTD_PIDS="$STTD_PIDS $!"
done

T3_RX_BEFORE=$(ip -n "$NS_T3" -s -j link show eth0 | jq '.[0].stats64.rx.packets')
stt_capture_start "$NS_T3" eth0 "$TMP/t3.pcap" -Q in && CAP_PID=$STT_CAP_PID

say "t1 pings t2 ($T2_IP). t1 first finds t2's MAC with ARP, carried through the tunnel."
timeout 15 ip netns exec "$NS_T1" ping -n -c 3 -W 1 "$T2_IP"
echo "t1's neighbour table now:"
ip -n "$NS_T1" neigh show dev eth0

say "t1 pings t2 with 1472-byte payloads: 1514-byte frames, cut into two STT segments."
timeout 15 ip netns exec "$NS_T1" ping -n -c 2 -W 1 -s 1472 "$T2_IP"

say "A 5-second TCP stream from t1 to t2 with iperf3 (tenant TSO on: 64 KB STT frames)."
timeout 30 ip netns exec "$NS_T2" iperf3 -s -1 -p 5201 -B "$T2_IP" >/dev/null 2>&1 &
SRV_PID=$!
if stt_wait_listen "$NS_T2" 5201; then
	timeout 20 ip netns exec "$NS_T1" iperf3 -c "$T2_IP" -p 5201 -t 5 --connect-timeout 3000
fi
kill "$SRV_PID" 2>/dev/null
wait "$SRV_PID" 2>/dev/null
SRV_PID=

say "OAM: h1 probes h2's endpoint for context $CTX_A through the tunnel (sttctl ping)."
stt_ctl "$NS_H1" ping --context "$CTX_A" --remote "$UL2_IP" --count 3 --interval 0.2

say "Live rates on h1 for two seconds while t1 pings t2 (sttctl monitor --count 2)."
timeout 15 ip netns exec "$NS_T1" ping -n -q -c 20 -i 0.1 "$T2_IP" >/dev/null 2>&1 &
PING_PID=$!
stt_ctl "$NS_H1" monitor --count 2
wait "$PING_PID"

say "The same endpoints over IPv6: each host gets 2001:db8:1::N on its underlay and" \
	"attaches with both families; h1 then reaches t2 through h2's IPv6 address."
for n in 1 2; do
	ip netns exec "${STT_NS_PREFIX}h$n" sysctl -qw "net.ipv6.conf.ul$n.disable_ipv6=0"
	ip -n "${STT_NS_PREFIX}h$n" addr add "2001:db8:1::$n/64" dev "ul$n" nodad
	stt_run_ctl "${STT_NS_PREFIX}h$n" attach "ul$n" --local "198.18.0.$n" --local "2001:db8:1::$n"
done
stt_run_ctl "$NS_H1" fdb del --context "$CTX_A" --mac "$T2_MAC"
stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote 2001:db8:1::2
stt_run_ctl "$NS_H2" fdb del --context "$CTX_A" --mac "$T1_MAC"
stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac "$T1_MAC" --remote 2001:db8:1::1
# sttctl made managed neighbour entries for the new remotes; the kernel resolves them.
stt_wait_neigh "$NS_H1" 2001:db8:1::2
stt_wait_neigh "$NS_H2" 2001:db8:1::1
stt_capture_start "$NS_H2" "$UL2" "$TMP/ul2v6.pcap" ip6 and tcp dst port 7471 && V6CAP=$STT_CAP_PID
timeout 15 ip netns exec "$NS_T1" ping -n -c 3 -W 1 "$T2_IP"
stt_capture_stop "${V6CAP:-}"
echo "On h2's underlay (tcpdump): the pings as STT over IPv6"
tcpdump -n -r "$TMP/ul2v6.pcap" 2>/dev/null | head -4
stt_ctl "$NS_H1" ping --context "$CTX_A" --remote 2001:db8:1::2 --count 2 --interval 0.2

for ns in "$NS_H1" "$NS_H2"; do
	say "sttctl -n $ns show"
	stt_ctl "$ns" show
	say "sttctl -n $ns stats"
	stt_ctl "$ns" stats
done

say "What t3 (context $CTX_B, $T3_IP, same subnet) received meanwhile:"
stt_capture_stop "$CAP_PID"
CAP_PID=
T3_RX_AFTER=$(ip -n "$NS_T3" -s -j link show eth0 | jq '.[0].stats64.rx.packets')
n=$(tcpdump -n -r "$TMP/t3.pcap" 2>/dev/null | wc -l)
echo "captured on t3's eth0: $n frames; its rx packet counter went up by $((T3_RX_AFTER - T3_RX_BEFORE))."
if [ "$n" -eq 0 ]; then
	echo "Nothing: frames of context $CTX_A never reach a vport of context $CTX_B."
else
	tcpdump -n -e -r "$TMP/t3.pcap" 2>/dev/null | head -10
fi
