#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Linux's own GUE (net/ipv4/fou*.c: `ip fou add ... gue` + a gretap device with
# `encap gue`) in the VM of tests/vm/vm.sh, Debian 12's kernel by default: the ground truth
# for stt's GUE encapsulation (issue 13, docs/GUE.md), then stt's own GUE against it.
#
#   tests/vm/interop_gue.sh [--kpkg PKG] [--timeout S] [--out DIR] [--parts "linux stt"]
#                                                          (on the host: make test-interop)
#
# On the host it boots the VM (tests/vm/vm.sh) with itself as the command, prints the guest's
# output, and writes what the guest printed of its captures back into pcap files in DIR
# (default build/interop; with the log, interop_gue.log): the guest's / is the host's, read
# only, under a tmpfs overlay, and the only channel out of vm.sh is the command's output, so
# the guest prints each pcap in base64 between `# pcap NAME begin` and `# pcap end` lines.
#
# In the guest (STT_IN_VM=1), two namespaces joined by a veth underlay (198.18.0.1/24,
# 198.18.0.2/24; 2001:db8:47::1/64, ::2 for the IPv6 part), in each a GUE port (6080) and a
# gretap device (key 4242, encap gue, encap-sport auto) with a tenant address in
# 198.18.100.0/24 (198.18.101.0/24 over IPv6):
#   1. the modules (fou, fou6, ip_gre, ip6_gre) load from the kernel package;
#   2. ping both ways across Linux GUE; the first GUE frame of each direction, annotated;
#   3. hand-made GUE packets (AF_PACKET from the other namespace: unknown flags, options,
#      versions, C bit, keys, checksums, truncation): which ones Linux delivers, from the
#      receiver's counters and the skb:kfree_skb tracepoint (tests/vm/gue_frames.py);
#   4. iperf3 for 3 s across the tunnel; GSO seen on the underlay veth;
#   5. the same over an IPv6 underlay (ip6gretap), with the default noencap-udp6-csum (zero UDP
#      checksum) and with encap-udp6-csum on one side;
#   6. stt's GUE against Linux's gretap (tests/vm/interop_stt.sh): ping both ways, iperf3 both
#      ways, stt's XDP receive, stt's security cookie dropped by Linux. The host side decodes
#      stt's captured frames with tshark and checks that Linux's gretap took in every one.
# --parts: "linux" (1-5), "stt" (1 and 6), or both (the default; STT_INTEROP_PARTS in the guest).
# Prints `ok - ...` / `not ok - ...` lines and ends with `N passed, N failed, N skipped`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
KEY=4242 PORT=6080 # the gretaps' key (stt's context in part 6) and the GUE port
# shellcheck source=interop_stt.sh
source "$HERE/interop_stt.sh"

