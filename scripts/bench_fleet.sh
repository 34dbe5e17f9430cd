#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The fleet control plane (docs/FLEET.md) measured: for each size HOSTSxCONTEXTSxMACS, a real
# etcd on tests/netns/fleet_lib.sh's management network and one `sttctl fleet agent` per host.
#   - layout: context i (ID 1000+i) is served by 4 hosts, (i mod H)+1 .. +4 wrapping (every
#     host if H < 4), each through a vport vID (a veth pair vID/wID in the host, no tenant);
#     MACS MACs per context, 02:00:CC:CC:MM:MM, on the context's hosts round robin;
#   - cold start: the whole spec written first (txns of 128 keys through etcd's JSON
#     gateway, the host keys last), then every agent started at once; the time until
#     `fleet wait REV` (REV: the last write, every host's key: it waits for every host)
#     returns; host 1's fdb and vports checked against what the schema implies, and every
#     host's status;
#   - change latency: WRITES single writes (curl to the gateway), cycling: move a MAC to the
#     next host of its context, add a MAC, delete it; each followed by `fleet wait REV`
#     (it polls every 20 ms): write -> wait returned. In the same loop, right after, `fleet
#     wait REV` again on the revision just applied (the measuring tool's own cost), and a
#     watch on the status keys stamps when each host reports the revision (write -> the
#     last affected host's status seen: the agents' latency without fleet wait's);
#   - agent cost: CPU (utime+stime) of all agents over the change loop, per change; the
#     largest VmRSS (and VmHWM) of an agent at the end;
#   - etcd cost: deltas over the change loop of etcd's metrics: puts, deletes, watch events
#     sent (etcd_debugging_mvcc_events_total: one per event per watcher), bytes sent to
#     clients, etcd's CPU; the db size at the end.
# One summary table at the end, and the goals (p99 of one change <= 100 ms; cold start of
# 16x256 <= 10 s) reached or not. Namespaces "stbf-*"; everything removed at the end, on
# failure and on Ctrl-C. Hold `flock /tmp/stt-netns.lock` around it (make bench-fleet does).
#
#   scripts/bench_fleet.sh [SIZES ("4x64x4 8x128x4 16x256x4")] [WRITES (200)]   (as root)
# BENCH_FLEET_KEEP=1 keeps the raw data (per change: revision, hosts, times in µs; the
# status stamps; the agents' logs) in the /tmp/stbf.* directory it names at the end.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZES=${1:-"4x64x4 8x128x4 16x256x4"}
WRITES=${2:-200}
case $SIZES in -h | --help) sed -n 4,31p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[[ $WRITES =~ ^[1-9][0-9]*$ ]] || { echo "bench_fleet.sh: WRITES must be a positive number" >&2; exit 2; }
FLEET_NS_PREFIX=stbf-
# shellcheck source=../tests/netns/fleet_lib.sh
source "$HERE/../tests/netns/fleet_lib.sh"
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"
P=/stt/v1
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/stbf.XXXXXX)
PY=$TMP/bench_fleet.py
AGENTS=() STAMPER=''
declare -A ROW # size -> the summary row's fields

