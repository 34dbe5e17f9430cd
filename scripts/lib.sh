# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Shared helpers for the namespace tests and the demo: build and tear down the standard
# two-host STT topology. Source it; it defines functions and variables, and runs nothing.
#
#   namespace stt-t1            namespace stt-t2            namespace stt-t3
#   context 100                 context 100                 context 200
#   eth0 198.19.0.1/24          eth0 198.19.0.2/24          eth0 198.19.0.3/24
#   MTU 1428, TSO/GSO off,      (same)                      (same; same subnet on purpose:
#   GRO on                                                   must see nothing of context 100)
#     |  veth                     |  veth                     |  veth
#   vp1 (vport, no IP)          vp2 (vport, no IP)          vp3 (vport, no IP)
#   +--------------------+      +-------------------------------------------------+
#   | namespace stt-h1   |      | namespace stt-h2                                |
#   | sttctl attach ul1  |      | sttctl attach ul2                               |
#   | ul1 198.18.0.1/24  |======| ul2 198.18.0.2/24        veth underlay, MTU 1500 |
#   +--------------------+      +-------------------------------------------------+
#
# Forwarding: fdb flood entries (ff:ff:ff:ff:ff:ff -> the other host) and unicast entries
# for the context-100 tenants' MACs. No static ARP or neighbour entry anywhere: the tenants
# resolve each other with ARP through the tunnel, the hosts each other on the underlay.
#
# Variables (set before sourcing to override):
#   STT_NS_PREFIX  prefix of every namespace name (default "stt-"); cleanup removes every
#                  namespace that carries it, so leftovers of an earlier or crashed run go too
#   STTCTL         path of sttctl (default: build/sttctl in this repository)
#
# sttctl must be run as `sttctl -n NS ...`, never under `ip netns exec` (which gives each
# command a fresh mount namespace, so its pins would vanish).

