# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A fleet of STT hosts for the namespace tests: N hosts on one underlay bridge, a management
# network with etcd on it, tenants on demand. Source it (it sources scripts/lib.sh unless that
# is already sourced); it defines functions and variables, and runs nothing. Nothing here
# runs sttctl on the hosts' underlays: attaching is the test's (or sttd's) business.
#
#   namespace P"ul": bridge br0 (no IP, mcast_snooping 0), port hK per host
#        |  veth, MTU 1500 (offloads: the veth's defaults, as scripts/lib.sh leaves them)
#   namespace P"hK" (K = 1..N): ul0 198.18.1.K/24 [2001:db8:1::K/64 if FLEET_UL_IPV6=1]
#                               mg0 198.19.0.(10+K)/24, v-CTX vports (fleet_tenant)
#        |  veth
#   namespace P"mgmt": bridge br0 198.19.0.1/24, port hK per host; etcd on
#                      198.19.0.1:2379 (clients), 127.0.0.1:2380 (peer)
#   namespace P"hK-CTX": tenant, eth0 (fleet_tenant), peer of hK's v-CTX
#
# Every namespace has lo up and IPv6 off (no router/neighbour solicitations, no MLD), as in
# scripts/lib.sh; FLEET_UL_IPV6=1 turns IPv6 on for ul0 only.
#
# Variables (set before sourcing to override):
#   FLEET_NS_PREFIX  prefix P of every namespace (default "stfl-"); it becomes STT_NS_PREFIX
#                    too, so lib.sh's helpers (stt_our_namespaces, stt_topo_down) see the
#                    same namespaces. Source this file INSTEAD of lib.sh (or set both alike).
#   FLEET_UL_IPV6    1: also 2001:db8:1::K/64 (nodad) on each host's ul0
#   FLEET_ETCD_HEARTBEAT_MS, FLEET_ETCD_ELECTION_MS  etcd's raft timing (default 50, 250)
#   FLEET_ETCDCTL_DIAL, FLEET_ETCDCTL_CMD  etcdctl's --dial-timeout, --command-timeout
#                    (default 2s, 5s; may be set per call: FLEET_ETCDCTL_CMD=1s fleet_etcdctl ...)
# Set by the functions (read them, do not set them):
#   FLEET_N          number of hosts (fleet_topo_up)
#   FLEET_NS_UL, FLEET_NS_MGMT   the underlay bridge and management namespaces
#   FLEET_MGMT_IP    198.19.0.1 (etcd's address, on the mgmt bridge)
#   FLEET_ETCD_PID   etcd's PID while running ('' otherwise)
#   FLEET_ETCD_URL   http://198.19.0.1:2379 or https://198.19.0.1:2379
#   FLEET_ETCD_DIR   etcd's directory under /dev/shm: data/ (the data dir) and etcd.log;
#                    kept across stop/kill/restart, removed by fleet_cleanup
#   FLEET_ETCD_TLS   the TLS directory etcd runs with ('' for plain http)
#   FLEET_TLS_DIR    the directory fleet_tls_make filled (removed by fleet_cleanup)
#
# Processes: fleet_etcd_start must run in the test's shell itself, not in $(...) or a
# pipeline, because it keeps etcd's PID in FLEET_ETCD_PID (etcd is that shell's child).
#
# Use: source this file, `trap fleet_cleanup EXIT`, fleet_topo_up N, fleet_etcd_start.

FLEET_NS_PREFIX=${FLEET_NS_PREFIX:-stfl-}
STT_NS_PREFIX=$FLEET_NS_PREFIX
if ! declare -F stt_topo_down >/dev/null; then
	# shellcheck source=../../scripts/lib.sh
	source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib.sh"
fi

FLEET_UL_IPV6=${FLEET_UL_IPV6:-0}
FLEET_NS_UL=${FLEET_NS_PREFIX}ul
FLEET_NS_MGMT=${FLEET_NS_PREFIX}mgmt
FLEET_UL_NET=198.18.1 FLEET_UL6_NET=2001:db8:1:
FLEET_MGMT_NET=198.19.0 FLEET_MGMT_IP=198.19.0.1
FLEET_ETCD_PORT=2379 FLEET_ETCD_PEER_PORT=2380
# A single member elects itself after the election timeout: 250 ms, not etcd's 1 s.
FLEET_ETCD_HEARTBEAT_MS=${FLEET_ETCD_HEARTBEAT_MS:-50}
FLEET_ETCD_ELECTION_MS=${FLEET_ETCD_ELECTION_MS:-250}
FLEET_N=${FLEET_N:-0}
FLEET_ETCD_PID='' FLEET_ETCD_URL='' FLEET_ETCD_DIR='' FLEET_ETCD_TLS=''
FLEET_TLS_DIR='' FLEET_TLS_MADE=0

