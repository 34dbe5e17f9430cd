#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A guided tour of fleet control (docs/FLEET.md): a real etcd on a management network, three
# hosts on an underlay bridge, each running `sttctl fleet agent`; the orchestrator's part is
# a handful of `etcdctl put` commands. Tenants ping across the tunnel, a VM moves, a host
# joins a context, and `sttctl fleet status` shows who applied what. Everything lives in
# network namespaces (prefix "stdf-") and is removed at the end. As root: make demo-fleet.
set -u
FLEET_NS_PREFIX=stdf-
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tests/netns/fleet_lib.sh
source "$HERE/../tests/netns/fleet_lib.sh"
declare -A AGENT MAC
LOG=$(mktemp -d /tmp/stdf.XXXXXX)

cleanup() {
	local pid
	for pid in "${AGENT[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	fleet_cleanup
	rm -rf "$LOG"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
run() {
	echo "\$ $*"
	"$@"
}
spec() { fleet_etcdctl put "/stt/v1/spec/$1" "$2" -w json | jq -r .header.revision; }
fleet() { "$STTCTL" -n "$FLEET_NS_MGMT" fleet "$@" --etcd "$FLEET_ETCD_URL"; }
tping() { nsx "${FLEET_NS_PREFIX}h$1-$2" ping -c 2 -W 2 "$3" | tail -n 2; }

[ "$(id -u)" = 0 ] || { echo "demo-fleet: run as root" >&2; exit 1; }
say "three hosts, an underlay bridge, a management network with etcd on 198.19.0.1:2379"
fleet_topo_up 3 || exit 1
fleet_etcd_start || exit 1
MAC[a1]=$(fleet_tenant 1 a 198.18.100.1) && MAC[a2]=$(fleet_tenant 2 a 198.18.100.2) &&
	MAC[a3]=$(fleet_tenant 3 a 198.18.100.3) && MAC[b1]=$(fleet_tenant 1 b 198.18.100.21) &&
	MAC[b3]=$(fleet_tenant 3 b 198.18.100.23) || exit 1

say "an agent per host (sttctl -n HOST fleet agent --host NAME --etcd URL)"
for k in 1 2 3; do
	"$STTCTL" -n "$(fleet_ns "$k")" fleet agent --host "h$k" --etcd "$FLEET_ETCD_URL" \
		>"$LOG/agent-$k.log" 2>&1 &
	AGENT[$k]=$!
done

say "the orchestrator writes desired state once (etcdctl put; docs/FLEET.md)"
for k in 1 2 3; do
	echo "put spec/host/h$k"
	spec "host/h$k" "{\"attachment\":{\"device\":\"ul0\",\"local\":\"$(fleet_ul_ip "$k")\"}}" >/dev/null
done
spec context/100 '{}' >/dev/null && spec context/200 '{"peers":"strict"}' >/dev/null
for k in 1 2 3; do
	spec "vport/h$k/100" '{"ifname":"v-a"}' >/dev/null
	spec "mac/100/${MAC[a$k]}" "{\"host\":\"h$k\"}" >/dev/null
done
spec vport/h1/200 '{"ifname":"v-b"}' >/dev/null
REV=$(spec "mac/200/${MAC[b1]}" '{"host":"h1"}')
fleet_etcdctl get --prefix /stt/v1/spec/ --keys-only | sed '/^$/d; s/^/  /'
run fleet wait "$REV" --all --timeout 30 || exit 1
run fleet status

say "tenants of context 100 ping across hosts; context 200 is on h1 alone so far"
tping 1 a 198.18.100.2
tping 1 a 198.18.100.3
echo "context 200, h1 -> h3 (h3 does not serve 200 yet):"
tping 1 b 198.18.100.23 || true

say "one write: h3 starts serving context 200"
REV=$(spec vport/h3/200 '{"ifname":"v-b"}')
spec "mac/200/${MAC[b3]}" '{"host":"h3"}' >/dev/null
run fleet wait "$REV" --timeout 30
tping 1 b 198.18.100.23
echo "across contexts, a1 -> b3 (same subnet, another Context ID): no answer"
tping 1 a 198.18.100.23 || true

say "one write: the VM of h2 'moves' to h3 in the schema; every host follows"
REV=$(spec "mac/100/${MAC[a2]}" '{"host":"h3"}')
run fleet wait "$REV" --timeout 30
run "$STTCTL" -n "$(fleet_ns 1)" fdb show --context 100

say "a bad value is reported with its key, and skipped"
REV=$(spec vport/h2/100 '{"ifname":"v-a","colour":"red"}')
run fleet wait "$REV" --timeout 30
run fleet status
say "done: removing namespaces, agents and etcd"