STT_REPO=${STT_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
STTCTL=${STTCTL:-$STT_REPO/build/sttctl}
STT_NS_PREFIX=${STT_NS_PREFIX:-stt-}
STT_PIN_BASE=${STT_PIN_BASE:-/sys/fs/bpf/stt}

NS_H1=${STT_NS_PREFIX}h1
NS_H2=${STT_NS_PREFIX}h2
NS_T1=${STT_NS_PREFIX}t1
NS_T2=${STT_NS_PREFIX}t2
NS_T3=${STT_NS_PREFIX}t3

UL1=ul1 UL2=ul2
UL1_IP=198.18.0.1 UL2_IP=198.18.0.2
UL_MTU=1500
T1_IP=198.19.0.1 T2_IP=198.19.0.2 T3_IP=198.19.0.3
# Tenants: single-segment frames by default (MTU 1428, TSO/GSO off, GRO on). TENANT_TSO=on
# turns TSO/GSO on (GRO still on); TENANT_TSO=default leaves the veth's offloads alone
# (TSO/GSO on, GRO off). With TENANT_MTU=1500 the tenants match the underlay.
TENANT_MTU=${TENANT_MTU:-1428}
TENANT_TSO=${TENANT_TSO:-off}
CTX_A=100 CTX_B=200
STT_PORT=7471 # STT's destination port (sttctl's default)

# Filled by stt_topo_up.
T1_MAC='' T2_MAC='' T3_MAC=''

stt_log() { echo "# $*"; }

# sttctl inside a host namespace: stt_ctl NS ARGS...
stt_ctl() {
	local ns=$1
	shift
	timeout 20 "$STTCTL" -n "$ns" "$@"
}

# An ordinary tool inside a namespace: nsx NS CMD...
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

stt_mac() { ip -n "$1" -j link show "$2" | jq -r '.[0].address'; }

# Inode of a named namespace: the key of its pin directory.
stt_ns_inode() { stat -L -c %i "/run/netns/$1" 2>/dev/null; }

# Does the kernel have tcx links (Linux 6.6+; without them sttctl attaches through clsact)?
# Asks the kernel: a query of lo's tcx ingress fails with EINVAL where there is no tcx
# (tests/tools/stt_foreign, built on demand); the kernel version decides if that cannot run.
# The answer is kept in STT_HAS_TCX: call it once outside $(...) to keep it for the test.
stt_kernel_has_tcx() {
	local out v
	if [ -z "${STT_HAS_TCX:-}" ]; then
		if make -C "$STT_REPO" --no-print-directory -s build/stt_foreign >/dev/null 2>&1 &&
			out=$("$STT_REPO/build/stt_foreign" query lo 2>&1); then
			STT_HAS_TCX=yes
		elif [[ ${out:-} == *"Invalid argument"* ]]; then
			STT_HAS_TCX=no
		else
			v=$(uname -r | cut -d- -f1)
			[ "$(printf '6.6\n%s\n' "$v" | sort -V | head -n 1)" == 6.6 ] && STT_HAS_TCX=yes || STT_HAS_TCX=no
		fi
	fi
	[ "$STT_HAS_TCX" == yes ]
}

stt_prereqs() {
	local missing=() c
	[ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
	for c in ip jq ethtool tcpdump tshark iperf3 ping timeout; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ "${#missing[@]}" -eq 0 ] || { echo "missing tools: ${missing[*]} (run scripts/deps.sh)"; return 1; }
	[ -x "$STTCTL" ] || { echo "$STTCTL not built (run make)"; return 1; }
	mountpoint -q /sys/fs/bpf || { echo "bpffs not mounted at /sys/fs/bpf (run scripts/deps.sh)"; return 1; }
}

# Our namespaces: every named namespace whose name starts with the prefix.
stt_our_namespaces() {
	ip netns list 2>/dev/null | awk -v p="$STT_NS_PREFIX" 'index($1, p) == 1 {print $1}'
}

# Remove pin directories of network namespaces that no longer exist (a netns inode number is
# reused later, and a new namespace must not inherit an old one's state).
stt_sweep_dead_pins() {
	local d ino live
	[ -d "$STT_PIN_BASE" ] || return 0
	live=$( (stat -L -c %i /run/netns/* /proc/[0-9]*/ns/net 2>/dev/null || true) | sort -u)
	for d in "$STT_PIN_BASE"/*/; do
		[ -d "$d" ] || continue
		ino=$(basename "$d")
		[[ $ino =~ ^[0-9]+$ ]] || continue
		grep -qx "$ino" <<<"$live" || rm -rf "$d" 2>/dev/null || true
	done
}

# Tear the topology down: best-effort sttctl detach/vport del, then delete the namespaces
# (their devices go with them) and their pins. Safe to call twice, and with nothing up.
stt_topo_down() {
	local ns ino dev pids
	for ns in $(stt_our_namespaces); do
		ino=$(stt_ns_inode "$ns")
		# Processes this topology started in the namespace (iperf3, tcpdump) keep it alive.
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		# shellcheck disable=SC2086 # one PID per word
		[ -z "$pids" ] || kill $pids 2>/dev/null || true
		if [ -x "$STTCTL" ]; then
			for dev in $(ip -n "$ns" -j link show 2>/dev/null | jq -r '.[].ifname' 2>/dev/null); do
				case "$dev" in
				vp*) timeout 10 "$STTCTL" -n "$ns" vport del "$dev" >/dev/null 2>&1 || true ;;
				ul*) timeout 10 "$STTCTL" -n "$ns" detach "$dev" >/dev/null 2>&1 || true ;;
				esac
			done
		fi
		ip netns del "$ns" 2>/dev/null || true
		[ -z "$ino" ] || rm -rf "${STT_PIN_BASE:?}/$ino" 2>/dev/null || true
	done
	stt_sweep_dead_pins
	return 0
}

# Build the topology. Returns non-zero, with a message on stderr, if a step fails.
stt_topo_up() {
	stt_topo_down
	stt_build_devices || { echo "stt_topo_up: building namespaces and devices failed" >&2; return 1; }

	T1_MAC=$(stt_mac "$NS_T1" eth0)
	T2_MAC=$(stt_mac "$NS_T2" eth0)
	T3_MAC=$(stt_mac "$NS_T3" eth0)
	stt_topo_configure
}

# The sttctl part of stt_topo_up (hosts attached, vports, fdb), on devices that exist.
stt_topo_configure() {
	stt_run_ctl "$NS_H1" attach "$UL1" --local "$UL1_IP" &&
		stt_run_ctl "$NS_H2" attach "$UL2" --local "$UL2_IP" &&
		stt_run_ctl "$NS_H1" vport add vp1 --context "$CTX_A" &&
		stt_run_ctl "$NS_H2" vport add vp2 --context "$CTX_A" &&
		stt_run_ctl "$NS_H2" vport add vp3 --context "$CTX_B" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL2_IP" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac ff:ff:ff:ff:ff:ff --remote "$UL1_IP" &&
		stt_run_ctl "$NS_H1" fdb add --context "$CTX_A" --mac "$T2_MAC" --remote "$UL2_IP" &&
		stt_run_ctl "$NS_H2" fdb add --context "$CTX_A" --mac "$T1_MAC" --remote "$UL1_IP" ||
		{ echo "stt_topo_up: sttctl configuration failed" >&2; return 1; }
}

# Namespaces, underlay and tenant veths, addresses; no sttctl yet.
stt_build_devices() {
	local ns
	for ns in "$NS_H1" "$NS_H2" "$NS_T1" "$NS_T2" "$NS_T3"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
		# No IPv6 chatter (router/neighbour solicitations, MLD): every frame a tenant sees
		# comes from the test.
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done

	ip -n "$NS_H1" link add "$UL1" mtu "$UL_MTU" type veth peer name "$UL2" netns "$NS_H2" \
		mtu "$UL_MTU" || return 1
	ip -n "$NS_H1" addr add "$UL1_IP/24" dev "$UL1" || return 1
	ip -n "$NS_H2" addr add "$UL2_IP/24" dev "$UL2" || return 1
	ip -n "$NS_H1" link set "$UL1" up || return 1
	ip -n "$NS_H2" link set "$UL2" up || return 1

	stt_add_tenant "$NS_H1" vp1 "$NS_T1" "$T1_IP" || return 1
	stt_add_tenant "$NS_H2" vp2 "$NS_T2" "$T2_IP" || return 1
	stt_add_tenant "$NS_H2" vp3 "$NS_T3" "$T3_IP" || return 1
}

# stt_add_tenant HOSTNS HOSTDEV TENANTNS ADDR
stt_add_tenant() {
	local hns=$1 hdev=$2 tns=$3 addr=$4
	ip -n "$hns" link add "$hdev" mtu "$TENANT_MTU" type veth peer name eth0 netns "$tns" \
		mtu "$TENANT_MTU" || return 1
	ip -n "$tns" addr add "$addr/24" dev eth0 || return 1
	# By default tenant frames fit one STT segment: no TSO/GSO. GRO on the tenant end gives
	# the veth NAPI, which XDP redirects into it need to be delivered.
	if [ "$TENANT_TSO" != default ]; then
		nsx "$tns" ethtool -K eth0 tso "$TENANT_TSO" gso "$TENANT_TSO" >/dev/null || return 1
		nsx "$tns" ethtool -K eth0 gro on >/dev/null || return 1
	fi
	ip -n "$tns" link set eth0 up || return 1
	ip -n "$hns" link set "$hdev" up || return 1
}

# Run sttctl, echoing the command; on failure show its stderr.
stt_run_ctl() {
	local ns=$1 err
	shift
	[ -n "${STT_QUIET:-}" ] || stt_log "sttctl -n $ns $*"
	if ! err=$(stt_ctl "$ns" "$@" 2>&1 >/dev/null); then
		echo "sttctl -n $ns $* failed: $err" >&2
		return 1
	fi
}

# Wait until a host's neighbour entry for ADDR is resolved: stt_wait_neigh NS ADDR [TRIES].
# Right after IPv6 is turned on, neighbour discovery takes about a second (seen: INCOMPLETE
# for 1 s), and until then the datapath drops what it cannot send (tx_no_neigh).
stt_wait_neigh() {
	local ns=$1 addr=$2 i
	for ((i = 0; i < ${3:-50}; i++)); do
		ip -n "$ns" neigh show "$addr" 2>/dev/null | grep -qE 'REACHABLE|STALE|DELAY|PROBE' && return 0
		sleep 0.1
	done
	return 1
}

# Wait until a TCP port listens in a namespace: stt_wait_listen NS PORT [TRIES]
stt_wait_listen() {
	local ns=$1 port=$2 i
	for ((i = 0; i < ${3:-50}; i++)); do
		nsx "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# Start tcpdump in the background: stt_capture_start NS DEV FILE [FILTER...]
# Sets STT_CAP_PID; waits until tcpdump listens.
stt_capture_start() {
	local ns=$1 dev=$2 file=$3 i
	shift 3
	: >"$file.log"
	timeout 300 ip netns exec "$ns" tcpdump -n -U --immediate-mode -i "$dev" -w "$file" "$@" 2>"$file.log" &
	STT_CAP_PID=$!
	for ((i = 0; i < 50; i++)); do
		grep -q 'listening on' "$file.log" && return 0
		kill -0 "$STT_CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "tcpdump on $ns/$dev did not start: $(cat "$file.log")" >&2
	return 1
}

# Stop a capture started by stt_capture_start: stt_capture_stop PID
stt_capture_stop() {
	local pid=$1
	[ -n "$pid" ] || return 0
	sleep 0.3 # let the last frames reach the capture
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# sttd on both hosts: stt_sttd_start LOGDIR. Sets STTD_PIDS (an array) and STTD_STATE
# (absent, running, or "died: <its output>"); stt_topo_down's process sweep stops them.
# STTD_ARGS (an array, optional) adds arguments, e.g. STTD_ARGS=(--metrics 127.0.0.1:9474):
# each host is its own namespace, so both can use the same address.
STTD=${STTD:-$STT_REPO/build/sttd}
STTD_PIDS=() STTD_STATE=''
stt_sttd_start() {
	local dir=$1 ns pid
	if [ ! -x "$STTD" ]; then
		STTD_STATE=absent
		return 0
	fi
	for ns in "$NS_H1" "$NS_H2"; do
		"$STTD" -n "$ns" ${STTD_ARGS[@]+"${STTD_ARGS[@]}"} >"$dir/sttd-$ns.log" 2>&1 &
		STTD_PIDS+=($!)
	done
	sleep 0.5
	STTD_STATE=running
	for pid in "${STTD_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || STTD_STATE="died: $(cat "$dir"/sttd-*.log | tr '\n' ' ')"
	done
}

# stt_file_transfer FILE OUT DIR [SECONDS]: send FILE from t1 to t2 over one TCP connection
# (bash's /dev/tcp; a perl sink in t2 writes what it reads to OUT). iperf3 -F is not used:
# its file mode repeats and skips blocks on partial writes (seen without the tunnel at
# fault). Sets STT_XF_RC (0: sent and written), STT_XF_BYTES (received), STT_XF_SECS;
# errors go to DIR/send.err and DIR/sink.err. SECONDS bounds the sink (default 60).
stt_file_transfer() {
	local file=$1 out=$2 dir=$3 secs=${4:-60} t0 t1 sink
	rm -f "$out"
	timeout "$secs" ip netns exec "$NS_T2" /usr/bin/perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => 5301, Listen => 1,
			ReuseAddr => 1) or die "listen: $!\n";
		my $c = $s->accept or die "accept: $!\n";
		open(my $f, ">", $ARGV[1]) or die "$ARGV[1]: $!\n";
		binmode $f;
		my $b;
		while ((my $n = sysread($c, $b, 1 << 20)) > 0) { print $f $b or die "write: $!\n"; }
		close $f or die "close: $!\n";' "$T2_IP" "$out" 2>"$dir/sink.err" &
	sink=$!
	stt_wait_listen "$NS_T2" 5301
	t0=$(date +%s.%N)
	timeout $((secs - 10)) ip netns exec "$NS_T1" bash -c 'cat "$1" >/dev/tcp/"$2"/5301' _ \
		"$file" "$T2_IP" 2>"$dir/send.err"
	STT_XF_RC=$?
	wait "$sink" || STT_XF_RC=1
	t1=$(date +%s.%N)
	STT_XF_BYTES=$(stat -c %s "$out" 2>/dev/null || echo 0)
	STT_XF_SECS=$(awk -v a="$t0" -v z="$t1" 'BEGIN {printf "%.3f", z - a}')
}