# Names and addresses of host K: fleet_ns K, fleet_ul_ip K, fleet_ul6_ip K, fleet_mg_ip K.
fleet_ns() { echo "${FLEET_NS_PREFIX}h$1"; }
fleet_ul_ip() { echo "$FLEET_UL_NET.$1"; }
fleet_ul6_ip() { echo "$FLEET_UL6_NET:$1"; }
fleet_mg_ip() { echo "$FLEET_MGMT_NET.$((10 + $1))"; }

# Poll until a command succeeds: fleet_wait SECONDS CMD... (every 0.1 s; status 1 on timeout).
fleet_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# A new namespace as lib.sh makes them: lo up, IPv6 off.
fleet_ns_add() {
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up || return 1
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# fleet_topo_up N: the hosts, the underlay bridge and the management network (tears down
# whatever is left with the prefix first, etcd included, and /dev/shm directories of killed
# runs with the prefix). Returns non-zero, with a message
# on stderr, if a step fails.
fleet_topo_up() {
	local n=$1 k h
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then
		echo "fleet_topo_up: N must be 1..200, not '$n'" >&2
		return 1
	fi
	fleet_topo_down
	fleet_sweep_shm
	FLEET_N=$n
	if ! fleet_ns_add "$FLEET_NS_UL" || ! fleet_ns_add "$FLEET_NS_MGMT" ||
		! ip -n "$FLEET_NS_UL" link add br0 mtu "$UL_MTU" type bridge mcast_snooping 0 ||
		! ip -n "$FLEET_NS_UL" link set br0 up ||
		! ip -n "$FLEET_NS_MGMT" link add br0 type bridge ||
		! ip -n "$FLEET_NS_MGMT" addr add "$FLEET_MGMT_IP/24" dev br0 ||
		! ip -n "$FLEET_NS_MGMT" link set br0 up; then
		echo "fleet_topo_up: bridge namespaces failed" >&2
		return 1
	fi
	for ((k = 1; k <= n; k++)); do
		h=$(fleet_ns "$k")
		if ! fleet_ns_add "$h" ||
			! ip -n "$FLEET_NS_UL" link add "h$k" mtu "$UL_MTU" type veth peer name ul0 \
				netns "$h" mtu "$UL_MTU" ||
			! ip -n "$FLEET_NS_UL" link set "h$k" master br0 up ||
			! ip -n "$h" addr add "$(fleet_ul_ip "$k")/24" dev ul0 ||
			! ip -n "$FLEET_NS_MGMT" link add "h$k" type veth peer name mg0 netns "$h" ||
			! ip -n "$FLEET_NS_MGMT" link set "h$k" master br0 up ||
			! ip -n "$h" addr add "$(fleet_mg_ip "$k")/24" dev mg0; then
			echo "fleet_topo_up: host $k ($h) failed" >&2
			return 1
		fi
		if [ "$FLEET_UL_IPV6" = 1 ]; then
			if ! nsx "$h" sysctl -qw net.ipv6.conf.ul0.disable_ipv6=0 ||
				! ip -n "$h" addr add "$(fleet_ul6_ip "$k")/64" dev ul0 nodad; then
				echo "fleet_topo_up: host $k: IPv6 on ul0 failed" >&2
				return 1
			fi
		fi
		if ! ip -n "$h" link set ul0 up || ! ip -n "$h" link set mg0 up; then
			echo "fleet_topo_up: host $k: links up failed" >&2
			return 1
		fi
	done
}

# fleet_tenant K CTX_NAME TENANT_IP: tenant namespace P"hK-CTX_NAME", eth0 there with
# TENANT_IP/24 (or TENANT_IP as given if it has a /len), MTU TENANT_MTU and the offloads of
# lib.sh's tenants; its peer v-CTX_NAME in host K, up, no address (the vport; `sttctl vport
# add` is the caller's). Prints the tenant's MAC. Usable inside $(...).
fleet_tenant() {
	local k=$1 ctx=$2 addr=$3 h t
	h=$(fleet_ns "$k")
	t=$h-$ctx
	[[ $addr == */* ]] || addr=$addr/24
	if [ "${#ctx}" -gt 13 ]; then
		echo "fleet_tenant: context name '$ctx' is longer than 13 characters (v-NAME is a device name)" >&2
		return 1
	fi
	if ! fleet_ns_add "$t" || ! stt_add_tenant "$h" "v-$ctx" "$t" "${addr%/*}"; then
		echo "fleet_tenant: tenant $t failed" >&2
		return 1
	fi
	if [ "${addr#*/}" != 24 ]; then
		ip -n "$t" addr flush dev eth0 && ip -n "$t" addr add "$addr" dev eth0 || return 1
	fi
	stt_mac "$t" eth0
}

# Take host K off the management network and back; the underlay is untouched.
#   fleet_mgmt_cut K [--link]   default: host K's port on the mgmt bridge is disabled (STP
#                               state 0): frames both ways are dropped silently, the host
#                               keeps carrier, address and routes (a partition elsewhere in
#                               the network; connections time out, nothing is refused).
#                               --link: that port goes link down instead, and the host's mg0
#                               loses carrier (it also drops, and netlink reports it).
#   fleet_mgmt_restore K        undoes either (forwarding at once; after --link, carrier
#                               takes up to a second to come back, kernel linkwatch).
fleet_mgmt_cut() {
	if [ "${2:-}" = --link ]; then
		ip -n "$FLEET_NS_MGMT" link set "h$1" down
	else
		bridge -n "$FLEET_NS_MGMT" link set dev "h$1" state 0
	fi
}
fleet_mgmt_restore() {
	ip -n "$FLEET_NS_MGMT" link set "h$1" up || return 1
	# After --link the bridge forwards again by itself once the port has carrier (and
	# refuses a state while it has none).
	bridge -n "$FLEET_NS_MGMT" link set dev "h$1" state 3 2>/dev/null || true
}

# ---- etcd --------------------------------------------------------------------------------

# etcdctl inside namespace NS with the client certificate CERT ("client", "other", ... as
# named in the TLS directory, or "none"): fleet_etcdctl_in NS CERT ARGS...
fleet_etcdctl_in() {
	local ns=$1 cert=$2 tlsargs=()
	shift 2
	if [ -n "$FLEET_ETCD_TLS" ]; then
		tlsargs=(--cacert "$FLEET_ETCD_TLS/ca.crt")
		[ "$cert" = none ] ||
			tlsargs+=(--cert "$FLEET_ETCD_TLS/$cert.crt" --key "$FLEET_ETCD_TLS/$cert.key")
	fi
	timeout 20 env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy \
		-u ALL_PROXY ETCDCTL_API=3 ip netns exec "$ns" etcdctl --endpoints "$FLEET_ETCD_URL" \
		--dial-timeout "${FLEET_ETCDCTL_DIAL:-2s}" --command-timeout "${FLEET_ETCDCTL_CMD:-5s}" \
		"${tlsargs[@]}" "$@"
}
# fleet_etcdctl ARGS...: from the mgmt namespace, with the client certificate under TLS.
fleet_etcdctl() { fleet_etcdctl_in "$FLEET_NS_MGMT" client "$@"; }
# fleet_etcdctl_as CERT ARGS...: the same with another certificate ("other", "none").
fleet_etcdctl_as() { fleet_etcdctl_in "$FLEET_NS_MGMT" "$@"; }
# fleet_etcdctl_host K ARGS...: from host K's namespace (over its mg0).
fleet_etcdctl_host() {
	local k=$1
	shift
	fleet_etcdctl_in "$(fleet_ns "$k")" client "$@"
}

fleet_etcd_healthy() {
	FLEET_ETCDCTL_DIAL=1s FLEET_ETCDCTL_CMD=2s fleet_etcdctl endpoint health >/dev/null 2>&1
}

# fleet_etcd_start [--tls DIR] [--fresh]: start etcd in the mgmt namespace and wait (20 s at
# most) until `etcdctl endpoint health` succeeds. The data directory is made on the first
# start (mktemp -d under /dev/shm) and kept afterwards; --fresh empties it first. With
# --tls DIR (files of fleet_tls_make) clients must present a certificate of DIR's CA.
fleet_etcd_start() {
	local tlsdir='' fresh=0 scheme=http i
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) tlsdir=${2:?--tls needs a directory}; shift 2 ;;
		--fresh) fresh=1; shift ;;
		*) echo "fleet_etcd_start: unknown argument '$1'" >&2; return 1 ;;
		esac
	done
	if [ -n "$FLEET_ETCD_PID" ]; then
		echo "fleet_etcd_start: etcd already runs (PID $FLEET_ETCD_PID)" >&2
		return 1
	fi
	if [ -z "$FLEET_ETCD_DIR" ] || [ ! -d "$FLEET_ETCD_DIR" ]; then
		FLEET_ETCD_DIR=$(mktemp -d "/dev/shm/${FLEET_NS_PREFIX}etcd.XXXXXX") || return 1
	fi
	[ "$fresh" = 0 ] || rm -rf "${FLEET_ETCD_DIR:?}/data"
	[ -z "$tlsdir" ] || scheme=https
	FLEET_ETCD_TLS=$tlsdir
	FLEET_ETCD_URL=$scheme://$FLEET_MGMT_IP:$FLEET_ETCD_PORT
	local peer=http://127.0.0.1:$FLEET_ETCD_PEER_PORT args
	args=(--name fleet --data-dir "$FLEET_ETCD_DIR/data"
		--listen-client-urls "$FLEET_ETCD_URL" --advertise-client-urls "$FLEET_ETCD_URL"
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer"
		--initial-cluster "fleet=$peer" --initial-cluster-state new
		--heartbeat-interval "$FLEET_ETCD_HEARTBEAT_MS" --election-timeout "$FLEET_ETCD_ELECTION_MS"
		--logger zap --log-outputs stderr)
	[ -z "$tlsdir" ] || args+=(--cert-file "$tlsdir/server.crt" --key-file "$tlsdir/server.key"
		--trusted-ca-file "$tlsdir/ca.crt" --client-cert-auth)
	# ip netns exec execs etcd itself: $! is etcd's PID.
	ip netns exec "$FLEET_NS_MGMT" etcd "${args[@]}" >>"$FLEET_ETCD_DIR/etcd.log" 2>&1 &
	FLEET_ETCD_PID=$!
	# Out of the job table: no "Killed" notice when it dies by a signal; bash still reaps it.
	disown "$FLEET_ETCD_PID"
	for ((i = 0; i < 200; i++)); do
		# etcdctl retries a refused connection until its dial timeout: ask once etcd listens.
		nsx "$FLEET_NS_MGMT" ss -Hltn "sport = :$FLEET_ETCD_PORT" 2>/dev/null | grep -q . &&
			fleet_etcd_healthy && return 0
		if ! fleet_pid_alive "$FLEET_ETCD_PID"; then
			wait "$FLEET_ETCD_PID" 2>/dev/null
			echo "fleet_etcd_start: etcd exited; its log:" >&2
			tail -n 20 "$FLEET_ETCD_DIR/etcd.log" >&2
			FLEET_ETCD_PID=''
			return 1
		fi
		sleep 0.1
	done
	echo "fleet_etcd_start: etcd not healthy after 20 s; its log:" >&2
	tail -n 20 "$FLEET_ETCD_DIR/etcd.log" >&2
	fleet_etcd_kill
	return 1
}

