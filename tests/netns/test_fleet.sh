#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Fleet control on etcd (docs/FLEET.md): a real etcd on a management network of namespaces,
# 8 hosts on one underlay bridge, each with `sttctl fleet agent` and sttd, tenants in three
# contexts. Every datapath is compared with what the schema implies, by a model written
# apart from the agent (tests/tools/fleet_expect.py); tenants ping within contexts and not
# across; one write each adds, moves and removes a VM and a host joins and leaves a context;
# etcd and agents are stopped, killed and cut off under traffic; bad values are reported
# and skipped; TLS with client certificates.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLEET_NS_PREFIX=stfl-
# shellcheck source=fleet_lib.sh
source "$HERE/fleet_lib.sh"
# shellcheck source=harness.sh
source "$HERE/harness.sh"
STTD=${STTD:-$STT_REPO/build/sttd}
EXPECT=$STT_REPO/tests/tools/fleet_expect.py
N=8
P=/stt/v1
TMP=$(mktemp -d /tmp/stfl.XXXXXX)
declare -A AGENT STTD_PID MAC IP
TLS_ARGS=()

cleanup() {
	local pid
	for pid in "${AGENT[@]}" "${STTD_PID[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	fleet_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

put() { fleet_etcdctl put "$P/spec/$1" "$2" -w json | jq -r .header.revision; }
del() { fleet_etcdctl del "$P/spec/$1" -w json | jq -r .header.revision; }
ctl() { "$STTCTL" "$@"; }
# From the management network (the root namespace has no way to etcd, and must not try).
fleet() { ctl -n "$FLEET_NS_MGMT" fleet "$@" --etcd "$FLEET_ETCD_URL" ${TLS_ARGS[@]+"${TLS_ARGS[@]}"}; }

agent_start() {
	local k=$1
	"$STTCTL" -n "$(fleet_ns "$k")" fleet agent --host "h$k" --etcd "$FLEET_ETCD_URL" \
		${TLS_ARGS[@]+"${TLS_ARGS[@]}"} >>"$TMP/agent-$k.log" 2>&1 &
	AGENT[$k]=$!
}

agent_stop() {
	kill "${AGENT[$1]}" 2>/dev/null && wait "${AGENT[$1]}" 2>/dev/null
	unset "AGENT[$1]"
}

# Wait for REV on every host (fleet wait), then compare every host with the model.
converged() {
	local rev=$1 k bad=0
	if ! fleet wait "$rev" --timeout 30 >"$TMP/wait.out" 2>&1; then
		diag <"$TMP/wait.out"
		return 1
	fi
	fleet_etcdctl get --prefix "$P/spec/" -w json >"$TMP/spec.json" || return 1
	for k in $(seq "$N"); do
		ctl -n "$(fleet_ns "$k")" show --json >"$TMP/show-$k.json" 2>/dev/null ||
			echo '{}' >"$TMP/show-$k.json"
		python3 "$EXPECT" "$TMP/spec.json" "h$k" "$TMP/show-$k.json" >>"$TMP/expect.out" ||
			bad=1
	done
	[ "$bad" = 0 ] || { tail -n 8 "$TMP/expect.out" | diag; : >"$TMP/expect.out"; }
	return "$bad"
}

# Tenants: context a (100) on every host, b (200, strict) on hosts 1-4, c (300) on 5-8;
# one subnet for all, so that a ping across contexts would work if isolation failed.
tenant() {
	local k=$1 c=$2 ip=$3
	MAC[$c$k]=$(fleet_tenant "$k" "$c" "$ip") || return 1
	IP[$c$k]=$ip
}

ping_ok() { nsx "${FLEET_NS_PREFIX}h$1-$2" ping -c 1 -W 2 -q "${IP[$3]}" >/dev/null 2>&1; }

setup() {
	local k rev
	fleet_topo_up "$N" || return 1
	fleet_etcd_start || return 1
	for k in $(seq "$N"); do
		tenant "$k" a "198.18.100.$k" || return 1
		[ "$k" -le 4 ] && { tenant "$k" b "198.18.100.$((20 + k))" || return 1; }
		[ "$k" -ge 5 ] && { tenant "$k" c "198.18.100.$((40 + k))" || return 1; }
	done
	put context/100 '{}' >/dev/null && put context/200 '{"peers":"strict"}' >/dev/null &&
		put context/300 '{}' >/dev/null || return 1
	for k in $(seq "$N"); do
		put "host/h$k" "{\"attachment\":{\"device\":\"ul0\",\"local\":\"$(fleet_ul_ip "$k")\"}}" \
			>/dev/null || return 1
		put "vport/h$k/100" '{"ifname":"v-a"}' >/dev/null
		put "mac/100/${MAC[a$k]}" "{\"host\":\"h$k\"}" >/dev/null
		if [ "$k" -le 4 ]; then
			put "vport/h$k/200" '{"ifname":"v-b"}' >/dev/null
			put "mac/200/${MAC[b$k]}" "{\"host\":\"h$k\"}" >/dev/null
		else
			put "vport/h$k/300" '{"ifname":"v-c"}' >/dev/null
			put "mac/300/${MAC[c$k]}" "{\"host\":\"h$k\"}" >/dev/null
		fi
	done
	for k in $(seq "$N"); do
		agent_start "$k"
	done
	COLD_REV=$(fleet_etcdctl get "$P/spec/context/100" -w json | jq -r .header.revision)
}

test_cold_start() {
	local t0 t1 k pid
	t0=$(date +%s%N)
	if ! converged "$COLD_REV"; then
		not_ok "cold start: every host converges to what the schema implies"
		return
	fi
	t1=$(date +%s%N)
	echo "# cold start of $N hosts: every host applied revision $COLD_REV in $(((t1 - t0) / 1000000)) ms"
	ok "cold start: every host converges to what the schema implies"
	for k in $(seq "$N"); do
		"$STTD" -n "$(fleet_ns "$k")" >"$TMP/sttd-$k.log" 2>&1 &
		STTD_PID[$k]=$!
	done
	pid=0
	for k in "${!STTD_PID[@]}"; do
		kill -0 "${STTD_PID[$k]}" 2>/dev/null || pid=$k
	done
	[ "$pid" = 0 ] && ok "sttd runs on every host" || not_ok "sttd runs on every host" "h$pid: $(cat "$TMP/sttd-$pid.log")"
}

test_pings() {
	local a b bad=0 pairs=0
	for a in $(seq "$N"); do
		for b in $(seq "$N"); do
			[ "$a" -lt "$b" ] || continue
			pairs=$((pairs + 1))
			ping_ok "$a" a "a$b" || { bad=1; echo "a$a -> a$b" | diag; }
			if [ "$a" -le 4 ] && [ "$b" -le 4 ]; then
				pairs=$((pairs + 1))
				ping_ok "$a" b "b$b" || { bad=1; echo "b$a -> b$b" | diag; }
			fi
			if [ "$a" -ge 5 ] && [ "$b" -ge 5 ]; then
				pairs=$((pairs + 1))
				ping_ok "$a" c "c$b" || { bad=1; echo "c$a -> c$b" | diag; }
			fi
		done
	done
	[ "$bad" = 0 ] && ok "every pair of tenants in a context pings ($pairs pairs)" ||
		not_ok "every pair of tenants in a context pings"
	bad=0
	for p in "1 a b2" "1 b a2" "5 c a6" "6 a c5" "2 b c7" "3 a b3"; do
		# shellcheck disable=SC2086 # three words
		set -- $p
		if ping_ok "$1" "$2" "$3"; then
			bad=1
			echo "$2$1 -> $3 answered" | diag
		fi
	done
	[ "$bad" = 0 ] && ok "no pair across contexts pings (6 pairs, same subnet)" ||
		not_ok "no pair across contexts pings"
}

# One write each; fleet wait returns only when every datapath has it.
test_one_write() {
	local rev fake=52:54:00:aa:00:01
	rev=$(put "mac/100/$fake" '{"host":"h8"}')
	converged "$rev" && ok "one write adds a VM: every host has it when fleet wait returns" ||
		not_ok "one write adds a VM"
	rev=$(put "mac/100/$fake" '{"host":"h3"}')
	converged "$rev" && ok "one write moves a VM to another host" || not_ok "one write moves a VM"
	rev=$(del "mac/100/$fake")
	converged "$rev" && ok "one write removes a VM" || not_ok "one write removes a VM"
	tenant 5 b "198.18.100.25" || { not_ok "host joins a context" "tenant"; return; }
	rev=$(put vport/h5/200 '{"ifname":"v-b"}')
	if converged "$rev" && ping_ok 1 b b5 && ping_ok 5 b b4; then
		ok "one write: a host joins a context (strict peers and flood lists follow, pings)"
	else
		not_ok "one write: a host joins a context"
	fi
	rev=$(del vport/h5/200)
	if converged "$rev" && ! ping_ok 1 b b5; then
		ok "one write: a host leaves a context (its tenant is unreachable)"
	else
		not_ok "one write: a host leaves a context"
	fi
}

status_of() { fleet_etcdctl get "$P/status/h$1" --print-value-only; }

# remotes_on K: the remotes of host K's show --json, "ADDR ENCAP" sorted, comma separated.
remotes_on() { ctl -n "$(fleet_ns "$1")" show --json | jq -r '[.remotes[] | "\(.address) \(.encap)"] | sort | join(",")'; }

# "encap": "gue" on a host: the members of its contexts send it GUE (a remotes entry each,
# as the model says), its own default stays STT; a host whose GUE port differs is reported
# and sent STT. Then both go back.
test_gue_host() {
	local rev h2ip h3ip bad=''
	h2ip=$(fleet_ul_ip 2) h3ip=$(fleet_ul_ip 3)
	rev=$(put host/h2 "{\"attachment\":{\"device\":\"ul0\",\"local\":\"$h2ip\",\"encap\":\"gue\"}}")
	converged "$rev" || bad+="not converged to the model; "
	[ "$(remotes_on 1)" = "$h2ip gue" ] || bad+="h1 remotes: '$(remotes_on 1)'; "
	[ "$(remotes_on 6)" = "$h2ip gue" ] || bad+="h6 remotes: '$(remotes_on 6)'; "
	[ -z "$(remotes_on 2)" ] || bad+="h2 remotes: '$(remotes_on 2)'; "
	[ "$(ctl -n "$(fleet_ns 2)" show --json | jq -r .attachment.encap)" = stt ] || bad+="h2's own default is not stt; "
	ping_ok 1 a a2 && ping_ok 2 b b1 || bad+="h1 and h2 tenants do not ping; "
	rev=$(put host/h3 "{\"attachment\":{\"device\":\"ul0\",\"local\":\"$h3ip\",\"encap\":\"gue\",\"gue_port\":7000}}")
	converged "$rev" || bad+="not converged to the model (h3 on port 7000); "
	status_of 1 | jq -e '.errors["host/h3"] | test("gue_port 7000")' >/dev/null ||
		bad+="h1 does not report h3's GUE port; "
	[ "$(remotes_on 1)" = "$h2ip gue" ] || bad+="h1 remotes with h3 on 7000: '$(remotes_on 1)'; "
	put host/h3 "{\"attachment\":{\"device\":\"ul0\",\"local\":\"$h3ip\"}}" >/dev/null
	rev=$(put host/h2 "{\"attachment\":{\"device\":\"ul0\",\"local\":\"$h2ip\"}}")
	converged "$rev" || bad+="not converged back; "
	[ -z "$(remotes_on 1)" ] || bad+="h1 remotes after: '$(remotes_on 1)'; "
	if [ -n "$bad" ]; then not_ok "a GUE host: sent GUE by its members, reported where it cannot be" "${bad%; }"
	else ok "a GUE host: sent GUE by its members, reported where it cannot be"; fi
}

# A vport whose interface does not exist yet is pending, and applied when it comes.
test_pending() {
	local rev i
	rev=$(put vport/h3/300 '{"ifname":"v-late"}')
	if ! fleet wait "$rev" --timeout 30 >/dev/null 2>&1 ||
		! status_of 3 | jq -e '.state == "pending" and (.pending["vport/h3/300"] | test("v-late"))' >/dev/null; then
		status_of 3 | diag
		not_ok "a vport whose interface is missing is reported pending"
		return
	fi
	ok "a vport whose interface is missing is reported pending (the rest applied)"
	tenant 3 late "198.18.100.63" || { not_ok "pending vport applied" "tenant"; return; }
	for i in $(seq 50); do
		status_of 3 | jq -e '.state == "converged"' >/dev/null && break
		sleep 0.1
	done
	if converged "$rev" && ping_ok 5 c late3; then
		ok "the interface comes: the pending vport is applied, its tenant reachable"
	else
		not_ok "the interface comes: the pending vport is applied"
	fi
	rev=$(del vport/h3/300)
	converged "$rev" || not_ok "pending vport removed"
}

# fleet wait waits for the hosts serving the contexts a change names, not for the others.
test_wait_scope() {
	local rev
	agent_stop 8
	rev=$(put mac/200/52:54:00:aa:00:07 '{"host":"h1"}')
	if fleet wait "$rev" --timeout 10 >"$TMP/wait.out" 2>&1; then
		ok "fleet wait: a change of context 200 waits for its hosts only ($(cat "$TMP/wait.out"))"
	else
		diag <"$TMP/wait.out"
		not_ok "fleet wait: a change of context 200 waits for its hosts only"
	fi
	rev=$(put mac/100/52:54:00:aa:00:08 '{"host":"h1"}')
	if ! fleet wait "$rev" --timeout 2 >"$TMP/wait.out" 2>&1 && grep -q "h8 (no agent)" "$TMP/wait.out"; then
		ok "fleet wait: a change of context 100 waits for h8, whose agent is stopped"
	else
		diag <"$TMP/wait.out"
		not_ok "fleet wait: a change of context 100 waits for h8"
	fi
	agent_start 8
	converged "$rev" || not_ok "h8 back"
}

test_bad_values() {
	local rev st ok1=1
	put vport/h1/100 '{"ifname":"v-a","colour":"red"}' >/dev/null
	put vport/h2/999 '{"ifname":"v-a"}' >/dev/null
	put mac/100/zz '{"host":"h1"}' >/dev/null
	put mac/100/52:54:00:aa:00:02 'not json' >/dev/null
	rev=$(put mac/300/52:54:00:aa:00:03 '{"host":"h6"}')
	if ! converged "$rev"; then
		not_ok "bad values: the valid write next to them converges everywhere"
		return
	fi
	ok "bad values: the valid write next to them converges everywhere"
	st=$(status_of 1)
	for k in vport/h1/100 mac/100/zz mac/100/52:54:00:aa:00:02; do
		echo "$st" | jq -e --arg k "$k" '.errors[$k]' >/dev/null || { ok1=0; echo "h1 status lacks $k" | diag; }
	done
	status_of 2 | jq -e '.errors["vport/h2/999"] | test("context 999")' >/dev/null ||
		{ ok1=0; echo "h2 status lacks vport/h2/999" | diag; }
	status_of 7 | jq -e '.errors["vport/h2/999"] == null' >/dev/null ||
		{ ok1=0; echo "h7 reports h2's vport of 999, which does not concern it" | diag; }
	echo "$st" | jq -c '{state, errors}' | diag
	[ "$ok1" = 1 ] && ok "bad values: reported with key and reason by the hosts they concern" ||
		not_ok "bad values: reported with key and reason"
	# The bad vport value kept the last valid one: h1's tenant in a still pings.
	ping_ok 1 a a2 && ok "bad values: a bad new value keeps the last valid one (h1 still serves 100)" ||
		not_ok "bad values: the last valid value kept"
	del vport/h2/999 >/dev/null
	del mac/100/zz >/dev/null
	del mac/100/52:54:00:aa:00:02 >/dev/null
	rev=$(put vport/h1/100 '{"ifname":"v-a"}')
	if converged "$rev" && status_of 1 | jq -e '.errors == {} and .state == "converged"' >/dev/null; then
		ok "bad values: fixed, the errors disappear"
	else
		status_of 1 | diag
		not_ok "bad values: fixed, the errors disappear"
	fi
}

# A flood of pings a2 -> a1 during CMD (run in this shell: it may restart etcd or an
# agent, whose PIDs it keeps); FLOOD is then "sent received".
flood_during() {
	local out=$TMP/flood.out pid
	nsx "${FLEET_NS_PREFIX}h2-a" ping -i 0.01 -c "$1" -W 1 -q "${IP[a1]}" >"$out" 2>&1 &
	pid=$!
	shift
	"$@"
	wait "$pid"
	FLOOD=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$out")
}

etcd_bounce() {
	sleep 0.5
	fleet_etcd_stop
	sleep 1.5
	fleet_etcd_start >/dev/null
}

agent_kill() {
	sleep 0.5
	kill -9 "${AGENT[1]}"
	wait "${AGENT[1]}" 2>/dev/null
	agent_start 1
	sleep 1.5
}

test_outages() {
	local r rev
	flood_during 400 etcd_bounce
	r=$FLOOD
	rev=$(put mac/100/52:54:00:aa:00:04 '{"host":"h4"}')
	if [ "${r% *}" = "${r#* }" ] && [ "${r% *}" -gt 0 ] && converged "$rev"; then
		ok "etcd stopped and restarted under traffic: $r (sent received), then converges"
	else
		not_ok "etcd stopped and restarted under traffic" "sent/received: $r"
	fi
	: >"$TMP/agent-1.log"
	flood_during 400 agent_kill
	r=$FLOOD
	if [ "${r% *}" = "${r#* }" ] && [ "${r% *}" -gt 0 ] && grep -q "applied: 0 changes" "$TMP/agent-1.log"; then
		ok "agent killed (-9) and restarted under a ping flood: $r, it applied 0 changes"
	else
		diag <"$TMP/agent-1.log"
		not_ok "agent killed and restarted under a ping flood" "sent/received: $r"
	fi
}

test_stale() {
	local i rev
	agent_stop 4
	for i in $(seq 100); do
		put "mac/100/52:54:00:bb:00:$(printf %02x "$i")" '{"host":"h2"}' >/dev/null
	done
	del mac/100/52:54:00:aa:00:04 >/dev/null
	for i in $(seq 100); do
		[ $((i % 2)) = 0 ] && del "mac/100/52:54:00:bb:00:$(printf %02x "$i")" >/dev/null
	done
	rev=$(put context/100 '{}')
	fleet_etcdctl compact "$rev" >/dev/null
	agent_start 4
	if converged "$rev"; then
		ok "agent stopped during 100 writes and a compaction: re-read, stale entries gone"
	else
		not_ok "agent stopped during 100 writes and a compaction"
	fi
	# Paused instead (SIGSTOP): its watch stays open while the history it needs goes.
	kill -STOP "${AGENT[4]}"
	for i in $(seq 100); do
		[ $((i % 2)) = 1 ] && del "mac/100/52:54:00:bb:00:$(printf %02x "$i")" >/dev/null
		put "mac/100/52:54:00:cc:00:$(printf %02x "$i")" '{"host":"h3"}' >/dev/null
	done
	rev=$(put context/100 '{}')
	fleet_etcdctl compact "$rev" >/dev/null
	kill -CONT "${AGENT[4]}"
	if converged "$rev"; then
		ok "agent paused during 100 writes and a compaction, then resumed: converges"
	else
		not_ok "agent paused during 100 writes and a compaction, then resumed"
	fi
}

test_mgmt_cut() {
	local rev
	fleet_mgmt_cut 6
	rev=$(put mac/300/52:54:00:aa:00:05 '{"host":"h7"}')
	if ! fleet wait "$rev" --timeout 2 >/dev/null 2>&1 && ping_ok 6 c c7 && ping_ok 6 a a1; then
		ok "a host cut from the management network keeps forwarding (and fleet wait says it is behind)"
	else
		not_ok "a host cut from the management network keeps forwarding"
	fi
	fleet_mgmt_restore 6
	if fleet wait "$rev" --timeout 60 >/dev/null 2>&1 && converged "$rev"; then
		ok "a host back on the management network converges"
	else
		not_ok "a host back on the management network converges"
	fi
}

# A context flooded to a multicast group instead of head-end lists (more members than a
# flood list holds would need it): one write, and ARP still finds every member.
test_group() {
	local rev k bad=0
	rev=$(put context/300 '{"group":"239.1.1.3"}')
	if ! converged "$rev"; then
		not_ok "a context flooded to a multicast group"
		return
	fi
	for k in 5 6 7 8; do
		nsx "${FLEET_NS_PREFIX}h$k-c" ip neigh flush all
	done
	ping_ok 5 c c8 && ping_ok 7 c c6 || bad=1
	jq -e '.flood[] | select(.context == "300") | .remotes == ["239.1.1.3"]' \
		"$TMP/show-5.json" >/dev/null || bad=1
	[ "$bad" = 0 ] && ok "one write floods a context to a multicast group; ARP across it works" ||
		not_ok "a context flooded to a multicast group"
	rev=$(put context/300 '{}')
	converged "$rev" || not_ok "the group removed again"
}

test_tls() {
	local k rev
	for k in $(seq "$N"); do
		agent_stop "$k"
	done
	fleet_tls_make >/dev/null || { not_ok "TLS" "fleet_tls_make failed"; return; }
	fleet_etcd_stop
	fleet_etcd_start --tls "$FLEET_TLS_DIR" >/dev/null || { not_ok "TLS" "etcd"; return; }
	TLS_ARGS=(--cacert "$FLEET_TLS_DIR/ca.crt" --cert "$FLEET_TLS_DIR/client.crt" --key "$FLEET_TLS_DIR/client.key")
	for k in $(seq "$N"); do
		agent_start "$k"
	done
	rev=$(put mac/100/52:54:00:aa:00:06 '{"host":"h5"}')
	converged "$rev" && ok "TLS with client certificates: every agent converges" ||
		not_ok "TLS with client certificates"
	if ! ctl -n "$FLEET_NS_MGMT" fleet status --etcd "$FLEET_ETCD_URL" \
		--cacert "$FLEET_TLS_DIR/ca.crt" --cert "$FLEET_TLS_DIR/other.crt" \
		--key "$FLEET_TLS_DIR/other.key" >"$TMP/st.out" 2>&1 &&
		! ctl -n "$FLEET_NS_MGMT" fleet status --etcd "$FLEET_ETCD_URL" \
			--cacert "$FLEET_TLS_DIR/ca.crt" >>"$TMP/st.out" 2>&1 &&
		ctl -n "$FLEET_NS_MGMT" fleet status --etcd "$FLEET_ETCD_URL" \
			"${TLS_ARGS[@]}" >>"$TMP/st.out" 2>&1; then
		head -2 "$TMP/st.out" | diag
		ok "TLS: a client with another CA's certificate, or none, is refused; with ours it reads"
	else
		not_ok "TLS: a client without a valid certificate is refused"
	fi
}

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
	skip "fleet" "etcd and etcdctl are not installed (scripts/deps.sh installs etcd-server, etcd-client)"
	harness_summary
	exit
fi
if ! setup; then
	not_ok "fleet setup"
	harness_summary
	exit 1
fi
test_cold_start
test_pings
test_one_write
test_gue_host
test_pending
test_wait_scope
test_bad_values
test_outages
test_stale
test_mgmt_cut
test_group
test_tls
fleet status >"$TMP/status.out" 2>&1 && diag <"$TMP/status.out"
if [ "$FAILED" != 0 ]; then
	for k in $(seq "$N"); do
		echo "agent h$k:" && tail -n 12 "$TMP/agent-$k.log"
	done | diag
fi
harness_summary
