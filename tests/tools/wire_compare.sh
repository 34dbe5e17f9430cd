#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Does a change of code change the wire? Sends the same tenant frames (stt_raw.py wire:
# every transmit path) through the transmit program of each tree's build, captures them on
# the sending underlay with its offloads off, decodes every STT segment with tshark and
# compares the decoded fields and the bytes. Left out: the frame ID (TCP ACK; the outer IP
# ID follows it, and both checksums cover them) and the underlay MACs.
#
#   tests/tools/wire_compare.sh OLD_TREE NEW_TREE     (each with a build/sttctl; as root)
#
# Prints one line per tree (segments, distinct field lines) and, when they differ, the
# difference; exits 0 when every segment decodes the same, 1 when not, 2 on a setup error.
# Topology: scripts/lib.sh's, prefix "stwc-", tenants with TSO on and MTU 1500.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 2 ] || { sed -n 3,11p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OLD=$(cd "$1" && pwd) NEW=$(cd "$2" && pwd) || exit 2
STT_NS_PREFIX=stwc- TENANT_TSO=on TENANT_MTU=1500
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"
TMP=$(mktemp -d /tmp/stwc.XXXXXX)
trap 'stt_topo_down; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# Fields print every occurrence (outer, inner) comma-separated; with the heuristic on, each
# segment's TCP-like header is the STT dissector's (stt.tcp.*, stt.checksum.status).
FIELDS=(frame.len eth.type vlan.id ip.dsfield ip.len ip.flags ip.ttl ip.proto
	ip.checksum.status ipv6.tclass ipv6.plen stt.stream_id stt.dport stt.pkt_len stt.seg_off
	stt.tcp.data_offset stt.tcp.flags stt.tcp.window stt.tcp.urg_ptr stt.checksum.status
	stt.version stt.flags stt.l4offset stt.reserved stt.mss stt.vlan stt.context_id
	stt.reassembled.length udp.length tcp.len)

# capture_tree TREE OUT: the decoded STT segments of one tree's transmit, sorted.
capture_tree() {
	local tree=$1 out=$2 pid i n
	STTCTL=$tree/build/sttctl
	# Fixed tenant MACs: the source port of a non-IP frame hashes its MACs.
	T1_MAC=02:53:54:57:43:01 T2_MAC=02:53:54:57:43:02 T3_MAC=02:53:54:57:43:03
	{ stt_topo_down && stt_build_devices &&
		ip -n "$NS_T1" link set eth0 address "$T1_MAC" &&
		ip -n "$NS_T2" link set eth0 address "$T2_MAC" &&
		ip -n "$NS_T3" link set eth0 address "$T3_MAC" &&
		stt_topo_configure; } >"$out.setup" 2>&1 || { cat "$out.setup" >&2; return 1; }
	nsx "$NS_H1" ethtool -K "$UL1" tso off gso off tx off >/dev/null || return 1
	stt_capture_start "$NS_H1" "$UL1" "$out.pcap" src "$UL1_IP" and tcp dst port "$STT_PORT" ||
		return 1
	pid=$STT_CAP_PID
	nsx "$NS_T1" python3 "$HERE/stt_raw.py" wire eth0 "$T2_MAC" >"$out.sent" || return 1
	# On a busy machine the last TSO burst can reach the capture a while later: wait until
	# the capture file stops growing.
	for ((i = 0, n = -1; i < 50; i++)); do
		sleep 0.3
		[ "$(stat -c %s "$out.pcap")" = "$n" ] && break
		n=$(stat -c %s "$out.pcap")
	done
	stt_capture_stop "$pid"
	tshark -n -r "$out.pcap" -o ip.try_heuristic_first:TRUE -o tcp.check_checksum:TRUE \
		-o ip.check_checksum:TRUE -Y "stt.dport==$STT_PORT" -T fields -E separator=' ' \
		$(printf -- '-e %s ' "${FIELDS[@]}") 2>/dev/null | sort >"$out"
	# And the bytes themselves, with what differs by design blanked: the underlay MACs (new
	# veths each run), the frame ID (TCP ACK; the outer IP ID follows it) and both checksums.
	python3 - "$out.pcap" <<-'EOF' | sort >"$out.bytes"
		import struct, sys
		d = open(sys.argv[1], "rb").read()
		off = 24
		while off + 16 <= len(d):
		    n = struct.unpack_from("<I", d, off + 8)[0]
		    f = bytearray(d[off + 16:off + 16 + n])
		    for a, b in ((0, 12), (18, 20), (24, 26), (42, 46), (50, 52)):
		        f[a:b] = bytes(b - a)
		    print(f.hex())
		    off += 16 + n
	EOF
	stt_topo_down
}

rc=0
for t in OLD NEW; do
	tree=${!t}
	capture_tree "$tree" "$TMP/$t" || { echo "setup failed for $tree" >&2; exit 2; }
	echo "$t $tree: $(wc -l <"$TMP/$t") segments, $(uniq "$TMP/$t" | wc -l) distinct," \
		"sent $(cat "$TMP/$t.sent")"
done
[ -s "$TMP/OLD" ] || { echo "nothing captured" >&2; exit 2; }
if ! cmp -s "$TMP/OLD.bytes" "$TMP/NEW.bytes"; then
	echo "DIFFERENT bytes (underlay MACs, frame ID, IP ID and checksums aside):"
	diff "$TMP/OLD.bytes" "$TMP/NEW.bytes" | cut -c1-200 | head -20
	rc=1
fi
if diff -u "$TMP/OLD" "$TMP/NEW" >"$TMP/diff"; then
	echo "identical: every STT segment decodes the same (${#FIELDS[@]} fields each)"
else
	echo "DIFFERENT: fields ${FIELDS[*]}"
	cat "$TMP/diff"
	rc=1
fi
exit $rc
