#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Self-test of fleet_lib.sh (not a suite: tests/run.sh runs only test_*.sh). Eight hosts,
# etcd on the management network: every host reaches it; the underlay carries host 1 ->
# host 8; host 3 cut from management loses etcd but keeps its underlay, and gets etcd back;
# a key survives an etcd restart and an etcd SIGKILL; etcd with TLS takes the client
# certificate and refuses one of another CA and none; teardown leaves no namespace and no
# etcd. Run as root: bash tests/netns/fleet_lib_selftest.sh
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLEET_NS_PREFIX=${FLEET_NS_PREFIX:-stfl-}
# shellcheck source=fleet_lib.sh
source "$HERE/fleet_lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"

TMP=$(mktemp -d /tmp/stfl-selftest.XXXXXX)
trap 'fleet_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

N=8
RANGE='{"key":"Zm9v"}' # "foo"

# etcd's v3 JSON gateway from host K: prints the answer; status of curl.
etcd_range_from() {
	nsx "$(fleet_ns "$1")" curl -s --noproxy '*' -m "${2:-2}" -X POST \
		"http://$FLEET_MGMT_IP:$FLEET_ETCD_PORT/v3/kv/range" -d "$RANGE"
}
answers() { etcd_range_from "$@" 2>/dev/null | grep -q '"cluster_id"'; }

# ping from host A to host B's underlay address: pings_ul A B -> number received of 2
pings_ul() {
	nsx "$(fleet_ns "$1")" ping -n -c 2 -i 0.2 -W 1 "$(fleet_ul_ip "$2")" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p' | grep . || echo 0
}

step_topo() {
	local t0 t1 got=0 k
	t0=$(date +%s.%N)
	fleet_topo_up "$N" || { not_ok "topology of $N hosts" "fleet_topo_up failed"; return 1; }
	t1=$(date +%s.%N)
	for ((k = 1; k <= N; k++)); do
		ip -n "$(fleet_ns "$k")" -br addr show | grep -q "ul0@.* $(fleet_ul_ip "$k")/24" &&
			ip -n "$(fleet_ns "$k")" -br addr show | grep -q "mg0@.* $(fleet_mg_ip "$k")/24" &&
			got=$((got + 1))
	done
	echo "fleet_topo_up $N: $(awk -v a="$t0" -v z="$t1" 'BEGIN {printf "%.2f", z - a}') s; namespaces: $(stt_our_namespaces | xargs)" | diag
	if [ "$got" -eq "$N" ]; then
		ok "topology of $N hosts (ul0, mg0 addressed)"
	else
		not_ok "topology of $N hosts" "$got of $N hosts addressed"
	fi
}

step_etcd_all_hosts() {
	local k bad=() t0 t1
	t0=$(date +%s.%N)
	fleet_etcd_start || { not_ok "etcd starts" "see above"; return 1; }
	t1=$(date +%s.%N)
	echo "etcd PID $FLEET_ETCD_PID at $FLEET_ETCD_URL, healthy after $(awk -v a="$t0" -v z="$t1" 'BEGIN {printf "%.2f", z - a}') s, dir $FLEET_ETCD_DIR" | diag
	for ((k = 1; k <= N; k++)); do
		answers "$k" || bad+=("$k")
	done
	echo "host 1 got: $(etcd_range_from 1)" | diag
	if [ "${#bad[@]}" -eq 0 ]; then
		ok "etcd answers a v3 range POST from every host (1..$N)"
	else
		not_ok "etcd answers from every host" "no answer from hosts ${bad[*]}"
	fi
}

step_underlay() {
	local r
	r=$(pings_ul 1 "$N")
	if [ "$r" = 2 ]; then
		ok "underlay: host 1 pings host $N ($(fleet_ul_ip "$N")) 2/2"
	else
		not_ok "underlay: host 1 pings host $N" "$r/2"
	fi
}