# Is PID running (a zombie, exited but not yet reaped, is not)?
fleet_pid_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# fleet_etcd_signal SIG SECONDS: signal etcd, wait for it to exit (SIGKILL after SECONDS),
# reap it.
fleet_etcd_signal() {
	local sig=$1 secs=$2 pid=$FLEET_ETCD_PID i
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		fleet_pid_alive "$pid" || break
		sleep 0.1
	done
	fleet_pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	FLEET_ETCD_PID=''
	return 0
}
# Stop etcd (SIGTERM, SIGKILL after 10 s), kill it (SIGKILL), or restart it with the same
# data directory and TLS setting (stop, start). The data directory stays.
fleet_etcd_stop() { fleet_etcd_signal TERM 10; }
fleet_etcd_kill() { fleet_etcd_signal KILL 5; }
fleet_etcd_restart() {
	local opt=()
	[ -z "$FLEET_ETCD_TLS" ] || opt=(--tls "$FLEET_ETCD_TLS")
	fleet_etcd_stop
	fleet_etcd_start "${opt[@]}"
}

# ---- TLS ---------------------------------------------------------------------------------

# fleet_tls_make [DIR]: certificates for etcd (EC P-256, valid 2 days), in DIR (made if
# missing; a new directory under /dev/shm if not given). Sets FLEET_TLS_DIR. Files:
#   ca.crt ca.key            the fleet's CA (etcd's --trusted-ca-file, clients' --cacert)
#   server.crt server.key    etcd's: CN fleet-etcd, SAN IP:198.19.0.1 and IP:127.0.0.1
#   client.crt client.key    a client's: CN fleet-client, signed by ca
#   other-ca.crt other-ca.key  another CA, unrelated to ca
#   other.crt other.key      a client certificate signed by other-ca: etcd refuses it
fleet_tls_make() {
	local d=${1:-} ext
	if [ -z "$d" ]; then
		d=$(mktemp -d "/dev/shm/${FLEET_NS_PREFIX}tls.XXXXXX") || return 1
		FLEET_TLS_MADE=1
	elif [ ! -d "$d" ]; then
		mkdir -p "$d" || return 1
		FLEET_TLS_MADE=1
	fi
	FLEET_TLS_DIR=$d
	ext=$d/ext.cnf
	printf '%s\n' '[srv]' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' \
		'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=IP:$FLEET_MGMT_IP,IP:127.0.0.1" \
		'[cli]' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' \
		'extendedKeyUsage=clientAuth' >"$ext"
	if ! fleet_tls_ca "$d/ca" "fleet test CA" || ! fleet_tls_ca "$d/other-ca" "other test CA" ||
		! fleet_tls_cert "$d/server" fleet-etcd "$d/ca" srv "$ext" ||
		! fleet_tls_cert "$d/client" fleet-client "$d/ca" cli "$ext" ||
		! fleet_tls_cert "$d/other" fleet-client "$d/other-ca" cli "$ext"; then
		echo "fleet_tls_make: openssl failed" >&2
		return 1
	fi
	rm -f "$ext" "$d"/*.csr "$d"/*.srl
}
fleet_tls_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$2" -keyout "$1.key" -out "$1.crt" 2>/dev/null
}
# fleet_tls_cert BASE CN CA SECTION EXTFILE
fleet_tls_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 2 \
			-extfile "$5" -extensions "$4" -out "$1.crt" 2>/dev/null
}

# ---- teardown ----------------------------------------------------------------------------

# etcd and TLS directories under /dev/shm that an earlier run with this prefix left (it was
# killed before its cleanup); this run's own stay.
fleet_sweep_shm() {
	local d
	for d in "/dev/shm/${FLEET_NS_PREFIX}etcd."* "/dev/shm/${FLEET_NS_PREFIX}tls."*; do
		if [ -d "$d" ] && [ "$d" != "$FLEET_ETCD_DIR" ] && [ "$d" != "$FLEET_TLS_DIR" ]; then
			rm -rf "$d"
		fi
	done
}

# Remove every namespace with the prefix (etcd stopped first, processes in them killed,
# vports and underlays released through sttctl, pins removed). Safe to call twice, and with
# nothing up.
fleet_topo_down() {
	local ns dev
	fleet_etcd_stop
	for ns in $(stt_our_namespaces); do
		[ -x "$STTCTL" ] || break
		for dev in $(ip -n "$ns" -j link show 2>/dev/null | jq -r '.[].ifname' 2>/dev/null); do
			case "$dev" in
			v-*) timeout 10 "$STTCTL" -n "$ns" vport del "$dev" >/dev/null 2>&1 || true ;;
			esac
		done
	done
	# Namespace processes first (sttd, ping...), then detach ul*, delete, sweep pins.
	stt_topo_down
	FLEET_N=0
	return 0
}

# For the test's `trap fleet_cleanup EXIT`: etcd stopped, its directory removed, the TLS
# directory removed if fleet_tls_make made it (else only its files), every namespace gone.
fleet_cleanup() {
	fleet_topo_down
	[ -z "$FLEET_ETCD_DIR" ] || rm -rf "$FLEET_ETCD_DIR"
	FLEET_ETCD_DIR='' FLEET_ETCD_TLS='' FLEET_ETCD_URL=''
	if [ -n "$FLEET_TLS_DIR" ]; then
		if [ "$FLEET_TLS_MADE" = 1 ]; then
			rm -rf "$FLEET_TLS_DIR"
		else
			(cd "$FLEET_TLS_DIR" && rm -f ca.crt ca.key server.crt server.key client.crt \
				client.key other-ca.crt other-ca.key other.crt other.key)
		fi
	fi
	FLEET_TLS_DIR='' FLEET_TLS_MADE=0
	return 0
}