# ------------------------------------------------------------------------------- host side
host_main() {
	local kpkg=${KPKG:-default} timeout=${STT_INTEROP_TIMEOUT:-900} out=${STT_INTEROP_OUT:-$TOP/build/interop}
	local parts=${STT_INTEROP_PARTS:-linux stt}
	while [ $# -gt 0 ]; do
		case $1 in
		--kpkg) kpkg=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--parts) parts=$2; shift 2 ;;
		*) echo "usage: $0 [--kpkg PKG] [--timeout S] [--out DIR] [--parts \"linux stt\"]" >&2; exit 2 ;;
		esac
	done
	mkdir -p "$out" || exit 1
	local log=$out/interop_gue.log t0=$SECONDS rc line p=0 f=0 s=0 name n
	rm -f "$out"/*.pcap
	"$HERE/vm.sh" --kpkg "$kpkg" --timeout "$timeout" -- \
		env STT_INTEROP_PARTS="$parts" tests/vm/interop_gue.sh --guest | tee "$log"
	rc=${PIPESTATUS[0]}
	# The guest's totals, then the host's own checks on what came back.
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
	else
		echo "not ok - the VM run ended without a summary line (vm.sh exit status $rc)"
		f=$((f + 1))
	fi
	# Decode the pcaps the guest printed.
	awk -v dir="$out" '
		/^# pcap [^ ]+ begin$/ { name = $3; file = dir "/" name ".b64"; printf "" > file; next }
		/^# pcap end$/ { close(file); name = ""; next }
		name != "" && /^# b64 / { print substr($0, 7) >> file }
	' "$log"
	for n in "$out"/*.b64; do
		[ -e "$n" ] || continue
		if base64 -d "$n" >"${n%.b64}.pcap" 2>/dev/null && [ -s "${n%.b64}.pcap" ]; then
			echo "ok - host: ${n%.b64}.pcap read back ($(stat -c %s "${n%.b64}.pcap") bytes," \
				"$(tcpdump -nr "${n%.b64}.pcap" 2>/dev/null | wc -l) frames by tcpdump -r)"
			p=$((p + 1))
		else
			echo "not ok - host: ${n%.b64}.pcap: the base64 in the log does not decode"
			f=$((f + 1))
		fi
		rm -f "$n"
	done
	ls "$out"/*.pcap >/dev/null 2>&1 || { echo "not ok - host: no capture came back from the guest"; f=$((f + 1)); }
	if grep -q "^# stt's GUE against Linux's" "$log"; then
		host_stt_checks "$out" "$log"
	fi
	echo "# interop: log $log; $((SECONDS - t0))s in all"
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || { echo "not ok - the VM run exited $rc"; f=$((f + 1)); }
	echo "$p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ]
}

if [ "${1:-}" != --guest ] && [ "${STT_IN_VM:-}" != 1 ]; then
	host_main "$@"
	exit
fi
[ "${1:-}" != --guest ] || shift

# ------------------------------------------------------------------------------ guest side
# shellcheck source=../netns/harness.sh
source "$TOP/tests/netns/harness.sh"

NS_A=gue-a NS_B=gue-b
UA=198.18.0.1 UB=198.18.0.2          # underlay (IPv4)
UA6=2001:db8:47::1 UB6=2001:db8:47::2 # underlay (IPv6)
TA=198.18.100.1 TB=198.18.100.2      # tenants over the IPv4 underlay
TA6=198.18.101.1 TB6=198.18.101.2    # tenants over the IPv6 underlay
PY=$HERE/gue_frames.py
TRACE=/sys/kernel/tracing
TMP=$(mktemp -d /tmp/gue-interop.XXXXXX)
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	if [ -d $TRACE/events/skb/kfree_skb ]; then
		echo 0 >$TRACE/events/skb/kfree_skb/enable 2>/dev/null
		echo '!stacktrace' >$TRACE/events/skb/kfree_skb/trigger 2>/dev/null
	fi
	ip netns del $NS_A 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	stt_interop_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsa() { ip netns exec $NS_A "$@"; }
nsb() { ip netns exec $NS_B "$@"; }

# cap_start NAME NS DEV [tcpdump args...]: tcpdump into $TMP/NAME.pcap; sets CAP_PID once it
# listens
cap_start() {
	local name=$1 ns=$2 dev=$3 i
	shift 3
	ip netns exec "$ns" tcpdump -i "$dev" -U -w "$TMP/$name.pcap" "$@" 2>"$TMP/$name.err" &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$TMP/$name.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
cap_stop() {
	sleep 0.3
	kill -INT "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# pcap_print NAME: the capture as base64 lines for the host to write back
pcap_print() {
	echo "# pcap $1 begin"
	base64 -w 76 "$TMP/$1.pcap" | sed 's/^/# b64 /'
	echo "# pcap end"
}

# pings NS DST: answered pings out of 3
pings() {
	timeout 20 ip netns exec "$1" ping -n -c 3 -i 0.3 -W 2 "$2" >"$TMP/ping.log" 2>&1
	sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$TMP/ping.log" | head -n 1 | grep . || echo 0
}

mac_of() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

echo "# guest: Linux $(uname -r), $(nproc) CPUs; $(ip -V); $(python3 -V 2>&1); tcpdump $(tcpdump --version 2>&1 | head -n 1 | awk '{print $3}'); $(iperf3 --version 2>&1 | head -n 1)"

# 1. Modules -------------------------------------------------------------------------------
mods_ok=1
for m in fou fou6 ip_gre ip6_gre; do
	if ! modprobe "$m" 2>"$TMP/modprobe.err"; then
		mods_ok=0
		echo "# modprobe $m: $(cat "$TMP/modprobe.err")"
	fi
done
if [ $mods_ok = 1 ]; then
	ok "modules fou, fou6, ip_gre, ip6_gre load from the kernel package"
	lsmod | grep -E '^(fou|fou6|ip_gre|ip6_gre|gre|ip_tunnel|ip6_tunnel|udp_tunnel|ip6_udp_tunnel) ' | awk '{print $1}' | tr '\n' ' ' | sed 's/^/#   loaded: /; s/$/\n/'
else
	not_ok "modules fou, fou6, ip_gre, ip6_gre load from the kernel package" \
		"see the modprobe lines (is CONFIG_NET_FOU a module of this package? ls /lib/modules/$(uname -r)/kernel/net/ipv4)"
	harness_summary
	exit
fi

PARTS=${STT_INTEROP_PARTS:-linux stt}
if [[ " $PARTS " != *" linux "* ]]; then
	[[ " $PARTS " != *" stt "* ]] || { stt_interop; stt_interop6; }
	harness_summary
	exit
fi

# 2. IPv4 underlay, Linux GUE both sides ---------------------------------------------------
ip netns add $NS_A && ip netns add $NS_B || { not_ok "namespaces"; harness_summary; exit; }
for ns in $NS_A $NS_B; do
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip link add va netns $NS_A type veth peer name vb netns $NS_B
ip -n $NS_A addr add $UA/24 dev va
ip -n $NS_B addr add $UB/24 dev vb
ip -n $NS_A link set va up
ip -n $NS_B link set vb up
# No IPv6 on the tunnel devices (created after this): no MLD or router solicitations on the
# tenant side, so that the first frames in the tunnel are the tests' own.
for ns in $NS_A $NS_B; do ip netns exec $ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1; done

gue_side() { # NS LOCAL REMOTE TENANT
	ip netns exec "$1" ip fou add port $PORT gue &&
		ip -n "$1" link add gt type gretap local "$2" remote "$3" key $KEY \
			encap gue encap-sport auto encap-dport $PORT &&
		ip -n "$1" addr add "$4/24" dev gt &&
		ip -n "$1" link set gt up
}
if gue_side $NS_A $UA $UB $TA && gue_side $NS_B $UB $UA $TB; then
	ok "ip fou add port $PORT gue + gretap key $KEY encap gue encap-sport auto encap-dport $PORT, in both namespaces"
	{ nsa ip fou show; nsa ip -d link show gt; } | diag
else
	not_ok "ip fou add port $PORT gue + gretap ... encap gue" "iproute2 or the kernel refused it"
	harness_summary
	exit
fi

cap_start gue-ipv4 $NS_A va udp port $PORT || not_ok "tcpdump on the underlay" "$(cat "$TMP/gue-ipv4.err")"
CAP4=$CAP_PID
n=$(pings $NS_A $TB)
[ "$n" = 3 ] && ok "ping tenant A -> tenant B across Linux GUE (3/3)" ||
	{ not_ok "ping tenant A -> tenant B across Linux GUE" "$n/3 answered"; diag <"$TMP/ping.log"; }
n=$(pings $NS_B $TA)
[ "$n" = 3 ] && ok "ping tenant B -> tenant A across Linux GUE (3/3)" ||
	{ not_ok "ping tenant B -> tenant A across Linux GUE" "$n/3 answered"; diag <"$TMP/ping.log"; }
sed -n 's/^rtt/#   rtt/p' "$TMP/ping.log"

# The captured frames of the pings: Linux GUE on the wire.
cap_stop "$CAP4"
echo "# the underlay as Linux GUE sends it (capture on A's veth, udp port $PORT):"
if python3 "$PY" annotate "$TMP/gue-ipv4.pcap" $PORT; then
	ok "first GUE frame of each direction captured and decoded (version 0, proto_ctype 47, GRE K + 0x6558)"
else
	not_ok "first GUE frame of each direction captured and decoded" "fewer than two directions in the capture"
fi
python3 "$PY" first "$TMP/gue-ipv4.pcap" $PORT >"$TMP/first4"
echo "# per direction: src dst frames source-ports checksums ipv6-extension-headers"
diag <"$TMP/first4"
# The hash behind the source port is the inner flow's (skb_get_hash), which is symmetric:
# both directions of one inner flow carry the same source port.
if [ "$(awk '{print $4}' "$TMP/first4" | sort -u | wc -l)" = 1 ] && [ "$(wc -l <"$TMP/first4")" = 2 ]; then
	ok "both directions of each inner flow carry the same GUE source port ($(awk 'NR == 1 {print $4}' "$TMP/first4"))"
else
	not_ok "both directions of each inner flow carry the same GUE source port" "$(tr '\n' ';' <"$TMP/first4")"
fi
read -r lo hi < <(nsa sysctl -n net.ipv4.ip_local_port_range)
bad=$(awk -v lo="$lo" -v hi="$hi" '$1 == "'$UA'" || $1 == "'$UB'" { n = split($4, p, ","); for (i = 1; i <= n; i++) if ((p[i] < lo || p[i] > hi)) print p[i] }' "$TMP/first4")
[ -z "$bad" ] && ok "Linux's GUE source ports are in the ephemeral range $lo-$hi (flow hash, encap-sport auto)" ||
	not_ok "Linux's GUE source ports are in the ephemeral range $lo-$hi" "outside: $bad"
grep -E "^$UA $UB|^$UB $UA" "$TMP/first4" | awk '$5 != "zero" {bad = 1} END {exit bad}' &&
	ok "Linux's GUE over IPv4 (noencap-csum, the default) sends UDP checksum 0" ||
	not_ok "Linux's GUE over IPv4 sends UDP checksum 0" "$(cat "$TMP/first4")"
pcap_print gue-ipv4

# 3. Malformed GUE, sent from A's namespace to B's GUE port --------------------------------
if [ -d $TRACE/events/skb/kfree_skb ]; then
	echo 'stacktrace' >$TRACE/events/skb/kfree_skb/trigger
	echo 1 >$TRACE/events/skb/kfree_skb/enable
else
	echo "# no skb:kfree_skb tracepoint: drops are told from the counters only"
fi
# A process in B's namespace (ip netns exec execs it: $! is its pid), for /proc/PID/net.
ip netns exec $NS_B sleep 600 &
PEER_PID=$!
PIDS+=("$PEER_PID")
cap_start gue-malformed $NS_A va udp port $PORT || true
CAPM=$CAP_PID
nsa ip neigh replace $UB lladdr "$(mac_of $NS_B vb)" dev va nud permanent
echo "# hand-made GUE packets $UA -> $UB:$PORT, inner ICMP echo $TA -> $TB; counters of B's namespace"
nsa python3 "$PY" malformed --ifname va --src $UA --dst $UB --dst-mac "$(mac_of $NS_B vb)" \
	--tsrc $TA --tdst $TB --tsrc-mac "$(mac_of $NS_A gt)" --tdst-mac "$(mac_of $NS_B gt)" \
	--key $KEY --port $PORT --peer-pid $PEER_PID --peer-tun gt --trace "/proc/$$/root$TRACE/trace" >"$TMP/malformed.out" 2>&1
cat "$TMP/malformed.out"
PASSED=$((PASSED + $(grep -c '^ok ' "$TMP/malformed.out")))
FAILED=$((FAILED + $(grep -c '^not ok ' "$TMP/malformed.out")))
grep -qE '^(ok|not ok) ' "$TMP/malformed.out" || not_ok "malformed GUE cases" "gue_frames.py malformed printed no result"
echo 0 >$TRACE/events/skb/kfree_skb/enable 2>/dev/null
echo '!stacktrace' >$TRACE/events/skb/kfree_skb/trigger 2>/dev/null
echo "# receiver's UDP and IP counters after all cases (B's namespace, nstat -az):"
nsb nstat -az 2>/dev/null | grep -E '^(UdpInDatagrams|UdpInErrors|UdpNoPorts|UdpInCsumErrors|IpInUnknownProtos|IcmpOutDestUnreachs|IcmpInEchos) ' | diag
nsb ip -s link show gt | diag
cap_stop "$CAPM"
pcap_print gue-malformed

# 4. iperf3 3 s, with a header-only capture to see GSO on the underlay ---------------------
cap_start gue-iperf $NS_A va -s 96 udp port $PORT || true
CAPI=$CAP_PID
timeout 30 ip netns exec $NS_B iperf3 -s -1 -B $TB >"$TMP/iperf-s.log" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do nsb ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.1; done
if timeout 40 ip netns exec $NS_A iperf3 -c $TB -t 3 -f m >"$TMP/iperf.log" 2>&1; then
	rate=$(awk '/receiver/ {print $(NF-2), $(NF-1)}' "$TMP/iperf.log")
	ok "iperf3 tenant A -> tenant B for 3 s across Linux GUE: $rate (under emulation)"
	grep -E 'sender|receiver' "$TMP/iperf.log" | diag
else
	not_ok "iperf3 tenant A -> tenant B for 3 s across Linux GUE" "$(tail -n 3 "$TMP/iperf.log")"
fi
cap_stop "$CAPI"
read -r nfr nbig max < <(python3 "$PY" gsostat "$TMP/gue-iperf.pcap" $PORT)
echo "# underlay during iperf3 (A's veth): $nfr GUE frames, $nbig longer than 1514 bytes, the longest $max bytes"
echo "#   (longer than the MTU: UDP-tunnel GSO skbs that cross the veth whole and are cut later or never)"
nsa ip -d link show gt | grep -o 'gso_max_size [0-9]*' | sed 's/^/#   gt /'
nsa ethtool -k gt 2>/dev/null | grep -E 'tcp-segmentation-offload|generic-segmentation|tx-udp_tnl' | diag
nsa ethtool -k va 2>/dev/null | grep -E 'tx-udp_tnl-segmentation|tx-udp_tnl-csum|generic-receive' | sed 's/^/#   va /'

# 5. IPv6 underlay (ip6gretap + GUE) -------------------------------------------------------
ip -n $NS_A addr add $UA6/64 dev va nodad
ip -n $NS_B addr add $UB6/64 dev vb nodad
# iproute2 6.1's `ip link help ip6gretap` says [no]encap-csum6, but its parser takes
# [no]encap-udp6-csum (TUNNEL_ENCAP_FLAG_CSUM6: the outer UDP checksum over IPv6).
gue6_side() { # NS LOCAL REMOTE TENANT [OPTIONS...]
	local ns=$1 l=$2 r=$3 t=$4
	shift 4
	ip -n "$ns" link del gt6 2>/dev/null
	ip -n "$ns" link add gt6 type ip6gretap local "$l" remote "$r" key $KEY \
		encap gue encap-sport auto encap-dport $PORT "$@" &&
		ip -n "$ns" addr add "$t/24" dev gt6 &&
		ip -n "$ns" link set gt6 up
}
if nsa ip -6 fou add port $PORT gue && nsb ip -6 fou add port $PORT gue &&
	gue6_side $NS_A $UA6 $UB6 $TA6 && gue6_side $NS_B $UB6 $UA6 $TB6; then
	nsa ip fou show | diag
	ok "ip -6 fou add port $PORT gue + ip6gretap ... encap gue, in both namespaces"
	nsa ip -d link show gt6 | grep -Eo ' mtu [0-9]+|ip6gretap.*' | diag
else
	not_ok "ip -6 fou add port $PORT gue + ip6gretap ... encap gue"
fi
# Three runs, each changing A only; B keeps iproute2's defaults for ip6gretap, which are
# encap-udp6-csum (shown as encap-csum6) and encaplimit 4:
#   default: the same as B;
#   nocsum: noencap-udp6-csum (A sends UDP checksum 0, B must accept it);
#   nolimit: noencap-udp6-csum and encaplimit none (no Destination Options header).
echo "# per direction: src dst frames source-ports checksums ipv6-extension-headers"
for mode in default nocsum nolimit; do
	case $mode in
	default) opts=() want=nonzero wext=dstopts ;;
	nocsum) opts=(noencap-udp6-csum) want=zero wext=dstopts ;;
	nolimit) opts=(noencap-udp6-csum encaplimit none) want=zero wext=- ;;
	esac
	[ $mode = default ] || gue6_side $NS_A $UA6 $UB6 $TA6 "${opts[@]}"
	# Not `udp port N`: the filter would not look past an IPv6 extension header.
	cap_start "gue-ipv6-$mode" $NS_A va ip6 and not icmp6 || true
	CAP6=$CAP_PID
	n=$(pings $NS_A $TB6)
	cap_stop "$CAP6"
	python3 "$PY" first "$TMP/gue-ipv6-$mode.pcap" $PORT >"$TMP/first6"
	read -r ab aext < <(awk -v s=$UA6 '$1 == s {print $5, $6}' "$TMP/first6")
	read -r ba bext < <(awk -v s=$UB6 '$1 == s {print $5, $6}' "$TMP/first6")
	what="A ${opts[*]:-(iproute2 defaults)}"
	if [ "$n" = 3 ] && [ "$ab" = $want ] && [ "$ba" = nonzero ] && [ "$aext" = $wext ] && [ "$bext" = dstopts ]; then
		ok "GUE over IPv6, $what: ping 3/3; A->B UDP checksum $ab, extension headers $aext; B->A $ba, $bext"
	else
		not_ok "GUE over IPv6, $what" "ping $n/3; A->B checksum '$ab' (want $want), ext '$aext' (want $wext); B->A '$ba' (want nonzero), ext '$bext' (want dstopts)"
	fi
	diag <"$TMP/first6"
	python3 "$PY" annotate "$TMP/gue-ipv6-$mode.pcap" $PORT | sed -n "/^# first GUE frame $UA6/,/^    GUE/p"
	pcap_print "gue-ipv6-$mode"
done
echo "# receiver's UDP6 counters (B's namespace):"
nsb nstat -az 2>/dev/null | grep -E '^Udp6(InDatagrams|InErrors|InCsumErrors|NoPorts) ' | diag

# 6. stt's GUE against Linux's (tests/vm/interop_stt.sh) -----------------------------------
if [[ " $PARTS " == *" stt "* ]]; then
	ip netns del $NS_A 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	stt_interop
	stt_interop6
fi

harness_summary