step_cut() {
	local name="host 3 cut from management: no etcd, underlay still pings; restored: etcd again"
	local t0 t1 cut_ans other ul restored state link link_ans link_back
	fleet_mgmt_cut 3 || { not_ok "$name" "fleet_mgmt_cut failed"; return; }
	fleet_mgmt_cut 5 --link || { not_ok "$name" "fleet_mgmt_cut --link failed"; return; }
	state=$(ip -n "$(fleet_ns 3)" -br link show mg0 | awk '{print $2}')
	link=$(ip -n "$(fleet_ns 5)" -br link show mg0 | awk '{print $2}')
	t0=$(date +%s.%N)
	answers 5 1 && echo yes >"$TMP/h5" || echo no >"$TMP/h5" &
	answers 3 1 && cut_ans=yes || cut_ans=no
	wait
	link_ans=$(cat "$TMP/h5")
	t1=$(date +%s.%N)
	answers 4 && other=yes || other=no
	ul=$(pings_ul 3 1)
	fleet_mgmt_restore 3
	fleet_mgmt_restore 5
	fleet_wait 5 answers 3 && restored=yes || restored=no
	fleet_wait 5 answers 5 && link_back=yes || link_back=no
	echo "cut (bridge port disabled): host 3 mg0 $state, reaches etcd: $cut_ans; cut --link: host 5 mg0 $link, reaches etcd: $link_ans (curls gave up after $(awk -v a="$t0" -v z="$t1" 'BEGIN {printf "%.2f", z - a}') s); host 4: $other; host 3 -> host 1 underlay $ul/2; restored: host 3 $restored, host 5 $link_back" | diag
	if [ "$cut_ans" != no ] || [ "$link_ans" != no ] || [ "$other" != yes ] || [ "$ul" != 2 ] ||
		[ "$restored" != yes ] || [ "$link_back" != yes ] || [ "$state" != UP ] || [ "$link" = UP ]; then
		not_ok "$name" "cut answers $cut_ans/$link_ans, host 4 $other, underlay $ul/2, restored $restored/$link_back, mg0 $state/$link"
	else
		ok "$name (and host 5 with --link)"
	fi
}

step_restart() {
	local name="a key written before an etcd restart (and a SIGKILL) is still there" pid0 v1 v2
	fleet_etcdctl put fleet/before-restart kept >/dev/null || { not_ok "$name" "put failed"; return; }
	pid0=$FLEET_ETCD_PID
	fleet_etcd_restart || { not_ok "$name" "restart failed"; return; }
	v1=$(fleet_etcdctl get fleet/before-restart --print-value-only)
	local pid1=$FLEET_ETCD_PID
	fleet_etcd_kill
	fleet_etcd_start || { not_ok "$name" "start after SIGKILL failed"; return; }
	v2=$(fleet_etcdctl get fleet/before-restart --print-value-only)
	echo "PID $pid0 -> restart -> $pid1 (value '$v1') -> SIGKILL, start -> $FLEET_ETCD_PID (value '$v2')" | diag
	if [ "$v1" = kept ] && [ "$v2" = kept ] && [ "$pid0" != "$pid1" ]; then
		ok "$name"
	else
		not_ok "$name" "after restart '$v1', after SIGKILL '$v2'"
	fi
}