stop_agents() {
	local pid
	[ -z "$STAMPER" ] || kill "$STAMPER" 2>/dev/null
	for pid in ${AGENTS[@]+"${AGENTS[@]}"}; do
		kill "$pid" 2>/dev/null
	done
	for pid in ${AGENTS[@]+"${AGENTS[@]}"} $STAMPER; do
		wait "$pid" 2>/dev/null
	done
	AGENTS=() STAMPER=''
}
cleanup() {
	trap '' INT TERM
	stop_agents
	fleet_cleanup
	if [ -n "${BENCH_FLEET_KEEP:-}" ]; then
		echo "# raw data (per size: changes.out, stamps, agent logs) kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The spec writer, the change list, the status stamper and the report: one Python file.
cat >"$PY" <<'EOF'
import base64, http.client, json, math, signal, sys, time

ETCD = ("198.19.0.1", 2379)


def b64(b):
    return base64.b64encode(b if isinstance(b, bytes) else b.encode()).decode()


def layout(h, c):
    """The hosts (1-based) serving context index i."""
    return {i: list(range(1, h + 1)) if h < 4 else [(i + j) % h + 1 for j in range(4)]
            for i in range(c)}


def cid(i):
    return 1000 + i


def mac(i, j):
    return "02:00:%02x:%02x:%02x:%02x" % (i >> 8, i & 255, j >> 8, j & 255)


def js(o):
    return json.dumps(o, separators=(",", ":"))


def post(path, body):
    c = http.client.HTTPConnection(*ETCD, timeout=30)
    c.request("POST", path, js(body), {"Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())
    c.close()
    if "error" in r or "code" in r:
        sys.exit("etcd: %s" % r)
    return r


def spec(p, h, c, m):
    """Write the whole spec, host keys last; print REV, host 1's expected vports and fdb."""
    hosts = layout(h, c)
    kv = [("%s/spec/context/%d" % (p, cid(i)), "{}") for i in range(c)]
    kv += [("%s/spec/vport/h%d/%d" % (p, k, cid(i)), js({"ifname": "v%d" % cid(i)}))
           for i in range(c) for k in hosts[i]]
    kv += [("%s/spec/mac/%d/%s" % (p, cid(i), mac(i, j)), js({"host": "h%d" % hosts[i][j % len(hosts[i])]}))
           for i in range(c) for j in range(m)]
    kv += [("%s/spec/host/h%d" % (p, k), js({"attachment": {"device": "ul0", "local": "198.18.1.%d" % k}}))
           for k in range(1, h + 1)]
    # Batches of 128 (etcd's --max-txn-ops), the host keys in txns of their own, last.
    split = len(kv) - h
    batches = [kv[a:min(a + 128, split)] for a in range(0, split, 128)]
    batches += [kv[a:a + 128] for a in range(split, len(kv), 128)]
    rev = 0
    for b in batches:
        r = post("/v3/kv/txn", {"success": [{"request_put": {"key": b64(k), "value": b64(v)}} for k, v in b]})
        rev = int(r["header"]["revision"])
    served = [i for i in range(c) if 1 in hosts[i]]
    fdb = sum(1 for i in served for j in range(m) if hosts[i][j % len(hosts[i])] != 1)
    print(rev, len(served), fdb, len(kv))


def changes(p, h, c, m, w):
    """The change loop's writes: KIND CONTEXT OP BODY HOSTS, one a line."""
    hosts = layout(h, c)
    where = {(i, j): hosts[i][j % len(hosts[i])] for i in range(c) for j in range(m)}
    for n in range(w):
        r, kind = divmod(n, 3)
        i = r * 37 % c
        hs = hosts[i]
        if kind == 0:
            j = r % m
            where[(i, j)] = hs[(hs.index(where[(i, j)]) + 1) % len(hs)]
            op, key, host = "put", mac(i, j), where[(i, j)]
        else:
            key, host = mac(i, 0x8000 + r % 0x7fff), hs[r % len(hs)]
            op = "put" if kind == 1 else "deleterange"
        k = b64("%s/spec/mac/%d/%s" % (p, cid(i), key))
        body = {"key": k, "value": b64(js({"host": "h%d" % host}))} if op == "put" else {"key": k}
        print(("move", "add", "del")[kind], cid(i), op, js(body), ",".join(map(str, hs)))


def stamp(p, out):
    """Watch PREFIX/status/: 'ready', then NS_TIME HOST REVISION per status written."""
    key = ("%s/status/" % p).encode()
    end = key[:-1] + bytes([key[-1] + 1])
    c = http.client.HTTPConnection(*ETCD)
    c.request("POST", "/v3/watch", js({"create_request": {"key": b64(key), "range_end": b64(end)}}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    with open(out, "w", buffering=1) as f:
        while True:
            line = r.readline()
            if not line:
                return
            t = time.time_ns()
            res = json.loads(line).get("result", {})
            if res.get("created"):
                f.write("ready\n")
            for ev in res.get("events", []):
                if ev.get("type") == "DELETE":
                    continue
                kv = ev["kv"]
                host = base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1]
                v = json.loads(base64.b64decode(kv.get("value", "")) or b"{}")
                f.write("%d %s %d %d\n" % (t, host, v.get("revision", 0), int(kv.get("mod_revision", 0))))


def status(p, rev):
    """Every host's status: how many are at REV or later, and their states."""
    key = ("%s/status/" % p).encode()
    end = key[:-1] + bytes([key[-1] + 1])
    r = post("/v3/kv/range", {"key": b64(key), "range_end": b64(end)})
    states, at = {}, 0
    for kv in r.get("kvs", []):
        v = json.loads(base64.b64decode(kv["value"]))
        at += v.get("revision", 0) >= rev
        states[v.get("state", "?")] = states.get(v.get("state", "?"), 0) + 1
    print(at, ",".join("%s=%d" % s for s in sorted(states.items())) or "none")


def pct(v, q):
    v = sorted(v)
    return v[max(0, math.ceil(q * len(v)) - 1)] if v else float("nan")


def report(changes_file, stamps_file):
    """p50 p99 min max of write->wait, wait alone, write alone, write->statuses; failures,
    changes whose statuses were not seen."""
    stamps = {}
    for line in open(stamps_file):
        f = line.split()
        if len(f) == 4:
            stamps.setdefault(f[1], []).append((int(f[0]), int(f[2])))
    e2e, base, put, seen, fails, unseen = [], [], [], [], 0, 0
    for line in open(changes_file):
        # n kind ctx rev hosts t0 t_ack t1 t2 (µs) wait_rc
        f = line.split()
        rev, hosts, t0, ta, t1, t2 = int(f[3]), f[4].split(","), *map(int, f[5:9])
        fails += f[9] != "0"
        e2e.append((t1 - t0) / 1e3)
        base.append((t2 - t1) / 1e3)
        put.append((ta - t0) / 1e3)
        last = 0
        for h in hosts:
            ts = [t for t, r in stamps.get("h" + h, []) if r >= rev]
            if not ts:
                last = None
                break
            last = max(last, min(ts))
        if last is None:
            unseen += 1
        else:
            seen.append((last / 1e3 - t0) / 1e3)
    out = []
    for v in (e2e, base, put, seen):
        out += ["%.1f" % pct(v, .5), "%.1f" % pct(v, .99), "%.1f" % min(v or [0]), "%.1f" % max(v or [0])]
    print(" ".join(out), fails, unseen)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the script's trap cleans up
    a = sys.argv
    if a[1] == "spec":
        spec(a[2], int(a[3]), int(a[4]), int(a[5]))
    elif a[1] == "changes":
        changes(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]))
    elif a[1] == "stamp":
        stamp(a[2], a[3])
    elif a[1] == "status":
        status(a[2], int(a[3]))
    elif a[1] == "report":
        report(a[2], a[3])
EOF

mgmt() { nsx "$FLEET_NS_MGMT" "$@"; }
fleet() { "$STTCTL" -n "$FLEET_NS_MGMT" fleet "$@" --etcd "$FLEET_ETCD_URL"; }
now_us() { echo "${EPOCHREALTIME/./}"; }

# etcd's counters: puts deletes events sent_bytes db_bytes (etcd 3.4's names; values may be
# printed as 1.2e+06).
etcd_metrics() {
	mgmt curl -s --noproxy '*' "$FLEET_ETCD_URL/metrics" | awk '
		$1 == "etcd_mvcc_put_total" {p = $2} $1 == "etcd_mvcc_delete_total" {d = $2}
		$1 == "etcd_debugging_mvcc_events_total" {e = $2}
		$1 == "etcd_network_client_grpc_sent_bytes_total" {s = $2}
		$1 == "etcd_mvcc_db_total_size_in_bytes" {b = $2}
		END {printf "%d %d %d %d %d\n", p, d, e, s, b}'
}

# CPU ticks (utime + stime) of the PIDs given, summed; the largest VmRSS and VmHWM in kB.
cpu_ticks() {
	local pid sum=0 f
	for pid in "$@"; do
		f=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		# After "PID (comm) ": field 3 is state, utime and stime are fields 12 and 13.
		read -r -a f <<<"$f"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}
max_mem() {
	local pid
	for pid in "$@"; do
		cat "/proc/$pid/status" 2>/dev/null
	done | awk '$1 == "VmRSS:" && $2 > r {r = $2} $1 == "VmHWM:" && $2 > h {h = $2} END {print r + 0, h + 0}'
}
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.1f", n ? (b - a) / n : 0}'; }

# The hosts' vport interfaces: a veth pair vID/wID, both up, per context a host serves.
make_vports() {
	local h=$1 c=$2 i k hs
	for ((k = 1; k <= h; k++)); do
		for ((i = 0; i < c; i++)); do
			if [ "$h" -lt 4 ]; then
				hs=1
			else
				hs=$(((k - 1 - i % h + h) % h < 4))
			fi
			[ "$hs" = 1 ] || continue
			echo "link add v$((1000 + i)) type veth peer name w$((1000 + i))"
			echo "link set v$((1000 + i)) up"
			echo "link set w$((1000 + i)) up"
		done >"$TMP/ip-batch"
		ip -n "$(fleet_ns "$k")" -batch "$TMP/ip-batch" || return 1
	done
}

# bench_size HxCxM: one size, its summary row in ROW[size].
bench_size() {
	local size=$1 h c m rev vp fdb nkeys t0 t1 show got_vp got_fdb check st_at st_states k n
	local kind ctx op body hs ta t2 out wrc c0 c1 e0 e1 j0 j1 b0 b1 mem r
	IFS=x read -r h c m <<<"$size"
	# The host keys are one txn (128 keys at most), so that the cold start's wait names them all.
	[ "$h" -le 128 ] || { echo "# $size: at most 128 hosts" >&2; return 1; }
	echo "# ---- $size: $h hosts, $c contexts (4 hosts each), $m MACs per context"
	fleet_topo_up "$h" || return 1
	fleet_etcd_start --fresh || return 1
	make_vports "$h" "$c" || { echo "# $size: creating the vport interfaces failed" >&2; return 1; }
	t0=$(now_us)
	read -r rev vp fdb nkeys < <(mgmt python3 "$PY" spec "$P" "$h" "$c" "$m") ||
		{ echo "# $size: writing the spec failed" >&2; return 1; }
	t1=$(now_us)
	echo "# spec: $nkeys keys written in $(((t1 - t0) / 1000)) ms, last revision $rev"

	# Cold start: every agent at once, until fleet wait returns.
	j0=$(cpu_ticks "$FLEET_ETCD_PID") b0=$(busy_jiffies)
	t0=$(now_us)
	for ((k = 1; k <= h; k++)); do
		"$STTCTL" -n "$(fleet_ns "$k")" fleet agent --host "h$k" --etcd "$FLEET_ETCD_URL" \
			>"$TMP/agent-$k.log" 2>&1 &
		AGENTS+=($!)
	done
	if ! fleet wait "$rev" --timeout 120 >"$TMP/wait.out" 2>&1; then
		cat "$TMP/wait.out"
		echo "# $size: fleet wait $rev failed (cold start)" >&2
		return 1
	fi
	t1=$(now_us)
	c1=$(cpu_ticks "${AGENTS[@]}") j1=$(cpu_ticks "$FLEET_ETCD_PID") b1=$(busy_jiffies)
	ROW[$size.cold]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e6}')
	show=$("$STTCTL" -n "$(fleet_ns 1)" show --json)
	got_vp=$(jq '.vports | length' <<<"$show")
	got_fdb=$(jq '.fdb | length' <<<"$show")
	read -r st_at st_states < <(mgmt python3 "$PY" status "$P" "$rev")
	check=ok
	[ "$got_vp" = "$vp" ] && [ "$got_fdb" = "$fdb" ] && [ "$st_at" = "$h" ] || check=WRONG
	ROW[$size.check]=$check
	echo "# cold start: $(fleet wait "$rev" 2>&1) in ${ROW[$size.cold]} s;" \
		"h1: $got_vp vports, $got_fdb fdb entries (the schema implies $vp, $fdb): $check;" \
		"$st_at/$h statuses at $rev ($st_states)"
	echo "# cold start CPU: agents $(awk -v t="$c1" -v hz="$HZ" -v h="$h" \
		'BEGIN {printf "%.2f s (%.2f s per agent)", t / hz, t / hz / h}'), etcd" \
		"$(awk -v t=$((j1 - j0)) -v hz="$HZ" 'BEGIN {printf "%.2f", t / hz}') s; the machine" \
		"was busy $(awk -v b=$((b1 - b0)) -v hz="$HZ" -v a="$t0" -v z="$t1" -v n="$(nproc)" \
			'BEGIN {printf "%.0f%%", 100 * b / hz / ((z - a) / 1e6 * n)}') of its $(nproc) CPUs"

	# Change latency.
	mgmt python3 "$PY" changes "$P" "$h" "$c" "$m" "$WRITES" >"$TMP/changes.in"
	# ip netns exec execs python: $! is the stamper's own PID.
	ip netns exec "$FLEET_NS_MGMT" python3 "$PY" stamp "$P" "$TMP/stamps" &
	STAMPER=$!
	fleet_wait 5 grep -qs ready "$TMP/stamps" || { echo "# $size: status watch failed" >&2; return 1; }
	: >"$TMP/changes.out"
	read -r -a e0 < <(etcd_metrics)
	c0=$(cpu_ticks "${AGENTS[@]}") j0=$(cpu_ticks "$FLEET_ETCD_PID")
	n=0
	while read -r kind ctx op body hs; do
		t0=$(now_us)
		out=$(mgmt curl -s --noproxy '*' -X POST "$FLEET_ETCD_URL/v3/kv/$op" -d "$body")
		ta=$(now_us)
		[[ $out =~ \"revision\":\"?([0-9]+) ]] || { echo "# $size: write failed: $out" >&2; return 1; }
		r=${BASH_REMATCH[1]}
		fleet wait "$r" --timeout 10 >/dev/null 2>&1
		wrc=$?
		t1=$(now_us)
		fleet wait "$r" --timeout 10 >/dev/null 2>&1
		t2=$(now_us)
		echo "$n $kind $ctx $r $hs $t0 $ta $t1 $t2 $wrc" >>"$TMP/changes.out"
		n=$((n + 1))
	done <"$TMP/changes.in"
	c1=$(cpu_ticks "${AGENTS[@]}") j1=$(cpu_ticks "$FLEET_ETCD_PID")
	read -r -a e1 < <(etcd_metrics)
	sleep 0.3 # the last statuses reach the stamper
	kill "$STAMPER" 2>/dev/null
	wait "$STAMPER" 2>/dev/null
	STAMPER=''
	read -r -a mem < <(max_mem "${AGENTS[@]}")
	read -r -a r < <(python3 "$PY" report "$TMP/changes.out" "$TMP/stamps")
	echo "# $n changes; ms p50/p99/min/max:" \
		"write+wait ${r[0]}/${r[1]}/${r[2]}/${r[3]}," \
		"wait alone (already applied) ${r[4]}/${r[5]}/${r[6]}/${r[7]}," \
		"write alone ${r[8]}/${r[9]}/${r[10]}/${r[11]}," \
		"write -> last affected host's status seen ${r[12]}/${r[13]}/${r[14]}/${r[15]}" \
		"(${r[17]} not seen); fleet wait timed out ${r[16]} times"
	ROW[$size.e2e]="${r[0]} / ${r[1]}" ROW[$size.p99]=${r[1]}
	ROW[$size.base]="${r[4]} / ${r[5]}"
	ROW[$size.seen]="${r[12]} / ${r[13]}" ROW[$size.seen99]=${r[13]}
	ROW[$size.fail]=$((r[16] + r[17]))
	ROW[$size.cpu]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.2f", t * 1000 / hz / n}')
	ROW[$size.rss]=$(awk -v k="${mem[0]}" 'BEGIN {printf "%.1f", k / 1024}')
	ROW[$size.events]=$(per "${e0[2]}" "${e1[2]}" "$n")
	ROW[$size.db]=${e1[4]}
	echo "# agents: $(awk -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN {printf "%.2f", t / hz}') CPU s" \
		"over the loop (${ROW[$size.cpu]} ms per change, all $h agents);" \
		"largest VmRSS $((mem[0] / 1024)) MiB, VmHWM $((mem[1] / 1024)) MiB"
	echo "# etcd per change: $(per "${e0[0]}" "${e1[0]}" "$n") puts, $(per "${e0[1]}" "${e1[1]}" "$n")" \
		"deletes, ${ROW[$size.events]} watch events sent, $(per "${e0[3]}" "${e1[3]}" "$n") bytes" \
		"sent to clients, $(awk -v t=$((j1 - j0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.2f", t * 1000 / hz / n}')" \
		"CPU ms; db $((e1[4])) bytes (was $((e0[4])))"
	echo "# (watchers: $h agents get each change's event; the two fleet waits' watches one" \
		"each; the status watch every status put, $h per change when every agent reports)"
	# Anything the agents logged besides their applies.
	for ((k = 1; k <= h; k++)); do
		grep -v -e 'revision [0-9]* applied:' -e 'fleet: agent of host' "$TMP/agent-$k.log" |
			sed "s/^/# agent h$k: /" | head -n 5
	done
	stop_agents
	mkdir -p "$TMP/$size"
	mv "$TMP"/changes.* "$TMP/stamps" "$TMP"/agent-*.log "$TMP/$size/"
}

if ! why=$(stt_prereqs); then
	echo "bench_fleet.sh: $why" >&2
	exit 1
fi
for t in etcd etcdctl curl python3; do
	command -v "$t" >/dev/null || { echo "bench_fleet.sh: $t missing (scripts/deps.sh)" >&2; exit 1; }
done
echo "# bench_fleet.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs," \
	"$(etcd --version | head -n 1), sizes $SIZES, $WRITES writes"
echo "# git: $(git -C "$HERE/.." describe --always --dirty 2>/dev/null)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
DONE=()
for size in $SIZES; do
	if ! [[ $size =~ ^[1-9][0-9]*x[1-9][0-9]*x[1-9][0-9]*$ ]]; then
		echo "# $size: not HOSTSxCONTEXTSxMACS, skipped" >&2
		continue
	fi
	t0=$(now_us)
	if bench_size "$size"; then
		DONE+=("$size")
	else
		echo "# $size: FAILED (see above)"
		stop_agents
	fi
	echo "# $size took $(awk -v a="$t0" -v b="$(now_us)" 'BEGIN {printf "%.0f", (b - a) / 1e6}') s"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fleet_cleanup

echo
printf '| %-9s | %6s | %-15s | %-15s | %-15s | %6s | %5s | %7s | %9s |\n' size "cold s" \
	"change p50/p99" "wait-only p50/99" "status p50/p99" "CPU ms" "RSS" "events" "db bytes"
printf '| %-9s | %6s | %-15s | %-15s | %-15s | %6s | %5s | %7s | %9s |\n' "" "" "ms" "ms" "ms" \
	"/chg" "MiB" "/chg" ""
for size in ${DONE[@]+"${DONE[@]}"}; do
	printf '| %-9s | %6s | %-15s | %-15s | %-15s | %6s | %5s | %7s | %9s |\n' "$size" \
		"${ROW[$size.cold]}$([ "${ROW[$size.check]}" = ok ] || echo '!')" "${ROW[$size.e2e]}" \
		"${ROW[$size.base]}" "${ROW[$size.seen]}" "${ROW[$size.cpu]}" "${ROW[$size.rss]}" \
		"${ROW[$size.events]}" "${ROW[$size.db]}"
done
echo "change: write -> fleet wait returned; wait-only: fleet wait on the revision just applied;"
echo "status: write -> the last affected host's status at that revision seen on a watch."
for size in ${DONE[@]+"${DONE[@]}"}; do
	[ "${ROW[$size.fail]}" = 0 ] || echo "$size: ${ROW[$size.fail]} changes timed out or not seen"
	[ "${ROW[$size.check]}" = ok ] || echo "$size: cold start state differs from the schema (!)"
done
for size in ${DONE[@]+"${DONE[@]}"}; do
	if awk -v p="${ROW[$size.p99]}" 'BEGIN {exit !(p <= 100)}'; then g=reached; else g="not reached"; fi
	if awk -v p="${ROW[$size.seen99]}" 'BEGIN {exit !(p <= 100)}'; then s=reached; else s="not reached"; fi
	echo "goal $size: one change applied by every affected host within 100 ms at p99:" \
		"$g as fleet wait sees it (p99 ${ROW[$size.p99]} ms), $s as the status watch sees it" \
		"(p99 ${ROW[$size.seen99]} ms)"
done
g="not measured"
for size in ${DONE[@]+"${DONE[@]}"}; do
	case $size in
	16x256x*)
		g="not reached (${ROW[$size.cold]} s)"
		awk -v c="${ROW[$size.cold]}" 'BEGIN {exit !(c <= 10)}' && g="reached (${ROW[$size.cold]} s)"
		;;
	esac
done
echo "goal: cold start of 16x256 within 10 s: $g"
[ "${#DONE[@]}" -gt 0 ]