step_tls() {
	local name="etcd with TLS: the client certificate works" out other none plain t0 t1 why_other why_none
	fleet_etcd_stop
	t0=$(date +%s.%N)
	# shellcheck disable=SC2119 # DIR is optional: a new one under /dev/shm
	fleet_tls_make || { not_ok "$name" "fleet_tls_make failed"; return; }
	t1=$(date +%s.%N)
	echo "fleet_tls_make: $(awk -v a="$t0" -v z="$t1" 'BEGIN {printf "%.2f", z - a}') s: $(find "$FLEET_TLS_DIR" -type f -printf '%f ' | sort)" | diag
	fleet_etcd_start --tls "$FLEET_TLS_DIR" || { not_ok "$name" "etcd did not start"; return; }
	if fleet_etcdctl put fleet/tls yes >/dev/null && out=$(fleet_etcdctl get fleet/tls --print-value-only) &&
		[ "$out" = yes ]; then
		ok "$name ($FLEET_ETCD_URL)"
	else
		not_ok "$name" "got '${out:-}'"
	fi
	if nsx "$(fleet_ns 2)" curl -s --noproxy '*' -m 3 --cacert "$FLEET_TLS_DIR/ca.crt" \
		--cert "$FLEET_TLS_DIR/client.crt" --key "$FLEET_TLS_DIR/client.key" \
		-X POST "$FLEET_ETCD_URL/v3/kv/range" -d "$RANGE" | grep -q '"cluster_id"'; then
		ok "etcd with TLS: curl from host 2 with the client certificate"
	else
		not_ok "etcd with TLS: curl from host 2 with the client certificate"
	fi
	FLEET_ETCDCTL_DIAL=500ms FLEET_ETCDCTL_CMD=500ms fleet_etcdctl_as other get fleet/tls >/dev/null 2>&1 &&
		other=accepted || other=refused
	FLEET_ETCDCTL_DIAL=500ms FLEET_ETCDCTL_CMD=500ms fleet_etcdctl_as none get fleet/tls >/dev/null 2>&1 &&
		none=accepted || none=refused
	answers 2 && plain=accepted || plain=refused
	# etcd's reasons: the refusals are about the certificates, not a timeout.
	why_other=$(grep -c 'rejected connection.*signed by unknown authority' "$FLEET_ETCD_DIR/etcd.log")
	why_none=$(grep -c "rejected connection.*didn't provide a certificate" "$FLEET_ETCD_DIR/etcd.log")
	echo "other CA's certificate: $other (etcd: $why_other x 'certificate signed by unknown authority'); no certificate: $none ($why_none x 'client didn't provide a certificate'); plain http: $plain" | diag
	if [ "$other" = refused ] && [ "$none" = refused ] && [ "$plain" = refused ] &&
		[ "$why_other" -gt 0 ] && [ "$why_none" -gt 0 ]; then
		ok "etcd with TLS: another CA's certificate, none, and plain http are refused"
	else
		not_ok "etcd with TLS refuses others" "other CA $other ($why_other), none $none ($why_none), plain $plain"
	fi
}

step_teardown() {
	local pid=$FLEET_ETCD_PID dir=$FLEET_ETCD_DIR tlsdir=$FLEET_TLS_DIR left procs
	fleet_cleanup
	fleet_topo_down
	fleet_cleanup
	left=$(stt_our_namespaces | xargs)
	procs=$(pgrep -f -- "--data-dir $dir/data" | xargs)
	fleet_pid_alive "$pid" && procs="$procs $pid"
	echo "namespaces with '$FLEET_NS_PREFIX': '${left}'; our etcd processes: '${procs}'; dirs left: $(find "$dir" "$tlsdir" -maxdepth 0 -printf "%p " 2>/dev/null)" | diag
	if [ -z "$left" ] && [ -z "${procs// /}" ] && [ ! -e "$dir" ] && [ ! -e "$tlsdir" ]; then
		ok "teardown (twice) leaves no namespace, no etcd, no directory"
	else
		not_ok "teardown" "namespaces '$left', etcd '$procs'"
	fi
}

T0=$(date +%s.%N)
if ! reason=$(stt_prereqs); then
	skip "fleet_lib self-test" "$reason"
else
	for c in etcd etcdctl openssl curl; do
		command -v "$c" >/dev/null || { skip "fleet_lib self-test" "no $c"; harness_summary; exit; }
	done
	if step_topo && step_etcd_all_hosts; then
		step_underlay
		step_cut
		step_restart
		step_tls
	fi
	step_teardown
fi
echo "# wall time $(awk -v a="$T0" -v z="$(date +%s.%N)" 'BEGIN {printf "%.1f", z - a}') s"
harness_summary
